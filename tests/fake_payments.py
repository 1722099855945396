"""
An in-process provider for the deposit rules' tests (bookings.booking.deposits): it signs
nothing and calls nothing, and remembers what it was asked. The providers' own signatures and
HTTP are tested against their stand-ins (tests/jazzcash_standin.py, tests/safepay_standin.py).
"""

import pytest

from bookings.payments import base


class FakeProvider(base.Provider):
    name = "fake"
    label = "Fake Pay"
    checkouts: list[dict] = []
    refunds: list[tuple[str, int]] = []
    paid: dict[str, int] = {}  # reference -> paisa, what an inquiry reports
    refuse_refunds = False

    def configured(self) -> bool:
        return True

    def form_origins(self) -> list[str]:
        return ["https://pay.example"]

    def checkout(self, *, reference, amount_paisa, description, return_url, language, expires_at) -> base.Checkout:
        FakeProvider.checkouts.append({"reference": reference, "amount_paisa": amount_paisa, "return_url": return_url})
        return base.Checkout(url="https://pay.example/checkout", fields={"ref": reference, "amount": str(amount_paisa)})

    def read_return(self, data):
        return paid(data["ref"], int(data["amount"]))

    def read_notification(self, *, body, headers):
        return None

    def inquire(self, *, reference, provider_ref) -> base.Outcome:
        if reference in FakeProvider.paid:
            return paid(reference, FakeProvider.paid[reference])
        return base.Outcome(reference=reference, provider_ref="", amount_paisa=0, state=base.Outcome.PENDING)

    def refund(self, *, reference, provider_ref, amount_paisa) -> str:
        if FakeProvider.refuse_refunds:
            raise base.PaymentError("refused")
        FakeProvider.refunds.append((reference, amount_paisa))
        return f"RF-{reference}"


def paid(reference: str, amount_paisa: int, state: str = base.Outcome.PAID) -> base.Outcome:
    return base.Outcome(reference=reference, provider_ref=f"T-{reference}", amount_paisa=amount_paisa, state=state)


@pytest.fixture
def fake_provider(monkeypatch):
    """The only provider on offer: FakeProvider."""
    monkeypatch.setattr(base, "PROVIDERS", {"fake": "tests.fake_payments.FakeProvider"})
    FakeProvider.checkouts, FakeProvider.refunds, FakeProvider.paid = [], [], {}
    FakeProvider.refuse_refunds = False
    return FakeProvider
