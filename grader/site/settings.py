"""Django's settings, made from the course folder (no settings module on disk, no environment variables).

The site's own files live in COURSE_DIR/.grader-site/: the SQLite database (unless a PostgreSQL URL is
given), the secret key (made once, mode 0600) and the uploaded submissions.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from grader.errors import UsageError

__all__ = ["SITE_DIR", "configure", "database_settings", "site_dir"]

SITE_DIR = ".grader-site"
PACKAGE = Path(__file__).resolve().parent


def site_dir(course_dir: Path) -> Path:
    return Path(course_dir).resolve() / SITE_DIR


def _secret_key(folder: Path) -> str:
    path = folder / "secret_key"
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key + "\n")
        return key


def database_settings(url: str | None, folder: Path) -> dict[str, Any]:
    """SQLite in the course folder by default (WAL, IMMEDIATE transactions: one writer at a time, no
    deadlock between a reader that upgrades and a worker); `postgresql://user:pass@host:port/name` else."""
    if url is None or url.startswith("sqlite:"):
        name = folder / "db.sqlite3" if url is None else Path(unquote(urlparse(url).path))
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(name),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
            },
        }
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise UsageError(f"--db {url!r}: expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/NAME")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parsed.path.lstrip("/"),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
    }


def configure(course_dir: Path, *, db_url: str | None = None, debug: bool = False,
              allowed_hosts: list[str] | None = None) -> Path:
    """Configure Django for this course (once per process) and return the site folder."""
    from django.conf import settings

    folder = site_dir(course_dir)
    folder.mkdir(mode=0o700, exist_ok=True)
    (folder / "uploads").mkdir(mode=0o700, exist_ok=True)
    if settings.configured:
        return folder
    settings.configure(
        DEBUG=debug,
        SECRET_KEY=_secret_key(folder),
        ALLOWED_HOSTS=allowed_hosts or ["127.0.0.1", "localhost", "[::1]", "testserver"],
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "grader.site.portal",
        ],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "grader.site.portal.middleware.SecurityHeaders",
        ],
        ROOT_URLCONF="grader.site.portal.urls",
        TEMPLATES=[{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [],
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "grader.site.portal.views.site_context",
            ]},
        }],
        DATABASES={"default": database_settings(db_url, folder)},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        # The failed-sign-in counters (grader.site.accounts), in this process. Django's default 300 entries
        # would let a flood of made-up names from many addresses push a real account's counter out.
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "grader-site",
                            "OPTIONS": {"MAX_ENTRIES": 20_000}}},
        # Django's default hasher: PBKDF2-SHA256 with its current iteration count (no extra dependency).
        PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"],
        AUTH_PASSWORD_VALIDATORS=[
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        ],
        LOGIN_URL="/login/",
        LOGIN_REDIRECT_URL="/",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_AGE=14 * 24 * 3600,
        CSRF_COOKIE_SAMESITE="Lax",
        CSRF_FAILURE_VIEW="grader.site.portal.views.csrf_failure",
        X_FRAME_OPTIONS="SAMEORIGIN",
        SECURE_CONTENT_TYPE_NOSNIFF=True,
        SECURE_REFERRER_POLICY="same-origin",
        LANGUAGE_CODE="en",
        LANGUAGES=[("en", "English"), ("ko", "한국어")],
        LOCALE_PATHS=[str(PACKAGE / "locale")],
        USE_I18N=True,
        USE_TZ=True,
        TIME_ZONE="UTC",
        STATIC_URL="/static/",
        # Uploads: the intake caps decide; Django only keeps big files on disk instead of in memory.
        FILE_UPLOAD_MAX_MEMORY_SIZE=2 * 2**20,
        FILE_UPLOAD_TEMP_DIR=str(folder / "uploads"),
        DATA_UPLOAD_MAX_NUMBER_FILES=200,
        GRADER_COURSE_DIR=str(Path(course_dir).resolve()),
        GRADER_SITE_DIR=str(folder),
        LOGGING={"version": 1, "disable_existing_loggers": False,
                 "handlers": {"console": {"class": "logging.StreamHandler"}},
                 "loggers": {"django.server": {"handlers": ["console"], "level": "WARNING"}}},
    )
    import django

    django.setup()
    return folder
