"""The WhatsApp template registry: what is submitted to Meta, and what is rendered from it."""

import re

import pytest

from bookings.messaging import whatsapp_templates as wt
from bookings.messaging.whatsapp_templates import PLACEHOLDER, TEMPLATES, QuickReply, UrlButton

KINDS = [
    "confirmed",
    "confirmed_paid",
    "moved",
    "cancelled",
    "reminder",
    "aftercare",
    "offer_move",
    "waitlist_offer",
    "deposit_refunded",
]
ALL = list(TEMPLATES.values())
PARAMS = {
    "first_name": "Ayesha",
    "held_until": "17:45",
    "when": "Tue 14 Oct, 17:30",
    "clinic": "Clifton",
    "therapist": "Sara Khan",
    "reference": "AB12CD",
    "fee": "PKR 6,000",
    "deposit": "PKR 2,000",
    "to_pay": "PKR 4,000",
    "amount": "PKR 2,000",
    "phone": "0309-5885076",
    "manage_path": "booking/tok123/",
}


def ids(template):
    return f"{template.name}-{template.language}"


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_an_english_template(kind):
    assert wt.template_for(kind=kind, language="en").language == "en"


@pytest.mark.parametrize("template", ALL, ids=ids)
def test_placeholders_are_numbered_from_one_and_match_the_parameter_list(template):
    numbers = [int(n) for n in PLACEHOLDER.findall(template.body)]
    assert sorted(set(numbers)) == list(range(1, len(template.params) + 1))
    # Meta counts parameters in order of first appearance.
    assert numbers == sorted(numbers)
    # No misspelt placeholder ({{ 1 }}, {1}) left for Meta to refuse.
    assert "{" not in PLACEHOLDER.sub("", template.body)


@pytest.mark.parametrize("template", ALL, ids=ids)
def test_no_body_takes_notes_or_anything_clinical(template):
    for name in template.all_params:
        assert not re.search(r"note|condition|screen|diagnos|symptom|answer", name)


@pytest.mark.parametrize("template", ALL, ids=ids)
def test_category_is_utility(template):
    assert template.category == "UTILITY"


@pytest.mark.parametrize("template", ALL, ids=ids)
def test_body_fits_metas_limit_filled_in(template):
    assert len(template.body) <= wt.BODY_MAX_CHARS
    assert len(wt.render_text(template, PARAMS)) <= wt.BODY_MAX_CHARS


@pytest.mark.parametrize("template", ALL, ids=ids)
def test_body_neither_starts_nor_ends_with_a_placeholder(template):
    """WhatsApp Manager refuses such templates."""
    assert not template.body.startswith("{{")
    assert not template.body.rstrip(".!? ").endswith("}}")


@pytest.mark.parametrize("template", ALL, ids=ids)
def test_names_and_buttons_are_as_meta_allows(template):
    assert re.fullmatch(r"[a-z0-9_]{1,512}", template.name)
    assert all(len(button.text) <= wt.BUTTON_TEXT_MAX_CHARS for button in template.buttons)


def test_reminder_has_the_confirm_and_change_or_cancel_quick_replies():
    reminder = wt.template_for(kind="reminder", language="en")
    assert [(b.text, type(b)) for b in reminder.buttons] == [
        ("Confirm", QuickReply),
        ("Change or cancel", QuickReply),
    ]


def test_a_language_without_templates_falls_back_to_english():
    assert wt.template_for(kind="confirmed", language="pa").language == "en"


@pytest.mark.parametrize("kind", sorted(wt.NAMES_BY_KIND))
def test_every_kind_has_an_urdu_template_with_the_english_ones_params_and_buttons(kind):
    english, urdu = wt.template_for(kind=kind, language="en"), wt.template_for(kind=kind, language="ur")
    assert (urdu.name, urdu.language, urdu.category) == (english.name, "ur", english.category)
    assert urdu.params == english.params and urdu.link_param == english.link_param
    assert sorted(set(wt.PLACEHOLDER.findall(urdu.body))) == sorted(set(wt.PLACEHOLDER.findall(english.body)))
    assert [type(b) for b in urdu.buttons] == [type(b) for b in english.buttons]
    assert [getattr(b, "payload", None) for b in urdu.buttons] == [getattr(b, "payload", None) for b in english.buttons]
    assert "Hello" not in urdu.body and "السلام علیکم" in urdu.body


def test_unknown_names_and_kinds_are_refused():
    with pytest.raises(LookupError):
        wt.get_template("aspire_booking_confirmed", "pa")
    with pytest.raises(LookupError):
        wt.template_for(kind="no_such_kind", language="en")


def test_render_text_fills_the_body_and_gives_the_link_an_sms_needs(settings):
    settings.ASPIRE_SITE_URL = "https://aspirewellness.pk"
    text = wt.render_text(wt.template_for(kind="confirmed", language="en"), PARAMS)
    assert text.startswith("Hello Ayesha, your session at Aspire Wellness is booked.\n\nWhen: Tue 14 Oct, 17:30\n")
    assert "Reference: AB12CD" in text
    assert "Call us on 0309-5885076" in text
    assert text.endswith("Manage booking: https://aspirewellness.pk/booking/tok123/")


def test_render_text_for_the_admin_names_the_quick_replies():
    reminder = wt.template_for(kind="reminder", language="en")
    assert "[Confirm]" not in wt.render_text(reminder, PARAMS)
    assert wt.render_text(reminder, PARAMS, with_buttons=True).endswith("[Confirm] [Change or cancel]")


def test_a_missing_or_empty_param_is_refused_before_anything_is_sent():
    template = wt.template_for(kind="cancelled", language="en")
    with pytest.raises(ValueError, match="reference"):
        wt.components(template, {**PARAMS, "reference": ""})
    with pytest.raises(ValueError, match="phone"):
        wt.render_text(template, {k: v for k, v in PARAMS.items() if k != "phone"})


def test_components_flatten_new_lines_and_runs_of_spaces_meta_refuses():
    template = wt.template_for(kind="cancelled", language="en")
    body = wt.components(template, {**PARAMS, "first_name": "Ayesha\n  \tBibi"})[0]
    assert body["parameters"][0] == {"type": "text", "text": "Ayesha Bibi"}


def test_url_button_carries_the_booking_path_as_its_suffix(settings):
    settings.ASPIRE_SITE_URL = "https://aspirewellness.pk"
    template = wt.template_for(kind="offer_move", language="en")
    button = template.buttons[0]
    assert isinstance(button, UrlButton)
    assert button.url_as_submitted() == "https://aspirewellness.pk/{{1}}"
    assert wt.components(template, {**PARAMS, "manage_path": "/booking/tok123/"})[1] == {
        "type": "button",
        "sub_type": "url",
        "index": "0",
        "parameters": [{"type": "text", "text": "booking/tok123/"}],
    }


def test_button_payloads_parse_back_into_action_and_reference():
    assert wt.parse_button_payload("confirm:AB12CD") == ("confirm", "AB12CD")
    assert wt.parse_button_payload("change:AB12CD") == ("change", "AB12CD")
    assert wt.parse_button_payload("Confirm") == ("", "")
    assert wt.parse_button_payload("delete:AB12CD") == ("", "")


@pytest.mark.parametrize(
    "template", [t for t in ALL if t.link_param in {b.param for b in t.buttons if isinstance(b, UrlButton)}], ids=ids
)
def test_bodies_name_their_link_button_which_is_also_the_sms_links_label(template):
    [button] = [b for b in template.buttons if isinstance(b, UrlButton)]
    assert (
        f"tap {button.text} below" if template.language == "en" else f'نیچے "{button.text}" پر ٹیپ'
    ) in template.body
    assert f"\n\n{button.text}: " in wt.render_text(template, PARAMS)
