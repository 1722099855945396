"""The content fields patients read, in English and Urdu (django-modeltranslation): staff edit both in the admin."""

from modeltranslation.translator import TranslationOptions, register

from content.models import FAQ, Condition, FAQCategory, Page, PageSection, Testimonial


@register(Page)
class PageTranslation(TranslationOptions):
    fields = ("title", "heading", "meta_description", "lead")


@register(PageSection)
class PageSectionTranslation(TranslationOptions):
    fields = ("heading", "body")


@register(Condition)
class ConditionTranslation(TranslationOptions):
    fields = ("name", "summary", "meta_description", "muscles", "about", "how_it_helps")


@register(FAQCategory)
class FAQCategoryTranslation(TranslationOptions):
    fields = ("name",)


@register(FAQ)
class FAQTranslation(TranslationOptions):
    fields = ("question", "answer")


@register(Testimonial)
class TestimonialTranslation(TranslationOptions):
    fields = ("quote", "attribution")
