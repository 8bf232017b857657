"""Accounts: staff from the course file, students from a roster CSV (as `grader batch --roster` reads it),
one-time invite links, and the demo's two accounts."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.intake.roster import load_roster
from grader.site.course import Course

__all__ = ["NewAccount", "import_roster", "make_invite", "make_user", "sync_staff"]

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
