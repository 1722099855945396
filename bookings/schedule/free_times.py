"""
The table of free times (bookings.models.FreeTime): the availability policy's answer, stored,
so that the lists patients are shown (a clinic's day, the next free day, the team, the waitlist's
matches, the next-session offer) read an index instead of the policy's subqueries.

This module owns the table. A row stands for a slot still ahead that is on sale (the policy's
`on_sale`: not blocked, no leave, no closure, therapist and clinic active) and that no booking
holds for good; `free_from` is the end of the hold (a waitlist offer, a deposit) that keeps it,
if one does. The policy stays the one place that decides: `refresh` asks it and stores its answer,
and every service that frees or takes a time calls `refresh` (or, where the answer is certain,
one of the one-statement shortcuts below) inside its own transaction. What depends on the time
(passed, notice, window, a hold ending) is left to the read, `free`, which asks the policy's
`out_of_time` too.

A slot that has begun keeps whatever row it had: every read starts after now. A deleted slot
takes its row with it (the foreign key cascades).
"""

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from bookings.models import ACTIVE_STATUSES, Booking, BookingStatus, FreeTime, Slot
from bookings.schedule import availability
from bookings.schedule.availability import Channel


def free(*, now: dt.datetime | None = None) -> QuerySet[FreeTime]:
    """Return the rows of the times a patient can book online at `now`: the table, read by the online rules."""
    now = now or timezone.now()
    rows = FreeTime.objects.exclude(availability.out_of_time(channel=Channel.ONLINE, now=now))
    return rows.filter(Q(free_from__isnull=True) | Q(free_from__lte=now))


@transaction.atomic
def refresh(*, slots: Q) -> int:
    """
    Replace the rows of the slots that match `slots` (a condition on Slot) with the availability
    policy's answer for those still ahead. Those are locked first, as a booking locks its slot:
    a booking of one of them has committed before the answer is read, or waits for it. Return
    how many rows were written.
    """
    scope = Slot.objects.filter(slots, starts_at__gt=timezone.now())
    list(scope.select_for_update(of=("self",)).order_by("pk").values_list("pk"))
    # Every matching slot's row goes, begun or not: a slot moved into the past leaves none behind.
    FreeTime.objects.filter(slot__in=Slot.objects.filter(slots).values("pk")).delete()
    active = Booking.objects.filter(slot=OuterRef("pk"), status__in=ACTIVE_STATUSES)
    answer = (
        availability.on_sale()
        .filter(pk__in=scope.values("pk"))
        .exclude(Exists(active.exclude(status=BookingStatus.HELD)))
        .annotate(free_from=Subquery(active.values("held_until")[:1]))
        .order_by()
        .values_list("pk", "clinic_id", "physiotherapist_id", "starts_at", "free_from")
    )
    rows = [
        FreeTime(slot_id=pk, clinic_id=clinic_id, physiotherapist_id=therapist_id, starts_at=starts_at, free_from=until)
        for pk, clinic_id, therapist_id, starts_at, until in answer
    ]
    FreeTime.objects.bulk_create(rows, batch_size=500)
    return len(rows)


# The shortcuts: one statement each, for a change whose answer is certain. The booking POST's
# budget is one statement of upkeep.


def taken(*, slot_id: int) -> None:
    """A booking holds the slot for good (booked, a hold confirmed): it is no longer free."""
    FreeTime.objects.filter(slot_id=slot_id).delete()


def held(*, slot_id: int, until: dt.datetime) -> None:
    """A hold keeps the slot until `until` (it was on sale: the hold was booked by the policy's rules)."""
    FreeTime.objects.filter(slot_id=slot_id).update(free_from=until)


def released(*, slot_id: int) -> None:
    """The slot's hold lapsed or was let go: free at once if it is on sale (it has a row then), else still not."""
    FreeTime.objects.filter(slot_id=slot_id).update(free_from=None)
