import factory

from bookings.models import Clinic
from content.models import FAQ, Condition, FAQCategory, Testimonial


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Branch {n}")
    slug = factory.Sequence(lambda n: f"branch-{n}")
    area = "Clifton"
    address = factory.Sequence(lambda n: f"Plot {n}, Block 5, Clifton")
    email = factory.Sequence(lambda n: f"branch{n}@example.com")
    opening_hours = "Monday to Saturday: 10:00 to 20:00"


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Condition

    name = factory.Sequence(lambda n: f"Condition {n}")
    slug = factory.Sequence(lambda n: f"condition-{n}")
    summary = "A test condition."
    meta_description = "A test condition, treated with dry needling."
    muscles = "test muscles"
    about = "What it is."
    how_it_helps = "How it helps."
    order = 100


class FAQCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FAQCategory

    name = factory.Sequence(lambda n: f"Group {n}")
    order = 100


class FAQFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FAQ

    category = factory.SubFactory(FAQCategoryFactory)
    question = factory.Sequence(lambda n: f"Test question {n}?")
    answer = "A test answer."
    order = 100


class TestimonialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Testimonial

    quote = factory.Sequence(lambda n: f"Test testimonial {n}.")
    attribution = "A test patient"
    consent_to_publish = True
