from django.apps import AppConfig


class ContentConfig(AppConfig):
    """What patients read: the treatment, conditions, FAQs and testimonials."""

    name = "content"
    verbose_name = "Site content"
