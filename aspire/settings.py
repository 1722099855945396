"""
Settings for Aspire, read from the environment.

Development: `DJANGO_DEBUG=1` (what `make run` sets). Production: debug off,
`DJANGO_SECRET_KEY` and `DJANGO_ALLOWED_HOSTS` required, `DATABASE_URL`
pointing at PostgreSQL. See README.md for the full list.
"""

import ipaddress
import os
import urllib.parse
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

# Without debug and without DJANGO_SECRET_KEY the key stays empty: commands that
# need none (makemigrations, check, migrate) still run, Django refuses anything that
# would sign with it, and the servers refuse to start (aspire.startup).
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    # Only ever used with debug on, on a developer's machine.
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Urdu beside English in the database's content (content/translation.py, bookings/translation.py);
    # before the admin, so that its admin classes apply.
    "modeltranslation",
    # Django's admin, with changelists that take only the filters they offer (aspire/admin_site.py).
    "aspire.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "phonenumber_field",
    "simple_history",
    "axes",
    # Staff's second factor (aspire/second_factor.py): an authenticator app (TOTP), a passkey
    # (WebAuthn) and recovery codes (static tokens).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "csp",
    # Background work: the outbox's deliveries (bookings.messaging.outbox), run by `manage.py run_worker`.
    "django_tasks",
    "django_tasks_db",
    "aspire",
    "bookings",
    "content",
]

MIDDLEWARE = [
    # /healthz is answered here, before everything below: the check needs none of it.
    "aspire.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything can look up a value with NUL in it (PostgreSQL refuses them): 400.
    "aspire.middleware.RejectNulMiddleware",
    # A database restart answers 503 "try again", not 500.
    "aspire.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language comes from the address (/ur/... or unprefixed English: i18n_patterns with
    # prefix_default_language=False), so a page's address is its language and its cache key.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Records who made each change to a booking.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: throttles admin logins (it reads the outcome of authentication).
    "axes.middleware.AxesMiddleware",
]

# Staff sign in at the admin; after signing in with no (or an unsafe) ?next=, they land on it.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login throttling. Locking on username *and* address means a guesser locks only
# their own attempts, not the whole front desk behind one clinic's IP; a guesser spread
# over many addresses meets the second limit, on the username across all addresses
# (aspire/login_throttle.py). It is higher, so one stranger typing a receptionist's
# username from one address can't lock her out.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
ASPIRE_LOGIN_USERNAME_FAILURE_LIMIT = int(os.environ.get("ASPIRE_LOGIN_USERNAME_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "aspire.login_throttle.LoginThrottle"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"
# Behind nginx the real client address comes from X-Forwarded-For (see README), read
# only on requests whose socket address is one of these proxies (addresses or networks,
# comma-separated): from anyone else the header is the client's to forge.
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"DJANGO_TRUSTED_PROXIES: {_proxy!r} is not an address or network.") from None
if os.environ.get("DJANGO_PROXY_COUNT", "0").strip() not in ("", "0"):
    # It trusted the header from whoever sent it; ignoring it quietly would count every
    # patient as nginx's one address (one booking limit and one login lockout for all).
    raise ImproperlyConfigured(
        "DJANGO_PROXY_COUNT is gone: list the proxies' addresses in DJANGO_TRUSTED_PROXIES instead "
        "(DJANGO_TRUSTED_PROXIES=127.0.0.1 for nginx on the same machine)."
    )
AXES_CLIENT_IP_CALLABLE = "aspire.client_ip.client_ip"
# axes stores the username typed in a 255-character column.
AXES_USERNAME_CALLABLE = "aspire.client_ip.login_username"
AXES_VERBOSE = False

ROOT_URLCONF = "aspire.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aspire.context_processors.site",
                "bookings.pages.context_processors.clinics",
            ],
        },
    },
]

WSGI_APPLICATION = "aspire.wsgi.application"


# Database: SQLite in the project unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3 binding parameters on the server, so a statement run 5 times on a connection is prepared
    # (parsed and planned once). Measured against client-side binding (alternated twice, demo data, in
    # process): CPU the same within the noise on every page; wall time lower on the pages of free times (a
    # clinic 42-52 -> 40-43 ms, a clinic's day 27-31 -> 24-28 ms). DJANGO_DB_SERVER_SIDE_BINDING=0 binds them
    # on the client, as psycopg2 did: for a PgBouncer in transaction mode without max_prepared_statements.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": env_bool("DJANGO_DB_SERVER_SIDE_BINDING", True)}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Measured (DESIGN.md): with Django's deferred transactions, racing writers
    # get "database is locked"; IMMEDIATE transactions, a busy timeout and WAL
    # give one winner and no errors.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# The page cache (aspire/page_cache.py) must be one for every gunicorn worker and
# every app server: Redis where REDIS_URL is set, else a table in the database
# (made by every `manage.py migrate`, with debug on or off: aspire.apps). Debug: local memory.
# (Booking rate limits and login throttling count in the database itself.)
ASPIRE_CACHE_TABLE = "aspire_cache"
# Serve the public pages from the page cache (aspire/page_cache.py). Off, every page is made afresh
# (the generations are still read: the parts every page shares are kept per generation).
ASPIRE_PAGE_CACHE = env_bool("ASPIRE_PAGE_CACHE", default=True)
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
elif DEBUG:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # Room for every clinic's days of free times (the page cache); Django's default of 300 would
    # have them push each other out. aspire.cache: Django's, with a write in one statement, not five.
    CACHES = {
        "default": {
            "BACKEND": "aspire.cache.DatabaseCache",
            "LOCATION": ASPIRE_CACHE_TABLE,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # Staff accounts open every patient's phone number: 10 characters at least.
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Staff sign in at shared front-desk PCs: a session ends when the browser closes
# and after DJANGO_SESSION_HOURS (default 9, one working day) in any case.
SESSION_COOKIE_AGE = int(float(os.environ.get("DJANGO_SESSION_HOURS", "9")) * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en-gb"
# The patient side in English (unprefixed, as always) and Urdu (under /ur/, right to left).
LANGUAGES = [("en-gb", "English"), ("ur", "اردو")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Content with no Urdu yet shows its English (django-modeltranslation).
MODELTRANSLATION_DEFAULT_LANGUAGE = "en-gb"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en-gb",)
# Urdu dates as Karachi writes them (dd/mm/yyyy, 24-hour): aspire/formats/ur/formats.py.
FORMAT_MODULE_PATH = ["aspire.formats"]
TIME_ZONE = "Asia/Karachi"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: console in development; SMTP (or anything else) from the environment.
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "Aspire Wellness <bookings@aspirewellness.pk>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where answers to the site's emails go when the clinic has no reception address (and for reception's own).
ASPIRE_REPLY_TO_EMAIL = os.environ.get("ASPIRE_REPLY_TO_EMAIL", DEFAULT_FROM_EMAIL)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Phone numbers, emails and booking links are redacted from every line (aspire.log_redaction).
    "formatters": {
        "redacted": {
            "()": "aspire.log_redaction.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "redacted"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # axes logs every successful login's reset at INFO; its warnings (lockouts) are what matter.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- HTTPS and browser security (production; `manage.py check --deploy` is clean) ---
# Behind nginx that terminates TLS, nginx sets X-Forwarded-Proto and redirects
# to https itself, so DJANGO_SECURE_SSL_REDIRECT=0 saves a hop; without a proxy
# Django redirects.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# /healthz is asked by the load balancer over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preload asks browsers to use HTTPS even for the first visit; it holds for every
# subdomain, so turn it off (DJANGO_HSTS_PRELOAD=0) where one still speaks HTTP.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content Security Policy: everything from this site, no inline script or style.
# The one script (htmx) is a file of this site. NONCE is there for an inline script
# a page may one day need ({{ request.csp_nonce }}); such a page is never cached.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# Nothing on the site needs the camera, microphone, location or payment APIs.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
    )
}

# The brand's booking line, shown on every page (tel: and WhatsApp links).
ASPIRE_PHONE_E164 = "+923095885076"
ASPIRE_PHONE_DISPLAY = "0309-5885076"
ASPIRE_SITE_NAME = "Aspire Wellness"

# Phone numbers typed without +92 are Pakistani; stored as E.164.
PHONENUMBER_DEFAULT_REGION = "PK"
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "NATIONAL"

# Booking rules (DESIGN.md); each can be set from the environment.
ASPIRE_MIN_NOTICE_MINUTES = int(os.environ.get("ASPIRE_MIN_NOTICE_MINUTES", "120"))
ASPIRE_BOOKING_WINDOW_DAYS = int(os.environ.get("ASPIRE_BOOKING_WINDOW_DAYS", "60"))
ASPIRE_CANCEL_CUTOFF_HOURS = int(os.environ.get("ASPIRE_CANCEL_CUTOFF_HOURS", "12"))
# How long a time offered from the waitlist is held for the patient before it passes to the next.
ASPIRE_WAITLIST_HOLD_MINUTES = int(os.environ.get("ASPIRE_WAITLIST_HOLD_MINUTES", "15"))
# Upcoming sessions booked online: per person, and per phone number for everyone it books
# for (a household sharing one phone: a mother, her son and her father at 2 each fit in 6).
ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PERSON = int(os.environ.get("ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PERSON", "3"))
ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PHONE = int(os.environ.get("ASPIRE_MAX_ACTIVE_BOOKINGS_PER_PHONE", "6"))
# After this many no-shows (since reception last reset the count) a person books by calling the
# clinic; so does a number after this many of its people's together (a new name is no way round).
ASPIRE_NO_SHOWS_BEFORE_CALL = int(os.environ.get("ASPIRE_NO_SHOWS_BEFORE_CALL", "2"))
ASPIRE_NO_SHOWS_BEFORE_CALL_PER_PHONE = int(os.environ.get("ASPIRE_NO_SHOWS_BEFORE_CALL_PER_PHONE", "3"))

# Reminders and aftercare go out only between these hours, Karachi time (from 09:00, until 21:00).
ASPIRE_MESSAGE_HOURS_START = int(os.environ.get("ASPIRE_MESSAGE_HOURS_START", "9"))
ASPIRE_MESSAGE_HOURS_END = int(os.environ.get("ASPIRE_MESSAGE_HOURS_END", "21"))

# The site's public address, for links in emails and text messages.
ASPIRE_SITE_URL = os.environ.get("ASPIRE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Staff read patients' health answers: whenever debug is off, every staff login passes a second
# factor after the password (aspire/second_factor.py). There is no setting to turn it off; with
# debug on (`make run`) it is offered, not required, so the printed demo logins work as they are.
ASPIRE_STAFF_SECOND_FACTOR = not DEBUG
OTP_TOTP_ISSUER = "Aspire Wellness"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the devices' admin never shows a TOTP secret
# Passkeys are bound to the site's own domain (the host of ASPIRE_SITE_URL) and used only after the
# password, never instead of it. Browsers make them only on https:// and on http://localhost, so a
# site at another plain-http address (`make run`'s http://127.0.0.1:8000) offers them at
# http://localhost on the same port; the authenticator app works at any address.
_PASSKEY_ORIGIN = (
    ASPIRE_SITE_URL
    if ASPIRE_SITE_URL.startswith(("https://", "http://localhost"))
    else f"http://localhost:{urllib.parse.urlsplit(ASPIRE_SITE_URL).port or 80}"
)
OTP_WEBAUTHN_RP_ID = urllib.parse.urlsplit(_PASSKEY_ORIGIN).hostname
OTP_WEBAUTHN_RP_NAME = "Aspire Wellness front desk"
OTP_WEBAUTHN_ALLOWED_ORIGINS = [_PASSKEY_ORIGIN]
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# For ASPIRE_SMS_CHANNEL=bookings.messaging.local_channels.FileBackend (staging, tests): one JSON line a message.
ASPIRE_SMS_FILE_PATH = os.environ.get("ASPIRE_SMS_FILE_PATH", str(BASE_DIR / "var" / "sms.log"))

# --- Message providers (bookings/channels.py, webhooks at /webhooks/whatsapp/ and /webhooks/twilio/) ---
# WhatsApp Cloud API (Meta): a system user's access token, the business phone number's id, the app's
# secret (signs the webhooks) and the verify token typed into the webhook's setup (the handshake).
ASPIRE_WHATSAPP_TOKEN = os.environ.get("ASPIRE_WHATSAPP_TOKEN", "")
ASPIRE_WHATSAPP_PHONE_NUMBER_ID = os.environ.get("ASPIRE_WHATSAPP_PHONE_NUMBER_ID", "")
ASPIRE_WHATSAPP_APP_SECRET = os.environ.get("ASPIRE_WHATSAPP_APP_SECRET", "")
ASPIRE_WHATSAPP_VERIFY_TOKEN = os.environ.get("ASPIRE_WHATSAPP_VERIFY_TOKEN", "")
# The Graph API with its version: a new version is a change to test, so it is pinned here.
ASPIRE_WHATSAPP_API_URL = os.environ.get("ASPIRE_WHATSAPP_API_URL", "https://graph.facebook.com/v23.0")

# SMS, the fallback when WhatsApp can't deliver (and the channel while WhatsApp is not set up):
# twilio, gateway (a Pakistani bulk-SMS provider's HTTP API), console (the redacted log;
# development), or the class path of another channel (bookings.messaging's, for tests).
ASPIRE_SMS_CHANNEL = os.environ.get("ASPIRE_SMS_CHANNEL", "console")
ASPIRE_TWILIO_ACCOUNT_SID = os.environ.get("ASPIRE_TWILIO_ACCOUNT_SID", "")
ASPIRE_TWILIO_AUTH_TOKEN = os.environ.get("ASPIRE_TWILIO_AUTH_TOKEN", "")
# A number in E.164, an alphanumeric sender, or a Messaging Service SID (MG...).
ASPIRE_TWILIO_FROM = os.environ.get("ASPIRE_TWILIO_FROM", "")
# The full public URL of /webhooks/twilio/ (Twilio signs with it), e.g. https://aspirewellness.pk/webhooks/twilio/.
ASPIRE_TWILIO_STATUS_CALLBACK = os.environ.get("ASPIRE_TWILIO_STATUS_CALLBACK", "")
# Empty: Twilio's own (https://api.twilio.com). Tests point it at a local stand-in.
ASPIRE_TWILIO_API_URL = os.environ.get("ASPIRE_TWILIO_API_URL", "")
# The HTTP gateway: its URL, GET (query string) or POST (form), and the names it gives its parameters.
ASPIRE_SMS_GATEWAY_URL = os.environ.get("ASPIRE_SMS_GATEWAY_URL", "")
ASPIRE_SMS_GATEWAY_METHOD = os.environ.get("ASPIRE_SMS_GATEWAY_METHOD", "POST")
ASPIRE_SMS_GATEWAY_TO_PARAM = os.environ.get("ASPIRE_SMS_GATEWAY_TO_PARAM", "to")
ASPIRE_SMS_GATEWAY_TEXT_PARAM = os.environ.get("ASPIRE_SMS_GATEWAY_TEXT_PARAM", "message")
ASPIRE_SMS_GATEWAY_SENDER = os.environ.get("ASPIRE_SMS_GATEWAY_SENDER", "")  # the registered mask
ASPIRE_SMS_GATEWAY_SENDER_PARAM = os.environ.get("ASPIRE_SMS_GATEWAY_SENDER_PARAM", "sender")
ASPIRE_SMS_GATEWAY_KEY = os.environ.get("ASPIRE_SMS_GATEWAY_KEY", "")
ASPIRE_SMS_GATEWAY_KEY_PARAM = os.environ.get("ASPIRE_SMS_GATEWAY_KEY_PARAM", "api_key")
# How it wants the number: e164 (+923001234567), digits (923001234567, the usual) or national (03001234567).
ASPIRE_SMS_GATEWAY_NUMBER_FORMAT = os.environ.get("ASPIRE_SMS_GATEWAY_NUMBER_FORMAT", "digits")
# Where its JSON answer keeps the message id, as dotted keys ("data.message_id", "messages.0.id"); empty: no id.
ASPIRE_SMS_GATEWAY_ID_KEY = os.environ.get("ASPIRE_SMS_GATEWAY_ID_KEY", "")
# How its JSON answer says the message was taken, as the provider documents it: the field (dotted keys,
# "status", "response.code") and the value it then holds ("ok", "200", "true"). Most gateways answer 200
# to everything, an invalid key included; an answer that fails this test is a failure (not retried).
# `check --deploy` refuses the gateway without it (bookings.E002).
ASPIRE_SMS_GATEWAY_SUCCESS_FIELD = os.environ.get("ASPIRE_SMS_GATEWAY_SUCCESS_FIELD", "")
ASPIRE_SMS_GATEWAY_SUCCESS_VALUE = os.environ.get("ASPIRE_SMS_GATEWAY_SUCCESS_VALUE", "")

# --- Payment providers (bookings/payments/; return and notification URLs under /payments/<provider>/) ---
# Nothing is paid online unless a deposit rule asks for it and a provider below is filled in; a
# provider is offered to patients once all of its settings are set (`check --deploy` refuses a
# deposit rule with none: bookings.E003). The unpaid hold keeps its time for this long.
ASPIRE_DEPOSIT_HOLD_MINUTES = int(os.environ.get("ASPIRE_DEPOSIT_HOLD_MINUTES", "15"))
# JazzCash hosted checkout (Page Redirection): the merchant's id, password and integrity salt from
# the merchant portal, the wallet MPIN its refund API asks for, and the API's address (sandbox by default).
ASPIRE_JAZZCASH_MERCHANT_ID = os.environ.get("ASPIRE_JAZZCASH_MERCHANT_ID", "")
ASPIRE_JAZZCASH_PASSWORD = os.environ.get("ASPIRE_JAZZCASH_PASSWORD", "")
ASPIRE_JAZZCASH_INTEGRITY_SALT = os.environ.get("ASPIRE_JAZZCASH_INTEGRITY_SALT", "")
ASPIRE_JAZZCASH_MPIN = os.environ.get("ASPIRE_JAZZCASH_MPIN", "")
ASPIRE_JAZZCASH_URL = os.environ.get("ASPIRE_JAZZCASH_URL", "https://sandbox.jazzcash.com.pk").rstrip("/")
# Safepay (cards and wallets): the merchant's API key, its secret key, the webhook secret from the
# dashboard's webhook settings, the environment ("sandbox" or "production") and the API's address.
ASPIRE_SAFEPAY_API_KEY = os.environ.get("ASPIRE_SAFEPAY_API_KEY", "")
ASPIRE_SAFEPAY_SECRET_KEY = os.environ.get("ASPIRE_SAFEPAY_SECRET_KEY", "")
ASPIRE_SAFEPAY_WEBHOOK_SECRET = os.environ.get("ASPIRE_SAFEPAY_WEBHOOK_SECRET", "")
ASPIRE_SAFEPAY_ENVIRONMENT = os.environ.get("ASPIRE_SAFEPAY_ENVIRONMENT", "sandbox")
ASPIRE_SAFEPAY_URL = os.environ.get("ASPIRE_SAFEPAY_URL", "https://sandbox.api.getsafepay.com").rstrip("/")
# Safepay's hosted checkout lives on the API's host in the sandbox but on getsafepay.com in production
# (the constants CHECKOUT_SANDBOX / CHECKOUT_PRODUCTION of the official SDKs, getsafepay/safepay-node
# src/utils/constants.ts and getsafepay/safepay-python): its address, the page being {this}/pay.
ASPIRE_SAFEPAY_CHECKOUT_URL = os.environ.get(
    "ASPIRE_SAFEPAY_CHECKOUT_URL",
    "https://getsafepay.com/checkout"
    if ASPIRE_SAFEPAY_ENVIRONMENT == "production"
    else ASPIRE_SAFEPAY_URL + "/checkout",
).rstrip("/")

# Spam and abuse: booking POSTs per client address and per phone number, per hour.
ASPIRE_BOOKING_POSTS_PER_IP_PER_HOUR = int(os.environ.get("ASPIRE_BOOKING_POSTS_PER_IP_PER_HOUR", "20"))
ASPIRE_BOOKING_POSTS_PER_PHONE_PER_HOUR = int(os.environ.get("ASPIRE_BOOKING_POSTS_PER_PHONE_PER_HOUR", "6"))

# A booking, slot or leave is changed only through the services (which tell patients and
# keep the schedule true); the history's "Revert" would write around them, so it is not offered.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Retention (`manage.py apply_retention`, daily from cron): how long personal data is kept, in days; 0 keeps it.
# A cancelled booking's name, phone, email and notes, counted from its session (the booking itself stays).
ASPIRE_RETAIN_CANCELLED_BOOKING_DAYS = int(os.environ.get("ASPIRE_RETAIN_CANCELLED_BOOKING_DAYS", str(2 * 365)))
# A patient whose last session (or, with none, first contact) is this long ago is erased: 8 years, a usual
# keeping time for an adult's clinical records.
ASPIRE_RETAIN_INACTIVE_PATIENT_DAYS = int(os.environ.get("ASPIRE_RETAIN_INACTIVE_PATIENT_DAYS", str(8 * 365)))
# Staff login attempts and logins (django-axes: usernames and addresses).
ASPIRE_RETAIN_LOGIN_LOG_DAYS = int(os.environ.get("ASPIRE_RETAIN_LOGIN_LOG_DAYS", "90"))

# The worker's queue lives in the database every app server shares (django-tasks-db):
# no other server to run. `manage.py run_worker` runs the tasks; more workers on more
# machines share the queue.
# A queue for each message channel, so that one channel's dead server holds back no other's
# (bookings/messaging/outbox.py; `manage.py run_worker` runs a thread for each), and the default
# one for the rest (the waitlist).
TASK_QUEUES = ["default", "whatsapp", "sms", "email"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
# How long a worker holds a message it is sending; one that dies lets go of it then.
# Longer than a gateway's slowest answer (the clients time out after 10 s).
ASPIRE_MESSAGE_CLAIM_SECONDS = int(os.environ.get("ASPIRE_MESSAGE_CLAIM_SECONDS", "120"))
