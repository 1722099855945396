"""
The front desk's pages in the admin: the day's schedule with its one-click
actions, booking a caller or a walk-in, moving a booking, finding a returning
patient, and the bookings that leave or a closure affects. Each page is a plain
form or view that calls the services; a refusal comes back as a message on the
form, never as a server error.
"""

import datetime as dt
from collections import defaultdict
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from bookings import errors
from bookings.booking import courses, deposits, services
from bookings.desk import selectors
from bookings.desk.forms import (
    BookingMoveForm,
    CancelForm,
    DeskBookingForm,
    DeskCourseForm,
    ScheduleForm,
    WeeklyHoursForm,
)
from bookings.messaging import dispatch
from bookings.models import (
    Booking,
    BookingSource,
    Clinic,
    Physiotherapist,
    Weekday,
    WeeklyAvailability,
)
from bookings.phones import try_normalize_phone
from bookings.schedule import availability, hours, leave
from bookings.schedule.availability import Channel
from bookings.timeutils import desk_day, local_today

SCHEDULE_CLINIC_KEY = "schedule_clinic"


def schedule_url(clinic_id: int, day: dt.date) -> str:
    return reverse("bookings_schedule") + "?" + urlencode({"clinic": clinic_id, "date": day.isoformat()})


def week_url(clinic_id: int, day: dt.date, therapist_id: int | None = None) -> str:
    params = {"clinic": clinic_id, "date": selectors.week_start(day).isoformat()}
    if therapist_id:
        params["physio"] = therapist_id
    return reverse("bookings_schedule_week") + "?" + urlencode(params)


def _offer_actions(slots, *, now: dt.datetime) -> None:
    """Give each booked slot the buttons the desk gets for its booking now, by the services' rules."""
    for slot in slots:
        if slot is not None and slot.booking is not None:
            slot.booking.slot = slot  # already loaded: the rules below read its time
            slot.actions = services.desk_actions(slot.booking, now=now)
            slot.can_cancel = services.can_cancel(slot.booking)
            slot.can_move = services.can_move(slot.booking)
            # A caller who can't pay online: the desk waives the deposit (a page that asks why).
            slot.can_waive = deposits.waive_refusal(slot.booking, now=now) is None


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


@permission_required("bookings.view_booking", raise_exception=True)
def schedule(request):
    clinics = list(selectors.clinics_for(request.user).filter(is_active=True))
    today = local_today()
    remembered = request.session.get(SCHEDULE_CLINIC_KEY)
    default_clinic = next((c for c in clinics if c.pk == remembered), clinics[0] if clinics else None)
    # A search or a link may name only some of the page's fields: the others keep their defaults.
    data = None
    if request.GET:
        data = {
            "clinic": request.GET.get("clinic") or (default_clinic.pk if default_clinic else ""),
            "date": request.GET.get("date") or today.isoformat(),
        }
    form = ScheduleForm(data, initial={"clinic": default_clinic, "date": today}, clinics=clinics)
    if form.is_bound and form.is_valid():
        clinic, day = form.cleaned_data["clinic"], form.cleaned_data["date"]
    else:
        clinic, day = default_clinic, today
        if form.is_bound and "date" in form.errors and "clinic" not in form.errors:
            clinic = form.cleaned_data["clinic"]
    if clinic and clinic.pk != remembered:
        request.session[SCHEDULE_CLINIC_KEY] = clinic.pk  # the desk's clinic, next time too
    query = request.GET.get("q", "").strip()[:80]
    context = {
        **admin.site.each_context(request),
        "title": f"Schedule: {clinic.name if clinic else 'no clinics'}, {desk_day(day)}",
        "form": form,
        "clinic": clinic,
        "day": day,
        "today": today,
        "query": query,
        "found": selectors.bookings_search(query, user=request.user) if query else None,
        "can_add_booking": request.user.has_perm("bookings.add_booking"),
        "can_change_booking": request.user.has_perm("bookings.change_booking"),
        "can_generate": request.user.has_perm("bookings.add_slot"),
        "cancel_form": CancelForm(),
    }
    if clinic:
        now = timezone.now()
        day_schedule = selectors.clinic_day_schedule(clinic=clinic, day=day, now=now)
        _offer_actions((slot for row in day_schedule.rows for slot in row.cells), now=now)
        context.update(
            now_dt=now,
            schedule=day_schedule,
            week_url=week_url(clinic.pk, day),
            prev_url=schedule_url(clinic.pk, day - dt.timedelta(days=1)) if day > ScheduleForm.FIRST_DAY else None,
            next_url=schedule_url(clinic.pk, day + dt.timedelta(days=1)) if day < ScheduleForm.LAST_DAY else None,
            today_url=schedule_url(clinic.pk, today),
            here=schedule_url(clinic.pk, day),
        )
    return render(request, "admin/bookings/schedule.html", context)


@require_safe
@permission_required("bookings.view_booking", raise_exception=True)
def schedule_week(request):
    """
    A clinic's week, or one of its therapists' (`?physio=`): Monday to Sunday across, times
    of day down, with the day's actions on each time. `?date=` is any day of the week
    (today's week without it); the clinic is one of the desk's own (the day's rule), else 404.
    """
    today = local_today()
    clinics = list(selectors.clinics_for(request.user).filter(is_active=True))
    asked = request.GET.get("clinic", "")
    remembered = next((c for c in clinics if c.pk == request.session.get(SCHEDULE_CLINIC_KEY)), None)
    if asked:
        clinic = next((c for c in clinics if str(c.pk) == asked), None)
    else:
        clinic = remembered or next(iter(clinics), None)
    if clinic is None:  # another clinic's, or none assigned yet: as the day's rule (clinics_for) says
        raise Http404("No such clinic at your desk.")
    if clinic.pk != request.session.get(SCHEDULE_CLINIC_KEY):
        request.session[SCHEDULE_CLINIC_KEY] = clinic.pk  # the desk's clinic, on the day too
    try:
        day = dt.date.fromisoformat(request.GET["date"]) if request.GET.get("date") else today
    except ValueError:
        day = today
    # A week has a week before and after it (the page links to both), inside Python's dates.
    day = min(max(day, ScheduleForm.FIRST_DAY + dt.timedelta(days=7)), ScheduleForm.LAST_DAY - dt.timedelta(days=7))
    physio = request.GET.get("physio", "")
    if physio and not physio.isdigit():
        raise Http404("No such therapist.")
    now = timezone.now()
    try:
        week = selectors.clinic_week_schedule(
            clinic=clinic, day=day, therapist_id=int(physio) if physio else None, now=now
        )
    except Physiotherapist.DoesNotExist:
        raise Http404("That therapist does not work at this clinic.") from None
    _offer_actions((slot for row in week.rows for cell in row.cells for slot in cell), now=now)
    therapist_id = week.therapist.pk if week.therapist else None
    first = week.first_day
    here = week_url(clinic.pk, first, therapist_id)
    whose = f"{week.therapist.name} at {clinic.name}" if week.therapist else clinic.name
    context = {
        **admin.site.each_context(request),
        "title": f"Week: {whose}, {desk_day(first)} – {desk_day(first + dt.timedelta(days=6))}",
        "week": week,
        "clinic": clinic,
        "clinics": [(c, week_url(c.pk, first)) for c in clinics],
        "today": today,
        "days": [(d, schedule_url(clinic.pk, d.day)) for d in week.days],
        "this_week": selectors.week_start(today) == first,
        "prev_url": week_url(clinic.pk, first - dt.timedelta(days=7), therapist_id),
        "next_url": week_url(clinic.pk, first + dt.timedelta(days=7), therapist_id),
        "today_url": week_url(clinic.pk, today, therapist_id),
        "clinic_week_url": week_url(clinic.pk, first),
        "therapist_weeks": [(t, week_url(clinic.pk, first, t.pk)) for t in week.therapists],
        "here": here,
        # The move page comes back to the week of the new time (the therapist's, if this is theirs).
        "move_query": urlencode({"from": "week", **({"physio": therapist_id} if therapist_id else {})}),
        "can_add_booking": request.user.has_perm("bookings.add_booking"),
        "can_change_booking": request.user.has_perm("bookings.change_booking"),
        "cancel_form": CancelForm(),
    }
    return render(request, "admin/bookings/schedule_week.html", context)


DESK_ACTIONS = {
    "check_in": (services.booking_check_in, "{name} has arrived."),
    "attended": (services.booking_mark_attended, "{name}: attended."),
    "no_show": (services.booking_mark_no_show, "{name}: no-show."),
}


@require_POST
@permission_required("bookings.change_booking", raise_exception=True)
def schedule_act(request, booking_id: int):
    """One click on the schedule: check in, attended, no-show, or cancel with a reason."""
    booking = get_object_or_404(selectors.bookings_for(request.user), pk=booking_id)
    back = _safe_next(request, schedule_url(booking.slot.clinic_id, timezone.localtime(booking.slot.starts_at).date()))
    action = request.POST.get("action", "")
    try:
        if action == "cancel":
            form = CancelForm(request.POST)
            if not form.is_valid():
                messages.error(request, f"{booking.name}: choose why the booking is cancelled.")
                return HttpResponseRedirect(back)
            services.booking_cancel(booking=booking, reason=form.cleaned_data["reason"])
            messages.success(request, f"{booking.name}: cancelled. The time is free again.")
        elif action in DESK_ACTIONS:
            service, done = DESK_ACTIONS[action]
            service(booking=booking)
            messages.success(request, done.format(name=booking.name))
        else:
            raise Http404
    except errors.BookingError as exc:
        messages.error(request, f"{booking.name}: {exc}")
    return HttpResponseRedirect(back)


@permission_required("bookings.add_booking", raise_exception=True)
def booking_add(request):
    """Book a caller or a walk-in; afterwards the desk is back on that day's schedule."""
    initial = {"source": request.GET.get("source") or BookingSource.PHONE}
    slot_id = request.GET.get("slot", "")
    if slot_id.isdigit():
        initial["slot"] = int(slot_id)
    form = DeskBookingForm(request.POST or None, initial=initial, patients=selectors.patients_for(request.user))
    form.fields["slot"].queryset = selectors.slots_for(request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            booking = services.book_at_desk(
                slot_id=data["slot"].pk,
                session_type=data["session_type"],
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                notes=data["notes"],
                consent=data["consent"],
                source=data["source"],
                text=data["text"],
                created_by=request.user,
            )
        except errors.BookingError as exc:
            form.add_error("slot" if isinstance(exc, errors.SlotUnavailable) else None, str(exc))
        else:
            messages.success(request, f"Booked {booking.name} ({booking.reference}).")
            day = timezone.localtime(booking.slot.starts_at).date()
            return HttpResponseRedirect(schedule_url(booking.slot.clinic_id, day))
    context = {
        **admin.site.each_context(request),
        "title": "Book a caller or a walk-in",
        "form": form,
        "media": form.media,
        "opts": Booking._meta,
        "submit": "Book",
    }
    return render(request, "admin/bookings/desk_form.html", context, status=400 if form.errors else 200)


@permission_required("bookings.add_booking", raise_exception=True)
def course_add(request):
    """
    Book a course in one go. "Preview" shows every session's time and what stops it (the
    clashes), and saves nothing; "Book the course" books them all or none.
    """
    initial = {"source": BookingSource.PHONE}
    slot_id = request.GET.get("slot", "")
    if slot_id.isdigit():
        initial["slot"] = int(slot_id)
    form = DeskCourseForm(request.POST or None, initial=initial, patients=selectors.patients_for(request.user))
    form.fields["slot"].queryset = selectors.slots_for(request.user)
    plan = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if "book" in request.POST:
            try:
                course = courses.course_book(
                    first_slot=data["slot"], sessions=data["sessions"], every_days=data["every_days"],
                    session_type=data["session_type"], name=data["name"], phone=data["phone"],
                    email=data["email"], notes=data["notes"], consent=data["consent"], source=data["source"],
                    text=data["text"], created_by=request.user,
                )  # fmt: skip
            except errors.BookingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Booked {data['sessions']} sessions for {data['name']} ({course}).")
                day = timezone.localtime(data["slot"].starts_at).date()
                return HttpResponseRedirect(schedule_url(data["slot"].clinic_id, day))
        plan = courses.course_plan(
            first_slot=data["slot"], sessions=data["sessions"], every_days=data["every_days"], phone=data["phone"],
            name=data["name"],
        )  # fmt: skip
    context = {
        **admin.site.each_context(request),
        "title": "Book a course of sessions",
        "form": form,
        "media": form.media,
        "opts": Booking._meta,
        "plan": plan,
        "can_book": plan is not None and not any(p.problem for p in plan),
    }
    return render(request, "admin/bookings/course_form.html", context, status=400 if form.errors else 200)


@permission_required("bookings.change_booking", raise_exception=True)
def booking_move(request, booking_id: int):
    """
    Move a booking to another time (any therapist, any clinic the desk runs); the patient is
    told. The new time is searched for (any day), or picked from a day's free times at one
    of the desk's clinics (`?clinic=`, `?date=`: the booking's own by default, with the days
    before and after), no JavaScript needed. Afterwards the desk is on the new time's day,
    or its week when it came from the week (`?from=week`, `&physio=` for a therapist's).
    """
    booking = get_object_or_404(selectors.bookings_for(request.user).with_related(), pk=booking_id)
    form = BookingMoveForm(request.POST or None)
    form.fields["slot"].queryset = selectors.slots_for(request.user)
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_move(booking=booking, new_slot_id=form.cleaned_data["slot"].pk)
        except errors.BookingError as exc:
            form.add_error("slot", str(exc))
        else:
            messages.success(request, f"Moved {booking.name} ({booking.reference}); the patient is told.")
            slot = booking.slot
            day = timezone.localtime(slot.starts_at).date()
            if request.GET.get("from") == "week":
                physio = request.GET.get("physio", "")
                therapist_id = slot.physiotherapist_id if physio == str(slot.physiotherapist_id) else None
                return HttpResponseRedirect(week_url(slot.clinic_id, day, therapist_id))
            return HttpResponseRedirect(schedule_url(slot.clinic_id, day))
    clinics = list(selectors.clinics_for(request.user).filter(is_active=True))
    asked = request.GET.get("clinic", "")
    clinic = next((c for c in clinics if str(c.pk) == asked), None) or booking.slot.clinic
    try:
        day = dt.date.fromisoformat(request.GET["date"]) if request.GET.get("date") else None
    except ValueError:
        day = None
    day = day or timezone.localtime(booking.slot.starts_at).date()
    day = min(max(day, ScheduleForm.FIRST_DAY), ScheduleForm.LAST_DAY)
    keep = {key: request.GET[key] for key in ("from", "physio") if request.GET.get(key)}

    def on(other_day: dt.date) -> str:
        return "?" + urlencode({**keep, "clinic": clinic.pk, "date": other_day.isoformat()})

    free = (
        availability.bookable(channel=Channel.STAFF)
        .filter(clinic=clinic)  # one of the desk's: the booking's own, or one of clinics_for's
        .on_day(day)
        .select_related("physiotherapist")
        .order_by("starts_at", "physiotherapist__name")
    )
    context = {
        **admin.site.each_context(request),
        "title": f"Move booking {booking.reference}",
        "booking": booking,
        "form": form,
        "media": form.media,
        "opts": Booking._meta,
        "submit": "Move",
        "move": {
            "clinic": clinic,
            "clinics": clinics,
            "day": day,
            "keep": keep,
            "free": list(free),
            "prev_url": on(day - dt.timedelta(days=1)) if day > ScheduleForm.FIRST_DAY else None,
            "next_url": on(day + dt.timedelta(days=1)) if day < ScheduleForm.LAST_DAY else None,
        },
    }
    return render(request, "admin/bookings/desk_form.html", context, status=400 if form.errors else 200)


@require_safe
@permission_required("bookings.view_patient", raise_exception=True)
def patient_lookup(request):
    """
    The names the desk knows for a phone number (any spelling), to fill in the booking form:
    `name` when the number books for one person, `names` for each of a household's.
    """
    e164 = try_normalize_phone(request.GET.get("phone", "")[:32])
    names = selectors.household_names(selectors.patients_for(request.user), e164) if e164 else []
    return JsonResponse({"name": names[0] if len(names) == 1 else "", "names": names})


@permission_required("bookings.view_booking", raise_exception=True)
def affected_bookings(request, kind: str, pk: int):
    """The confirmed bookings inside a therapist's leave or a closure, with one click to tell them all."""
    if kind == "timeoff":
        source = get_object_or_404(selectors.time_off_for(request.user).select_related("physiotherapist"), pk=pk)
        bookings = leave.bookings_inside(time_off=source)
        reason = "away"
    elif kind == "closure":
        source = get_object_or_404(selectors.closures_for(request.user), pk=pk)
        bookings = leave.bookings_inside(closure=source)
        reason = "closed"
    elif kind == "hours":
        therapist = get_object_or_404(Physiotherapist, pk=pk)
        source = f"{therapist.name}'s weekly hours"
        bookings = hours.bookings_outside_hours(physiotherapist=therapist)
        reason = "away"
    else:
        raise Http404
    bookings = list(bookings.filter(pk__in=selectors.bookings_for(request.user)))
    if request.method == "POST":
        if not request.user.has_perm("bookings.change_booking"):
            raise PermissionDenied
        sent = dispatch.bookings_offer_move(bookings=bookings, reason=reason)
        messages.success(request, f"Told {sent} patient(s) and offered them a new time.")
        return HttpResponseRedirect(request.path)
    context = {
        **admin.site.each_context(request),
        "title": f"Bookings affected by: {source}",
        "source": source,
        "bookings": bookings,
        "to_tell": [b for b in bookings if b.move_offered_at is None],
        "can_change_booking": request.user.has_perm("bookings.change_booking"),
    }
    return render(request, "admin/bookings/affected.html", context)


def slot_search_terms(term: str) -> tuple[list[dt.date], list[dt.time], list[str]]:
    """Split a slot search into the days, times and words it names ("tue 15:00 sana", "5/12", "tomorrow")."""
    today = local_today()
    weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    days, times, words = [], [], []
    tokens = term.lower().replace(",", " ").split()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        pair = f"{token} {tokens[i + 1]}" if i + 1 < len(tokens) else ""
        parsed = _parse_day(pair, today)
        if parsed:
            days.append(parsed)
            i += 2
            continue
        if token in ("today", "tomorrow"):
            days.append(today + dt.timedelta(days=token == "tomorrow"))
        elif token[:3] in weekdays and token.isalpha() and len(token) <= 9:
            days.append(today + dt.timedelta(days=(weekdays.index(token[:3]) - today.weekday()) % 7))
        elif (parsed := _parse_day(token, today)) is not None:
            days.append(parsed)
        elif (clock := _parse_time(token)) is not None:
            times.append(clock)
        else:
            words.append(token)
        i += 1
    return days, times, words


def _parse_day(text: str, today: dt.date) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m", "%d %b", "%d %B", "%b %d", "%B %d"):
        try:
            parsed = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if "%Y" not in fmt:
            parsed = parsed.replace(year=today.year)
            if parsed < today - dt.timedelta(days=180):
                parsed = parsed.replace(year=today.year + 1)
        return parsed
    return None


def _parse_time(text: str) -> dt.time | None:
    for fmt in ("%H:%M", "%H.%M", "%I%p", "%I:%M%p"):
        try:
            return dt.datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    return None


# A therapist's week -------------------------------------------------------------------------


def weekly_hours_url(therapist_id: int, clinic_id: int | None = None) -> str:
    url = reverse("bookings_weekly_hours", args=[therapist_id])
    return f"{url}?{urlencode({'clinic': clinic_id})}" if clinic_id else url


def week_summary(rows) -> list[dict]:
    """
    Return weekly hours as people read them, one entry per clinic and stretch of
    dates: {"clinic", "dates", "days", "slot_minutes"}, where days are lines such as
    "Mon–Sat 10:00–13:00, 14:00–19:00" (days in a row with the same hours go together).
    """
    groups = defaultdict(list)
    for row in rows:
        groups[(row.clinic, row.valid_from, row.valid_until)].append(row)
    summary = []
    for (clinic, first, last), group in sorted(groups.items(), key=lambda item: (item[0][0].name, item[0][1])):
        periods = defaultdict(list)
        for row in sorted(group, key=lambda row: (row.weekday, row.start_time)):
            periods[row.weekday].append(f"{row.start_time:%H:%M}–{row.end_time:%H:%M}")
        runs: list[list[int]] = []
        for weekday in sorted(periods):
            if runs and runs[-1][-1] == weekday - 1 and periods[runs[-1][-1]] == periods[weekday]:
                runs[-1].append(weekday)
            else:
                runs.append([weekday])
        names = [label[:3] for label in Weekday.labels]
        days = [
            f"{names[run[0]]}{'–' + names[run[-1]] if len(run) > 1 else ''} {', '.join(periods[run[0]])}"
            for run in runs
        ]
        lengths = sorted({row.slot_minutes for row in group})
        dates = f"from {desk_day(first)}" + (f" until {desk_day(last)}" if last else "")
        summary.append({"clinic": clinic, "dates": dates, "days": days, "slot_minutes": lengths})
    return summary


def _week_initial(rows: list[WeeklyAvailability], today: dt.date) -> dict:
    """The form's starting values: the week in effect today (else the next one set), from today on."""
    in_effect = [row for row in rows if row.valid_from <= today]
    if not in_effect and rows:
        first = min(row.valid_from for row in rows)
        in_effect = [row for row in rows if row.valid_from == first]
    initial = {"valid_from": today}
    by_day = defaultdict(list)
    for row in sorted(in_effect, key=lambda row: row.start_time):
        by_day[row.weekday].append(row)
    for weekday, periods in by_day.items():
        initial.update({f"works_{weekday}": True, f"start_{weekday}": periods[0].start_time})
        initial[f"end_{weekday}"] = periods[-1].end_time
        if len(periods) > 1:
            initial.update(
                {f"break_start_{weekday}": periods[0].end_time, f"break_end_{weekday}": periods[1].start_time}
            )
    if in_effect:
        initial["slot_minutes"] = in_effect[0].slot_minutes
    return initial


@permission_required("bookings.change_weeklyavailability", raise_exception=True)
def weekly_hours(request, physio_id: int):
    """
    A therapist's week at one clinic (`?clinic=`) in one form: each day's hours with a
    break, from a day (today unless said); saving puts the times on sale at once.
    Without a clinic, choose one.
    """
    therapist = get_object_or_404(Physiotherapist, pk=physio_id)
    today = local_today()
    upcoming = list(
        WeeklyAvailability.objects.filter(physiotherapist=therapist)
        .exclude(valid_until__lt=today)
        .select_related("clinic")
        .order_by("valid_from", "weekday", "start_time")
    )
    context = {
        **admin.site.each_context(request),
        "opts": Physiotherapist._meta,
        "therapist": therapist,
        "summary": week_summary(upcoming),
    }
    clinic_id = request.GET.get("clinic", "")
    clinic = Clinic.objects.filter(pk=clinic_id).first() if clinic_id.isdigit() else None
    if clinic is None:
        working_at = {row.clinic_id for row in upcoming}
        clinics = [(c, weekly_hours_url(therapist.pk, c.pk), c.pk in working_at) for c in Clinic.objects.active()]
        context.update(title=f"Weekly hours: {therapist.name}", clinics=clinics)
        return render(request, "admin/bookings/weekly_hours.html", context)

    rows = [row for row in upcoming if row.clinic_id == clinic.pk]
    form = WeeklyHoursForm(request.POST or None, today=today, initial=_week_initial(rows, today))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = hours.weekly_hours_set(
                physiotherapist=therapist,
                clinic=clinic,
                days=data["days"],
                slot_minutes=data["slot_minutes"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
            )
        except errors.BookingError as exc:
            form.add_error(None, str(exc))
        else:
            working = len({row.weekday for row in result.hours if row.valid_from <= data["valid_from"]})
            messages.success(
                request,
                f"Saved {therapist.name}'s week at {clinic.name} from {desk_day(data['valid_from'])}: "
                f"{working} working day(s). {result.slots_created} new time(s) on sale; "
                f"{result.slots_removed} free time(s) outside the new hours taken off sale.",
            )
            if result.affected:
                messages.warning(
                    request,
                    f"{len(result.affected)} booking(s) fall outside the new hours: tell the patients and move them.",
                )
                return HttpResponseRedirect(reverse("bookings_affected", args=["hours", therapist.pk]))
            return HttpResponseRedirect(reverse("admin:bookings_physiotherapist_change", args=[therapist.pk]))
    context.update(
        title=f"Weekly hours: {therapist.name} at {clinic.name}",
        clinic=clinic,
        form=form,
        other_clinics_url=weekly_hours_url(therapist.pk),
    )
    return render(request, "admin/bookings/weekly_hours.html", context, status=400 if form.errors else 200)
