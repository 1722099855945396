"""
PLACEHOLDER, to be replaced by the outbox (the Message model and its worker).

The webhooks (bookings.webhooks) hand what the providers report to the two functions below.
Until the outbox exists they only log at debug level and return: a webhook must answer 200
whatever happens here, so they must not raise.
"""

import logging

from bookings.channels import InboundEvent, StatusEvent

logger = logging.getLogger(__name__)


def apply_statuses(events: list[StatusEvent]) -> None:
    """PLACEHOLDER: apply delivery statuses to the outbox's messages (by provider_id). Does nothing yet."""
    logger.debug("Outbox placeholder: %d delivery status(es) not applied", len(events))


def handle_inbound(events: list[InboundEvent]) -> None:
    """PLACEHOLDER: act on patients' messages (quick replies, STOP). Does nothing yet."""
    logger.debug("Outbox placeholder: %d incoming message(s) not handled", len(events))
