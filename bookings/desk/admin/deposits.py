"""
Deposits at the desk: the clinics' deposit rules, a booking's deposit on its page (what is left
to pay, its payments and its ledger, read-only) with the two things the desk does to a deposit
(waive it, refund it: each asks why), and the payments list with the refunds left for the desk.
Nothing about a payment is edited by hand: the services change it (bookings.booking.deposits, .money).
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from simple_history.admin import SimpleHistoryAdmin

from bookings import errors
from bookings.booking import deposits, money
from bookings.desk import selectors
from bookings.desk.admin.common import (
    BookingRecordsMixin,
    ClinicScopeMixin,
    ScopedHistoryMixin,
    ScopedRelatedFilter,
)
from bookings.desk.forms import DepositNoteForm, DepositRuleForm
from bookings.models import (
    DepositRule,
    DepositStatus,
    DepositWhen,
    Payment,
    PaymentStatus,
    format_pkr,
)
from bookings.payments import base as payment_providers
from bookings.timeutils import desk_day


def provider_label(name: str) -> str:
    """Return a provider's name as the desk reads it ("JazzCash"), or the stored key of one no longer set up."""
    try:
        return payment_providers.get(name).label
    except KeyError:
        return name


def _at(moment) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{desk_day(local)}, {local:%H:%M}"


def _table(headings: list[str], rows) -> str:
    head = format_html_join("", '<th scope="col">{}</th>', ((heading,) for heading in headings))
    body = format_html_join(
        "", "<tr>{}</tr>", ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),) for row in rows)
    )
    return format_html('<table class="booking-money"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, body)


# The rules ----------------------------------------------------------------------------------------


@admin.register(DepositRule)
class DepositRuleAdmin(ClinicScopeMixin, ScopedHistoryMixin, SimpleHistoryAdmin):
    """
    Which session types a clinic asks a deposit for online. Clinic managers set them; a
    receptionist sees their clinics' rules (to tell a caller why they were asked), as they see
    the weekly hours and closures, and changes none.
    """

    form = DepositRuleForm
    list_display = ["clinic", "session_type", "when", "no_shows_shown", "amount", "is_active"]
    list_filter = [("clinic", ScopedRelatedFilter), "session_type", "when", "is_active"]
    list_select_related = ["clinic", "session_type"]
    search_fields = ["clinic__name", "session_type__name"]
    fieldsets = [
        (None, {"fields": ["clinic", "session_type", "is_active"]}),
        (
            "Who is asked",
            {
                "fields": ["when", "no_shows"],
                "description": "Only patients booking online: the desk books a caller or a walk-in without one.",
            },
        ),
        (
            "How much",
            {
                "fields": ["amount_pkr"],
                "description": "It counts towards the fee at the desk. A patient who cancels before the cut-off, "
                "or whose session the clinic cancels, gets it back by itself; a late cancellation or a no-show "
                "keeps it (the desk can refund it).",
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(clinic__in=selectors.clinics_for(request.user))

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and not payment_providers.configured():
            self.message_user(
                request,
                "No payment provider is set up, so no rule asks anybody for a deposit (README, Deposits).",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description="no-shows")
    def no_shows_shown(self, rule):
        return f"{rule.no_shows} or more" if rule.when == DepositWhen.AFTER_NO_SHOWS else "–"

    @admin.display(description="amount", ordering="amount_pkr")
    def amount(self, rule):
        return (
            format_pkr(rule.amount_pkr) if rule.amount_pkr else f"Whole fee ({format_pkr(rule.session_type.price_pkr)})"
        )


# A booking's deposit -------------------------------------------------------------------------------


class BookingDepositMixin:
    """
    The booking page's "Fee and deposit" (read-only) and its two deposit actions, each a page
    that asks why and then calls the service: `waive` for a time held for its deposit
    (deposits.deposit_waive), `refund` for a deposit kept or paid (money.desk_refund). Each needs
    change_booking and a booking of the user's clinics (get_queryset: another's is 404).
    """

    deposit_fields = ["deposit_summary", "to_pay", "deposit_payments", "deposit_ledger"]

    @admin.display(description="deposit")
    def deposit_summary(self, booking):
        if not booking.deposit_status:
            return "No deposit (booked at the desk, or none was asked)."
        text = f"{format_pkr(booking.deposit_pkr)}: {booking.get_deposit_status_display()}"
        if booking.deposit_status == DepositStatus.OWED and booking.held_until is not None:
            text += f", the time is held for it until {_at(booking.held_until)}"
        return text

    @admin.display(description="to pay at the clinic")
    def to_pay(self, booking):
        fee = booking.session_type.price_pkr
        if booking.to_pay_at_clinic == fee:
            return f"{format_pkr(fee)}, the whole fee"
        return f"{format_pkr(booking.to_pay_at_clinic)}: the fee of {format_pkr(fee)} less the deposit paid online"

    @admin.display(description="payments")
    def deposit_payments(self, booking):
        payments = list(booking.payments.order_by("created_at", "pk"))
        if not payments:
            return "None."
        rows = [
            (
                _at(p.created_at), provider_label(p.provider), p.reference, p.provider_ref or "–",
                format_pkr(p.amount_pkr), p.get_status_display(), _at(p.paid_at), _at(p.refunded_at),
            )
            for p in payments
        ]  # fmt: skip
        headings = ["Started", "Provider", "Our reference", "Provider's reference", "Amount", "Status", "Paid at",
                    "Refunded at"]  # fmt: skip
        return _table(headings, rows)

    @admin.display(description="money events")
    def deposit_ledger(self, booking):
        events = list(booking.money_events.select_related("by").order_by("at", "pk"))
        if not events:
            return "None."
        rows = [
            (
                _at(e.at), e.get_kind_display(), format_pkr(e.amount_pkr),
                (e.by.get_full_name() or e.by.get_username()) if e.by else "The site", e.note,
            )
            for e in events
        ]  # fmt: skip
        return _table(["When", "What", "Amount", "By", "Why"], rows)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        booking = self.get_object(request, unquote(object_id))
        may = booking is not None and request.user.has_perm("bookings.change_booking")
        extra_context = {
            **(extra_context or {}),
            "can_waive_deposit": may and deposits.waive_refusal(booking, now=timezone.now()) is None,
            "can_refund_deposit": may and money.desk_refund_refusal(booking) is None,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/waive-deposit/", view(self.waive_deposit_view), name="bookings_booking_waive_deposit"
            ),
            path(
                "<path:object_id>/refund-deposit/",
                view(self.refund_deposit_view),
                name="bookings_booking_refund_deposit",
            ),
            *super().get_urls(),
        ]

    def waive_deposit_view(self, request, object_id):
        """Ask why; on POST, book the held time without its deposit (the patient is told)."""

        def waive(booking, note):
            confirmed = deposits.deposit_waive(booking=booking, by=request.user, note=note)
            return f"{confirmed.name}: deposit waived. The booking is confirmed and the patient is told."

        return self._deposit_action(
            request, object_id, kind="waive", title="Waive the deposit", act=waive,
            refusal=lambda booking: deposits.waive_refusal(booking, now=timezone.now()),
        )  # fmt: skip

    def refund_deposit_view(self, request, object_id):
        """Ask why; on POST, mark the deposit for refunding (the worker asks the provider, the patient is told)."""

        def refund(booking, note):
            money.desk_refund(booking=booking, by=request.user, note=note, now=timezone.now())
            return (
                f"{booking.name}: the deposit of {format_pkr(booking.deposit_pkr)} is to be refunded. "
                "The patient is told once the provider has returned it."
            )

        return self._deposit_action(
            request, object_id, kind="refund", title="Refund the deposit", act=refund,
            refusal=money.desk_refund_refusal,
        )  # fmt: skip

    def _deposit_action(self, request, object_id, *, kind, title, act, refusal):
        if not request.user.has_perm("bookings.change_booking"):
            raise PermissionDenied
        booking = self.get_object(request, unquote(object_id))
        if booking is None:
            raise Http404(f"No booking #{object_id}.")
        back = reverse("admin:bookings_booking_change", args=[booking.pk])
        target = request.POST.get("next") or request.GET.get("next") or ""
        if url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = target  # the schedule the desk came from
        form = DepositNoteForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                done = act(booking, form.cleaned_data["note"])
            except errors.BookingError as exc:
                self.message_user(request, f"{booking.name}: {exc}", messages.ERROR)
            else:
                self.message_user(request, done, messages.SUCCESS)
            return HttpResponseRedirect(back)
        if not form.is_bound and (why_not := refusal(booking)):
            self.message_user(request, f"{booking.name}: {why_not}", messages.ERROR)
            return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{title}: booking {booking.reference}",
            "kind": kind,
            "action": title,
            "booking": booking,
            "form": form,
            "back": back,
        }
        return TemplateResponse(
            request, "admin/bookings/booking/deposit_action.html", context, status=400 if form.errors else 200
        )


# Payments ----------------------------------------------------------------------------------------


class ProviderFilter(admin.SimpleListFilter):
    """By provider, named as the desk reads them (the providers this site speaks: no query)."""

    title = "provider"
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        return [(name, provider_label(name)) for name in payment_providers.PROVIDERS]

    def queryset(self, request, queryset):
        return queryset.filter(provider=self.value()) if self.value() else queryset


class RefundStuckFilter(admin.SimpleListFilter):
    """The refunds the provider refused every time the worker asked: left for the desk to look into."""

    title = "refund"
    parameter_name = "refund"

    def lookups(self, request, model_admin):
        return [("stuck", f"Stuck (refused {deposits.MAX_REFUND_ATTEMPTS} times)")]

    def queryset(self, request, queryset):
        if self.value() == "stuck":
            refused = Q(status=PaymentStatus.REFUND_DUE, refund_attempts__gte=deposits.MAX_REFUND_ATTEMPTS)
            # Asked of the provider and never answered (the worker died in between): for the desk to check.
            unanswered = Q(status=PaymentStatus.REFUNDING, updated_at__lt=timezone.now() - deposits.REFUND_ANSWER_WAIT)
            return queryset.filter(refused | unanswered)
        return queryset


@admin.register(Payment)
class PaymentAdmin(BookingRecordsMixin, ScopedHistoryMixin, SimpleHistoryAdmin):
    """
    Every attempt to pay a deposit, read-only, for the bookings of the user's clinics (seen with
    view_booking, as the outbox is). The one thing the desk does here: give a stuck refund to the
    worker again (deposits.refund_retry), which is recorded in the payment's history.
    """

    list_display = [
        "created_at", "reference", "booking_link", "clinic", "provider_shown", "amount", "status", "paid_at",
        "refunded_at", "refund_attempts", "last_error",
    ]  # fmt: skip
    list_filter = [ProviderFilter, "status", RefundStuckFilter]
    list_select_related = ["booking__slot__clinic"]
    search_fields = ["reference", "provider_ref", "booking__reference"]
    date_hierarchy = "created_at"
    actions = ["refund_retry"]
    list_per_page = 100
    fields = [
        "booking", "provider", "reference", "provider_ref", "amount_pkr", "status", "created_at", "paid_at",
        "refund_ref", "refund_attempts", "last_error", "refunded_at", "updated_at",
    ]  # fmt: skip
    readonly_fields = fields

    def has_retry_refund_permission(self, request):
        # As the desk's own refund (change_booking): it moves no money, the provider is only asked again.
        return request.user.has_perm("bookings.change_booking")

    @admin.display(description="booking", ordering="booking__reference")
    def booking_link(self, payment):
        url = reverse("admin:bookings_booking_change", args=[payment.booking_id])
        return format_html('<a href="{}">{}</a>', url, payment.booking.reference)

    @admin.display(description="clinic", ordering="booking__slot__clinic__name")
    def clinic(self, payment):
        return payment.booking.slot.clinic.name

    @admin.display(description="provider", ordering="provider")
    def provider_shown(self, payment):
        return provider_label(payment.provider)

    @admin.display(description="amount", ordering="amount_pkr")
    def amount(self, payment):
        return format_pkr(payment.amount_pkr)

    @admin.action(description="Try the refund again", permissions=["retry_refund"])
    def refund_retry(self, request, queryset):
        now, done, refused = timezone.now(), 0, []
        for payment in queryset:
            try:
                deposits.refund_retry(payment=payment, by=request.user, now=now)
                done += 1
            except errors.BookingError as exc:
                refused.append(f"{payment.reference}: {exc}")
        if done:
            self.message_user(
                request,
                f"{done} refund(s) will be tried again now; each is in its payment's history.",
                messages.SUCCESS,
            )
        for line in refused:
            self.message_user(request, line, messages.WARNING)
