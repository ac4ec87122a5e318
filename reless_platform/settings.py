"""Settings for the RELESS platform, all read from the environment.

Without DATABASE_URL the platform uses a SQLite file; without REDIS_URL Celery tasks run
in-process (eagerly) and the cache is a database table. Production values (SECRET_KEY, hosts,
HTTPS) come from the environment; `manage.py check --deploy` passes with them. Without
SECRET_KEY the platform refuses to start unless DEBUG=1 or RELESS_DEV=1 (development).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Development mode (DEBUG=1, or RELESS_DEV=1 which the Makefile and the tests set) may run on
# the built-in key; anything else is production and refuses to start without its own key.
DEVELOPMENT = DEBUG or env_bool("RELESS_DEV", False)
DEVELOPMENT_KEY = "django-insecure-development-only-key-set-SECRET_KEY-in-production"
SECRET_KEY = env("SECRET_KEY") or (DEVELOPMENT_KEY if DEVELOPMENT else "")
if not DEVELOPMENT and (not SECRET_KEY or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured(
        "SECRET_KEY is not set (or is the development key). Set SECRET_KEY to 50+ random "
        "characters, or RELESS_DEV=1 for a development server.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: `runserver` leaves /static/ to WhiteNoise, which serves the collected
    # hashed files (`make run` runs collectstatic first), as gunicorn does in production.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for the project-wide FORM_RENDERER below
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "core",
    "accounts",
    "communes",
    "sectors",
    "cooperatives",
    "diagnostics",
    "support",
    "reports",
    "privacy",
    "offline",
    "operations",  # last: what runs the platform (set-up, generator, backups, bench)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Gzip for pages, CSV and JSON (see reless_platform/compression.py for BREACH).
    "reless_platform.compression.CompressionMiddleware",
    "reless_platform.security.ContentSecurityPolicyMiddleware",
    "reless_platform.resilience.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "reless_platform.urls"
ADMIN_URL_PREFIX = "/admin/"
WSGI_APPLICATION = "reless_platform.wsgi.application"

# Form widgets and labels render through the project's templates, so templates/django/forms/
# can mark required fields (label.html) on every form.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
# French groups thousands with a narrow no-break space (U+202F), as the French typographic
# norm wants; Django's French formats use a wider no-break space.
FORMAT_MODULE_PATH = ["reless_platform.formats"]

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
                "reless_platform.menu.role_menu",
                "offline.views_pwa.offline_client",
            ],
        },
    },
]

# No DATABASE_URL: a SQLite file beside manage.py, so `make run` needs no service.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
else:
    # A request never waits more than this on a query; reports run in workers with their own limits.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5

# A PostgreSQL read replica (hot standby) for the ministries' reads of aggregated figures
# (core/replica.py; docs/operations.md "Where one machine ends"). Without it every query
# reads the primary.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", "")
REPLICA_DATABASE = ""
if DATABASE_REPLICA_URL:
    REPLICA_DATABASE = "replica"
    DATABASES["replica"] = {
        **dj_database_url.parse(DATABASE_REPLICA_URL,
                                conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
                                conn_health_checks=True),
        "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Africa/Douala"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# STATIC_ROOT may move (e.g. a test running `make run` beside the suite keeps its own copy).
STATIC_ROOT = Path(env("STATIC_ROOT")) if env("STATIC_ROOT") else BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed names let WhiteNoise serve assets with a one-year cache header.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("STATIC_MANIFEST", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
WHITENOISE_MAX_AGE = 31536000

# Reference data (OCHA tables and boundaries) for the first-run command; never copied here.
# Personal data (Law No. 2024/017, docs/personal-data.md): years after a dissolution or the end
# of a bureau mandate before the nightly task pseudonymises the person's data; days to answer a
# person's request; the erasure log that `restore_db` replays, kept outside the database and
# its backups (an empty value keeps no file: only the database's own records are replayed).
PERSONAL_DATA_RETENTION_YEARS = int(env("PERSONAL_DATA_RETENTION_YEARS", "5"))
PERSONAL_DATA_REQUEST_DAYS = int(env("PERSONAL_DATA_REQUEST_DAYS", "30"))
PERSONAL_DATA_ERASURE_LOG = env("PERSONAL_DATA_ERASURE_LOG",
                                str(BASE_DIR / "var" / "erasures.jsonl"))

# Proof of existence (docs/registry-quality.md, "Verification visits"): an organisation whose
# latest verification visit is older than this many months (or that was never visited, or
# was not found) is flagged "not verified"; the scorecards count the share verified within it.
VERIFICATION_MONTHS = int(env("VERIFICATION_MONTHS", "24"))

RELESS_REFERENCE_DIR = env("RELESS_REFERENCE_DIR", str(BASE_DIR.parent / "shared" / "data"))

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis failures read as cache misses: pages and the API keep serving.
            "BACKEND": "reless_platform.resilience.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            # One Redis may serve several databases (staging, benchmarks): their cached
            # figures must never mix, so the prefix names the database by default.
            "KEY_PREFIX": env("CACHE_PREFIX", f"reless:{DATABASES['default']['NAME']}"),
        }
    }
else:
    # No Redis: a table of the database (created by accounts' migrations), so that every
    # worker process shares the login counters, the API token stamps and the cached figures.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "reless_cache",
            # Culling drops a third of the entries when full: keep it far above the
            # registry's stamps and figures (a few per commune).
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# Celery: without REDIS_URL every task runs in-process at once (eager), so no broker is needed.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
# A worker killed mid-task (SIGKILL, OOM) gives its message back so another worker retries it.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = int(env("CELERY_SOFT_TIME_LIMIT", "600"))
CELERY_TASK_TIME_LIMIT = int(env("CELERY_TIME_LIMIT", "660"))
# Above the hard time limit, so a message is never redelivered while its run still works.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", "900")),
    # How often a worker sweeps for messages of dead workers past the visibility timeout.
    "unacked_restore_interval": int(env("CELERY_RESTORE_INTERVAL", "10")),
    "unacked_restore_throttle": int(env("CELERY_RESTORE_THROTTLE", "10")),
}
# Fault-injection for the worker tests only: seconds a report task sleeps before computing.
REPORT_TASK_DELAY = float(env("REPORT_TASK_DELAY", "0"))
# The same for an export job, once it is marked running (a long national export, for the
# test that reports are not held up behind it).
EXPORT_TASK_DELAY = float(env("EXPORT_TASK_DELAY", "0"))
# After an edit, the national reports and the communes whose nearest-commune lists name the
# edited commune are refreshed this many seconds later: the edits of that window share one run.
REPORT_REFRESH_DEBOUNCE = float(env("REPORT_REFRESH_DEBOUNCE", "90"))
# Without REDIS_URL, a timer thread of the process that queued such a refresh runs it when
# due (the request never waits for it); off, the run stays queued for a recompute.
REPORT_REFRESH_IN_PROCESS = env_bool("REPORT_REFRESH_IN_PROCESS", True)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "reless")
# A request never hangs on a dead broker: one quick retry, then the run stays queued and the
# sweeper (requeue_queued_runs) sends it once Redis is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0,
                                    "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BEAT_SCHEDULE = {
    "nightly-national-reports": {
        "task": "reports.tasks.nightly_reports",
        "schedule": crontab(hour=1, minute=30),
    },
    "nightly-personal-data-retention": {
        "task": "privacy.tasks.nightly_retention",
        "schedule": crontab(hour=2, minute=30),
    },
    "nightly-integrity-check": {
        "task": "operations.tasks.nightly_integrity_check",
        "schedule": crontab(hour=3, minute=0),
    },
    "index-search-words": {  # organisations inserted and not indexed yet, if any
        "task": "cooperatives.tasks.index_search_words",
        "schedule": timedelta(minutes=1),
    },
    "requeue-queued-report-runs": {
        "task": "reports.tasks.requeue_queued_runs",
        "schedule": timedelta(minutes=2),
    },
    "fail-stale-import-jobs": {
        "task": "cooperatives.imports.tasks.fail_stale_import_jobs",
        "schedule": timedelta(minutes=15),
    },
    "fail-stale-report-runs": {
        "task": "reports.tasks.fail_stale_runs",
        "schedule": timedelta(minutes=15),
    },
    "nightly-access-log-purge": {
        "task": "accounts.tasks.purge_access_log",
        "schedule": crontab(hour=2, minute=30),
    },
    "expire-export-jobs": {
        "task": "cooperatives.tasks.expire_export_jobs",
        "schedule": timedelta(hours=1),
    },
}

# Exports (docs/performance.md, "Exports"): a request exporting more rows than this becomes
# a background job (ExportJob) on its own queue, so a national export never delays a
# commune's report; its file is kept EXPORT_KEEP_HOURS for its owner. Every worker listens on
# EXPORT_QUEUE too (Makefile, docker-compose.yml) unless one is started for it alone.
EXPORT_SYNC_MAX_ROWS = int(env("EXPORT_SYNC_MAX_ROWS", "20000"))
EXPORT_QUEUE = env("CELERY_EXPORT_QUEUE", "exports")
EXPORT_DIR = env("RELESS_EXPORT_DIR", str(BASE_DIR / "var" / "exports"))
EXPORT_KEEP_HOURS = float(env("EXPORT_KEEP_HOURS", "24"))
# The open-data files (organisations CSV and JSON-LD), written again in the background after
# the registry changes and served as files.
OPEN_DATA_DIR = env("RELESS_OPEN_DATA_DIR", str(BASE_DIR / "var" / "open-data"))
CELERY_TASK_ROUTES = {
    "cooperatives.tasks.run_export_job": {"queue": EXPORT_QUEUE},
    "cooperatives.tasks.generate_open_data": {"queue": EXPORT_QUEUE},
}

# The access log of personal data (accounts/access_log.py): its writer thread writes what
# waits every this many seconds (0: no thread, entries wait for an explicit flush, as in the
# tests); rows are kept this many days (Law No. 2024/017, docs/personal-data.md).
ACCESS_LOG_FLUSH_SECONDS = float(env("ACCESS_LOG_FLUSH_SECONDS", "1"))
ACCESS_LOG_KEEP_DAYS = int(env("ACCESS_LOG_KEEP_DAYS", "365"))

# Uploaded spreadsheets (organisation and PCD grid imports): a file beyond one of these limits
# is refused, with the reason, before any parsing (docs/security.md, "Files"). The largest real
# import, 100,000 organisations x 19 columns, is 1.9 million cells, about 700,000 distinct
# texts, some 100 MB of XML once unzipped and about 15 zip members.
SPREADSHEET_MAX_COLUMNS = int(env("SPREADSHEET_MAX_COLUMNS", "200"))  # cells in one row
SPREADSHEET_MAX_CELLS = int(env("SPREADSHEET_MAX_CELLS", "2500000"))  # in the whole file
SPREADSHEET_MAX_SHARED_STRINGS = int(env("SPREADSHEET_MAX_SHARED_STRINGS", "1000000"))
SPREADSHEET_MAX_UNZIPPED_MB = int(env("SPREADSHEET_MAX_UNZIPPED_MB", "160"))  # all members
# Unzipped / zipped size of one member over 1 MB: XML sheets compress 5 to 30 times; a
# zip bomb, a thousand times.
SPREADSHEET_MAX_RATIO = int(env("SPREADSHEET_MAX_RATIO", "100"))
SPREADSHEET_MAX_MEMBERS = int(env("SPREADSHEET_MAX_MEMBERS", "500"))
SPREADSHEET_MAX_LINE_CHARS = int(env("SPREADSHEET_MAX_LINE_CHARS", "1000000"))  # CSV line
# The PCD grid import runs in the web request (a grid has tens to hundreds of needs), so its
# files are held smaller: 20,000 rows x 12 columns and 40 MB unzipped.
GRID_IMPORT_MAX_CELLS = int(env("GRID_IMPORT_MAX_CELLS", "250000"))
GRID_IMPORT_MAX_UNZIPPED_MB = int(env("GRID_IMPORT_MAX_UNZIPPED_MB", "40"))
# The worker reads an organisation file in a child process allowed this much address space
# beyond the worker's own (RLIMIT_AS); beyond it the job fails with a clear message.
IMPORT_READ_MEMORY_MB = int(env("IMPORT_READ_MEMORY_MB", "1024"))

REST_FRAMEWORK = {
    # One parser for the whole API: JSON bounded in size and nesting (core/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    # JSON unless a view adds CSV; no browsable API (HTML) under /api/.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.authentication.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env("API_TOKEN_RATE", "6000/hour")},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "RELESS platform API",
    "DESCRIPTION": "Commune-level registry of Cameroon's social and solidarity economy networks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Organisations appear in several components (read, saved): one name for their statuses.
    "ENUM_NAME_OVERRIDES": {"OrganisationStatusEnum": "cooperatives.models.OrganisationStatus",
                            # History entries kept their name when the sign-off's steps came.
                            "ActionEnum": ["created", "changed", "deleted"],
                            "SignoffActionEnum": "reports.models.SignoffStep.Action",
                            "ProgrammeKindEnum": "support.models.Programme.Kind",
                            "EnrolmentOutcomeEnum": "support.models.Enrolment.Outcome",
                            "VerificationOutcomeEnum":
                                "cooperatives.models.VerificationOutcome"},
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Deep links put a link inside each operation's toggle button (nested controls, which
    # screen readers cannot reach); the docs read fine without them.
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.add_common_errors",
        "core.api.declare_parameter_rules",
    ],
}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "RELESS <noreply@localhost>")
# The address of the site, for the links of e-mails sent by workers (no request to read it).
SITE_URL = env("SITE_URL", "http://localhost:8000")

SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(8 * 3600)))  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# HTTPS settings: on in production (DEBUG off and HTTPS=1), off for the local server.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
}
