"""Property-based tests: whatever a patient or a receptionist types, the site answers with
a page (never a server error), and a booking exists only for input that is valid."""

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bookings.models import Booking, Patient, SessionType
from bookings.phones import InvalidPhone, normalize_phone
from tests.factories import BookingFactory, SessionTypeFactory, SlotFactory

pytestmark = pytest.mark.django_db

# Any text a browser can send: every Unicode category but lone surrogates (not encodable), with
# control characters, right-to-left marks and NULs, plus the occasional huge value.
any_text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=300),
    st.builds(lambda c, n: c * n, st.characters(exclude_categories=["Cs"]), st.integers(2_000, 200_000)),
)
valid_phones = st.sampled_from(["0309-5885076", "+92 312 3344556", "923211234567", "0300 1234567", "(0301) 765-4321"])
valid_names = st.sampled_from(["Ayesha Karim", "Bilal", "محمد علی", "  Sara  \t Khan ", "O'Brien-Zaidi"])
phones = st.one_of(any_text, st.from_regex(r"\+?[0-9 ()\-]{1,20}", fullmatch=True))


def hostile(valid: dict, field_values: dict):
    """A form's valid data with one to three of its fields replaced by hostile values."""

    @st.composite
    def garble(draw):
        fields = draw(st.sets(st.sampled_from(sorted(valid)), max_size=3))
        return {
            name: draw(field_values.get(name, any_text)) if name in fields else value for name, value in valid.items()
        }

    return garble()


HYPOTHESIS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


def valid_phone(raw) -> str | None:
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        return None


@pytest.fixture
def open_limits(settings):
    settings.ASPIRE_BOOKING_POSTS_PER_IP_PER_HOUR = 10**9
    settings.ASPIRE_BOOKING_POSTS_PER_PHONE_PER_HOUR = 10**9
    settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PHONE = settings.ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PERSON = 10**9


@HYPOTHESIS
@given(st.data())
def test_patient_booking_form_takes_anything_and_books_only_valid_input(client, open_limits, data):
    session_type = SessionTypeFactory()
    slot = SlotFactory()
    valid = {
        "name": data.draw(valid_names),
        "phone": data.draw(valid_phones),
        "email": "",
        "notes": "",
        "session_type": str(session_type.pk),
        "consent": "on",
    }
    form = data.draw(hostile(valid, {"phone": phones, "consent": st.sampled_from(["", "off", "yes\x00"])}))
    if data.draw(st.integers(0, 3)) == 0:
        form.pop("consent")
    name, phone = form["name"], form["phone"]
    response = client.post(f"/book/slot/{slot.pk}/", form)
    event(f"patient form answered {response.status_code}")

    assert response.status_code in (302, 400), response.status_code
    booking = Booking.objects.filter(slot=slot).first()
    if response.status_code == 400:
        assert booking is None
        assert "There is a problem" in response.content.decode() or "error" in response.content.decode()
        return
    # A booking was made: every part of it was valid.
    assert booking is not None
    assert booking.phone == valid_phone(phone) is not None
    assert booking.name == " ".join(name.split()) and booking.name and booking.name.isprintable()
    assert len(booking.name) <= 120 and len(booking.notes) <= 1000
    assert "\x00" not in booking.notes and booking.consent
    assert booking.session_type_id == session_type.pk


@HYPOTHESIS
@given(st.data())
def test_admin_booking_form_takes_anything_and_books_only_valid_input(admin_client, data):
    session_type = SessionTypeFactory()
    free = SlotFactory()
    valid = {
        "slot": str(free.pk),
        "session_type": str(session_type.pk),
        "name": data.draw(valid_names),
        "phone": data.draw(valid_phones),
        "email": "",
        "notes": "",
        "source": data.draw(st.sampled_from(["phone", "walk_in"])),
    }
    ids = st.one_of(any_text, st.integers().map(str))
    form = data.draw(hostile(valid, {"phone": phones, "slot": ids, "session_type": ids}))
    name, phone = form.get("name", ""), form["phone"]
    if not " ".join(str(name).split()):  # a blank name is the known patient's, if the number is known
        name = (
            Patient.objects.filter(contact__phone=valid_phone(phone) or "").values_list("name", flat=True).first() or ""
        )
    before = Booking.objects.count()
    response = admin_client.post("/admin/bookings/desk/book/", form)
    event(f"admin form answered {response.status_code}")

    assert response.status_code in (400, 302), response.status_code
    if any("\x00" in str(value) for value in form.values()):  # refused before the form (aspire.middleware)
        assert response.status_code == 400 and Booking.objects.count() == before
        return
    if response.status_code == 400:  # the form again, with its errors
        assert Booking.objects.count() == before
        assert "errornote" in response.content.decode()
        return
    booking = Booking.objects.get(slot=free)
    assert Booking.objects.count() == before + 1
    assert booking.phone == valid_phone(phone) is not None
    assert booking.name == " ".join(name.split()) and booking.name.isprintable() and len(booking.name) <= 120
    assert booking.source in ("phone", "walk_in")
    assert booking.session_type == SessionType.objects.get(pk=session_type.pk)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/admin/bookings/desk/book/", "slot"),
        ("/admin/bookings/desk/booking/1/move/", "slot"),
        ("/admin/bookings/timeoff/add/", "physiotherapist"),
    ],
)
@pytest.mark.parametrize("value", [":", "1; DROP TABLE", "9" * 40, "-1", "１２"])
def test_a_tampered_autocomplete_value_is_a_form_error(admin_client, url, field, value):
    """Found by the property test above: Django's autocomplete widget raised on a non-number (a 500)."""
    if "/move/" in url:
        url = url.replace("/1/", f"/{BookingFactory().pk}/")
    response = admin_client.post(url, {field: value})
    assert response.status_code in (200, 400)
    assert "errornote" in response.content.decode()
