"""Accounts: staff from the course file, students from a roster CSV (as `grader batch --roster` reads it),
one-time invite links, the demo's two accounts, and the throttle on failed sign-ins."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.intake.roster import load_roster
from grader.site.course import Course

__all__ = ["LOGIN_FAILURES", "LOGIN_FAILURES_PER_ADDRESS", "LOGIN_WINDOW", "LoginRefusal", "NewAccount", "import_roster", "login_attempt",
           "login_failure_key", "login_succeeded", "make_invite", "make_user", "retry_after", "sync_staff"]

# Roster columns that hold a login, most usable first; the roster's id column is the fallback.
_LOGIN_COLUMNS = ("username", "sis login id", "login", "user name", "github username", "email address", "email")


@dataclass(slots=True)
class NewAccount:
    """An account just made, and how its owner gets in (an invite link path, or a password shown once)."""

    username: str
    role: str
    name: str
    invite: str = ""          # "/invite/<token>/" (prefix it with the site's address)
    password: str = ""


def _username(row: Mapping[str, str], fallback: str) -> str:
    folded = {k.strip().casefold(): v for k, v in row.items()}
    for column in _LOGIN_COLUMNS:
        value = (folded.get(column) or "").strip()
        if value:
            return _clean(value.split("@")[0] if "@" in value else value)
    return _clean(fallback)


def _clean(value: str) -> str:
    return re.sub(r"[^\w.@+-]+", "_", value).strip("_")[:150] or "student"


def make_invite(user: Any) -> str:
    """A fresh one-time invite for `user` (earlier unused ones stop working); returns its path."""
    from grader.site.portal.models import Invite, token_digest

    Invite.objects.filter(user=user, used_at__isnull=True).delete()
    token = secrets.token_urlsafe(24)
    Invite.objects.create(user=user, digest=token_digest(token))
    return f"/invite/{token}/"


def make_user(username: str, role: str, *, name: str = "", roster_id: str = "", password: str | None = None,
              lang: str = "en") -> tuple[Any, bool]:
    """The user `username` with this role, made if missing (unusable password until an invite is used)."""
    from django.contrib.auth import get_user_model

    from grader.site.portal.models import Member

    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save()
    member, _ = Member.objects.get_or_create(user=user, defaults={"role": role, "display_name": name,
                                                                  "roster_id": roster_id, "lang": lang})
    if not created and (member.role != role or (name and member.display_name != name)):
        member.role = role
        member.display_name = name or member.display_name
        member.save()
    return user, created


def sync_staff(course: Course) -> list[NewAccount]:
    """Make the course file's staff accounts that do not exist yet; each new one gets an invite."""
    made: list[NewAccount] = []
    for entry in course.staff:
        user, created = make_user(entry.username, entry.role, name=entry.name)
        if created:
            made.append(NewAccount(entry.username, entry.role, entry.name, invite=make_invite(user)))
    return made


def import_roster(path: Path, columns: Mapping[str, str] | None = None) -> list[NewAccount]:
    """A student account for each roster row that has none yet, each with its invite."""
    roster = load_roster(path, columns)
    made: list[NewAccount] = []
    for entry in roster.entries:
        username = _username(entry.row, entry.id or entry.name)
        user, created = make_user(username, "student", name=entry.name, roster_id=entry.id)
        if created:
            made.append(NewAccount(username, "student", entry.name, invite=make_invite(user)))
    return made


# ------------------------------------------------------------------ failed sign-ins

LOGIN_FAILURES = 5            # failed sign-ins allowed per username in any window
# Per client address: a whole lab or dormitory often reaches the site through one NAT address (and every
# client through a reverse proxy's), so a handful of typos there must not lock out a class before a deadline.
LOGIN_FAILURES_PER_ADDRESS = 30
LOGIN_WINDOW = 15 * 60        # seconds
# The counters live in Django's cache: the site is one process (its workers are threads), so a process-local
# cache sees every attempt, and a failed sign-in writes nothing to the database that the workers write to.
_counting = threading.Lock()  # one read-modify-write of a counter at a time across the server's threads


@dataclass(frozen=True, slots=True)
class LoginRefusal:
    """Why sign-ins are refused now, and for how long."""

    scope: str      # "account" (this username) or "address" (this client)
    seconds: int    # until the window of the oldest counted failure ends (at least 1)


def login_failure_key(scope: str, value: str) -> str:
    """The cache key of one counter: a username (case-folded) or a client address, hashed (any characters)."""
    folded = value.strip().casefold() if scope == "account" else value.strip()
    return f"grader-login-failures:{scope}:{hashlib.sha256(folded.encode('utf-8')).hexdigest()}"


def retry_after(failures: Sequence[float], now: float, limit: int = LOGIN_FAILURES) -> float:
    """Seconds until one more sign-in may be tried, given the failures' times (epoch seconds); 0 if now."""
    recent = sorted(t for t in failures if t > now - LOGIN_WINDOW)
    if len(recent) < limit:
        return 0.0
    return recent[-limit] + LOGIN_WINDOW - now


def _limit(scope: str) -> int:
    return LOGIN_FAILURES if scope == "account" else LOGIN_FAILURES_PER_ADDRESS


def _counters(username: str, address: str) -> list[tuple[str, str]]:
    return [("account", login_failure_key("account", username)), ("address", login_failure_key("address", address))]


def login_attempt(username: str, address: str, *, now: float) -> LoginRefusal | None:
    """Refuse a sign-in as `username` from `address` (a refusal, nothing counted), or let it be tried and
    count it as failed until `login_succeeded` says otherwise. Counted before the password is checked, so
    parallel attempts cannot all slip under the limit. The refusal depends only on the counters, never on
    whether the account exists: an unknown name is refused the same way a real one is."""
    from django.core.cache import cache

    counters = _counters(username, address)
    with _counting:
        stored = {key: sorted(t for t in cache.get(key, []) if t > now - LOGIN_WINDOW) for _scope, key in counters}
        for scope, key in counters:
            wait = retry_after(stored[key], now, _limit(scope))
            if wait > 0:
                return LoginRefusal(scope, max(1, math.ceil(wait)))
        for scope, key in counters:
            cache.set(key, [*stored[key][-(_limit(scope) - 1):], now], timeout=LOGIN_WINDOW)
    return None


def login_succeeded(username: str, address: str, *, attempt_at: float) -> None:
    """The attempt counted at `attempt_at` was right: the account's count starts again and the address's
    forgets that attempt (its other failures stay, so one valid account cannot be used to go on guessing
    other names from the same client)."""
    from django.core.cache import cache

    with _counting:
        cache.delete(login_failure_key("account", username))
        key = login_failure_key("address", address)
        kept = list(cache.get(key, []))
        if attempt_at in kept:
            kept.remove(attempt_at)
            cache.set(key, kept, timeout=LOGIN_WINDOW)
