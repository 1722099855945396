"""
Who owes a deposit to book online, and how much: a clinic's active rule for the session type
(bookings.models.DepositRule), applied to the person's history as the booking service counts it.
With no provider configured nothing is owed, whatever the rules say: a patient is never asked
for money the site can't take (and `check --deploy` refuses that setup: bookings.checks).
"""

from bookings.models import DepositRule, DepositWhen, SessionType
from bookings.payments import base


def deposit_for(*, clinic_id: int, session_type: SessionType, first_visit: bool, no_shows: int) -> int:
    """
    Return the deposit in rupees that booking `session_type` at the clinic online asks of a
    person (0: none): `first_visit` if they have never attended, `no_shows` as the online
    limits count them (since reception last reset the count).
    """
    if not base.configured():
        return 0  # asked first: without a provider a booking reads no rule (one statement fewer)
    rule = DepositRule.objects.active().filter(clinic_id=clinic_id, session_type=session_type).first()
    if rule is None or not applies(rule, first_visit=first_visit, no_shows=no_shows):
        return 0
    return rule.amount_for(session_type)


def rules_shown(*, clinic_id: int) -> list[DepositRule]:
    """The clinic's active rules, for the booking form to say before booking (none without a provider: no query)."""
    if not base.configured():
        return []
    return list(DepositRule.objects.active().filter(clinic_id=clinic_id, session_type__is_active=True)
                .select_related("session_type").order_by("session_type__order"))  # fmt: skip


def applies(rule: DepositRule, *, first_visit: bool, no_shows: int) -> bool:
    if rule.when == DepositWhen.FIRST_VISIT:
        return first_visit
    if rule.when == DepositWhen.AFTER_NO_SHOWS:
        return no_shows >= rule.no_shows
    return True
