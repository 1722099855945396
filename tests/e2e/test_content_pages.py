"""The content site in Chromium: what a reader does (every page's axe and width check: test_every_page.py)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("shipped_content")]


def test_faq_answers_open_without_javascript(live_server, browser):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + "/faq/")
    answer = page.locator("details", has_text="Does it hurt?").locator(".prose")
    assert not answer.is_visible()
    page.get_by_text("Does it hurt?").click()
    assert answer.is_visible()
    assert "twitch" in answer.inner_text()
    context.close()


def test_skip_link_takes_keyboard_users_to_the_content(live_server, desktop_page):
    desktop_page.goto(live_server.url + "/dry-needling/")
    desktop_page.keyboard.press("Tab")
    skip = desktop_page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    desktop_page.keyboard.press("Enter")
    # Following a fragment link updates the URL a moment after the key press
    # (CI once read it before): wait for it, as a reader's eye would.
    desktop_page.wait_for_url("**/dry-needling/#main", timeout=5000)


def test_home_leads_to_a_condition_and_back_to_booking(live_server, phone_page):
    phone_page.goto(live_server.url + "/")
    phone_page.get_by_role("link", name="Sciatica").first.click()
    assert phone_page.get_by_role("heading", level=1).inner_text() == "Sciatica"
    phone_page.get_by_role("link", name="Book a session").last.click()
    assert phone_page.url.endswith("/book/")
