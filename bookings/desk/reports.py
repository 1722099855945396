"""
The Reports page: the owners' measures (bookings.reports) for a period beside the one
before it, for the clinics a member of staff runs (a manager all, a receptionist theirs),
as tables, SVG charts and one CSV per table. The figures are the selectors'; this module
only lays them out.
"""

import csv
import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from bookings.desk import charts, selectors
from bookings.desk.admin.common import spreadsheet_safe
from bookings.reports import periods
from bookings.reports import selectors as measures
from bookings.reports.selectors import Scope
from bookings.timeutils import local_today

CHART_WEEKS = 12  # the weekly charts show at least this many weeks, ending with the period's last


class ReportForm(forms.Form):
    period = forms.ChoiceField(choices=periods.CHOICES, initial="4weeks", required=False)
    first = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label="Until", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # The days a report may cover: a range and the one before it stay inside Python's dates.
    FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2099, 12, 31)

    def clean(self):
        data = super().clean()
        if data.get("period") != "custom":
            return data
        first, last = data.get("first"), data.get("last")
        if not first or not last:
            raise forms.ValidationError("A custom range needs its first and last day.", code="range_incomplete")
        if first < self.FIRST_DAY or last > self.LAST_DAY:
            raise forms.ValidationError(
                f"Choose days between {self.FIRST_DAY:%Y} and {self.LAST_DAY:%Y}.", code="range_out_of_bounds"
            )
        if last < first:
            raise forms.ValidationError("The last day is before the first.", code="range_backwards")
        if (last - first).days + 1 > periods.MAX_DAYS:
            raise forms.ValidationError(f"A report covers at most {periods.MAX_DAYS} days.", code="range_too_long")
        return data


@dataclass
class Table:
    """One table of the page and its CSV; `kinds` says how each column reads (count, rate, pkr, hours, text)."""

    key: str
    caption: str
    columns: list[str]
    kinds: list[str]
    rows: list[list]


def show(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value:.1%}"
    if kind == "pkr":
        return f"PKR {value:,}"
    if kind == "hours":
        return f"{value / 60:,.1f}"
    if kind == "change":
        return f"{value:+,}" if isinstance(value, int) else f"{value:+.1%}"
    if kind == "hours_change":
        return f"{value / 60:+,.1f}"
    if kind == "count":
        return f"{value:,}"
    return str(value)


def csv_value(value, kind: str) -> str:
    if value is None:
        return ""
    if kind in ("rate",):
        return f"{value * 100:.1f}"
    if kind == "hours":
        return f"{value / 60:.1f}"
    if kind == "change" and isinstance(value, float):
        return f"{value * 100:+.1f}"
    if kind == "hours_change":
        return f"{value / 60:.1f}"
    return str(value)


def _change(now, before, kind: str) -> tuple:
    """The change and how it reads: minutes are shown as hours, like the figures beside them."""
    if now is None or before is None:
        return None, "change"
    return now - before, "hours_change" if kind == "hours" else "change"


def _compared(key, caption, rows) -> Table:
    """A table of measures: this period, the one before, and the change; each row (label, kind, now, before)."""
    return Table(
        key=key,
        caption=caption,
        columns=["Measure", "This period", "Previous period", "Change"],
        kinds=["text", "mixed", "mixed", "mixed"],
        rows=[[label, (now, kind), (before, kind), _change(now, before, kind)] for label, kind, now, before in rows],
    )


def _use_rows(now: list, before: list) -> list[list]:
    previous = {use.label: use for use in before}
    rows = []
    for use in now:
        name = use.label if use.active else f"{use.label} (left)"
        was = previous.get(use.label)
        rows.append([name, use.offered_minutes, use.booked_minutes, use.utilisation, was.utilisation if was else None])
    return rows


def build(*, scope: Scope, period: periods.Period, now: dt.datetime) -> dict:
    """Every measure of the report for `period` and the one before it, as the page's tables and charts."""
    before = periods.previous(period)
    args, was = {"scope": scope, "period": period}, {"scope": scope, "period": before}
    s, s0 = measures.sessions(**args, now=now), measures.sessions(**was, now=now)
    r, r0 = measures.revenue(**args), measures.revenue(**was)
    d, d0 = measures.deposits(**args), measures.deposits(**was)
    p, p0 = measures.patients(**args), measures.patients(**was)
    c, c0 = measures.cohort(**args, now=now), measures.cohort(**was, now=now)
    k, k0 = measures.courses(**args, now=now), measures.courses(**was, now=now)
    by_clinic = measures.utilisation_by(**args, now=now, by="clinic")
    by_clinic0 = measures.utilisation_by(**was, now=now, by="clinic")
    u, u0 = measures.total(by_clinic), measures.total(by_clinic0)  # not read again: the clinics' sum
    by_physio = measures.utilisation_by(**args, now=now, by="physiotherapist")
    by_physio0 = measures.utilisation_by(**was, now=now, by="physiotherapist")
    hours = measures.hours_of_week(**args, now=now)
    src, src0 = measures.sources(**args), measures.sources(**was)
    lead, lead0 = measures.lead_times(**args), measures.lead_times(**was)
    msgs = measures.messages(**args)
    rem, rem0 = measures.reminders(**args), measures.reminders(**was)
    w, w0 = measures.waitlist(**args, now=now), measures.waitlist(**was, now=now)
    chart_period = periods.Period(
        min(period.first, period.last - dt.timedelta(weeks=CHART_WEEKS) + dt.timedelta(days=1)), period.last
    )
    weeks = measures.weekly(scope=scope, period=chart_period)

    tables = {
        "sessions": _compared(
            "sessions",
            "Sessions",
            [
                ("Booked", "count", s.booked, s0.booked),
                ("Attended", "count", s.attended, s0.attended),
                ("No-shows", "count", s.no_shows, s0.no_shows),
                ("Still to come", "count", s.to_come, s0.to_come),
                ("Not marked yet", "count", s.not_marked, s0.not_marked),
                ("Cancelled by the patient", "count", s.cancelled_by_patient, s0.cancelled_by_patient),
                ("Cancelled by the clinic", "count", s.cancelled_by_clinic, s0.cancelled_by_clinic),
                ("Cancelled, other reason", "count", s.cancelled_other, s0.cancelled_other),
                ("Late cancellations", "count", s.late_cancellations, s0.late_cancellations),
                ("No-show rate", "rate", s.no_show_rate, s0.no_show_rate),
                ("Late-cancellation rate", "rate", s.late_cancellation_rate, s0.late_cancellation_rate),
            ],
        ),
        "revenue": _compared(
            "revenue",
            "Revenue from attended sessions",
            [
                ("Revenue", "pkr", r.pkr, r0.pkr),
                ("Sessions attended", "count", r.sessions, r0.sessions),
                ("Average fee", "pkr", r.per_session, r0.per_session),
            ],
        ),
        "deposits": _compared(
            "deposits",
            "Deposits paid online",
            [
                ("Paid online", "count", d.paid, d0.paid),
                ("Paid online (PKR)", "pkr", d.paid_pkr, d0.paid_pkr),
                ("Refunded", "count", d.refunded, d0.refunded),
                ("Refunded (PKR)", "pkr", d.refunded_pkr, d0.refunded_pkr),
                ("Kept by the clinic", "count", d.kept, d0.kept),
                ("Kept by the clinic (PKR)", "pkr", d.kept_pkr, d0.kept_pkr),
                ("Waived by the desk", "count", d.waived, d0.waived),
                ("Net taken online (PKR)", "pkr", d.net_pkr, d0.net_pkr),
            ],
        ),
        "utilisation": _compared(
            "utilisation",
            "Utilisation",
            [
                ("Hours offered", "hours", u.offered_minutes, u0.offered_minutes),
                ("Hours booked", "hours", u.booked_minutes, u0.booked_minutes),
                ("Utilisation", "rate", u.utilisation, u0.utilisation),
            ],
        ),
        "utilisation_clinics": Table(
            "utilisation_clinics",
            "Utilisation per clinic",
            ["Clinic", "Hours offered", "Hours booked", "Utilisation", "Previous period"],
            ["text", "hours", "hours", "rate", "rate"],
            _use_rows(by_clinic, by_clinic0),
        ),
        "utilisation_therapists": Table(
            "utilisation_therapists",
            "Utilisation per therapist",
            ["Therapist", "Hours offered", "Hours booked", "Utilisation", "Previous period"],
            ["text", "hours", "hours", "rate", "rate"],
            _use_rows(by_physio, by_physio0),
        ),
        "hours": Table(
            "hours",
            "Utilisation per hour of the week",
            ["Day", "Hour", "Hours offered", "Hours booked", "Utilisation"],
            ["text", "text", "hours", "hours", "rate"],
            [
                [
                    charts.WEEKDAYS[h.weekday - 1],
                    f"{h.hour:02d}:00",
                    h.use.offered_minutes,
                    h.use.booked_minutes,
                    h.use.utilisation,
                ]
                for h in hours
            ],  # fmt: skip
        ),
        "patients": _compared(
            "patients",
            "Patients",
            [
                ("Patients seen", "count", p.seen, p0.seen),
                ("New patients", "count", p.new, p0.new),
                ("Returning patients", "count", p.returning, p0.returning),
                ("New patients who booked a second session", "count", c.booked_again, c0.booked_again),
                ("Visit 1 to 2 conversion", "rate", c.conversion, c0.conversion),
                ("Courses ended", "count", k.ended, k0.ended),
                ("Courses completed", "count", k.completed, k0.completed),
                ("Course completion", "rate", k.completion, k0.completion),
            ],
        ),
        "dropoff": Table(
            "dropoff",
            "Drop-off by visit: of the period's new patients, how many came for each visit (to date)",
            ["Visit", "Patients", "Share of the new", "Previous period", "Share then"],
            ["text", "count", "rate", "count", "rate"],
            [
                [
                    f"{n}{'+' if n == measures.VISITS else ''}",
                    c.reached[n],
                    measures.rate(c.reached[n], c.new),
                    c0.reached[n],
                    measures.rate(c0.reached[n], c0.new),
                ]
                for n in range(1, measures.VISITS + 1)
            ],  # fmt: skip
        ),
        "sources": Table(
            "sources",
            "Where bookings come from",
            ["Source", "This period", "Share", "Previous period", "Share then"],
            ["text", "count", "rate", "count", "rate"],
            [
                [label, src[key], measures.rate(src[key], s.booked), src0[key], measures.rate(src0[key], s0.booked)]
                for key, label in measures.ORIGINS
            ],
        ),
        "lead_times": Table(
            "lead_times",
            "How far ahead sessions are booked",
            ["Booked ahead", "This period", "Share", "Previous period", "Share then"],
            ["text", "count", "rate", "count", "rate"],
            [
                [label, lead[key], measures.rate(lead[key], s.booked), lead0[key], measures.rate(lead0[key], s0.booked)]
                for key, label, *_ in measures.LEAD_TIMES
            ],
        ),
        "messages": Table(
            "messages",
            "Messages to patients, by channel",
            ["Channel", "Queued", "Sent", "Delivered", "Read", "Failed", "Waiting"],
            ["text", "count", "count", "count", "count", "count", "count"],
            [[m.label, m.queued, m.sent, m.delivered, m.read, m.failed, m.waiting] for m in msgs],
        ),
        "reminders": _compared(
            "reminders",
            "Reminders",
            [
                ("Reminders sent", "count", rem.sent, rem0.sent),
                ("Confirmed by the patient", "count", rem.confirmed, rem0.confirmed),
                ("Confirmation rate", "rate", rem.confirmation_rate, rem0.confirmation_rate),
            ],
        ),
        "waitlist": _compared(
            "waitlist",
            "The waitlist",
            [
                ("Joined", "count", w.joined, w0.joined),
                ("Times offered", "count", w.offers, w0.offers),
                ("Offers claimed", "count", w.claimed, w0.claimed),
                ("Offers lapsed or declined", "count", w.lapsed, w0.lapsed),
                ("Offers open now", "count", w.open, w0.open),
                ("Claim rate", "rate", w.claim_rate, w0.claim_rate),
            ],
        ),
        "weekly": Table(
            "weekly",
            "Sessions per week",
            ["Week of", "Booked", "Attended", "No-shows", "Cancelled", "No-show rate"],
            ["text", "count", "count", "count", "count", "rate"],
            [
                [f"{x.first_day:%-d %b %Y}", x.booked, x.attended, x.no_shows, x.cancelled, x.no_show_rate]
                for x in weeks
            ],
        ),
    }
    offered = [h for h in hours if h.use.offered_minutes >= 60]  # an hour with a single short slot says little
    ranked = [
        f"{charts.WEEKDAYS[h.weekday - 1]} {h.hour:02d}:00 ({show(h.use.utilisation, 'rate')})"
        for h in sorted(offered, key=lambda h: (h.use.utilisation or 0, -h.use.offered_minutes))
    ]
    return {
        "period": period,
        "previous": before,
        "tables": tables,
        "sessions": s,
        "revenue": r,
        "utilisation": u,
        "busiest": list(reversed(ranked[-3:])),
        "emptiest": ranked[:3],
        "charts": {
            "weeks": charts.bookings_per_week(weeks),
            "no_show_rate": charts.no_show_rate(weeks),
            "therapists": charts.utilisation_bars(by_physio),
            "heat": charts.heat_map(hours),
        },
        "weeks": weeks,
        "headlines": [
            (show(s.booked, "count"), "sessions booked"),
            (show(s.no_show_rate, "rate"), "no-show rate"),
            (show(u.utilisation, "rate"), "utilisation"),
            (show(r.pkr, "pkr"), "revenue"),
        ],
    }


def rows_of(table: Table, *, for_csv: bool) -> list[list[str]]:
    """A table's cells as text, on the page or in its CSV (raw numbers there: 12.5 for 12.5%, hours as hours)."""
    out = []
    for row in table.rows:
        cells = []
        for value, kind in zip(row, table.kinds, strict=True):
            if kind == "mixed":
                value, kind = value
            if not for_csv:
                cells.append(show(value, kind))
            elif kind == "text":  # a name: one starting "=" must not run as a formula
                cells.append(spreadsheet_safe(value))
            else:  # a number we wrote: "-3" stays a number in the spreadsheet
                cells.append(csv_value(value, kind))
        out.append(cells)
    return out


def csv_response(table: Table, *, filename: str) -> HttpResponse:
    """Return the table as a CSV download called `filename`, its text cells guarded against formulas."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(table.columns)
    for row in rows_of(table, for_csv=True):
        writer.writerow(row)
    return response


def chosen(rows: list, pk: str | None, *, missing: str):
    """
    Return the row of `rows` (the desk's own clinics or therapists) whose id is `pk`: None where
    none is asked for, a 404 saying `missing` for any other id (another clinic's is not the desk's).
    """
    if not pk:
        return None
    found = next((row for row in rows if str(row.pk) == pk), None)
    if found is None:
        raise Http404(missing)
    return found


@require_safe
@permission_required("bookings.view_booking", raise_exception=True)
def reports(request):
    """
    The Reports page: `?period=` one of periods.CHOICES (`first`, `last` for a custom range),
    `?clinic=` one of the desk's clinics (all of them without it), `?physio=` one therapist;
    `?csv=<table>` downloads that table. Another clinic's or an unknown therapist's id is a 404.
    """
    today = local_today()
    clinics = list(selectors.clinics_for(request.user).order_by("name"))
    clinic = chosen(clinics, request.GET.get("clinic"), missing="No such clinic at your desk.")
    therapists = list(selectors.physiotherapists_for(request.user).order_by("name"))
    therapist = chosen(therapists, request.GET.get("physio"), missing="No such therapist.")
    form = ReportForm(request.GET or None)
    if form.is_bound and form.is_valid() and form.cleaned_data["period"]:
        data = form.cleaned_data
        period = periods.period_for(data["period"], today=today, first=data["first"], last=data["last"])
    else:
        period = periods.period_for("4weeks", today=today)
    scope = Scope(
        clinic_ids=tuple(c.pk for c in ([clinic] if clinic else clinics)),
        physiotherapist_id=therapist.pk if therapist else None,
    )
    report = build(scope=scope, period=period, now=timezone.now())
    where = " · ".join(
        x for x in [clinic.name if clinic else "All your clinics", therapist.name if therapist else ""] if x
    )
    if request.GET.get("csv"):
        table = report["tables"].get(request.GET["csv"])
        if table is None:
            raise Http404("No such table.")
        return csv_response(table, filename=f"report-{table.key}-{period.first:%Y-%m-%d}-{period.last:%Y-%m-%d}.csv")
    query = request.GET.copy()
    query.pop("csv", None)
    takings = {"day": today.isoformat(), **({"clinic": clinic.pk} if clinic else {})}
    context = {
        **admin.site.each_context(request),
        "title": f"Reports: {where}, {period}",
        "form": form if form.is_bound else ReportForm(initial={"period": "4weeks"}),
        "clinics": clinics,
        "clinic": clinic,
        "therapists": therapists,
        "therapist": therapist,
        "where": where,
        "report": report,
        "tables": {key: (table, rows_of(table, for_csv=False)) for key, table in report["tables"].items()},
        "query": query.urlencode(),
        "takings_url": reverse("bookings_takings") + "?" + urlencode(takings),
        "headlines": report["headlines"],
        "cutoff_hours": settings.ASPIRE_CANCEL_CUTOFF_HOURS,
        "week_legend": [
            ("attended", "Attended"),
            ("no-show", "No-show"),
            ("cancelled", "Cancelled"),
            ("to-come", "To come or not marked"),
        ],
        "heat_legend": [(f"heat-{n}", f"{n * 20}–{n * 20 + 19 if n < 4 else 100}% booked") for n in range(5)],
    }
    return render(request, "admin/bookings/reports.html", context)
