"""
The day's takings, reconciled: for one Karachi day and the clinics a member of staff runs (a
manager all, a receptionist theirs), every deposit payment taken or refunded that day, our
totals per provider, and what each provider's own records say of each payment
(bookings.booking.deposits.reconcile), the disagreements first; one CSV per provider. Linked
from the Reports page. The figures are the booking part's; this module only lays them out.
"""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from bookings.booking import deposits
from bookings.booking.deposits import ReconciledRow
from bookings.desk import selectors
from bookings.desk.reports import ReportForm, Table, chosen, csv_response, rows_of
from bookings.models import PaymentStatus
from bookings.payments import base
from bookings.timeutils import desk_day, local_today

# What the provider's status inquiry said, as base.Outcome's states read to the desk.
PROVIDER_STATES = {
    base.Outcome.PAID: "Paid",
    base.Outcome.FAILED: "Not paid",
    base.Outcome.PENDING: "Not known (pending)",
}
COLUMNS = [
    ("Booking", "text"),
    ("Patient", "text"),
    ("Our reference", "text"),
    ("Provider's reference", "text"),
    ("Amount", "pkr"),
    ("Taken or refunded", "text"),
    ("Our state", "text"),
    ("Provider's state", "text"),
    ("Provider's amount", "mixed"),
    ("Check", "text"),
]


class TakingsForm(forms.Form):
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_day(self):
        day = self.cleaned_data["day"]
        # The Reports page's bounds: a day's edges stay inside Python's dates.
        if day and not ReportForm.FIRST_DAY <= day <= ReportForm.LAST_DAY:
            raise forms.ValidationError(
                f"Choose a day between {ReportForm.FIRST_DAY:%Y} and {ReportForm.LAST_DAY:%Y}.",
                code="day_out_of_bounds",
            )
        return day


@dataclass
class ProviderTakings:
    """One provider's part of the day: its rows (disagreements first), our totals and the table of them."""

    name: str
    label: str
    rows: list[ReconciledRow]
    table: Table

    @property
    def taken_pkr(self) -> int:
        return sum(row.amount_pkr for row in self.rows if row.taken)

    @property
    def refunded_pkr(self) -> int:
        return sum(row.amount_pkr for row in self.rows if row.refunded)

    @property
    def net_pkr(self) -> int:
        return self.taken_pkr - self.refunded_pkr

    @property
    def totals(self) -> str:
        return f"taken PKR {self.taken_pkr:,} · refunded PKR {self.refunded_pkr:,} · net PKR {self.net_pkr:,}"

    @property
    def disagreements(self) -> int:
        return sum(not row.agrees for row in self.rows)

    @property
    def summary(self) -> str:
        """Say plainly whether every payment agrees with the provider's records."""
        n, records = len(self.rows), f"{self.label}’s records"
        if not self.disagreements:
            every = "The one payment agrees" if n == 1 else f"All {n} payments agree"
            return f"{every} with {records}: PKR {self.taken_pkr:,} taken, PKR {self.refunded_pkr:,} refunded."
        verb = "disagrees" if self.disagreements == 1 else "disagree"
        return f"{self.disagreements} of {n} payments {verb} with {records}: they are listed first."


def check(row: ReconciledRow) -> str:
    """Say whether the row agrees, or what differs."""
    detail = f" ({row.detail})" if row.detail else ""
    if row.verdict == ReconciledRow.AGREES:
        return "Agrees"
    if row.verdict == ReconciledRow.NOT_PAID:
        return f"{row.provider_label} says not paid{detail}"
    if row.verdict == ReconciledRow.AMOUNT_DIFFERS:
        return f"Amount differs: {row.provider_label} says {_paisa(row.provider_amount_paisa)}"
    return f"{row.provider_label} unreachable{detail}"


def _paisa(paisa: int | None) -> str:
    return "–" if paisa is None else f"PKR {paisa // 100:,}" + (f".{paisa % 100:02d}" if paisa % 100 else "")


def _provider_amount(paisa: int | None) -> tuple:
    """Whole rupees as the other amounts read; a provider's odd paisa as written, not rounded away."""
    if paisa is not None and paisa % 100:
        return f"{paisa / 100:.2f}", "text"
    return (None if paisa is None else paisa // 100), "pkr"


def _cells(row: ReconciledRow) -> list:
    moved = " and ".join(what for what, did in [("Taken", row.taken), ("refunded", row.refunded)] if did)
    return [
        row.booking_reference,
        row.patient_name,
        row.reference,
        row.provider_ref or "–",
        row.amount_pkr,
        moved.capitalize(),
        PaymentStatus(row.status).label if row.status in PaymentStatus.values else row.status,
        PROVIDER_STATES.get(row.provider_state, "–"),
        _provider_amount(row.provider_amount_paisa),
        check(row),
    ]


def by_provider(rows: list[ReconciledRow]) -> list[ProviderTakings]:
    """Group the rows by provider, in the order patients are offered them; each group keeps the rows' order."""
    order = list(base.PROVIDERS)
    groups: dict[str, list[ReconciledRow]] = {}
    for row in rows:
        groups.setdefault(row.provider, []).append(row)
    names = sorted(groups, key=lambda name: (order.index(name) if name in order else len(order), name))
    return [
        ProviderTakings(
            name=name,
            label=groups[name][0].provider_label,
            rows=groups[name],
            table=_table(name, groups[name][0].provider_label, groups[name]),
        )
        for name in names
    ]


def _table(name: str, label: str, rows: list[ReconciledRow]) -> Table:
    return Table(
        key=name,
        caption=f"{label}: the day’s payments",
        columns=[column for column, _ in COLUMNS],
        kinds=[kind for _, kind in COLUMNS],
        rows=[_cells(row) for row in rows],
    )


@require_safe
@permission_required("bookings.view_booking", raise_exception=True)
def takings(request):
    """
    The day's takings: `?day=YYYY-MM-DD` (today without it), `?clinic=` one of the desk's clinics
    (all of them without it); `?csv=<provider>` downloads that provider's rows. Another clinic's
    id, or a provider this site never spoke to, is a 404; a day that can't be read is a message.
    """
    clinics = list(selectors.clinics_for(request.user).order_by("name"))
    clinic = chosen(clinics, request.GET.get("clinic"), missing="No such clinic at your desk.")
    form = TakingsForm(request.GET or None)
    day: dt.date | None = local_today()
    if form.is_bound:
        day = (form.cleaned_data["day"] or local_today()) if form.is_valid() else None
    providers = []
    if day is not None:
        rows = deposits.reconcile(day=day, clinic_ids=[c.pk for c in ([clinic] if clinic else clinics)])
        providers = by_provider(rows)
    if request.GET.get("csv"):
        wanted = request.GET["csv"]
        found = next((p for p in providers if p.name == wanted), None)
        if found is None and wanted not in base.PROVIDERS:
            raise Http404("No such provider.")
        if day is not None:
            table = found.table if found else _table(wanted, wanted, [])
            return csv_response(table, filename=f"takings-{wanted}-{day:%Y-%m-%d}.csv")
    where = clinic.name if clinic else "All your clinics"
    query = request.GET.copy()
    query.pop("csv", None)
    context = {
        **admin.site.each_context(request),
        "title": f"Takings: {where}, {desk_day(day)}" if day else "Takings",
        "form": form if form.is_bound else TakingsForm(initial={"day": day}),
        "day": day,
        "day_shown": desk_day(day) if day else "",
        "clinics": clinics,
        "clinic": clinic,
        "where": where,
        "providers": [(p, rows_of(p.table, for_csv=False)) for p in providers],
        "query": query.urlencode(),
    }
    return render(request, "admin/bookings/takings.html", context)
