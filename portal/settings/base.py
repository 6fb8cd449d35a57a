"""Settings shared by every environment. Integrations are switched by environment variables:
DATABASE_URL, REDIS_URL, EMAIL_URL (see docs/operations.md)."""

from pathlib import Path
from typing import Any

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "portal.apps.PortalAdminConfig",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "anymail",
    "portal.apps.PortalConfig",
    "core.apps.CoreConfig",
    "users",
    "dossiers",
    "connect",
    "view",
    "rest_framework",
    "drf_spectacular",
]

MIDDLEWARE = [
    # Probes are answered first: no session, database scope, host check or TLS redirect.
    "portal.health.HealthCheckMiddleware",
    "portal.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.db_scope.DbScopeMiddleware",
    "users.middleware.SessionIdleTimeoutMiddleware",
    "users.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "users.middleware.UserSessionActivityMiddleware",
    "dossiers.middleware.MfaRequiredMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.header",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run`'s embedded database, written by several request threads and their inline
    # tasks at once: readers beside the writer (WAL), writers that wait their turn (a busy
    # timeout) and take the write lock when their transaction begins, so that two transactions
    # never both read and then both fail to write ("database is locked").
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
#: Row-level security, the second wall (docs/tenancy.md): the role the application acts as
#: (owns nothing, no BYPASSRLS; `SET ROLE` on connecting when the login role differs), and the
#: scope of a connection before a request or task sets its own: "none" in web processes
#: (portal/wsgi.py), "system" for the worker and management commands.
DATABASE_APP_ROLE = env("DATABASE_APP_ROLE", default="")
DB_DEFAULT_SCOPE = env("DB_DEFAULT_SCOPE", default="system")
#: The application's own tenant filters. Only the test proving the second wall switches them off.
PORTAL_APP_SCOPING = True

# --- Cache, broker ---------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
# Without a broker (the embedded default of `make run`) tasks run inline, in the request.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
# Inline (no broker): a failed delivery stays pending in the outbox instead of failing the request.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    # core.tasks.email_deliver keeps its name from the portal app (queued messages use it).
    "portal.tasks.email_deliver": {"queue": "mail"},
    "connect.tasks.document_process": {"queue": "documents"},
    "connect.tasks.document_recognise": {"queue": "recognition"},
    "connect.tasks.supplier_memory_learn": {"queue": "recognition"},
    "dossiers.tasks.*": {"queue": "default"},
}
CELERY_BEAT_SCHEDULE = {
    # core.tasks.outbound_email_sweep, under its name from the portal app.
    "outbound-email-sweep": {"task": "portal.tasks.outbound_email_sweep", "schedule": 60.0},
    "accountant-digests": {"task": "connect.tasks.accountant_digests", "schedule": 900.0},
    # Reminders of tasks and document requests, decided from the database state.
    "reminders": {"task": "connect.tasks.reminders_send", "schedule": 900.0},
    "document-processing-sweep": {
        "task": "connect.tasks.document_processing_sweep",
        "schedule": 60.0,
    },
}
#: The worker's CPU niceness (0 to 19; portal/celery.py): document processing, recognition and
#: mail are background work, so on a busy host they yield the CPU to the pages people wait for
#: (docs/operations.md). 0 leaves the worker as it was started.
WORKER_NICENESS = env.int("WORKER_NICENESS", default=10)
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240

# --- Mail ------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Portal <no-reply@portal.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 20
#: Where the portal is reached: links in mails sent by the worker start with it.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
#: First retry delay (seconds) of a failed delivery; doubles each time, up to 10 minutes.
MAIL_RETRY_BACKOFF = env.int("MAIL_RETRY_BACKOFF", default=5)

#: Provider webhooks for inbound mail (/inbound/<provider>/inbound/) use HTTP basic auth
#: with this secret ("user:password"); without it they answer 400.
ANYMAIL = {"WEBHOOK_SECRET": env("INBOUND_WEBHOOK_SECRET", default="")}
#: Each dossier receives documents by e-mail at <token>@INBOUND_EMAIL_DOMAIN.
INBOUND_EMAIL_DOMAIN = env("INBOUND_EMAIL_DOMAIN", default="connect.localhost")
#: `manage.py inbound_smtp` offers STARTTLS with this certificate and key (PEM files); with
#: INBOUND_SMTP_REQUIRE_STARTTLS a client must start TLS before sending mail.
INBOUND_SMTP_TLS_CERT = env("INBOUND_SMTP_TLS_CERT", default="")
INBOUND_SMTP_TLS_KEY = env("INBOUND_SMTP_TLS_KEY", default="")
INBOUND_SMTP_REQUIRE_STARTTLS = env.bool("INBOUND_SMTP_REQUIRE_STARTTLS", default=False)
#: The DNS server the inbound mail checks (SPF, DKIM, DMARC) ask, as host:port; empty: the
#: system's resolver. Tests point it at a local stub.
INBOUND_DNS_RESOLVER = env("INBOUND_DNS_RESOLVER", default="")
INBOUND_DNS_TIMEOUT = env.float("INBOUND_DNS_TIMEOUT", default=5.0)
#: The authserv-ids whose Authentication-Results headers the provider webhook trusts (the
#: provider's own receiving host names); empty: only the provider's Received-SPF is read.
INBOUND_TRUSTED_AUTHSERV_IDS = env.list("INBOUND_TRUSTED_AUTHSERV_IDS", default=[])
#: At most one automatic answer per sender in this many seconds (0: no limit).
INBOUND_ANSWER_INTERVAL = env.int("INBOUND_ANSWER_INTERVAL", default=3600)

# --- Connect: receiving files -----------------------------------------------------------------
CONNECT_MAX_UPLOAD_SIZE = env.int("CONNECT_MAX_UPLOAD_SIZE", default=50 * 1024 * 1024)
CONNECT_MAX_FILES_PER_REQUEST = env.int("CONNECT_MAX_FILES_PER_REQUEST", default=20)
CONNECT_MAX_IMAGE_PIXELS = env.int("CONNECT_MAX_IMAGE_PIXELS", default=60_000_000)
#: PDFs with JavaScript or automatic actions are refused unless this is off.
CONNECT_PDF_REFUSE_ACTIVE_CONTENT = env.bool("CONNECT_PDF_REFUSE_ACTIVE_CONTENT", default=True)
#: ClamAV's clamd scans every received file, e-mail and e-invoice attachment: a unix socket
#: path or host:port (empty: no scan). No verdict (clamd down) refuses the file: fail closed.
#: clamd's StreamMaxLength must exceed 1.4 x CONNECT_MAX_UPLOAD_SIZE (a whole e-mail is scanned).
CONNECT_CLAMD_SOCKET = env("CONNECT_CLAMD_SOCKET", default="")
CONNECT_CLAMD_TIMEOUT = env.float("CONNECT_CLAMD_TIMEOUT", default=60.0)
#: A document whose processing failed this many times is quarantined.
CONNECT_PROCESSING_MAX_ATTEMPTS = 3
#: Optimum: a reading whose overall confidence is below this waits for the accountant.
CONNECT_REVIEW_THRESHOLD = env.float("CONNECT_REVIEW_THRESHOLD", default=0.8)
#: Behind Caddy (deploy/Caddyfile) or nginx: downloads of stored files are handed to the proxy
#: with X-Accel-Redirect under this internal prefix (compose: "/_protected/"), which maps to
#: MEDIA_ROOT (connect/documents/downloads.py). Empty, or files on S3: Django streams the file.
CONNECT_X_ACCEL_REDIRECT = env("CONNECT_X_ACCEL_REDIRECT", default="")
FILE_UPLOAD_TEMP_DIR = env("FILE_UPLOAD_TEMP_DIR", default=None)
# Uploads above 1 MB go to a temporary file while they arrive: memory does not grow with size.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "connect.documents.uploads.LimitedTemporaryFileUploadHandler",
]

# --- Authentication --------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Argon2id with OWASP's settings (users/hashers.py); older hashes verify and are rewritten.
PASSWORD_HASHERS = [
    "users.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "users.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:hub"

ACCOUNT_ADAPTER = "portal.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "users.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_RATE_LIMITS = {
    # The sixth failed login in a row for one account is refused; per IP a wider bound.
    "login_failed": "20/m/ip,5/5m/key",
    "login": "30/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
# Two-factor authentication: an authenticator app (TOTP), security keys and passkeys (WebAuthn,
# as a second factor after the password), and single-use recovery codes. A firm may require it
# of its staff (Firm.mfa_required_for_staff, dossiers.middleware.MfaRequiredMiddleware).
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_ADAPTER = "portal.adapters.MFAAdapter"
MFA_FORMS = {"add_webauthn": "users.forms.SecurityKeyForm"}
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="Portal")
# A code of the previous or next 30 seconds is accepted too (a phone's clock drifts); each code
# opens one login only.
MFA_TOTP_TOLERANCE = 1
MFA_PASSKEY_LOGIN_ENABLED = False
# Sessions: each user lists theirs (device, IP, last seen) and can log out the others; "last
# seen" is written at most once a minute (users.middleware.UserSessionActivityMiddleware).
USERSESSIONS_TRACK_ACTIVITY = True
# A session idle for longer than this ends at its next request
# (users.middleware.SessionIdleTimeoutMiddleware); "remember me" on the login form keeps it
# for SESSION_REMEMBER_SECONDS of idleness instead (and the cookie survives the browser).
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=8 * 3600)
SESSION_REMEMBER_SECONDS = env.int("SESSION_REMEMBER_SECONDS", default=14 * 24 * 3600)
SESSION_COOKIE_AGE = SESSION_REMEMBER_SECONDS
USERSESSIONS_ADAPTER = "users.adapters.UserSessionsAdapter"
# Behind a reverse proxy the client's IP (for the per-IP login limits and the session list) is
# taken from X-Forwarded-For, trusting this many proxies; 0: REMOTE_ADDR.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [
    ("fr", _("French")),
    ("nl", _("Dutch")),
    ("de", _("German")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "portal_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True
# English with European dates (day first, 24-hour clock): portal/formats/en.
FORMAT_MODULE_PATH = ["portal.formats"]

# --- Static and media ------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Documents on S3-compatible storage (django-storages) when a bucket is named.
S3_BUCKET = env("S3_BUCKET", default="")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env("S3_ENDPOINT_URL", default=None),
            "region_name": env("S3_REGION", default=None),
            "access_key": env("S3_ACCESS_KEY_ID", default=None),
            "secret_key": env("S3_SECRET_ACCESS_KEY", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            "location": env("S3_PREFIX", default=""),
        },
    }

# --- Security defaults (hardened further in production.py) ----------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_RESOURCE_POLICY = "same-origin"
#: Content-Security-Policy of every page (portal/middleware.py; Django 6.0's setting shape):
#: no inline script or style, nothing from another origin. Downloads set a stricter one.
SECURE_CSP: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
#: Browser features no page uses. Photos are taken through <input capture> (the phone's camera
#: app), which no policy governs.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}
#: /health/db/, /health/redis/ and /health/worker/ keep a result this long (portal/health.py).
HEALTH_CHECK_CACHE_SECONDS = env.float("HEALTH_CHECK_CACHE_SECONDS", default=5.0)

# --- Logs: JSON lines in production, plain lines for `make run`, both with the request id ---
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.logging.RequestContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- API v1 (DESIGN.md §4) -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["users.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "users.authentication.TokenScopeAllows",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["connect.api.framework.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "token": env("API_RATE", default="600/min"),
        "upload": env("API_UPLOAD_RATE", default="120/min"),
    },
    "EXCEPTION_HANDLER": "connect.api.framework.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Portal retrieval and sender API",
    "DESCRIPTION": "Connect documents for accountants' desktop tools and senders (DESIGN.md §4).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}
