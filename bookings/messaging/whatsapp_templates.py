"""
The WhatsApp message templates, one per kind of message the site sends a patient.

Outside the 24-hour window after a patient's last message, WhatsApp delivers only templates
that Meta has approved, and it checks each send against the approved text: the name,
language, category, body and buttons here are exactly what is submitted in WhatsApp Manager
(Meta's placeholders {{1}}, {{2}}... and all). Change a body here and it must be submitted
again, under a new name if the old one is in use, before the site sends it.

The registry is keyed by (name, language): each language is its own template at Meta.
English and Urdu ("ur") are here, under the same names; a patient gets the one of their
booking's language. The Urdu ones are written for Karachi, not translated word for word, and
keep the same placeholders in the same order.

Bodies carry times, places, names and references, never a condition, notes or screening
answers: WhatsApp previews show them on a locked phone.
"""

import re
from dataclasses import dataclass

from django.conf import settings

# What Meta allows (WhatsApp Manager refuses longer ones).
BODY_MAX_CHARS = 1024
BUTTON_TEXT_MAX_CHARS = 25
CATEGORY_UTILITY = "UTILITY"

# Quick-reply payloads: "<action>:<booking reference>", so a tap names its booking even when
# the message it answers is no longer known.
CONFIRM = "confirm"
CHANGE = "change"

PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


@dataclass(frozen=True)
class QuickReply:
    """A button that sends `payload` back to the webhook when tapped (formatted with the params)."""

    text: str
    payload: str


@dataclass(frozen=True)
class UrlButton:
    """A link button: the site's address, then the param named here as the dynamic suffix."""

    text: str
    param: str

    def url_as_submitted(self) -> str:
        return f"{settings.ASPIRE_SITE_URL}/{{{{1}}}}"


@dataclass(frozen=True)
class WhatsAppTemplate:
    kind: str
    name: str
    language: str
    body: str
    # The params filling {{1}}, {{2}}... in order.
    params: tuple[str, ...]
    buttons: tuple[QuickReply | UrlButton, ...] = ()
    # The param holding the booking's page (its path on the site, e.g. "booking/<token>/"): the text
    # rendered for SMS links to it under the link button's label, since an SMS has no buttons
    # (hence bodies say "tap Manage booking below", true of the button and of the SMS's link).
    link_param: str | None = None
    category: str = CATEGORY_UTILITY
    # For a kind with more than one template: which one (params["reason"] of the message), "" the default.
    reason: str = ""

    @property
    def all_params(self) -> tuple[str, ...]:
        extra = (self.link_param,) if self.link_param and self.link_param not in self.params else ()
        return self.params + extra


# The booked templates carry the fee ({{6}}) and then the phone number ({{7}}).
QUESTIONS = "Questions? Call us on {{7}} and we will help."

_ENGLISH = [
    WhatsAppTemplate(
        kind="confirmed",
        name="aspire_booking_confirmed",
        language="en",
        body=(
            "Hello {{1}}, your session at Aspire Wellness is booked.\n\n"
            "When: {{2}}\nWhere: {{3}}\nWith: {{4}}\nReference: {{5}}\nFee: {{6}}\n\n"
            "Please arrive 10 minutes early. To see, move or cancel your booking, tap Manage booking below. "
            + QUESTIONS
        ),
        params=("first_name", "when", "clinic", "therapist", "reference", "fee", "phone"),
        buttons=(UrlButton("Manage booking", "manage_path"),),
        link_param="manage_path",
    ),
    # The confirmation of a booking whose deposit is paid, and its receipt in one message: a payment's
    # confirmation is a utility use in Meta's template guidelines
    # (developers.facebook.com/docs/whatsapp/updates-to-pricing/new-template-guidelines/). The deposit
    # is {{6}} and what is left to pay at the clinic {{7}}, so the phone number is {{8}}.
    WhatsAppTemplate(
        kind="confirmed_paid",
        name="aspire_booking_confirmed_paid",
        language="en",
        body=(
            "Hello {{1}}, your session at Aspire Wellness is booked and we have received your deposit.\n\n"
            "When: {{2}}\nWhere: {{3}}\nWith: {{4}}\nReference: {{5}}\n"
            "Deposit received: {{6}}\nTo pay at the clinic: {{7}}\n\n"
            "Please arrive 10 minutes early. To see, move or cancel your booking, tap Manage booking below. "
            "Questions? Call us on {{8}} and we will help."
        ),
        params=("first_name", "when", "clinic", "therapist", "reference", "deposit", "to_pay", "phone"),
        buttons=(UrlButton("Manage booking", "manage_path"),),
        link_param="manage_path",
    ),
    WhatsAppTemplate(
        kind="moved",
        name="aspire_booking_moved",
        language="en",
        body=(
            "Hello {{1}}, your session at Aspire Wellness has moved to a new time.\n\n"
            "When: {{2}}\nWhere: {{3}}\nWith: {{4}}\nReference: {{5}}\nFee: {{6}}\n\n"
            "To see, move or cancel your booking, tap Manage booking below. " + QUESTIONS
        ),
        params=("first_name", "when", "clinic", "therapist", "reference", "fee", "phone"),
        buttons=(UrlButton("Manage booking", "manage_path"),),
        link_param="manage_path",
    ),
    WhatsAppTemplate(
        kind="cancelled",
        name="aspire_booking_cancelled",
        language="en",
        body=(
            "Hello {{1}}, your session at Aspire Wellness on {{2}} (reference {{3}}) is cancelled. "
            "We hope to see you another time: call us on {{4}} or book again on our website."
        ),
        params=("first_name", "when", "reference", "phone"),
    ),
    WhatsAppTemplate(
        kind="reminder",
        name="aspire_session_reminder",
        language="en",
        body=(
            "Hello {{1}}, a reminder of your coming session at Aspire Wellness.\n\n"
            "When: {{2}}\nWhere: {{3}}\nWith: {{4}}\nReference: {{5}}\nFee: {{6}}\n\n"
            "Please arrive 10 minutes early, and let us know if you are coming or need another time. " + QUESTIONS
        ),
        params=("first_name", "when", "clinic", "therapist", "reference", "fee", "phone"),
        buttons=(
            QuickReply("Confirm", CONFIRM + ":{reference}"),
            QuickReply("Change or cancel", CHANGE + ":{reference}"),
        ),
        # No link button: "Change or cancel" is answered with the link inside the 24-hour window it opens.
        link_param="manage_path",
    ),
    WhatsAppTemplate(
        kind="aftercare",
        name="aspire_aftercare",
        language="en",
        body=(
            "Hello {{1}}, thank you for coming to Aspire Wellness {{2}} today. For the next day or two: "
            "drink plenty of water, keep moving with gentle stretching and a walk, and use warmth on sore "
            "areas; any ache usually passes in 1-2 days. Questions? Call us on {{3}} and we will help."
        ),
        # No "book your next session" button: Meta counts a prompt to buy again as marketing, not utility.
        params=("first_name", "clinic", "phone"),
    ),
    WhatsAppTemplate(
        kind="waitlist_offer",
        name="aspire_waitlist_time_free",
        language="en",
        body=(
            "Hello {{1}}, a time you asked for at Aspire Wellness has come free.\n\n"
            "When: {{2}}\nWhere: {{3}}\nWith: {{4}}\n\n"
            "It is held for you until {{5}}; after that it passes to the next person waiting. "
            "To take it, tap Book this time below. Questions? Call us on {{6}} and we will help."
        ),
        params=("first_name", "when", "clinic", "therapist", "held_until", "phone"),
        buttons=(UrlButton("Book this time", "manage_path"),),
        link_param="manage_path",
    ),
    WhatsAppTemplate(
        kind="offer_move",
        name="aspire_session_needs_new_time",
        language="en",
        body=(
            "Hello {{1}}, we are sorry: your session at Aspire Wellness on {{2}} at {{3}} (reference {{4}}) "
            "can't go ahead as booked, because the clinic is closed that day or your physiotherapist is away. "
            "Please tap Choose a new time below, or call us on {{5}} and we will find one with you."
        ),
        params=("first_name", "when", "clinic", "reference", "phone"),
        buttons=(UrlButton("Choose a new time", "manage_path"),),
        link_param="manage_path",
    ),
    # The two that say which happened (the one above, naming both, stays for messages queued before).
    WhatsAppTemplate(
        kind="offer_move",
        reason="closed",
        name="aspire_clinic_closed_new_time",
        language="en",
        body=(
            "Hello {{1}}, we are sorry: your session at Aspire Wellness on {{2}} at {{3}} (reference {{4}}) "
            "can't go ahead as booked, because the clinic is closed that day. "
            "Please tap Choose a new time below, or call us on {{5}} and we will find one with you."
        ),
        params=("first_name", "when", "clinic", "reference", "phone"),
        buttons=(UrlButton("Choose a new time", "manage_path"),),
        link_param="manage_path",
    ),
    WhatsAppTemplate(
        kind="offer_move",
        reason="away",
        name="aspire_therapist_away_new_time",
        language="en",
        body=(
            "Hello {{1}}, we are sorry: your session at Aspire Wellness on {{2}} at {{3}} (reference {{4}}) "
            "can't go ahead as booked, because {{5}} is away then. "
            "Please tap Choose a new time below, or call us on {{6}} and we will find one with you."
        ),
        params=("first_name", "when", "clinic", "reference", "therapist", "phone"),
        buttons=(UrlButton("Choose a new time", "manage_path"),),
        link_param="manage_path",
    ),
    # A refund's notice, a utility use too (Meta's guidelines, as above); no link: the booking is over.
    # No number of days: the wallet's or the bank's, not ours to promise.
    WhatsAppTemplate(
        kind="deposit_refunded",
        name="aspire_deposit_refunded",
        language="en",
        body=(
            "Hello {{1}}, for your session at Aspire Wellness on {{2}} (reference {{3}}), your deposit of {{4}} "
            "has been refunded to the wallet or card you paid with. It can take a few working days to show "
            "in your account. Questions? Call us on {{5}} and we will help."
        ),
        # The amount after the day and the reference, where the Urdu sentence has it too.
        params=("first_name", "when", "reference", "amount", "phone"),
    ),
]

# As in English: the fee is {{6}} and the phone number {{7}}.
QUESTIONS_UR = "کوئی سوال ہو تو ہمیں {{7}} پر کال کریں، ہم آپ کی مدد کریں گے۔"

_URDU = [
    WhatsAppTemplate(
        kind="confirmed",
        name="aspire_booking_confirmed",
        language="ur",
        body=(
            "السلام علیکم {{1}}، Aspire Wellness میں آپ کا سیشن بُک ہو گیا ہے۔\n\n"
            "وقت: {{2}}\nجگہ: {{3}}\nفزیوتھراپسٹ: {{4}}\nریفرنس نمبر: {{5}}\nفیس: {{6}}\n\n"
            "براہِ کرم 10 منٹ پہلے تشریف لائیں۔ بکنگ دیکھنے، وقت بدلنے یا منسوخ کرنے کے لیے نیچے "
            '"بکنگ دیکھیں" پر ٹیپ کریں۔ ' + QUESTIONS_UR
        ),
        params=("first_name", "when", "clinic", "therapist", "reference", "fee", "phone"),
        buttons=(UrlButton("بکنگ دیکھیں", "manage_path"),),
        link_param="manage_path",
    ),
    WhatsAppTemplate(
        kind="confirmed_paid",
        name="aspire_booking_confirmed_paid",
        language="ur",
        body=(
            "السلام علیکم {{1}}، Aspire Wellness میں آپ کا سیشن بُک ہو گیا ہے اور آپ کا ڈپازٹ ہمیں مل گیا ہے۔\n\n"
            "وقت: {{2}}\nجگہ: {{3}}\nفزیوتھراپسٹ: {{4}}\nریفرنس نمبر: {{5}}\n"
            "ڈپازٹ وصول: {{6}}\nکلینک پر باقی ادائیگی: {{7}}\n\n"
            "براہِ کرم 10 منٹ پہلے تشریف لائیں۔ بکنگ دیکھنے، وقت بدلنے یا منسوخ کرنے کے لیے نیچے "
            '"بکنگ دیکھیں" پر ٹیپ کریں۔ '
            "کوئی سوال ہو تو ہمیں {{8}} پر کال کریں، ہم آپ کی مدد کریں گے۔"
        ),
        params=("first_name", "when", "clinic", "therapist", "reference", "deposit", "to_pay", "phone"),
        buttons=(UrlButton("بکنگ دیکھیں", "manage_path"),),
        link_param="manage_path",
    ),
    WhatsAppTemplate(
        kind="moved",
        name="aspire_booking_moved",
        language="ur",
        body=(
            "السلام علیکم {{1}}، Aspire Wellness میں آپ کا سیشن نئے وقت پر منتقل ہو گیا ہے۔\n\n"
            "وقت: {{2}}\nجگہ: {{3}}\nفزیوتھراپسٹ: {{4}}\nریفرنس نمبر: {{5}}\nفیس: {{6}}\n\n"
            'بکنگ دیکھنے، وقت بدلنے یا منسوخ کرنے کے لیے نیچے "بکنگ دیکھیں" پر ٹیپ کریں۔ ' + QUESTIONS_UR
        ),
        params=("first_name", "when", "clinic", "therapist", "reference", "fee", "phone"),
        buttons=(UrlButton("بکنگ دیکھیں", "manage_path"),),
        link_param="manage_path",
    ),
    WhatsAppTemplate(
        kind="cancelled",
        name="aspire_booking_cancelled",
        language="ur",
        body=(
            "السلام علیکم {{1}}، Aspire Wellness میں {{2}} کا آپ کا سیشن (ریفرنس نمبر {{3}}) منسوخ ہو گیا ہے۔ "
            "امید ہے آپ سے پھر ملاقات ہو گی: ہمیں {{4}} پر کال کریں یا ہماری ویب سائٹ پر دوبارہ بُک کریں۔"
        ),
        params=("first_name", "when", "reference", "phone"),
    ),
    WhatsAppTemplate(
        kind="reminder",
        name="aspire_session_reminder",
        language="ur",
        body=(
            "السلام علیکم {{1}}، Aspire Wellness میں آپ کے آنے والے سیشن کی یاد دہانی۔\n\n"
            "وقت: {{2}}\nجگہ: {{3}}\nفزیوتھراپسٹ: {{4}}\nریفرنس نمبر: {{5}}\nفیس: {{6}}\n\n"
            "براہِ کرم 10 منٹ پہلے تشریف لائیں، اور ہمیں بتا دیں کہ آپ آ رہے ہیں یا کوئی اور وقت چاہیے۔ " + QUESTIONS_UR
        ),
        params=("first_name", "when", "clinic", "therapist", "reference", "fee", "phone"),
        buttons=(
            QuickReply("میں آؤں گا / آؤں گی", CONFIRM + ":{reference}"),
            QuickReply("وقت بدلیں یا منسوخ کریں", CHANGE + ":{reference}"),
        ),
        link_param="manage_path",
    ),
    WhatsAppTemplate(
        kind="aftercare",
        name="aspire_aftercare",
        language="ur",
        body=(
            "السلام علیکم {{1}}، آج Aspire Wellness {{2}} تشریف لانے کا شکریہ۔ اگلے ایک دو دن: "
            "پانی خوب پئیں، ہلکی اسٹریچنگ اور چہل قدمی کرتے رہیں، اور درد والی جگہ پر ٹکور کریں؛ "
            "ہلکا درد عموماً 1-2 دن میں ختم ہو جاتا ہے۔ کوئی سوال ہو تو ہمیں {{3}} پر کال کریں، ہم آپ کی مدد کریں گے۔"
        ),
        params=("first_name", "clinic", "phone"),
    ),
    WhatsAppTemplate(
        kind="waitlist_offer",
        name="aspire_waitlist_time_free",
        language="ur",
        body=(
            "السلام علیکم {{1}}، Aspire Wellness میں آپ کا مطلوبہ وقت خالی ہو گیا ہے۔\n\n"
            "وقت: {{2}}\nجگہ: {{3}}\nفزیوتھراپسٹ: {{4}}\n\n"
            "یہ وقت {{5}} تک آپ کے لیے رکھا گیا ہے؛ اس کے بعد انتظار کرنے والے اگلے فرد کو دے دیا جائے گا۔ "
            'بُک کرنے کے لیے نیچے "یہ وقت بُک کریں" پر ٹیپ کریں۔ '
            "کوئی سوال ہو تو ہمیں {{6}} پر کال کریں، ہم آپ کی مدد کریں گے۔"
        ),
        params=("first_name", "when", "clinic", "therapist", "held_until", "phone"),
        buttons=(UrlButton("یہ وقت بُک کریں", "manage_path"),),
        link_param="manage_path",
    ),
    WhatsAppTemplate(
        kind="offer_move",
        name="aspire_session_needs_new_time",
        language="ur",
        body=(
            "السلام علیکم {{1}}، معذرت کے ساتھ: Aspire Wellness میں {{2}} کو {{3}} میں آپ کا سیشن "
            "(ریفرنس نمبر {{4}}) طے شدہ وقت پر نہیں ہو سکے گا، کیونکہ اس دن کلینک بند ہے یا آپ کے "
            'فزیوتھراپسٹ چھٹی پر ہیں۔ نیچے "نیا وقت چنیں" پر ٹیپ کریں، یا ہمیں {{5}} پر کال کریں، '
            "ہم آپ کے ساتھ مل کر نیا وقت طے کر لیں گے۔"
        ),
        params=("first_name", "when", "clinic", "reference", "phone"),
        buttons=(UrlButton("نیا وقت چنیں", "manage_path"),),
        link_param="manage_path",
    ),
    WhatsAppTemplate(
        kind="offer_move",
        reason="closed",
        name="aspire_clinic_closed_new_time",
        language="ur",
        body=(
            "السلام علیکم {{1}}، معذرت کے ساتھ: Aspire Wellness میں {{2}} کو {{3}} میں آپ کا سیشن "
            "(ریفرنس نمبر {{4}}) طے شدہ وقت پر نہیں ہو سکے گا، کیونکہ اس دن کلینک بند ہے۔ "
            'نیچے "نیا وقت چنیں" پر ٹیپ کریں، یا ہمیں {{5}} پر کال کریں، '
            "ہم آپ کے ساتھ مل کر نیا وقت طے کر لیں گے۔"
        ),
        params=("first_name", "when", "clinic", "reference", "phone"),
        buttons=(UrlButton("نیا وقت چنیں", "manage_path"),),
        link_param="manage_path",
    ),
    WhatsAppTemplate(
        kind="offer_move",
        reason="away",
        name="aspire_therapist_away_new_time",
        language="ur",
        body=(
            # "چھٹی پر ہیں", the respectful plural, is right for a woman and a man alike.
            "السلام علیکم {{1}}، معذرت کے ساتھ: Aspire Wellness میں {{2}} کو {{3}} میں آپ کا سیشن "
            "(ریفرنس نمبر {{4}}) طے شدہ وقت پر نہیں ہو سکے گا، کیونکہ اس وقت {{5}} چھٹی پر ہیں۔ "
            'نیچے "نیا وقت چنیں" پر ٹیپ کریں، یا ہمیں {{6}} پر کال کریں، '
            "ہم آپ کے ساتھ مل کر نیا وقت طے کر لیں گے۔"
        ),
        params=("first_name", "when", "clinic", "reference", "therapist", "phone"),
        buttons=(UrlButton("نیا وقت چنیں", "manage_path"),),
        link_param="manage_path",
    ),
    WhatsAppTemplate(
        kind="deposit_refunded",
        name="aspire_deposit_refunded",
        language="ur",
        body=(
            "السلام علیکم {{1}}، Aspire Wellness میں {{2}} کے آپ کے سیشن (ریفرنس نمبر {{3}}) کے لیے جمع کرایا گیا "
            "{{4}} کا ڈپازٹ اسی والیٹ یا کارڈ میں واپس کر دیا گیا ہے جس سے آپ نے ادائیگی کی تھی۔ "
            "آپ کے اکاؤنٹ میں نظر آنے میں چند ورکنگ دن لگ سکتے ہیں۔ "
            "کوئی سوال ہو تو ہمیں {{5}} پر کال کریں، ہم آپ کی مدد کریں گے۔"
        ),
        params=("first_name", "when", "reference", "amount", "phone"),
    ),
]

# The label of the link to the booking's page in an SMS of a template without a link button.
LINK_LABELS = {"en": "Manage your booking", "ur": "اپنی بکنگ دیکھیں"}

TEMPLATES: dict[tuple[str, str], WhatsAppTemplate] = {(t.name, t.language): t for t in _ENGLISH + _URDU}
NAMES_BY_KIND: dict[str, str] = {t.kind: t.name for t in _ENGLISH if not t.reason}
NAMES_BY_REASON: dict[tuple[str, str], str] = {(t.kind, t.reason): t.name for t in _ENGLISH if t.reason}
DEFAULT_LANGUAGE = "en"


def get_template(name: str, language: str) -> WhatsAppTemplate:
    """Return the template submitted under `name` in `language`, or raise LookupError."""
    try:
        return TEMPLATES[(name, language)]
    except KeyError:
        raise LookupError(f"No WhatsApp template {name!r} in language {language!r}") from None


def template_for(*, kind: str, language: str, reason: str = "") -> WhatsAppTemplate:
    """
    Return the template for a kind of message (and `reason`, where the kind has one per reason) in
    the patient's language, or in English while that language has none yet (an English message
    beats none). Raise LookupError for an unknown kind.
    """
    try:
        name = NAMES_BY_REASON.get((kind, reason)) or NAMES_BY_KIND[kind]
    except KeyError:
        raise LookupError(f"No WhatsApp template for messages of kind {kind!r}") from None
    return TEMPLATES.get((name, language)) or TEMPLATES[(name, DEFAULT_LANGUAGE)]


def _value(template: WhatsAppTemplate, params: dict, name: str) -> str:
    # Meta refuses a parameter with a new line, a tab or a run of spaces (and an empty one).
    value = " ".join(str(params.get(name) or "").split())
    if not value:
        raise ValueError(f"WhatsApp template {template.name}: parameter {name!r} is missing or empty")
    return value


def _fill(template: WhatsAppTemplate, params: dict) -> str:
    values = [_value(template, params, name) for name in template.params]
    return PLACEHOLDER.sub(lambda m: values[int(m.group(1)) - 1], template.body)


def _page_url(path: str) -> str:
    return f"{settings.ASPIRE_SITE_URL}/{path.lstrip('/')}"


def render_text(template: WhatsAppTemplate, params: dict, *, with_buttons: bool = False) -> str:
    """
    Return the message as text: the body filled in, then the link to the booking's page (an SMS
    has no buttons). With `with_buttons`, name the quick replies too, for the admin to show what
    a WhatsApp message looked like. Raise ValueError if a param is missing or empty.
    """
    text = _fill(template, params)
    if template.link_param:
        label = next((b.text for b in template.buttons if isinstance(b, UrlButton)), LINK_LABELS[template.language])
        text += f"\n\n{label}: {_page_url(_value(template, params, template.link_param))}"
    quick_replies = [b.text for b in template.buttons if isinstance(b, QuickReply)]
    if with_buttons and quick_replies:
        text += "\n\n" + " ".join(f"[{reply}]" for reply in quick_replies)
    return text


def components(template: WhatsAppTemplate, params: dict) -> list[dict]:
    """
    Return the `components` of a Cloud API template message: the body's parameters in order, then
    one component per button that takes a value (a quick reply's payload, a link's suffix), with
    the button's index in the template. Raise ValueError if a param is missing or empty.
    """
    filled = _fill(template, params)
    if len(filled) > BODY_MAX_CHARS:
        raise ValueError(f"WhatsApp template {template.name}: the filled-in body is over {BODY_MAX_CHARS} characters")
    result = [
        {
            "type": "body",
            "parameters": [{"type": "text", "text": _value(template, params, name)} for name in template.params],
        }
    ]
    for index, button in enumerate(template.buttons):
        if isinstance(button, QuickReply):
            payload = button.payload.format_map({name: _value(template, params, name) for name in template.params})
            result.append(
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": str(index),
                    "parameters": [{"type": "payload", "payload": payload}],
                }
            )
        else:
            suffix = _value(template, params, button.param).lstrip("/")
            result.append(
                {
                    "type": "button",
                    "sub_type": "url",
                    "index": str(index),
                    "parameters": [{"type": "text", "text": suffix}],
                }
            )
    return result


def parse_button_payload(payload: str) -> tuple[str, str]:
    """Return (action, booking reference) from a quick reply's payload; ("", "") if it is not one of ours."""
    action, sep, reference = (payload or "").partition(":")
    if not sep or action not in {CONFIRM, CHANGE} or not reference:
        return "", ""
    return action, reference
