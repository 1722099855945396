"""
The one interface every payment provider speaks. A provider is one module of this package
(jazzcash.py, safepay.py) with one class that implements `Provider`; PROVIDERS names them,
and a provider is on offer once its settings are filled in (`configured()`).

A provider never touches the database and knows nothing of bookings: it turns our payment's
reference and amount into a hosted checkout, checks the provider's documented signature on
whatever comes back (the patient's browser returning, a server-to-server notification, a
status inquiry's answer) and speaks the provider's refund and status APIs over HTTP with
`requests`. The booking part (bookings.booking.deposits) decides what an answer means.

Amounts cross this interface in paisa (integer, 100 to the rupee), as the providers ask.
"""

import dataclasses
import importlib
import logging

logger = logging.getLogger("bookings.payments")

# The providers this site can speak, in the order a patient is offered them.
PROVIDERS = {
    "jazzcash": "bookings.payments.jazzcash.JazzCash",
    "safepay": "bookings.payments.safepay.Safepay",
}

TIMEOUT = 15  # seconds, for every call to a provider's API


class PaymentError(Exception):
    """A provider's API could not be reached or refused the request (network, 5xx, a refusal code)."""


class SignatureError(PaymentError):
    """What came back is not signed as the provider signs it: forged, altered, or for another merchant."""


@dataclasses.dataclass(frozen=True)
class Checkout:
    """
    Where the patient's browser goes to pay: `url` with `method` ("POST": an HTML form of
    `fields`, as hosted checkouts ask; "GET": a link, `fields` empty). `provider_ref` is the
    provider's own id for the payment when it hands one out at checkout (Safepay's tracker).
    """

    url: str
    method: str = "POST"
    fields: dict[str, str] = dataclasses.field(default_factory=dict)
    provider_ref: str = ""


@dataclasses.dataclass(frozen=True)
class Outcome:
    """
    What a provider says about one payment, its signature checked: our `reference`, the
    provider's `provider_ref`, the `amount_paisa` it reports, and `state`: PAID (the money is
    taken), FAILED (declined, cancelled, expired: it never will be) or PENDING (not known yet).
    """

    PAID = "paid"
    FAILED = "failed"
    PENDING = "pending"

    reference: str
    provider_ref: str
    amount_paisa: int
    state: str
    detail: str = ""  # the provider's own code and message, for the log


class Provider:
    """The interface. Each method raises PaymentError (SignatureError for a bad signature)."""

    name = ""  # the key in PROVIDERS, stored on each payment
    label = ""  # what a patient reads on the button: "JazzCash"

    def configured(self) -> bool:
        """Return whether every setting this provider needs is filled in."""
        raise NotImplementedError

    def form_origins(self) -> list[str]:
        """Return the origins the checkout form posts or links to (the CSP's form-action)."""
        raise NotImplementedError

    def checkout(
        self, *, reference: str, amount_paisa: int, description: str, return_url: str, language: str, expires_at
    ) -> Checkout:
        """
        Return the hosted checkout for our payment `reference` of `amount_paisa`, which sends
        the patient back to `return_url` (an absolute URL) and expires at `expires_at` (aware).
        """
        raise NotImplementedError

    def read_return(self, data: dict[str, str]) -> Outcome:
        """Check and read what the patient's browser brings back to the return URL (POST or GET fields)."""
        raise NotImplementedError

    def read_notification(self, *, body: bytes, headers: dict[str, str]) -> Outcome | None:
        """
        Check and read a server-to-server notification (webhook, IPN); None for a notification
        about something else (a kind this site does not act on).
        """
        raise NotImplementedError

    def notification_answer(self, outcome: Outcome | None) -> tuple[int, str, str]:
        """Return the (status, content type, body) the provider expects in answer to a notification."""
        return 200, "text/plain", "ok"

    def inquire(self, *, reference: str, provider_ref: str) -> Outcome:
        """Ask the provider's status inquiry API what became of a payment (a lost callback)."""
        raise NotImplementedError

    def refund(self, *, reference: str, provider_ref: str, amount_paisa: int) -> str:
        """Refund `amount_paisa` of a paid payment in full; return the provider's reference for the refund."""
        raise NotImplementedError


def get(name: str) -> Provider:
    """Return the provider called `name` (a key of PROVIDERS); KeyError for any other."""
    module, _, cls = PROVIDERS[name].rpartition(".")
    return getattr(importlib.import_module(module), cls)()


def configured() -> list[Provider]:
    """Return the providers whose settings are filled in, in PROVIDERS' order."""
    return [provider for provider in map(get, PROVIDERS) if provider.configured()]


def to_paisa(pkr: int) -> int:
    return pkr * 100
