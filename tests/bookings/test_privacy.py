"""A patient's data rights (export, erase) and the retention job."""

import datetime as dt
import json
from io import StringIO

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from bookings.booking import privacy, services
from bookings.models import Booking, BookingStatus, Contact, Patient, RateLimitCounter
from tests.factories import BookingFactory, PatientFactory, SessionTypeFactory, SlotFactory
from tests.html import parse
from tests.staff import sign_in

pytestmark = pytest.mark.django_db

HistoricalBooking = Booking.history.model
NOW = timezone.now().replace(microsecond=0)
DAY = dt.timedelta(days=1)


def slot_at(when):
    return SlotFactory(starts_at=when, ends_at=when + dt.timedelta(minutes=45))


def past_booking(patient, *, days_ago=10, status=BookingStatus.ATTENDED, **kwargs):
    return BookingFactory(patient=patient, slot=slot_at(NOW - days_ago * DAY), status=status, **kwargs)


@pytest.fixture
def zainab():
    """A patient with a course of treatment: attended, a no-show, a cancellation, each with history."""
    patient = PatientFactory(name="Zainab Hussain", phone="+923001112233", email="zainab@example.com", notes="Neck")
    for days_ago, status in [(40, BookingStatus.ATTENDED), (30, BookingStatus.NO_SHOW), (20, BookingStatus.CANCELLED)]:
        booking = past_booking(patient, days_ago=days_ago, email="zainab@example.com", notes="Stiff neck since May")
        booking.status = status
        booking.save()  # a second history row
    return patient


@pytest.fixture
def bilal():
    patient = PatientFactory(name="Bilal Ahmed", phone="+923334445566", email="bilal@example.com")
    past_booking(patient, email="bilal@example.com", notes="Lower back")
    return patient


def personal_values(patient_name="Zainab", phone="3001112233", email="zainab@", notes=("Neck", "Stiff neck")):
    return [patient_name, phone, email, *notes]


def rows_mentioning(values):
    """Every Patient, Booking and HistoricalBooking row with one of `values` in a personal field."""
    found = []
    for model, fields in (
        (Patient, ("name", "email", "notes")),
        (Contact, ("phone",)),
        (Booking, ("name", "phone", "email", "notes")),
        (HistoricalBooking, ("name", "phone", "email", "notes")),
    ):
        for row in model.objects.values(*fields):
            text = " ".join(str(v) for v in row.values())
            if any(value in text for value in values):
                found.append((model.__name__, row))
    return found


# Export -------------------------------------------------------------------


def test_export_holds_every_booking_and_history_row_of_the_patient(zainab, bilal):
    data = privacy.patient_export(patient=zainab, by=None)

    assert data["patient"]["name"] == "Zainab Hussain"
    assert data["phone_number"]["phone"] == "+923001112233"
    assert data["patient"]["notes"] == "Neck"
    assert {b["reference"] for b in data["bookings"]} == set(zainab.bookings.values_list("reference", flat=True))
    assert sorted(b["status"] for b in data["bookings"]) == ["attended", "cancelled", "no_show"]
    first = data["bookings"][0]
    assert first["clinic"] and first["therapist"] and first["session_type"] and first["starts_at"]
    assert first["notes"] == "Stiff neck since May"
    assert len(data["booking_history"]) == 6 == HistoricalBooking.objects.filter(patient=zainab).count()
    assert [row["change"] for row in data["booking_history"]].count("created") == 3


def test_export_holds_nothing_of_another_patient(zainab, bilal):
    text = json.dumps(privacy.patient_export(patient=zainab, by=None))
    reference = bilal.bookings.get().reference
    for value in ["Bilal", "3334445566", "bilal@example.com", "Lower back", reference]:
        assert value not in text


def test_export_is_json_and_names_no_secret(zainab):
    text = json.dumps(privacy.patient_export(patient=zainab, by=None))
    for token in zainab.bookings.values_list("manage_token", flat=True):
        assert token not in text  # the key to the booking's page, not data about the person


def test_export_lists_the_rate_limit_counters_naming_the_phone(zainab):
    expires = NOW + dt.timedelta(hours=1)
    RateLimitCounter.objects.create(key="book:phone:+923001112233:493001", count=2, expires_at=expires)
    RateLimitCounter.objects.create(key="book:phone:+9230011122334:493001", count=1, expires_at=expires)
    RateLimitCounter.objects.create(key="book:ip:203.0.113.7:493001", count=5, expires_at=expires)

    counters = privacy.patient_export(patient=zainab, by=None)["rate_limit_counters"]

    assert [(c["key"], c["count"]) for c in counters] == [("book:phone:+923001112233:493001", 2)]


def test_export_queries_do_not_grow_with_bookings(zainab, django_assert_max_num_queries):
    for days_ago in range(50, 70):
        past_booking(zainab, days_ago=days_ago)
    with django_assert_max_num_queries(4):  # bookings, their history, rate-limit counters, safety answers
        data = privacy.patient_export(patient=zainab, by=None)
    assert len(data["bookings"]) == 23


# Erase --------------------------------------------------------------------


def test_erase_keeps_every_booking_its_status_and_the_counts(zainab, bilal, manager):
    before = list(Booking.objects.order_by("pk").values_list("pk", "reference", "status", "slot_id", "patient_id"))
    privacy.patient_erase(patient=zainab, by=manager)
    after = list(Booking.objects.order_by("pk").values_list("pk", "reference", "status", "slot_id", "patient_id"))
    assert after == before
    assert Patient.objects.count() == 2


def test_erase_leaves_no_personal_data_of_the_patient_anywhere(zainab, bilal, manager):
    erasure = privacy.patient_erase(patient=zainab, by=manager)

    assert rows_mentioning(personal_values()) == []
    zainab.refresh_from_db()
    zainab.contact.refresh_from_db()
    assert (zainab.name, zainab.contact.phone, zainab.email, zainab.notes) == ("Erased", None, "", "")
    assert erasure.number_erased  # nobody else books with her number
    assert zainab.erased_at is not None
    assert (erasure.bookings, erasure.history_rows) == (3, 6)
    assert rows_mentioning(["Bilal", "Lower back"])  # the other patient is untouched


def test_erase_is_recorded_in_each_booking_history_by_the_manager(zainab, manager):
    privacy.patient_erase(patient=zainab, by=manager)
    latest = [b.history.first() for b in zainab.bookings.all()]
    assert {(row.history_user, row.history_change_reason, row.name) for row in latest} == {
        (manager, "Personal data erased", "Erased")
    }


def test_erase_makes_the_links_sent_to_the_patient_stop_working(client, zainab, manager):
    booking = zainab.bookings.first()
    old_link = booking.get_absolute_url()
    privacy.patient_erase(patient=zainab, by=manager)
    assert client.get(old_link).status_code == 404


def test_erase_is_refused_while_a_booking_is_upcoming(zainab, manager):
    upcoming = BookingFactory(patient=zainab, slot=slot_at(NOW + 3 * DAY))
    with pytest.raises(privacy.ErasureRefused, match=upcoming.reference):
        privacy.patient_erase(patient=zainab, by=manager)
    zainab.refresh_from_db()
    assert zainab.name == "Zainab Hussain" and zainab.erased_at is None
    assert not LogEntry.objects.exists()


def test_erase_after_cancelling_the_upcoming_booking(zainab, manager):
    upcoming = BookingFactory(patient=zainab, slot=slot_at(NOW + 3 * DAY))
    services.booking_cancel(booking=upcoming)
    privacy.patient_erase(patient=zainab, by=manager)
    upcoming.refresh_from_db()
    assert (upcoming.status, upcoming.name) == (BookingStatus.CANCELLED, "Erased")


def test_erase_twice_is_harmless(zainab, manager):
    first = privacy.patient_erase(patient=zainab, by=manager)
    history_rows = HistoricalBooking.objects.count()
    second = privacy.patient_erase(patient=zainab, by=manager)

    assert (second.bookings, second.history_rows, second.rate_limit_counters) == (0, 0, 0)
    assert second.erased_at == first.erased_at
    assert HistoricalBooking.objects.count() == history_rows
    assert rows_mentioning(personal_values()) == []


def test_erased_phone_number_books_again_as_a_new_patient(zainab, manager):
    privacy.patient_erase(patient=zainab, by=manager)
    booking = services.book_online(
        slot_id=slot_at(NOW + 3 * DAY).pk, session_type=SessionTypeFactory(), name="Zainab H", phone="0300-1112233"
    )
    assert booking.patient != zainab
    assert Patient.objects.filter(contact__phone="+923001112233").count() == 1


def test_erase_forgets_the_rate_limit_counters_of_that_phone_only(zainab, manager):
    expires = NOW + dt.timedelta(hours=1)
    RateLimitCounter.objects.create(key="book:phone:+923001112233:493001", count=2, expires_at=expires)
    RateLimitCounter.objects.create(key="book:phone:+923334445566:493001", count=1, expires_at=expires)

    assert privacy.patient_erase(patient=zainab, by=manager).rate_limit_counters == 1
    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == ["book:phone:+923334445566:493001"]


def test_erase_turns_admin_log_titles_into_numbers(zainab, manager):
    booking = zainab.bookings.first()
    for obj in (zainab, booking):
        LogEntry.objects.create(
            user=manager,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_repr=str(obj),
            action_flag=ADDITION,
        )
    privacy.patient_erase(patient=zainab, by=manager)
    titles = set(LogEntry.objects.values_list("object_repr", flat=True))
    assert titles == {f"Patient #{zainab.pk}", f"Booking #{booking.pk}"}


def test_erase_queries_do_not_grow_with_bookings(zainab, manager, django_assert_max_num_queries):
    for days_ago in range(50, 80):
        past_booking(zainab, days_ago=days_ago)
    # 16 once the content types are cached; 3 of them the number's (its lock, whether anyone else
    # books with it, erasing it).
    with django_assert_max_num_queries(18):
        assert privacy.patient_erase(patient=zainab, by=manager).bookings == 33


def test_a_living_number_needs_a_phone():
    with pytest.raises(IntegrityError):
        Contact.objects.create(phone=None)


# Retention ----------------------------------------------------------------


@pytest.fixture
def retention(settings):
    settings.ASPIRE_RETAIN_CANCELLED_BOOKING_DAYS = 730
    settings.ASPIRE_RETAIN_INACTIVE_PATIENT_DAYS = 2920
    settings.ASPIRE_RETAIN_LOGIN_LOG_DAYS = 90
    return settings


def test_retention_erases_cancelled_bookings_only_past_their_time(retention):
    patient = PatientFactory(name="Sana Malik")
    cutoff = NOW - 730 * DAY
    old = BookingFactory(patient=patient, slot=slot_at(cutoff - dt.timedelta(seconds=1)), status="cancelled")
    at_cutoff = BookingFactory(patient=patient, slot=slot_at(cutoff), status="cancelled")
    old_attended = BookingFactory(patient=patient, slot=slot_at(cutoff - 5 * DAY), status="attended")

    summary = privacy.retention_apply(now=NOW)

    assert (summary.cancelled_bookings, summary.history_rows) == (1, 1)
    names = dict(Booking.objects.values_list("pk", "name"))
    assert names == {old.pk: "Erased", at_cutoff.pk: "Sana Malik", old_attended.pk: "Sana Malik"}
    assert HistoricalBooking.objects.filter(id=old.pk).exclude(name="Erased").count() == 0
    assert Patient.objects.get().name == "Sana Malik"  # still a patient, with her other bookings
    assert Booking.objects.get(pk=old.pk).status == BookingStatus.CANCELLED


def test_retention_erases_patients_with_no_session_in_years(retention):
    cutoff = NOW - 2920 * DAY
    gone = PatientFactory(name="Long Gone")
    past_booking(gone, days_ago=2921)
    returning = PatientFactory(name="Came Back")
    past_booking(returning, days_ago=3000)
    past_booking(returning, days_ago=2919)
    never_booked = PatientFactory(name="Never Booked")
    new = PatientFactory(name="Just Called")
    Patient.objects.exclude(pk=new.pk).update(created_at=cutoff - DAY)

    summary = privacy.retention_apply(now=NOW)

    assert summary.inactive_patients == 2
    erased = set(Patient.objects.filter(erased_at__isnull=False).values_list("pk", flat=True))
    assert erased == {gone.pk, never_booked.pk}
    assert rows_mentioning(["Long Gone", "Never Booked"]) == []


def test_retention_deletes_login_records_only_past_their_time(retention):
    cutoff = NOW - 90 * DAY
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        extra = {"failures_since_start": 1} if model is AccessAttempt else {}
        for username in ("old", "recent"):
            model.objects.create(username=username, ip_address="203.0.113.7", user_agent="x", **extra)
        model.objects.filter(username="old").update(attempt_time=cutoff - dt.timedelta(seconds=1))
        model.objects.filter(username="recent").update(attempt_time=cutoff)

    assert privacy.retention_apply(now=NOW).login_records == 3

    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        assert list(model.objects.values_list("username", flat=True)) == ["recent"]


def test_retention_deletes_expired_rate_limit_counters(retention):
    RateLimitCounter.objects.create(key="book:ip:1:1", count=1, expires_at=NOW - dt.timedelta(seconds=1))
    RateLimitCounter.objects.create(key="book:ip:1:2", count=1, expires_at=NOW + dt.timedelta(hours=1))
    assert privacy.retention_apply(now=NOW).rate_limit_counters == 1
    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == ["book:ip:1:2"]


def test_retention_twice_is_harmless(retention, zainab):
    Booking.objects.filter(status=BookingStatus.CANCELLED).update(slot=slot_at(NOW - 800 * DAY))
    AccessLog.objects.create(username="old", ip_address="203.0.113.7", user_agent="x")
    AccessLog.objects.update(attempt_time=NOW - 100 * DAY)
    first = privacy.retention_apply(now=NOW)
    history_rows = HistoricalBooking.objects.count()

    second = privacy.retention_apply(now=NOW)

    assert first.cancelled_bookings == 1 and first.login_records == 1
    assert second == privacy.RetentionSummary()
    assert HistoricalBooking.objects.count() == history_rows


def test_retention_set_to_zero_keeps_everything(retention):
    retention.ASPIRE_RETAIN_CANCELLED_BOOKING_DAYS = 0
    retention.ASPIRE_RETAIN_INACTIVE_PATIENT_DAYS = 0
    retention.ASPIRE_RETAIN_LOGIN_LOG_DAYS = 0
    patient = PatientFactory(name="Kept Forever")
    past_booking(patient, days_ago=5000, status=BookingStatus.CANCELLED)
    Patient.objects.update(created_at=NOW - 5000 * DAY)
    AccessLog.objects.create(username="old", ip_address="203.0.113.7", user_agent="x")
    AccessLog.objects.update(attempt_time=NOW - 5000 * DAY)

    assert privacy.retention_apply(now=NOW) == privacy.RetentionSummary()
    assert Booking.objects.get().name == "Kept Forever" and AccessLog.objects.exists()


def test_apply_retention_command_says_what_it_did(retention):
    patient = PatientFactory()
    past_booking(patient, days_ago=731, status=BookingStatus.CANCELLED)
    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "1 old cancelled booking(s)" in out.getvalue()
    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "0 old cancelled booking(s)" in out.getvalue()


# Admin --------------------------------------------------------------------


def has_erase_button(page) -> bool:
    return any(t == "input" and a.get("type") == "submit" and "erase" in a.get("value", "") for t, a in page.tags)


def export_url(patient):
    return reverse("admin:bookings_patient_export", args=[patient.pk])


def erase_url(patient):
    return reverse("admin:bookings_patient_erase", args=[patient.pk])


@pytest.fixture
def manager_client(client, manager):
    sign_in(client, manager)
    return client


def test_only_managers_hold_the_export_and_erase_permissions(receptionist, manager):
    for permission in ("bookings.export_patient_data", "bookings.erase_patient_data"):
        assert manager.has_perm(permission)
        assert not receptionist.has_perm(permission)


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("url", [export_url, erase_url])
def test_receptionist_may_not_export_or_erase(reception_client, zainab, method, url):
    assert getattr(reception_client, method)(url(zainab)).status_code == 403
    zainab.refresh_from_db()
    assert zainab.erased_at is None and not LogEntry.objects.exists()


def test_receptionist_sees_no_export_or_erase_on_the_patient_page(reception_client, zainab):
    links = parse(reception_client.get(reverse("admin:bookings_patient_change", args=[zainab.pk]))).links()
    assert export_url(zainab) not in links and erase_url(zainab) not in links


def test_manager_finds_export_and_erase_on_the_patient_page(manager_client, zainab):
    links = parse(manager_client.get(reverse("admin:bookings_patient_change", args=[zainab.pk]))).links()
    assert export_url(zainab) in links and erase_url(zainab) in links


def test_export_page_says_what_the_file_holds_and_releases_nothing(manager_client, zainab):
    response = manager_client.get(export_url(zainab))
    page = parse(response)
    assert response.status_code == 200
    assert "3 bookings" in page.text and "6 versions" in page.text
    assert "Zainab" not in page.title and "3001112233" not in page.title
    assert not LogEntry.objects.exists()


def test_export_downloads_a_json_file_named_by_number_and_is_recorded(manager_client, manager, zainab):
    response = manager_client.post(export_url(zainab))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="patient-{zainab.pk}-') and "Zainab" not in disposition
    assert "no-store" in response["Cache-Control"]
    assert len(json.loads(response.content)["bookings"]) == 3
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_id, entry.object_repr) == (manager, str(zainab.pk), f"Patient #{zainab.pk}")
    assert "Exported" in entry.change_message


def test_erase_page_says_what_will_happen_and_changes_nothing(manager_client, zainab):
    response = manager_client.get(erase_url(zainab))
    page = parse(response)

    assert response.status_code == 200
    assert "3 bookings" in page.text and "6 earlier versions" in page.text and "can't be undone" in page.text
    assert has_erase_button(page)
    zainab.refresh_from_db()
    assert zainab.name == "Zainab Hussain" and zainab.erased_at is None
    assert not LogEntry.objects.exists()


def test_erase_page_refuses_while_a_booking_is_upcoming(manager_client, zainab):
    upcoming = BookingFactory(patient=zainab, slot=slot_at(NOW + 3 * DAY))
    page = parse(manager_client.get(erase_url(zainab)))
    assert upcoming.reference in page.text and "Cancel them first" in page.text
    assert not has_erase_button(page)

    response = manager_client.post(erase_url(zainab), follow=True)
    assert "Cancel them first" in response.content.decode()
    zainab.refresh_from_db()
    assert zainab.erased_at is None


def test_erase_on_confirmation_erases_and_is_recorded(manager_client, manager, zainab):
    response = manager_client.post(erase_url(zainab), follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:bookings_patient_change", args=[zainab.pk])
    assert "Erased the personal data of patient" in response.content.decode()
    assert rows_mentioning(personal_values()) == []
    entry = LogEntry.objects.get()
    assert (entry.user, entry.object_repr) == (manager, f"Patient #{zainab.pk}")
    assert "Erased personal data: 3 booking(s)" in entry.change_message
    history = manager_client.get(reverse("admin:bookings_patient_history", args=[zainab.pk])).content.decode()
    assert "Erased personal data" in history


def test_erase_needs_the_csrf_token(manager, zainab):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    sign_in(csrf_client, manager)
    assert csrf_client.post(erase_url(zainab)).status_code == 403
    zainab.refresh_from_db()
    assert zainab.erased_at is None


def test_an_erased_patient_is_read_only_and_cannot_be_erased_again(manager_client, manager, zainab):
    privacy.patient_erase(patient=zainab, by=manager)
    page = parse(manager_client.get(reverse("admin:bookings_patient_change", args=[zainab.pk])))
    assert not any(t == "input" and a.get("name") == "name" for t, a in page.tags)
    assert erase_url(zainab) not in page.links()
    erase_page = parse(manager_client.get(erase_url(zainab)))
    assert "nothing left to erase" in erase_page.text and not has_erase_button(erase_page)


def test_patient_list_shows_an_erased_patient(manager_client, manager, zainab):
    privacy.patient_erase(patient=zainab, by=manager)
    response = manager_client.get(reverse("admin:bookings_patient_changelist"))
    assert response.status_code == 200 and "Erased" in response.content.decode()


def test_erase_and_export_pages_queries_do_not_grow_with_bookings(
    manager_client, zainab, django_assert_max_num_queries
):
    for days_ago in range(50, 80):
        past_booking(zainab, days_ago=days_ago)
    for url in (erase_url(zainab), export_url(zainab)):
        with django_assert_max_num_queries(11):  # the erase page counts the others on the number
            assert manager_client.get(url).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_retention_runs_at_once_erase_each_booking_once(retention, monkeypatch, race):
    import time

    for n in range(5):
        past_booking(PatientFactory(), days_ago=800 + n, status=BookingStatus.CANCELLED)
    update = privacy.bulk_update_with_history

    def slow_update(*args, **kwargs):  # hold the locks long enough for the other run to arrive
        time.sleep(0.2)
        return update(*args, **kwargs)

    monkeypatch.setattr(privacy, "bulk_update_with_history", slow_update)
    outcomes = race([lambda: privacy.retention_apply(now=NOW).cancelled_bookings] * 2)
    results = [value for kind, value in outcomes if kind == "ok"]
    errors = [value for kind, value in outcomes if kind != "ok"]

    assert errors == [] and sorted(results) == [0, 5]
    reasons = HistoricalBooking.objects.filter(history_change_reason__startswith="Retention")
    assert reasons.count() == 5
