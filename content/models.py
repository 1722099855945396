"""
What patients read, editable by staff. Long text is Markdown, rendered and
sanitised on the way out (content.markdown), so staff can format but not script.
"""

from django.db import models
from django.urls import reverse

MARKDOWN_HELP = "Markdown: **bold**, *italic*, lists with “- ”, links with [text](https://…), headings with “### ”."


class PublishedQuerySet(models.QuerySet):
    def published(self):
        """Return what patients may see."""
        return self.filter(is_published=True)


class Page(models.Model):
    """A page of fixed address (home, the treatment), made of ordered sections."""

    HOME = "home"
    DRY_NEEDLING = "dry-needling"
    KEY_CHOICES = [(HOME, "Home page"), (DRY_NEEDLING, "Dry needling (the treatment)")]

    key = models.SlugField("page", max_length=40, unique=True, choices=KEY_CHOICES)
    title = models.CharField(
        "title", max_length=70, help_text="The browser tab and search result title (about 60 characters)."
    )
    heading = models.CharField("main heading", max_length=120, help_text="The page's one <h1>.")
    meta_description = models.CharField(
        "meta description", max_length=170, help_text="What search engines show under the title (about 155 characters)."
    )
    lead = models.TextField("lead", max_length=600, help_text="The first paragraph, shown large under the heading.")
    updated_at = models.DateTimeField("last updated", auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = "page"
        verbose_name_plural = "pages"

    def __str__(self):
        return self.get_key_display()

    def get_absolute_url(self):
        return reverse("content:home") if self.key == self.HOME else reverse("content:dry_needling")


class PageSection(models.Model):
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="sections", verbose_name="page")
    anchor = models.SlugField(
        "anchor", max_length=60, help_text="The section's address on the page, e.g. #aftercare; unique within a page."
    )
    heading = models.CharField("heading", max_length=120)
    body = models.TextField("body", help_text=MARKDOWN_HELP)
    order = models.PositiveSmallIntegerField("order", default=0)

    class Meta:
        ordering = ["page", "order", "id"]
        verbose_name = "section"
        verbose_name_plural = "sections"
        constraints = [models.UniqueConstraint(fields=["page", "anchor"], name="content_section_unique_anchor")]

    def __str__(self):
        return self.heading


class Condition(models.Model):
    """A condition dry needling is offered for, with a page of its own."""

    name = models.CharField("name", max_length=80, unique=True)
    slug = models.SlugField("slug", max_length=80, unique=True)
    summary = models.CharField(
        "summary", max_length=200, help_text="One sentence for the list of conditions and the home page."
    )
    meta_description = models.CharField("meta description", max_length=170)
    muscles = models.CharField(
        "muscles involved", max_length=200, help_text="e.g. “piriformis, gluteus medius, lower-back muscles”."
    )
    about = models.TextField("what it is", help_text=MARKDOWN_HELP)
    how_it_helps = models.TextField("how dry needling helps", help_text=MARKDOWN_HELP)
    order = models.PositiveSmallIntegerField("order", default=0)
    is_published = models.BooleanField("published", default=True)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "condition"
        verbose_name_plural = "conditions"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("content:condition_detail", kwargs={"slug": self.slug})


class FAQCategory(models.Model):
    name = models.CharField("name", max_length=80, unique=True)
    order = models.PositiveSmallIntegerField("order", default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "FAQ group"
        verbose_name_plural = "FAQ groups"

    def __str__(self):
        return self.name


class FAQ(models.Model):
    category = models.ForeignKey(FAQCategory, on_delete=models.PROTECT, related_name="faqs", verbose_name="group")
    question = models.CharField("question", max_length=200)
    answer = models.TextField("answer", help_text=MARKDOWN_HELP)
    order = models.PositiveSmallIntegerField("order", default=0)
    is_published = models.BooleanField("published", default=True)

    objects = PublishedQuerySet.as_manager()

    class Meta:
        ordering = ["category__order", "order", "id"]
        verbose_name = "FAQ"
        verbose_name_plural = "FAQs"

    def __str__(self):
        return self.question


class TestimonialQuerySet(models.QuerySet):
    def published(self):
        """Return the testimonials whose patients agreed to publication."""
        return self.filter(consent_to_publish=True)


class Testimonial(models.Model):
    """What a patient said, shown only with their consent."""

    quote = models.TextField("what the patient said", max_length=600)
    attribution = models.CharField(
        "attribution",
        max_length=80,
        help_text="As the patient agreed to be named, e.g. “Sana, Clifton” or “a runner from DHA”.",
    )
    condition = models.ForeignKey(
        Condition,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="testimonials",
        verbose_name="condition",
        help_text="Also shown on this condition's page.",
    )
    consent_to_publish = models.BooleanField(
        "consent to publish",
        default=False,
        help_text="Tick only once the patient has agreed, in writing, to this text being shown on the site.",
    )
    order = models.PositiveSmallIntegerField("order", default=0)
    created_at = models.DateTimeField("added", auto_now_add=True)

    objects = TestimonialQuerySet.as_manager()

    class Meta:
        ordering = ["order", "-created_at"]
        verbose_name = "testimonial"
        verbose_name_plural = "testimonials"

    def __str__(self):
        return f"{self.attribution}: {self.quote[:40]}"
