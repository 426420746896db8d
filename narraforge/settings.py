"""NarraForge settings, read from the environment (django-environ).

Everything that differs between a laptop and production comes from env vars
(or a `.env` file beside manage.py); see `.env.example`. With DEBUG off the
secure defaults are on, so `manage.py check --deploy` is clean in production.
"""

from pathlib import Path

import environ

from narraforge.envconfig import database_config, mailer_config, redis_url

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
TESTING = env.bool("NF_TESTING", default=False)

# A development key only works with DEBUG on; production must set SECRET_KEY.
_DEV_SECRET = "dev-insecure-narraforge-key-change-me-0123456789abcdefghijklmnop"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET if (DEBUG or TESTING) else "")
if not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG or TESTING else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "django_htmx",
    "django_rq",
    "narraforge",
    "accounts",
    "connections",
    "projects",
    "jobs",
    "narratives",
    "billing",
]

MIDDLEWARE = [
    "narraforge.health.ProbeMiddleware",  # /healthz, /readyz: before host checks and the HTTPS redirect
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "narraforge.logging.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "narraforge.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

WSGI_APPLICATION = "narraforge.wsgi.application"
ASGI_APPLICATION = "narraforge.asgi.application"

DATABASES = {"default": database_config(env)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = redis_url(env)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests create many users. Production keeps Argon2 first.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- allauth -------------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Production: a writer confirms the address before signing in, hence before the
# first job; development keeps it optional. With "mandatory" allauth's signup
# answers a registered address exactly like a new one (and mails its owner).
ACCOUNT_EMAIL_VERIFICATION = env.str(
    "ACCOUNT_EMAIL_VERIFICATION", default="optional" if DEBUG or TESTING else "mandatory"
)
ACCOUNT_PREVENT_ENUMERATION = True
# Jobs need a confirmed address (jobs.services, accounts/verification.py); on by
# default exactly when verification is mandatory, settable on its own.
NF_REQUIRE_VERIFIED_EMAIL = env.bool(
    "NF_REQUIRE_VERIFIED_EMAIL", default=ACCOUNT_EMAIL_VERIFICATION == "mandatory"
)
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
# Google / GitHub sign-in: only when their client id and secret are set, so the
# buttons appear only when they can work.
SOCIALACCOUNT_PROVIDERS: dict = {}
_SOCIAL = {
    "google": ("GOOGLE", {"SCOPE": ["profile", "email"], "AUTH_PARAMS": {"access_type": "online"}}),
    "github": ("GITHUB", {"SCOPE": ["read:user", "user:email"]}),
}
for _provider, (_prefix, _options) in _SOCIAL.items():
    _client_id = env.str(f"{_prefix}_CLIENT_ID", default="")
    _secret = env.str(f"{_prefix}_CLIENT_SECRET", default="") or env.str(f"{_prefix}_SECRET", default="")
    if _client_id and _secret:
        INSTALLED_APPS.append(f"allauth.socialaccount.providers.{_provider}")
        SOCIALACCOUNT_PROVIDERS[_provider] = {
            "APP": {"client_id": _client_id, "secret": _secret, "key": ""},
            "VERIFIED_EMAIL": _provider == "google",
            **_options,
        }
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
# allauth keeps its login rate limits in the cache: production shares one in
# Redis, so the limits hold across gunicorn workers and hosts (tests and
# development use per-process memory).
if not DEBUG and not TESTING:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "nf",
        }
    }
# Behind reverse proxies (README, Production): how many of them append to
# X-Forwarded-For, so the rate limits key on the real client (narraforge/clientip.py).
# 0 (the default) ignores the header: without a proxy anyone can write it.
NF_TRUSTED_PROXY_COUNT = env.int("NF_TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_FORMS = {"user_token": "accounts.forms.ResetTokenForm"}
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Development and tests serve files straight from static/ (no collectstatic needed).
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
    # Rendered exports (narratives.exports.jobs). A local folder by default: fine for one
    # host, or several sharing that folder. For several hosts, point it at S3-compatible
    # storage with django-storages (README, "Exports").
    "exports": {
        "BACKEND": env.str(
            "NF_EXPORTS_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json("NF_EXPORTS_STORAGE_OPTIONS", default={})
        or {"location": env.str("NF_EXPORTS_DIR", default=str(BASE_DIR / "var" / "exports"))},
    },
}

# --- email -----------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587 in production;
# development keeps every mail in the development mailbox, read at /dev/mail/
# (narraforge/devmail.py). Tests get Django's in-memory outbox whatever this says.
_DEFAULT_EMAIL_URL = "devmailbox://" if DEBUG or TESTING else "smtp://localhost:25"
NF_DEV_MAILBOX_DIR = env.path("NF_DEV_MAILBOX_DIR", default=BASE_DIR / "var" / "mail")
MAILERS = {"default": mailer_config(env.str("EMAIL_URL", default=_DEFAULT_EMAIL_URL))}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="NarraForge <noreply@narraforge.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- queues ----------------------------------------------------------------
# Paid tiers go to `high`; workers listen to high first, then default.
RQ_QUEUES = {
    "high": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600},
    "default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600},
}
RQ_SHOW_ADMIN_LINK = True
# Our worker runs the orphan reaper on a timer of its own (RQ's scheduler lock can
# stay held ~2 minutes after a worker is SIGKILLed) and preloads the task modules.
RQ = {"WORKER_CLASS": "jobs.worker.NarraForgeWorker"}

# --- generation engine ----------------------------------------------------
from jobs.pipeline.config import DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_ATTEMPTS  # noqa: E402  (one default)

OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="") or None
# The offline engine is the default whenever no API key is configured.
NF_LLM_BACKEND = env.str("NF_LLM_BACKEND", default="openai" if OPENAI_API_KEY else "offline")
NF_MODEL_MINI = env.str("NF_MODEL_MINI", default="gpt-4o-mini")
NF_MODEL_GPT4 = env.str("NF_MODEL_GPT4", default="gpt-4o")
# Prices in USD per 1M tokens: {"model": [input, output]}.
NF_MODEL_PRICES = env.json(
    "NF_MODEL_PRICES",
    default={"gpt-4o-mini": [0.15, 0.60], "gpt-4o": [2.50, 10.00]},
)
# Seconds without a streamed token before an attempt is abandoned (an idle timeout, not a total cap).
NF_LLM_TIMEOUT_SECONDS = env.float("NF_LLM_TIMEOUT_SECONDS", default=DEFAULT_IDLE_TIMEOUT)
NF_LLM_MAX_ATTEMPTS = env.int("NF_LLM_MAX_ATTEMPTS", default=DEFAULT_MAX_ATTEMPTS)
# The model's context window in tokens; unset: what GET /v1/models states, else 128k.
NF_LLM_CONTEXT_WINDOW = env.int("NF_LLM_CONTEXT_WINDOW", default=0) or None
# auto (detect and remember per endpoint), json_schema, json_object or prompt.
NF_LLM_JSON_MODE = env.str("NF_LLM_JSON_MODE", default="auto")
# Stream answers (live prose, idle timeout); off: whole answers (usage always server-reported).
NF_LLM_STREAM = env.bool("NF_LLM_STREAM", default=True)
# A model call's total deadline (attempts, backoff and Retry-After waits): no retry starts past it,
# so a hung endpoint ends the job (resumable, cause "model unreachable") instead of hiding for minutes.
NF_LLM_CALL_DEADLINE_SECONDS = env.float("NF_LLM_CALL_DEADLINE_SECONDS", default=300.0)
# restore_db --yes: how long to wait for the workers to stop, counted from the last one that
# stopped (local workers also get SIGTERM; see jobs.restoring.restore_stop_workers).
NF_RESTORE_WORKER_GRACE_SECONDS = env.float("NF_RESTORE_WORKER_GRACE_SECONDS", default=120.0)
# Whole pages kept per session and process (narraforge.pagecache): at most this old (relative times),
# rebuilt at once when the writer's rows change. 0 turns the page cache off.
NF_PAGE_CACHE_SECONDS = env.float("NF_PAGE_CACHE_SECONDS", default=60.0)
NF_PAGE_CACHE_BYTES = env.int("NF_PAGE_CACHE_BYTES", default=64 * 1024 * 1024)
# Writers' own model connections may point at private, loopback and shared addresses (a model
# server on this machine or network). Off in production: a public NarraForge must not be a way into
# its own network. Link-local and cloud metadata addresses are refused either way (jobs.pipeline.hostguard).
NF_ALLOW_PRIVATE_MODEL_HOSTS = env.bool("NF_ALLOW_PRIVATE_MODEL_HOSTS", default=DEBUG or TESTING)
# The model tier of stage 08's polishing pass ("mini" or "gpt4"); the pass itself is a brief choice.
NF_POLISH_TIER = env.str("NF_POLISH_TIER", default="mini").strip().lower()
if NF_POLISH_TIER not in ("mini", "gpt4"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"NF_POLISH_TIER must be mini or gpt4, not {NF_POLISH_TIER!r}")
# Fernet keys for writers' API keys at rest (connections.crypto): the first encrypts, all decrypt.
# Unset: one derived from SECRET_KEY (check --deploy warns). Rotate: manage.py rotate_connection_keys.
NF_CONNECTION_KEYS = env.list("NF_CONNECTION_KEYS", default=[])
NF_JOB_COST_CAP_USD = env.float("NF_JOB_COST_CAP_USD", default=25.0)
# A fixed cost estimate for every brief instead of the engine's (None: the engine estimates).
# A seam for tests and benches of the limits: the offline engine estimates $0.
NF_FIXED_ESTIMATE_USD = None

# --- security ----------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Sessions read from the cache (Redis in production), written through to the database:
# a signed-in request pays one query (the user) instead of two (issue 18 §6).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "https:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# --- logging -----------------------------------------------------------------
# JSON lines in production, text in development; every line carries user_id and
# job_id where known (narraforge/logging.py).
from narraforge.logging import init_sentry, logging_config  # noqa: E402

LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = logging_config(fmt=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))

# Optional error reporting: only initialised when SENTRY_DSN is set.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
init_sentry(
    SENTRY_DSN,
    environment=env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"),
    release=env.str("SENTRY_RELEASE", default="") or None,
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
)
