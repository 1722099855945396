"""
The deposits measure (bookings.reports.selectors.deposits) against a small ledger counted by hand
from its docstring's definition: the hand count is written beside each assert. The ledger's rows
are written directly, each at the time it says, as the deposit services would have written them.

The period is Mon 2 to Sun 8 Nov 2026 (Karachi).
"""

import datetime as dt

import pytest

from bookings.models import MoneyEvent, MoneyKind
from bookings.reports import selectors
from bookings.reports.periods import Period
from bookings.reports.selectors import Scope
from bookings.timeutils import at
from tests.factories import BookingFactory, ClinicFactory, PhysiotherapistFactory, SlotFactory

pytestmark = pytest.mark.django_db

D = dt.date
P = Period(D(2026, 11, 2), D(2026, 11, 8))
TUESDAY = D(2026, 11, 3)


@pytest.fixture
def clinic():
    return ClinicFactory()


@pytest.fixture
def physio():
    return PhysiotherapistFactory()


@pytest.fixture
def scope(clinic):
    return Scope(clinic_ids=(clinic.pk,))


@pytest.fixture
def booking(clinic, physio):
    """A booking at the scope's clinic, each an hour after the last; its session's time says nothing of its money's."""
    hours = iter(range(24 * 30))

    def make(**kwargs):
        starts = at(D(2026, 12, 1), dt.time(0)) + dt.timedelta(hours=next(hours))
        kwargs.setdefault("clinic", clinic)
        kwargs.setdefault("physiotherapist", physio)
        return BookingFactory(slot=SlotFactory(starts_at=starts, ends_at=starts + dt.timedelta(minutes=45), **kwargs))

    return make


def event(booking, kind, amount_pkr, when):
    return MoneyEvent.objects.create(booking=booking, kind=kind, amount_pkr=amount_pkr, at=when)


def test_nothing_in_the_ledger_is_all_zeros(scope):
    d = selectors.deposits(scope=scope, period=P)
    assert (d.paid, d.paid_pkr, d.refunded, d.refunded_pkr, d.kept, d.kept_pkr, d.waived, d.net_pkr) == (
        0, 0, 0, 0, 0, 0, 0, 0,
    )  # fmt: skip


def test_paid_refunded_kept_and_waived_are_counted_from_the_ledger(booking, scope):
    noon = at(TUESDAY, dt.time(12))
    paid_then_refunded, paid_then_kept, paid_and_counted = booking(), booking(), booking()
    event(paid_then_refunded, MoneyKind.PAID, 1000, noon)
    event(paid_then_refunded, MoneyKind.REFUND_DUE, 1000, noon)  # asked for: not yet money back
    event(paid_then_refunded, MoneyKind.REFUNDED, 1000, noon + dt.timedelta(minutes=5))
    event(paid_then_kept, MoneyKind.PAID, 1500, noon)
    event(paid_then_kept, MoneyKind.KEPT, 1500, noon + dt.timedelta(days=1))  # a no-show
    event(paid_and_counted, MoneyKind.PAID, 2000, noon)
    event(paid_and_counted, MoneyKind.COUNTED, 2000, noon + dt.timedelta(days=2))  # attended: not a measure here
    event(booking(), MoneyKind.WAIVED, 1000, noon)  # the desk booked it without: no money
    d = selectors.deposits(scope=scope, period=P)
    assert (d.paid, d.paid_pkr) == (3, 4500)  # 1,000 + 1,500 + 2,000
    assert (d.refunded, d.refunded_pkr) == (1, 1000)  # the refund done, not the one asked for
    assert (d.kept, d.kept_pkr) == (1, 1500)
    assert d.waived == 1
    assert d.net_pkr == 3500  # 4,500 paid less 1,000 refunded


def test_a_deposit_paid_twice_counts_both_payments_and_the_refund_of_the_second(booking, scope):
    noon = at(TUESDAY, dt.time(12))
    twice = booking()
    event(twice, MoneyKind.PAID, 1000, noon)
    event(twice, MoneyKind.PAID, 1000, noon + dt.timedelta(minutes=1))  # a second tab
    event(twice, MoneyKind.REFUND_DUE, 1000, noon + dt.timedelta(minutes=1))
    event(twice, MoneyKind.REFUNDED, 1000, noon + dt.timedelta(minutes=2))
    d = selectors.deposits(scope=scope, period=P)
    assert (d.paid, d.paid_pkr, d.refunded, d.refunded_pkr, d.net_pkr) == (2, 2000, 1, 1000, 1000)


def test_the_period_edges_are_karachi_days_of_the_events_time(booking, scope):
    b = booking()
    event(b, MoneyKind.PAID, 100, at(D(2026, 11, 1), dt.time(23, 59)))  # Sunday before: out
    event(b, MoneyKind.PAID, 200, at(D(2026, 11, 2), dt.time(0, 0)))  # Monday's first minute: in
    event(b, MoneyKind.PAID, 400, at(D(2026, 11, 8), dt.time(23, 59)))  # Sunday's last minute: in
    event(b, MoneyKind.PAID, 800, at(D(2026, 11, 9), dt.time(0, 0)))  # the Monday after: out
    # 19:30 UTC on Sunday 8 Nov is 00:30 on Monday 9 Nov in Karachi: out.
    event(b, MoneyKind.REFUNDED, 200, dt.datetime(2026, 11, 8, 19, 30, tzinfo=dt.UTC))
    d = selectors.deposits(scope=scope, period=P)
    assert (d.paid, d.paid_pkr) == (2, 600)  # 200 + 400
    assert d.refunded == 0


def test_the_period_is_the_money_s_not_the_session_s(clinic, physio, scope):
    """A deposit paid in the period for a session in another one counts in the period it was paid in."""
    starts = at(D(2026, 10, 1), dt.time(10))
    long_ago = BookingFactory(
        slot=SlotFactory(
            clinic=clinic, physiotherapist=physio, starts_at=starts, ends_at=starts + dt.timedelta(hours=1)
        )
    )
    event(long_ago, MoneyKind.REFUNDED, 1000, at(TUESDAY, dt.time(12)))  # refunded by the desk weeks later
    assert selectors.deposits(scope=scope, period=P).refunded_pkr == 1000


def test_scope_other_clinics_and_the_therapist_filter(booking, clinic, physio, scope):
    noon = at(TUESDAY, dt.time(12))
    event(booking(), MoneyKind.PAID, 1000, noon)
    event(booking(physiotherapist=PhysiotherapistFactory()), MoneyKind.PAID, 2000, noon)  # a colleague's
    event(booking(clinic=ClinicFactory()), MoneyKind.PAID, 4000, noon)  # another clinic: never counted
    assert selectors.deposits(scope=scope, period=P).paid_pkr == 3000  # this clinic's two therapists
    mine = Scope(clinic_ids=(clinic.pk,), physiotherapist_id=physio.pk)
    assert selectors.deposits(scope=mine, period=P).paid_pkr == 1000


def test_a_no_show_corrected_to_attended_is_not_counted_kept(db):
    """The review: the ledger kept the no-show's KEPT row, and the report counted the money as kept."""
    import datetime as dt

    from django.utils import timezone

    from bookings.booking import money, services
    from bookings.reports.periods import Period
    from bookings.reports.selectors import Scope, deposits
    from tests.factories import BookingFactory, SessionTypeFactory, SlotFactory

    slot = SlotFactory(starts_at=timezone.now() - dt.timedelta(hours=3), ends_at=timezone.now() - dt.timedelta(hours=2))
    booking = BookingFactory(slot=slot, session_type=SessionTypeFactory(price_pkr=4500), deposit_pkr=1000,
                             deposit_status="paid")  # fmt: skip
    money.record(booking=booking, kind="paid", amount_pkr=1000, now=timezone.now() - dt.timedelta(days=1))
    services.booking_mark_no_show(booking=booking)
    services.booking_mark_attended(booking=booking)
    today = timezone.localtime().date()
    figures = deposits(scope=Scope(clinic_ids=[slot.clinic_id]), period=Period(today - dt.timedelta(days=7), today))
    assert (figures.kept, figures.kept_pkr) == (0, 0)
    assert (figures.paid, figures.paid_pkr) == (1, 1000)
