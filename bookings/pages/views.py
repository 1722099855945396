"""
The public pages of the bookings app: clinics, and what a patient does to book
and manage a session. Views stay thin: rules live in services and selectors.
"""

import datetime as dt
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from aspire import page_cache
from aspire.client_ip import client_ip
from aspire.page_cache import AVAILABILITY, CONTENT, shared_page
from bookings import errors, photos
from bookings.booking import courses, deposits, services, waitlist
from bookings.calendar import booking_ics, google_calendar_url
from bookings.models import Booking, BookingStatus, Clinic, Gender, Physiotherapist, Slot
from bookings.pages import ratelimit
from bookings.pages.forms import PatientBookingForm, WaitlistForm
from bookings.pages.structured_data import clinic_json_ld, therapist_json_ld
from bookings.payments import rules as deposit_rules
from bookings.schedule import availability, selectors
from bookings.schedule.availability import Channel
from bookings.timeutils import local_today


@require_safe
@shared_page(CONTENT)
def clinic_list(request):
    # The clinics themselves come from the `active_clinics` context processor, shared with the footer.
    context = {
        "title": _("Our clinics in Karachi | Aspire Wellness"),
        "description": _("Aspire Wellness physiotherapy clinics in Karachi: addresses, opening hours and directions."),
    }
    return render(request, "bookings/clinic_list.html", context)


@require_safe
@shared_page(CONTENT, AVAILABILITY)  # who works here: the therapists with a time to book
def clinic_detail(request, slug):
    clinic = get_object_or_404(Clinic.objects.active(), slug=slug)
    context = {
        "title": _("%(clinic)s: dry needling in %(area)s, Karachi | Aspire Wellness")
        % {"clinic": clinic.name, "area": clinic.area},
        "description": _("Dry needling and physiotherapy at %(clinic)s, %(area)s: address, hours, directions.")
        % {"clinic": clinic.name, "area": clinic.area},
        "clinic": clinic,
        "therapists": list(selectors.therapists_offered(clinic=clinic)),
        "json_ld": clinic_json_ld(request, clinic),
    }
    return render(request, "bookings/clinic_detail.html", context)


@require_safe
@shared_page(CONTENT, AVAILABILITY)  # each therapist's next free time
def physio_list(request):
    therapists = selectors.team()
    for therapist in therapists:
        therapist.photos = photos.variants(therapist)
    context = {
        "title": _("Our physiotherapists | Aspire Wellness"),
        "description": _(
            "Meet the Aspire Wellness physiotherapists in Karachi: their training, where and when they work, "
            "and their next free times for dry needling."
        ),
        "therapists": therapists,
    }
    return render(request, "bookings/physio_list.html", context)


@require_safe
@shared_page(CONTENT, AVAILABILITY)
def physio_detail(request, slug):
    therapists = selectors.team(slug=slug[:80])
    if not therapists:
        raise Http404
    [therapist] = therapists
    context = {
        "title": _("%(name)s, physiotherapist | Aspire Wellness") % {"name": therapist.name},
        "description": _("%(name)s (%(credentials)s): dry needling at Aspire Wellness, Karachi.")
        % {"name": therapist.name, "credentials": therapist.credentials},
        "therapist": therapist,
        "free_slots": selectors.next_free_slots_of(physiotherapist=therapist),
        "photos": photos.variants(therapist),
        "json_ld": therapist_json_ld(request, therapist),
    }
    return render(request, "bookings/physio_detail.html", context)


def _filters(request) -> tuple[str, str]:
    """
    Return the (therapist slug, gender) filters of the request, ignoring anything unknown,
    and a therapist not of the gender asked for (the gender's list no longer offers them).
    """
    gender = request.GET.get("gender", "")
    gender = gender if gender in Gender.values else ""
    physio = request.GET.get("physio", "")[:80]
    therapists = Physiotherapist.objects.active().filter(gender=gender) if gender else Physiotherapist.objects.active()
    if physio and not therapists.filter(slug=physio).exists():
        physio = ""
    return physio, gender


def _requested_day(request, *, default: dt.date) -> dt.date:
    """Return the `?date=` of the request (or `default`), kept within today and the booking window."""
    today = local_today()
    try:
        day = dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = default
    return min(max(day, today), today + dt.timedelta(days=settings.ASPIRE_BOOKING_WINDOW_DAYS))


def _availability_page(request, render, *, vary):
    """Serve a page of free times from the page cache: it changes with content and with availability."""
    return page_cache.cached_response(
        request, render, depends_on=(CONTENT, AVAILABILITY), timeout=page_cache.AVAILABILITY_TIMEOUT, vary=vary
    )


@require_safe
def book_choose_clinic(request):
    physio, gender = _filters(request)
    return _availability_page(request, lambda: _book_choose_clinic(request, physio, gender), vary=(physio, gender))


def _book_choose_clinic(request, physio, gender):
    clinics = list(Clinic.objects.active())
    next_free = selectors.next_free_time_by_clinic(clinics=clinics, physio_slug=physio, gender=gender)
    for clinic in clinics:
        clinic.next_free = next_free.get(clinic.pk)
    context = {
        "title": _("Book a dry needling session | Aspire Wellness"),
        "description": _("Choose an Aspire Wellness clinic in Karachi and book a dry needling session online."),
        "clinics": clinics,
        "therapists": selectors.therapists_offered(gender=gender).only("name", "slug"),
        "genders": Gender.choices,
        "physio": physio,
        "gender": gender,
    }
    return render(request, "bookings/book_choose_clinic.html", context)


# The day's address answers htmx with the times alone: a browser must not keep that answer as the
# page (Back from the booking form showed the bare times, no header or styles).
@vary_on_headers("HX-Request")
@require_safe
def book_clinic(request, clinic_slug):
    physio, gender = _filters(request)
    day = _requested_day(request, default=local_today())
    return _availability_page(
        request,
        lambda: _book_clinic(request, clinic_slug, physio, gender, day),
        vary=(clinic_slug, physio, gender, day, _wants_fragment(request)),
    )


def _wants_fragment(request) -> bool:
    """
    Whether htmx asks for the day's times alone, to swap them in. Going Back to a day it no longer
    keeps, htmx asks for the page to put in place of the whole <body>: that is the whole page.
    """
    return bool(request.htmx) and not request.htmx.history_restore_request


@dataclass(frozen=True)
class StripDay:
    """A day of the fortnight's strip, with its link (the filters kept) and its labels, made here once
    rather than by five date filters and the filters' tests per day in the template."""

    date: dt.date
    link: str  # ?date=...&physio=...&gender=...
    name: str  # "Today", or the weekday's short name
    number: int
    month: str
    has_free: bool
    current: bool


def _strip(days: list[dt.date], *, chosen: dt.date, today: dt.date, free: set[dt.date], filters: str) -> list[StripDay]:
    return [
        StripDay(
            date=d,
            link=f"?date={d.isoformat()}{filters}",
            name=_("Today") if d == today else str(WEEKDAYS_ABBR[d.weekday()]),
            number=d.day,
            month=str(MONTHS_3[d.month]).title(),
            has_free=d in free,
            current=d == chosen,
        )
        for d in days
    ]


def _strip_days(day: dt.date, *, today: dt.date, last_day: dt.date) -> list[dt.date]:
    """Return the fortnight the strip shows: from today, or (a day further on) from 3 days before it."""
    strip_start = max(today, day - dt.timedelta(days=3)) if day - today > dt.timedelta(days=10) else today
    return [strip_start + dt.timedelta(days=i) for i in range(14) if strip_start + dt.timedelta(days=i) <= last_day]


def _book_clinic(request, clinic_slug, physio, gender, day):
    clinic = get_object_or_404(Clinic.objects.active(), slug=clinic_slug)
    today = local_today()
    last_day = today + dt.timedelta(days=settings.ASPIRE_BOOKING_WINDOW_DAYS)
    strip = _strip_days(day, today=today, last_day=last_day)
    # The strip always holds the chosen day: one read gives the strip, the day and the therapists.
    times = selectors.free_times(clinic=clinic, first=strip[0], last=strip[-1])
    therapists = times.therapists(gender=gender)
    if physio and physio not in {therapist.slug for therapist in therapists}:  # chosen, but no time in these days
        name = Physiotherapist.objects.filter(slug=physio).values_list("name", flat=True).first()
        therapists = sorted([*therapists, selectors.TherapistChoice(name, physio)], key=lambda t: (t.name, t.slug))
    times = times.only(physio_slug=physio, gender=gender)
    free_days, parts = times.days, times.on(day)
    filters = "".join(f"&{urlencode({key: value})}" for key, value in (("physio", physio), ("gender", gender)) if value)
    context = {
        "title": _("Book at %(clinic)s | Aspire Wellness") % {"clinic": clinic.name},
        "description": _("Free times for dry needling at Aspire Wellness %(clinic)s, %(area)s, Karachi.")
        % {"clinic": clinic.name, "area": clinic.area},
        "clinic": clinic,
        "day": day,
        "today": today,
        "last_day": last_day,
        "strip": _strip(strip, chosen=day, today=today, free=free_days, filters=filters),
        # A time's link is this and its id: one reverse a page, not one a time (they were a fifth of its time).
        "slot_link": reverse("bookings:book_slot", args=[0]).removesuffix("0/"),
        "filters": filters,
        "parts": parts,
        # Only an empty day offers the next free one.
        "next_free_day": None
        if parts
        else selectors.next_free_day(clinic=clinic, after=day, physio_slug=physio, gender=gender),
        # An empty day says whether the clinic is closed then (a Sunday, a holiday): no waitlist for it.
        "closed": not parts and selectors.clinic_closed_on(clinic=clinic, day=day),
        "therapists": therapists,
        "genders": Gender.choices,
        "physio": physio,
        "gender": gender,
    }
    template = "bookings/_day_times.html" if _wants_fragment(request) else "bookings/book_clinic.html"
    return render(request, template, context)


def _slot_or_404(slot_id: int) -> Slot:
    return get_object_or_404(Slot.objects.select_related("clinic", "physiotherapist"), pk=slot_id)


def _unavailable(request, slot: Slot, reason: str, status: int = 409):
    context = {
        "title": _("That time is no longer available | Aspire Wellness"),
        "description": _("Choose another time for your dry needling session."),
        "slot": slot,
        "reason": reason,
        "alternatives": selectors.nearest_free_slots(slot=slot),
    }
    return render(request, "bookings/slot_unavailable.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def book_slot(request, slot_id):
    # A booking that goes through reads its slot once, locked, in the service: the page
    # reads it only to show it (the form, or why the time can't be had).
    call_clinic = False
    if request.method == "GET":
        # The slot and why it can't be booked in one query (refusal reads the flags back).
        slot = get_object_or_404(
            availability.with_flags(Slot.objects.select_related("clinic", "physiotherapist"), channel=Channel.ONLINE),
            pk=slot_id,
        )
        problem = availability.refusal(slot, channel=Channel.ONLINE)
        if problem:
            return _unavailable(request, slot, problem, status=200)
        form = PatientBookingForm(initial={"form_key": secrets.token_urlsafe(24)})
    else:
        form = PatientBookingForm(request.POST)
        if form.is_spam():
            # Look like success to a bot; book nothing.
            return render(request, "bookings/spam.html", {"title": _("Thank you | Aspire Wellness")}, status=200)
        # Every post counts against its address; a valid one against its phone number too, in the same statement.
        limits = {f"book:ip:{client_ip(request)}": settings.ASPIRE_BOOKING_POSTS_PER_IP_PER_HOUR}
        valid = form.is_valid()
        if valid:
            limits[f"book:phone:{form.cleaned_data['phone']}"] = settings.ASPIRE_BOOKING_POSTS_PER_PHONE_PER_HOUR
        if not ratelimit.hit_all(limits, window_seconds=3600):
            return _too_many_requests(request)
        if valid:
            phone = form.cleaned_data["phone"]
            try:
                booking = services.book_online(
                    slot_id=slot_id,
                    session_type=form.cleaned_data["session_type"],
                    name=form.cleaned_data["name"],
                    phone=phone,
                    email=form.cleaned_data["email"],
                    notes=form.cleaned_data["notes"],
                    consent=True,
                    form_key=form.cleaned_data["form_key"],
                    contact_channel=form.cleaned_data["contact_channel"],
                    language=get_language(),  # the page's: the patient's messages will be in it
                    screening_answers=form.screening_answers(),
                    relation=form.cleaned_data["for_whom"],
                    guardian_name=form.cleaned_data["guardian_name"],
                )
            except errors.SlotUnavailable as exc:
                return _unavailable(request, _slot_or_404(slot_id), str(exc))
            except errors.SessionTypeNotOffered as exc:  # the choice is read with the slot, not by the form
                form.add_error("session_type", str(exc))
            except errors.BookingError as exc:  # too many bookings, or one overlapping this time
                form.add_error(None, str(exc))
                call_clinic = isinstance(exc, errors.TooManyBookings)  # the message says call: one tap to
            else:
                # A deposit to pay: its page says how much and how. A "yes" to a safety question: the
                # booking's page says the therapist will talk it through.
                if booking.status == BookingStatus.HELD:
                    messages.info(request, _("Almost done: pay the deposit below to book this time."))
                    return redirect(booking)
                messages.success(request, _("Your session is booked. Your confirmation is on its way to your phone."))
                return redirect(booking)
        slot = _slot_or_404(slot_id)
    form.for_therapist(slot.physiotherapist)
    context = {
        "title": _("Your details | Book a session | Aspire Wellness"),
        "description": _("Give your name and phone number to book your dry needling session."),
        "slot": slot,
        "form": form,
        "cutoff_hours": settings.ASPIRE_CANCEL_CUTOFF_HOURS,
        "call_clinic": call_clinic,
        "deposit_rules": deposit_rules.rules_shown(clinic_id=slot.clinic_id),
    }
    return render(request, "bookings/book_slot.html", context, status=200 if not form.errors else 400)


def _too_many_requests(request):
    context = {"title": _("Please try again later | Aspire Wellness"), "description": _("Too many booking attempts.")}
    return render(request, "bookings/too_many.html", context, status=429)


def booking_or_404(token: str) -> Booking:
    if len(token) > 64:
        raise Http404
    return get_object_or_404(Booking.objects.with_related().select_related("screening"), manage_token=token)


@never_cache
@require_safe
def booking_short_link(request, code):
    """A text message's short link (Booking.get_short_url): to the booking's page in the booking's language."""
    if len(code) != Booking.SHORT_CODE_LENGTH:
        raise Http404
    # startswith is LIKE, which SQLite matches without regard to case: the token's own case decides.
    found = [b for b in Booking.objects.filter(manage_token__startswith=code) if b.short_code == code]
    if len(found) != 1:
        raise Http404
    with translation.override(found[0].language):
        return redirect(found[0].get_absolute_url())


@never_cache
@require_safe
def manage(request, token):
    booking = booking_or_404(token)
    now = timezone.now()
    # A booking held for its deposit: its Pay buttons (a form to this site, sent on to the provider),
    # or why it can't be paid, or that the time was released.
    hold_state, off_sale_because = deposits.hold_state(booking, now=now)
    pay_with = deposits.providers() if hold_state == deposits.PAY else []
    offered = courses.next_session_offered(booking)
    context = {
        "course_position": courses.course_position(booking),
        "next_session_offered": offered,
        "next_times": courses.next_session_times(booking) if offered else [],
        "next_days": courses.NEXT_SESSION_DAYS,
        "held": booking.status == BookingStatus.HELD and availability.holds(booking, now),
        "hold_state": hold_state,
        "off_sale_because": off_sale_because,
        "pay_with": pay_with,
        "title": _("Your booking %(reference)s | Aspire Wellness") % {"reference": booking.reference},
        "description": _("Your dry needling session: time, place, how to prepare, and how to change it."),
        "booking": booking,
        "can_change": services.patient_can_change(booking),
        "google_calendar_url": google_calendar_url(booking),
        "cutoff_hours": settings.ASPIRE_CANCEL_CUTOFF_HOURS,
        "booking_languages": settings.LANGUAGES,
    }
    return allow_forms_to(render(request, "bookings/manage.html", context), pay_with)


def allow_forms_to(response: HttpResponse, providers: list) -> HttpResponse:
    """Let this page's forms (and the redirects that follow them) go to the payment providers' checkouts."""
    origins = sorted({origin for provider in providers for origin in provider.form_origins()})
    if origins:
        response._csp_update = {"form-action": origins}
    return response


@require_POST
def manage_language(request, token):
    """Change the language of the patient's messages; the booking's page follows it."""
    booking = booking_or_404(token)
    try:
        services.booking_set_language(booking=booking, language=request.POST.get("language", ""))
    except errors.BookingError as exc:
        messages.error(request, str(exc))
        return redirect(booking)
    with translation.override(booking.language):
        language = dict(settings.LANGUAGES)[booking.language]
        saved = _("Saved. Your confirmations and reminders will come in %(language)s.")
        messages.success(request, saved % {"language": language})
        return redirect(booking.get_absolute_url())


@never_cache  # private, no-store: the event is one patient's, and no cache on the way may keep it
@require_safe
def manage_ics(request, token):
    booking = booking_or_404(token)
    response = HttpResponse(booking_ics(booking), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="aspire-{booking.reference}.ics"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def manage_cancel(request, token):
    booking = booking_or_404(token)
    if request.method == "POST":
        try:
            services.booking_cancel(booking=booking, by_patient=True)
        except errors.BookingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your session is cancelled. The time is free for someone else."))
        return redirect(booking)
    context = {
        "title": _("Cancel booking %(reference)s | Aspire Wellness") % {"reference": booking.reference},
        "description": _("Confirm that you want to cancel your session."),
        "booking": booking,
        "can_change": services.patient_can_change(booking),
    }
    return render(request, "bookings/manage_cancel.html", context)


@never_cache
@require_safe
def manage_move(request, token):
    """Choose a new time at the same clinic: the same day strip as booking, a time opens the question."""
    booking = booking_or_404(token)
    if not services.patient_can_change(booking):
        return redirect(booking)
    clinic = booking.slot.clinic
    today = local_today()
    last_day = today + dt.timedelta(days=settings.ASPIRE_BOOKING_WINDOW_DAYS)
    day = _requested_day(request, default=timezone.localtime(booking.slot.starts_at).date())
    # The patient's own therapist's times unless they ask for everyone's: a move should not change
    # who treats them without their noticing.
    everyone = request.GET.get("therapists") == "all"
    physio = "" if everyone else booking.slot.physiotherapist.slug
    keep = "&therapists=all" if everyone else ""
    strip = _strip_days(day, today=today, last_day=last_day)
    times = selectors.free_times(clinic=clinic, first=strip[0], last=strip[-1], physio_slug=physio)  # one read
    context = {
        "title": _("Move booking %(reference)s | Aspire Wellness") % {"reference": booking.reference},
        "description": _("Choose a new time for your session."),
        "booking": booking,
        "clinic": clinic,
        "day": day,
        "today": today,
        "last_day": last_day,
        "everyone": everyone,
        "keep": keep,
        "strip": _strip(strip, chosen=day, today=today, free=times.days, filters=keep),
        "parts": times.on(day),
    }
    return render(request, "bookings/manage_move.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def manage_move_to(request, token, slot_id):
    """Ask before moving (the old time and the new, one button: no JavaScript needed); a POST moves."""
    booking = booking_or_404(token)
    slot = _slot_or_404(slot_id)
    if request.method == "GET":
        if not services.patient_can_change(booking):
            return redirect(booking)
        if slot.clinic_id != booking.slot.clinic_id:  # the move page offers no other clinic's times
            raise Http404
        problem = availability.refusal(slot, channel=Channel.ONLINE)
        if problem:
            messages.error(request, _("%(problem)s Please choose another time.") % {"problem": problem})
            day = timezone.localtime(slot.starts_at).date()
            return redirect(f"{reverse('bookings:manage_move', args=[booking.manage_token])}?date={day.isoformat()}")
        context = {
            "title": _("Move booking %(reference)s | Aspire Wellness") % {"reference": booking.reference},
            "description": _("Choose a new time for your session."),
            "booking": booking,
            "slot": slot,
        }
        return render(request, "bookings/manage_move_confirm.html", context)
    try:
        services.booking_move(booking=booking, new_slot_id=slot.pk, by_patient=True)
    except errors.SlotUnavailable as exc:
        messages.error(request, _("%(problem)s Please choose another time.") % {"problem": exc})
        return redirect("bookings:manage_move", token=booking.manage_token)
    except errors.BookingError as exc:
        messages.error(request, str(exc))
        return redirect(booking)
    messages.success(request, _("Your session has moved to the new time."))
    return redirect(booking)


@never_cache
@require_http_methods(["GET", "POST"])
def waitlist_join(request, clinic_slug):
    """Ask to be told when a time frees at a clinic: days, part of the day, therapist or gender, phone."""
    clinic = get_object_or_404(Clinic.objects.active(), slug=clinic_slug)
    day = _requested_day(request, default=local_today())
    physio, gender = _filters(request)
    initial = {"first_day": day, "last_day": day + dt.timedelta(days=6), "physio": physio, "gender": gender}
    form = WaitlistForm(request.POST or None, initial=initial, clinic=clinic)
    entry = None
    if request.method == "POST":
        if form.is_spam():
            return render(request, "bookings/spam.html", {"title": _("Thank you | Aspire Wellness")}, status=200)
        limits = {f"waitlist:ip:{client_ip(request)}": settings.ASPIRE_BOOKING_POSTS_PER_IP_PER_HOUR}
        valid = form.is_valid()
        if valid:  # a number is counted too, so no one address-hopping texts a stranger's phone
            limits[f"waitlist:phone:{form.cleaned_data['phone']}"] = settings.ASPIRE_BOOKING_POSTS_PER_PHONE_PER_HOUR
        if not ratelimit.hit_all(limits, window_seconds=3600):
            return _too_many_requests(request)
        if valid:
            data = form.cleaned_data
            try:
                entry = waitlist.waitlist_join(
                    clinic=clinic, name=data["name"], phone=data["phone"], session_type=data["session_type"],
                    first_day=data["first_day"], last_day=data["last_day"], part_of_day=data["part_of_day"],
                    physiotherapist=data["physio"], gender=data["gender"], language=get_language(),
                )  # fmt: skip
            except errors.BookingError as exc:
                form.add_error(None, str(exc))
    context = {
        "title": _("Join the waitlist at %(clinic)s | Aspire Wellness") % {"clinic": clinic.name},
        "description": _("Be told by message when a time frees at %(clinic)s.") % {"clinic": clinic.name},
        "clinic": clinic,
        "form": form,
        "entry": entry,
        "hold_minutes": settings.ASPIRE_WAITLIST_HOLD_MINUTES,
    }
    return render(request, "bookings/waitlist_join.html", context, status=400 if form.errors else 200)


@require_POST
def manage_next(request, token, slot_id):
    """Book the next session at one of the offered times: one tap, the same details."""
    booking = booking_or_404(token)
    try:
        new = courses.next_session_book(booking=booking, slot_id=slot_id)
    except errors.BookingError as exc:
        messages.error(request, str(exc))
        return redirect(booking)
    messages.success(request, _("Your next session is booked. Your confirmation is on its way to your phone."))
    return redirect(new)


@require_POST
def manage_claim(request, token):
    """Book the time held for a waitlist patient: one tap on the offer's page."""
    booking = booking_or_404(token)
    try:
        waitlist.waitlist_claim(booking=booking)
    except errors.BookingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your session is booked. Your confirmation is on its way to your phone."))
    return redirect(booking)


@require_POST
def manage_decline(request, token):
    """Let a held time go at once, for the next patient waiting."""
    booking = booking_or_404(token)
    try:
        waitlist.waitlist_decline(booking=booking)
    except errors.BookingError as exc:
        messages.error(request, str(exc))
    else:
        if booking.waitlist_entry_id:
            messages.info(request, _("Thank you: the time goes to the next person waiting. You stay on the waitlist."))
        else:
            messages.info(request, _("Thank you: the time is released for someone else."))
    return redirect(booking)
