from django.contrib import admin
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

# Staff edit each text in English and in Urdu side by side (content/translation.py); a blank Urdu shows the English.
from content.models import FAQ, Condition, FAQCategory, Page, PageSection, Testimonial


class PageSectionInline(TranslationStackedInline):
    model = PageSection
    extra = 0
    fields = ["order", "heading", "anchor", "body"]


@admin.register(Page)
class PageAdmin(TranslationAdmin):
    list_display = ["__str__", "title", "updated_at"]
    inlines = [PageSectionInline]
    fieldsets = [
        (None, {"fields": ["key", "heading", "lead"]}),
        ("Search engines and sharing", {"fields": ["title", "meta_description"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The key decides the page's address; changing it would break the site.
        return ["key"] if obj else []


@admin.register(Condition)
class ConditionAdmin(TranslationAdmin):
    list_display = ["name", "order", "is_published"]
    list_editable = ["order", "is_published"]
    list_filter = ["is_published"]
    search_fields = ["name", "summary", "muscles"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "is_published", "order"]}),
        ("Page", {"fields": ["summary", "muscles", "about", "how_it_helps"]}),
        ("Search engines", {"fields": ["meta_description"]}),
    ]


class FAQInline(TranslationStackedInline):
    model = FAQ
    extra = 0
    fields = ["order", "question", "answer", "is_published"]


@admin.register(FAQCategory)
class FAQCategoryAdmin(TranslationAdmin):
    list_display = ["name", "order"]
    list_editable = ["order"]
    inlines = [FAQInline]


@admin.register(FAQ)
class FAQAdmin(TranslationAdmin):
    list_display = ["question", "category", "order", "is_published"]
    list_editable = ["order", "is_published"]
    list_filter = ["is_published", "category"]
    list_select_related = ["category"]
    search_fields = ["question", "answer"]


@admin.register(Testimonial)
class TestimonialAdmin(TranslationAdmin):
    list_display = ["attribution", "condition", "consent_to_publish", "order", "created_at"]
    list_editable = ["consent_to_publish", "order"]
    list_filter = ["consent_to_publish", "condition"]
    list_select_related = ["condition"]
    search_fields = ["quote", "attribution"]
