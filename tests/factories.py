import factory
from django.db.models import Q

from bookings.models import Clinic
from bookings.schedule import free_times
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


class PhysiotherapistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bookings.Physiotherapist"

    name = factory.Sequence(lambda n: f"Dr. Therapist {n}")
    slug = factory.Sequence(lambda n: f"therapist-{n}")
    credentials = "DPT, certified in dry needling"
    gender = "female"


class SessionTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bookings.SessionType"
        django_get_or_create = ["name"]

    name = "Follow-up dry needling"
    duration_minutes = 45
    price_pkr = 4500


def _in_hours(hours):
    import datetime as dt

    from django.utils import timezone

    return timezone.now().replace(second=0, microsecond=0) + dt.timedelta(hours=hours)


def _keep_free_times(slot_id: int) -> None:
    """Bring the slot's row in the table of free times up to date, for state written directly."""
    free_times.refresh(slots=Q(pk=slot_id))


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bookings.Slot"

    physiotherapist = factory.SubFactory(PhysiotherapistFactory)
    clinic = factory.SubFactory(ClinicFactory)
    # An hour apart, wrapping after 50 days: always inside the 60-day booking window, however
    # many slots the tests before made.
    starts_at = factory.Sequence(lambda n: _in_hours(24 + n % 1200))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + __import__("datetime").timedelta(minutes=45))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        slot = super()._create(model_class, *args, **kwargs)
        _keep_free_times(slot.pk)  # as slot_save does
        return slot


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "bookings.Contact"
        django_get_or_create = ("phone",)  # PatientFactory(phone=...) twice: one household

    phone = factory.Sequence(lambda n: f"+92300{1000000 + n}")


class PatientFactory(factory.django.DjangoModelFactory):
    """A person under a phone number: PatientFactory(phone="+92…") puts them under that number's contact."""

    class Meta:
        model = "bookings.Patient"

    class Params:
        phone = factory.Sequence(lambda n: f"+92300{1000000 + n}")

    name = factory.Sequence(lambda n: f"Patient {n}")
    contact = factory.SubFactory(ContactFactory, phone=factory.SelfAttribute("..phone"))


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking written directly, for setting up state; behaviour tests go through the services."""

    class Meta:
        model = "bookings.Booking"

    reference = factory.Sequence(lambda n: f"T{n:06d}")
    manage_token = factory.Sequence(lambda n: f"token-{n}")
    slot = factory.SubFactory(SlotFactory)
    session_type = factory.SubFactory(SessionTypeFactory)
    patient = factory.SubFactory(PatientFactory)
    name = factory.SelfAttribute("patient.name")
    phone = factory.SelfAttribute("patient.contact.phone")
    consent = True
    status = "confirmed"
    # An attended session keeps its fee of the day, as booking_mark_attended records it.
    fee_pkr = factory.LazyAttribute(lambda b: b.session_type.price_pkr if b.status == "attended" else None)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        booking = super()._create(model_class, *args, **kwargs)
        _keep_free_times(booking.slot_id)  # as the booking services do
        return booking
