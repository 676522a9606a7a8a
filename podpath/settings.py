"""Django settings for Podpath.

Embedded defaults need nothing: SQLite under var/, an in-memory channel layer, web and agent in one
process. For several machines, set DATABASE_URL (postgres://user:password@host:5432/name) and
REDIS_URL (redis://host:6379/0); PODPATH_SECRET_KEY, PODPATH_ALLOWED_HOSTS (comma-separated) and
PODPATH_HTTPS=1 (served behind TLS: secure cookies, HSTS, redirect to https) configure a deployment.
Debug pages are off unless PODPATH_DEBUG=1: they show every URL pattern and setting to anyone.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PODPATH_VAR_DIR", BASE_DIR / "var"))


def env_flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


def private_var_dir(directory: Path) -> None:
    """Keep var/ (secret key, database, logs) readable by its owner alone: 0700, files 0600."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)
        for path in directory.iterdir():
            if path.is_file() and not path.is_symlink():
                path.chmod(0o600)
    except OSError:
        pass  # a read-only checkout, or a directory owned by someone else: nothing to tighten


def secret_key() -> str:
    """Use PODPATH_SECRET_KEY, else a key generated once and kept in var/ (never committed)."""
    if os.environ.get("PODPATH_SECRET_KEY"):
        return os.environ["PODPATH_SECRET_KEY"]
    path = VAR_DIR / "secret.key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(50)
        try:
            VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Created 0600 from the start: never readable by others, not even for a moment.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(key + "\n")
        except FileExistsError:
            return path.read_text().strip()  # another process wrote it first
        except OSError:
            pass  # a read-only checkout still runs, with a key per process
        return key


DATABASE_ENGINES = ("django.db.backends.postgresql", "django.db.backends.sqlite3")


def database_from_url(url: str | None) -> dict:
    """Translate DATABASE_URL into Django's settings (query parameters such as sslmode, connect_timeout or
    host=/var/run/postgresql become OPTIONS); SQLite in var/ when unset."""
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3"}
    config = dict(dj_database_url.parse(url))
    if config["ENGINE"] not in DATABASE_ENGINES:
        # Podpath ships and tests only these two drivers: say so now rather than at the first query.
        raise ValueError(f"DATABASE_URL: unsupported database {url.split(':', 1)[0]!r} (use postgres:// or sqlite://)")
    return config


# Messages a channel holds before a send fails with ChannelFull: channels-redis's default of 100 is less
# than one class reset of a course on one host's agent channel (a job per sandbox).
CHANNEL_CAPACITY = 2000


def channel_layer_from_url(url: str | None) -> dict:
    """Redis when REDIS_URL is set (web and agents on several machines), else in-memory."""
    if not url:
        return {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [url], "capacity": CHANNEL_CAPACITY},
    }


private_var_dir(VAR_DIR)
SECRET_KEY = secret_key()
DEBUG = env_flag("PODPATH_DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("PODPATH_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "hosts",
    "classrooms",
    "labs",
    "exercises",
    "kubeapi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "podpath.urls"
ASGI_APPLICATION = "podpath.asgi.application"
WSGI_APPLICATION = None

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
            ],
        },
    },
]

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL"))}
CHANNEL_LAYERS = {"default": channel_layer_from_url(os.environ.get("REDIS_URL"))}
# The embedded run keeps the agent in the web server's process; with Redis, `podpath agent` runs it
# beside the kernel (set PODPATH_EMBEDDED_AGENT=0 on web-only machines).
PODPATH_EMBEDDED_AGENT = env_flag("PODPATH_EMBEDDED_AGENT", not os.environ.get("REDIS_URL"))
# This machine's kernel host (hosts.Host): the id its agent registers and listens under
# (channel podpath-agent.<id>), how many sandboxes it takes, how often it says it is alive, and after how
# long without a heartbeat the web tier shows it down and refuses its jobs.
PODPATH_HOST_ID = os.environ.get("PODPATH_HOST_ID", "local")
PODPATH_HOST_SANDBOXES = int(os.environ.get("PODPATH_HOST_SANDBOXES") or 50)
PODPATH_HEARTBEAT_S = float(os.environ.get("PODPATH_HEARTBEAT_S") or 5)
PODPATH_HOST_TIMEOUT_S = float(os.environ.get("PODPATH_HOST_TIMEOUT_S") or 3 * PODPATH_HEARTBEAT_S)
# Where kubectl reaches the Kubernetes API (kubeapi), for the kubeconfigs the dashboard hands out:
# https://HOST:PORT; `podpath serve --kube-tls PORT` fills it in when unset.
PODPATH_KUBE_SERVER = os.environ.get("PODPATH_KUBE_SERVER", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# Cookies: never readable from scripts, never sent on cross-site requests. htmx sends the CSRF token from
# the page (base.html), not from the cookie.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind TLS (nginx in front, docs/deploy.md): cookies only over https, HSTS, and http redirected.
if env_flag("PODPATH_HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
# Django exports TIME_ZONE as TZ to the process; UTC keeps kernel and log timestamps comparable.
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"podpath": {"handlers": ["console"], "level": "INFO"}},
}
