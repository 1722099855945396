"""Every public page in Chromium at 320 px and 1280 px: axe finds no violation of any
impact, nothing scrolls sideways on the narrowest phone, and the CSP blocks nothing."""

import pytest

from tests.e2e.a11y import axe_violations
from tests.public_site import build_public_site

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("shipped_content")]

# The names of build_public_site()'s pages (it needs the database, so not called here).
PAGE_NAMES = [
    "home",
    "dry-needling",
    "conditions",
    "condition",
    "faq",
    "clinics",
    "clinic",
    "book",
    "team",
    "physio",
    "waitlist",
    "book-clinic",
    "book-clinic-empty-day",
    "book-slot",
    "book-slot-taken",
    "booking",
    "booking-cancel",
    "booking-move",
    "booking-move-confirm",
    "not-found",
]
WIDTHS = {"phone": 320, "desktop": 1280}

RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`));
"""


@pytest.fixture
def page_at(browser):
    contexts = []

    def open_page(device):
        width = WIDTHS[device]
        context = browser.new_context(
            viewport={"width": width, "height": 720 if width < 500 else 900}, is_mobile=width < 500
        )
        contexts.append(context)
        page = context.new_page()
        page.add_init_script(RECORD_CSP_VIOLATIONS)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.parametrize("prefix", ["", "/ur"], ids=["en", "ur"])
@pytest.mark.parametrize("device", WIDTHS)
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_page_is_accessible_fits_and_keeps_to_the_csp(live_server, page_at, artifacts, name, device, prefix):
    path = prefix + build_public_site()[name]
    page = page_at(device)
    response = page.goto(live_server.url + path)
    assert response.status == (404 if name == "not-found" else 200)
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    language = prefix.strip("/") or "en"
    page.screenshot(path=str(artifacts / f"page-{language}-{name}-{WIDTHS[device]}.png"), full_page=True)
    assert page.get_by_role("heading", level=1).count() == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTHS[device], f"{path} scrolls sideways at {WIDTHS[device]} px ({width} px)"
    assert axe_violations(page, impacts=None) == []
    assert page.evaluate("window.__cspViolations") == []


@pytest.mark.parametrize("prefix", ["", "/ur"], ids=["en", "ur"])
def test_every_section_of_the_menu_is_in_sight_on_a_small_phone(live_server, page_at, prefix):
    """At 320 px the menu scrolled sideways with no sign of it: Clinics, Team and FAQ were never found."""
    page = page_at("phone")
    page.goto(live_server.url + prefix + "/faq/")
    for link in page.locator(".site-nav a").all():
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTHS["phone"], (link.inner_text(), box)
