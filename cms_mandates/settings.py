"""The one settings module. Every value that differs between machines comes from the
environment (django-environ); `.env.example` and the README document each variable.

Two run modes share this module and every code path:
- embedded default (`make run`): no DATABASE_URL -> an SQLite file under var/; no REDIS_URL
  -> Celery runs tasks in-process, the cache is local memory;
- full stack (tests, docker-compose, production): PostgreSQL and Redis.
"""

from __future__ import annotations

import re
import sys
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from cms_mandates.heap import parse_counts

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file beside manage.py is read if present; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Local state of this installation: the embedded SQLite database, uploaded and compiled
# files, collected static files, the demo accounts' passwords.
VAR_DIR = Path(env.str("VAR_DIR", default="") or BASE_DIR / "var")

DEBUG = env.bool("DEBUG", default=False)

# Commands that only read the models and sign nothing: they run without a secret, so that
# `python manage.py makemigrations --check` works on a bare checkout.
KEYLESS_COMMANDS = frozenset({"makemigrations"})

# The secret has no production default: without it, only a DEBUG run may start.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    _command = sys.argv[1] if len(sys.argv) > 1 and Path(sys.argv[0]).name == "manage.py" else ""
    if not DEBUG and _command not in KEYLESS_COMMANDS:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-valid-with-DEBUG-on"  # noqa: S105 - DEBUG only  # nosec B105

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "resolutions",
    "partners",
    "reporting",
    "audit",
    "axes",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "notifications",
]

MIDDLEWARE = [
    # First, so that every answer (static files, errors, the 503 of a database outage) gets
    # the security headers, and a database outage anywhere below is answered 503.
    "cms_mandates.security.SecurityHeadersMiddleware",
    "cms_mandates.security.ServiceUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Who changed what: the acting user of each request goes with every audit row.
    "cms_mandates.audit.AuditContextMiddleware",
    # Last, as django-axes asks: it answers sign-ins of a locked-out account or address.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cms_mandates.urls"
WSGI_APPLICATION = "cms_mandates.wsgi.application"

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
                "partners.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Runs of the same statement after which `cms_mandates.db.prepared_cursor` keeps it
    # prepared on its connection; empty for never (a pooler in transaction mode).
    _prepare_threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="5").strip()
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        int(_prepare_threshold) if _prepare_threshold else None
    )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # Wait for a concurrent writer (runserver thread, in-process task) instead of
            # failing at once with "database is locked".
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Requests of a web server process after which what is alive is frozen out of the garbage
# collector's sight (`cms_mandates.heap`): shorter pauses. Empty: never.
try:
    GC_FREEZE_AFTER_REQUESTS = parse_counts(
        env.str("GC_FREEZE_AFTER_REQUESTS", default="10,100,1000")
    )
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None

# --- Redis: Celery broker and cache -----------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    CACHES = {
        "default": {
            # Reads miss and writes are dropped while Redis is down (cms_mandates/cache.py).
            "BACKEND": "cms_mandates.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "cms_mandates",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    # Embedded default: tasks run in the calling process, right after the transaction
    # that queued them commits, through exactly the same task functions.
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that queues a task while the broker is down gives up within seconds (the
# task is then left to the sweep; see reporting.services.report_enqueue) instead of
# hanging until the client times out.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}

# --- Progress reports (reporting) ----------------------------------------------------------
# A report still compiling after REPORT_SOFT_TIME_LIMIT seconds is stopped and marked failed
# with a message; after REPORT_TIME_LIMIT its worker process is killed. (A report of 16
# resolutions compiles in under a minute; the PDF layout takes most of it.)
REPORT_SOFT_TIME_LIMIT = env.int("REPORT_SOFT_TIME_LIMIT", default=1800)
REPORT_TIME_LIMIT = env.int("REPORT_TIME_LIMIT", default=1900)
# The sweep re-queues a report still pending this many seconds after it was queued (its
# message was lost). A running report is re-queued as soon as its worker has died.
REPORT_STALE_AFTER = env.int("REPORT_STALE_AFTER", default=300)
# Workers started on one report at most this many times before it is marked failed.
REPORT_MAX_ATTEMPTS = env.int("REPORT_MAX_ATTEMPTS", default=3)
# The annex of the report's documents (HTML, PDF, DOCX) lists the status updates and Party
# statuses of the period one by one up to this many; past it, it gives their number and
# refers to the report's JSON file, which always holds all of them.
REPORT_DOCUMENT_HISTORY_ROWS = env.int("REPORT_DOCUMENT_HISTORY_ROWS", default=2000)
# Processes that lay out a long report's PDF side by side, the worker's own included (0:
# one per CPU the worker may use; 1: only the worker's own, one run after another).
REPORT_PDF_PROCESSES = env.int("REPORT_PDF_PROCESSES", default=0)
if not REPORT_SOFT_TIME_LIMIT < REPORT_TIME_LIMIT:
    raise ImproperlyConfigured("REPORT_SOFT_TIME_LIMIT must be less than REPORT_TIME_LIMIT.")
CELERY_BEAT_SCHEDULE["reporting-sweep"] = {"task": "reporting.sweep_reports", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["reporting-compile-due"] = {
    "task": "reporting.compile_due_reports",
    "schedule": 15 * 60.0,
}

# --- Auth and roles ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses sign-ins of a locked-out account or address.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling: after AXES_FAILURE_LIMIT failed sign-ins the account, and separately
# the client address, is refused for AXES_COOLOFF_MINUTES (answer 429 with a message).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env.int("API_NUM_PROXIES", default=0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- E-mail ---------------------------------------------------------------------------
# EMAIL_URL such as smtp+tls://user:password@mail.example.org:587; absent: the console.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="cms-mandates@localhost")

# --- Notifications ------------------------------------------------------------------------
# The site's public address, for links in e-mails (sent by workers, outside any request).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# Reminders go this many days before a meeting's document deadline.
NOTIFY_REMINDER_DAYS = env.int("NOTIFY_REMINDER_DAYS", default=14)
CELERY_BEAT_SCHEDULE["notifications-sweep"] = {
    "task": "notifications.sweep_pending",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["notifications-digest"] = {
    "task": "notifications.send_digest",
    "schedule": crontab(hour=6, minute=0),
}
CELERY_BEAT_SCHEDULE["notifications-deadline-reminders"] = {
    "task": "notifications.deadline_reminders",
    "schedule": crontab(hour=5, minute=30),
}

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -----------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or VAR_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default="") or VAR_DIR / "media")
# Hashed, compressed static files in every mode (collectstatic runs in `make run`, in the
# test session and in the image), so that development serves what production serves.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Resolution importer -------------------------------------------------------------
# Largest resolution file (PDF, Word, text) or pasted text accepted, in bytes (characters
# for pasted text); a bigger one is refused with a message, nothing is read.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)


def _throttle_rate(name: str, default: str) -> str | None:
    """A rate as DRF reads it ("120/minute": requests, then a period that DRF knows by its
    first letter, s, m, h or d); empty for no limit. Anything else stops the start with
    the variable's name rather than failing every API request."""
    rate = env.str(name, default=default).strip()
    if not rate:
        return None
    if not re.fullmatch(r"\d+/(s|m|h|d)[a-z]*", rate):
        raise ImproperlyConfigured(
            f"{name}: {rate!r} is not a rate such as 120/minute (per second, minute, hour "
            "or day), nor empty for no limit."
        )
    return rate


# --- REST framework ---------------------------------------------------------------------
# The API's conventions (pagination, problem errors, CSV, throttles) are global here; the
# per-view ones (strict query parameters, ETag/304, Idempotency-Key) come from
# cms_mandates.rest.ApiViewMixin. README "REST API" documents both.
REST_FRAMEWORK = {
    # Token first: a request without credentials is answered 401 with WWW-Authenticate.
    # Session authentication enforces CSRF for signed-in browsers.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticatedOrReadOnly",
    ],
    "DEFAULT_FILTER_BACKENDS": ["cms_mandates.rest.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "cms_mandates.rest.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "cms_mandates.rest.ApiJSONRenderer",
        "cms_mandates.rest.CSVRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "cms_mandates.rest.StrictContentNegotiation",
    "EXCEPTION_HANDLER": "cms_mandates.rest.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "cms_mandates.rest.AnonymousThrottle",
        "cms_mandates.rest.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": _throttle_rate("API_THROTTLE_ANON", "120/minute"),
        "user": _throttle_rate("API_THROTTLE_USER", "600/minute"),
    },
    # Proxies in front of the app whose X-Forwarded-For is trusted for the client address
    # that anonymous throttling counts by; 0 ignores the header (it can be forged).
    "NUM_PROXIES": env.int("API_NUM_PROXIES", default=0),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CMS Mandate Tracker API",
    "DESCRIPTION": "Resolutions, mandates, their status history, Parties and progress reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The interactive docs are served from the app itself (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Separate request and response components, so read-only fields are not asked for.
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SORT_OPERATION_PARAMETERS": False,
    "ENUM_NAME_OVERRIDES": {
        "MandateStatusEnum": "resolutions.models.MandateStatus",
        "ResolutionStatusEnum": "resolutions.models.ResolutionStatus",
        "ResolutionKindEnum": "resolutions.models.ResolutionKind",
        "ParagraphPartEnum": "resolutions.models.ParagraphPart",
        "ActorKindEnum": "resolutions.models.ActorKind",
        "UpdateSourceEnum": "resolutions.models.UpdateSource",
        "PartyImplementationEnum": "partners.models.PartyImplementation",
        "RegionEnum": "partners.models.Region",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cms_mandates.rest.postprocess_schema",
    ],
}

# --- Transport security and response headers -------------------------------------------
# Production defaults are strict (HTTPS only, secure cookies, HSTS). A plain-HTTP
# development or test server turns off SECURE_SSL_REDIRECT, SESSION_COOKIE_SECURE and
# CSRF_COOKIE_SECURE by environment; with DEBUG on they default to off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Health probes of the orchestrator call the container over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: every asset is a file under static/.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# --- Logging ---------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every layout step of every PDF report at INFO.
    # django-axes logs every sign-in at INFO.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}
