"""
Every htmx swap keeps to the Content-Security-Policy (no unsafe-inline, no unsafe-eval), in
Chromium, in both languages: a clinic's day is the one page that swaps with htmx (its day strip,
its "next free day" button, its therapist filters, and Back through the days it pushed). Each swap
is awaited by htmx's own event, and the page must log no CSP violation and no console error.
"""

import datetime as dt

import pytest
from django.utils import timezone

from bookings.timeutils import at
from tests.factories import ClinicFactory, PhysiotherapistFactory, SessionTypeFactory, SlotFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("shipped_content")]

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber}) ${e.sample}`));
"""


@pytest.fixture
def watched_page(phone_page):
    """A phone's page that records CSP violations and console errors from its first byte."""
    phone_page.add_init_script(WATCH)
    phone_page.errors = []
    phone_page.on("console", lambda m: m.type == "error" and phone_page.errors.append(f"{m.text} {m.location}"))
    phone_page.on("pageerror", lambda e: phone_page.errors.append(str(e)))
    return phone_page


@pytest.fixture
def day():
    """A day two days on with a free time at Clifton."""
    SessionTypeFactory()
    day = timezone.localdate() + dt.timedelta(days=2)
    SlotFactory(clinic=ClinicFactory(name="Clifton", slug="clifton"), starts_at=at(day, dt.time(11)))
    return day


def swap(page, event: str, action) -> None:
    """Do `action` and wait until htmx has finished the swap it starts (its `event` on the body)."""
    page.evaluate(
        "(event) => { window.__swapped = false;"
        " document.body.addEventListener(event, () => { window.__swapped = true }, {once: true}) }",
        event,
    )
    action()
    page.wait_for_function("() => window.__swapped", timeout=10_000)


@pytest.mark.parametrize("prefix", ["", "/ur"], ids=["en", "ur"])
def test_every_htmx_swap_keeps_to_the_csp(live_server, watched_page, prefix):
    SessionTypeFactory()
    clinic = ClinicFactory(name="Clifton", slug="clifton")
    sana = PhysiotherapistFactory(name="Dr. Sana Malik", slug="sana-malik", gender="female")
    hamza = PhysiotherapistFactory(name="Dr. Hamza Qureshi", slug="hamza-qureshi", gender="male")
    empty_day = timezone.localdate() + dt.timedelta(days=1)
    free_day = empty_day + dt.timedelta(days=2)
    SlotFactory(clinic=clinic, physiotherapist=sana, starts_at=at(free_day, dt.time(11)))
    SlotFactory(clinic=clinic, physiotherapist=hamza, starts_at=at(free_day, dt.time(12)))
    page = watched_page
    page.goto(f"{live_server.url}{prefix}/book/clifton/?date={empty_day:%Y-%m-%d}")
    page.evaluate("window.__sameDocument = true")

    swap(page, "htmx:afterSettle", lambda: page.locator(".no-times a.btn-primary").click())  # the next free day
    assert page.locator("a.time").count() == 2
    swap(page, "htmx:afterSettle", lambda: page.locator(f"a.day[href*='{empty_day:%Y-%m-%d}']").click())
    assert page.locator("a.time").count() == 0
    swap(page, "htmx:afterSettle", lambda: page.locator(f"a.day[href*='{free_day:%Y-%m-%d}']").click())
    swap(page, "htmx:afterSettle", lambda: page.select_option("#gender", "male"))
    assert page.locator("a.time").all_inner_texts() == [page.locator("a.time").first.inner_text()]
    swap(page, "htmx:afterSettle", lambda: page.select_option("#physio", "hamza-qureshi"))
    assert "physio=hamza-qureshi" in page.url
    swap(page, "htmx:historyRestore", page.go_back)
    assert "physio=hamza-qureshi" not in page.url

    assert page.evaluate("window.__sameDocument"), "a swap loaded a whole page: htmx did not swap"
    assert page.evaluate("window.__cspViolations") == []
    assert page.errors == []


def test_back_to_a_day_htmx_no_longer_holds_shows_the_whole_page(live_server, watched_page, day):
    """htmx keeps 10 days; Back beyond them (here: it keeps none) asks the server for the page."""
    page = watched_page
    page.goto(f"{live_server.url}/book/clifton/")
    page.evaluate("htmx.config.historyCacheSize = 0")
    swap(page, "htmx:afterSettle", lambda: page.locator(f"a.day[href*='{day:%Y-%m-%d}']").click())
    swap(page, "htmx:historyRestore", page.go_back)
    assert page.locator("header.site-header").count() == 1 and page.locator("footer").count() == 1
    assert page.locator("#day-times").count() == 1
    assert page.evaluate("window.__cspViolations") == [] and page.errors == []


def test_back_from_the_booking_form_to_a_swapped_day_shows_the_whole_page(live_server, watched_page, day):
    """The browser keeps the day's htmx answer under the day's address: Back must not show it as the page."""
    page = watched_page
    page.goto(f"{live_server.url}/book/clifton/")
    swap(page, "htmx:afterSettle", lambda: page.locator(f"a.day[href*='{day:%Y-%m-%d}']").click())
    page.locator("a.time").first.click()
    page.wait_for_url("**/book/slot/**")
    page.go_back()
    page.wait_for_url(f"**date={day:%Y-%m-%d}*")
    page.locator("#day-times").wait_for()
    assert page.locator("header.site-header").count() == 1 and page.locator("footer").count() == 1
    assert page.evaluate("window.__cspViolations") == [] and page.errors == []
