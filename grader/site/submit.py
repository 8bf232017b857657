"""Taking in one upload: the course's rules first (deadline, rate limit, pending attempts), then the same
intake as `grader batch` (sizes, counts, unsafe archives), then the files are written whole and the
attempt is queued, or nothing is kept at all.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.db import DatabaseError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from grader.errors import SubmissionError
from grader.grading import missing_files
from grader.site.course import Course
from grader.site.rules import lateness, rate_limited
from grader.site.worker import submission_folder
from grader.submission import IntakeLimits, intake, is_archive

__all__ = ["INTAKE_LIMITS", "INTAKE_REASONS", "Refused", "Upload", "accept", "intake_reason", "required_files",
           "size_text", "storage_refused"]

INTAKE_LIMITS = IntakeLimits()
_SNIFF = 8192


class Refused(Exception):
    """The upload was not taken; `reason` is one plain sentence for the student (nothing was kept)."""

    def __init__(self, reason: str, *, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status        # the HTTP status the page is sent with (507: the server's disk is full)


@dataclass(slots=True)
class Upload:
    """One uploaded file as the browser named it."""

    name: str
    stream: IO[bytes]
    size: int


_SQLITE_FULL = 13          # sqlite3.SQLITE_FULL: the database file could not grow
_PG_DISK_FULL = "53100"    # PostgreSQL's SQLSTATE disk_full


def _disk_full(exc: BaseException) -> bool:
    """True when `exc` or what caused it says the disk is full: ENOSPC/EDQUOT from a write, SQLite's SQLITE_FULL
    or PostgreSQL's disk_full from the database (Django raises its own error from the driver's)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if (getattr(seen, "sqlite_errorcode", None) or 0) & 0xFF == _SQLITE_FULL:
            return True
        if getattr(seen, "sqlstate", None) == _PG_DISK_FULL:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _full() -> Refused:
    return Refused(_("The server's disk is full, so your submission was not saved (nothing of it was kept). "
                     "Tell your TA; your earlier attempts are safe."), status=507)


def storage_refused(exc: BaseException) -> Refused:
    """The refusal for an upload the server could not store: its disk is full (507), or another error of the
    file system or database (500); either way nothing of the upload was kept."""
    if _disk_full(exc):
        return _full()
    return Refused(_("The server could not store your submission (a storage error), so nothing of it was kept. "
                     "Try again later, and tell your TA if it happens again."), status=500)


# The intake's refusals (grader.submission raises SubmissionError with a code and its facts) in the student's
# language. Each msgid is the intake's English message with its facts as placeholders, so English reads exactly
# as the intake wrote it; a code not here, or not translated, shows the intake's own English message.
INTAKE_REASONS: dict[str, str] = {
    "nul_in_name": gettext_noop("the archive has a file name with a NUL byte: %(name)r"),
    "absolute_path": gettext_noop("the archive has an absolute path: %(name)r"),
    "leaves_folder": gettext_noop("the archive has a path that leaves its folder: %(name)r"),
    "too_deep": gettext_noop("the archive nests folders too deeply: %(name)r"),
    "name_too_long": gettext_noop("the archive has a file name that is too long: %(name)r..."),
    "too_many_entries": gettext_noop("the submission has more than %(limit)d files and folders"),
    "too_big_declared": gettext_noop("the submission declares more than %(limit)s of files (limit %(limit)s)"),
    "too_big": gettext_noop("the submission holds more than %(limit)s of files (limit %(limit)s)"),
    "expands_ratio": gettext_noop("the archive expands more than %(ratio)s times its size (a compression bomb?); "
                                  "it was not extracted"),
    "expands_size": gettext_noop("the archive expands to more than %(limit)s (a compression bomb?); "
                                 "it was not extracted"),
    "file_and_folder": gettext_noop("the archive has %(name)r as both a file and a folder"),
    "unreadable_zip": gettext_noop("%(name)r is not a readable zip archive (%(detail)s)"),
    "damaged_zip": gettext_noop("%(name)r is a damaged or unsupported zip archive (%(detail)s)"),
    "password_protected": gettext_noop("the zip archive is password-protected; submit it without a password"),
    "unreadable_tar": gettext_noop("%(name)r is not a readable tar archive (%(detail)s)"),
    "symlink": gettext_noop("the archive holds a symbolic link, which is not allowed: %(name)r"),
    "hard_link": gettext_noop("the archive holds a hard link, which is not allowed: %(name)r"),
    "special_file": gettext_noop("the archive holds a special file, which is not allowed: %(name)r"),
    "device_file": gettext_noop("the archive holds a device file or FIFO, which is not allowed: %(name)r"),
    "sparse_file": gettext_noop("the archive holds a sparse file, which is not supported: %(name)r"),
    "unknown_entry": gettext_noop("the archive holds an entry of an unknown type: %(name)r"),
    "unreadable_member": gettext_noop("cannot read %(name)r from the archive"),
    "folder_symlink_dir": gettext_noop("the folder holds a symbolic link to a folder, which is not allowed: "
                                       "%(name)r"),
    "folder_symlink_outside": gettext_noop("the folder holds a symbolic link that points outside it: %(name)r"),
    "folder_special_file": gettext_noop("the folder holds a device file, FIFO or socket: %(name)r"),
    "missing": gettext_noop("submission %(name)r does not exist"),
    "submission_symlink": gettext_noop("submission %(name)r is a symbolic link"),
    "not_a_file": gettext_noop("submission %(name)r is neither a folder nor a regular file"),
}


def _intake_size(n: int) -> str:
    """A size as the intake writes it (50 MiB, 64 KiB, 312 bytes), with the unit word in the student's language."""
    if n >= 2**20:
        return f"{n / 2**20:g} MiB"
    if n >= 1024:
        return f"{n / 1024:g} KiB"
    return _("%(n)d bytes") % {"n": n}


def intake_reason(exc: SubmissionError) -> str:
    """The intake's refusal in the language of the request, from its code and facts, never from its English words."""
    template = INTAKE_REASONS.get(exc.code or "")
    if template is None:
        return exc.message
    translated = _(template)
    if translated == template:     # English, or a sentence not translated yet: the intake's own words
        return exc.message
    try:
        return translated % _intake_facts(exc.params)
    except (KeyError, TypeError, ValueError):   # a translation that names a fact this error lacks
        return exc.message


def _intake_facts(params: dict[str, Any]) -> dict[str, Any]:
    """A refusal's facts as its sentence shows them: a size in bytes as "64 KiB", a ratio as "100"."""
    facts = dict(params)
    if isinstance(facts.get("limit_bytes"), int):
        facts["limit"] = _intake_size(facts["limit_bytes"])
    if isinstance(facts.get("ratio"), (int, float)):
        facts["ratio"] = f"{facts['ratio']:g}"
    return facts


def size_text(n: int) -> str:
    """1.5 MiB, 80 KiB, 312 bytes."""
    if n >= 2**20:
        return f"{n / 2**20:.1f}".removesuffix(".0") + " MiB"
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} bytes"


def _safe_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if base in ("", ".", "..") or "\x00" in base:
        raise Refused(_("A file has a name that cannot be used: %(name)r.") % {"name": name[:80]})
    return base


def _check_rules(course: Course, user: Any, assignment: str, now: datetime) -> tuple[Any, int]:
    from grader.site.portal.models import Submission

    entry = course.entry(assignment)
    late = lateness(entry, now)
    if not late.accepted:
        closed = entry.late.until if entry.late is not None else entry.due
        raise Refused(_("Submissions for this assignment closed at %(when)s.")
                      % {"when": f"{closed:%Y-%m-%d %H:%M} UTC"})
    mine = Submission.objects.filter(user=user, assignment=assignment)
    pending = mine.filter(status__in=[Submission.QUEUED, Submission.RUNNING]).count()
    if pending >= course.max_pending:
        raise Refused(_("You already have %(n)d attempts waiting to be graded; submit again when one of them "
                        "is done.") % {"n": pending})
    window = now - timedelta(minutes=course.rate_limit.minutes)
    recent = list(mine.filter(created_at__gt=window).values_list("created_at", flat=True))
    next_allowed = rate_limited(recent, course.rate_limit, now)
    if next_allowed is not None:
        raise Refused(_("You may submit %(n)d times in %(m)d minutes; the next attempt is possible at %(when)s.")
                      % {"n": course.rate_limit.submissions, "m": course.rate_limit.minutes,
                         "when": f"{next_allowed:%H:%M:%S} UTC"})
    return late, pending


def required_files(spec: Any) -> list[tuple[str, list[str]]]:
    """(language, files) for each way of doing the assignment: one, or one per variant (python, c, ...)."""
    variants = getattr(spec, "variants", None) or {}
    if variants:
        return [(str(v.language or name), list(v.files)) for name, v in variants.items()]
    return [(str(getattr(spec, "language", "") or ""), list(spec.files))]


def _all_files(spec: Any) -> str:
    return str(_(" or ")).join(", ".join(files) for _lang, files in required_files(spec))


def _resolve(spec: Any, folder: Path, present: list[str]) -> tuple[Any, str | None]:
    """The plain assignment this upload is graded as (its variant, by the files it has), or why none is."""
    if not getattr(spec, "variants", None):
        return spec, None
    from grader.submission import choose_variant

    choice = choose_variant(spec, present)
    return choice.assignment, (choice.problem.message if choice.problem is not None else None)


def _binary(folder: Path, files: Iterable[str]) -> str | None:
    for name in files:
        with (folder / name).open("rb") as fh:
            if b"\x00" in fh.read(_SNIFF):
                return name
    return None


def accept(course: Course, site_dir: Path, user: Any, assignment: str, uploads: list[Upload], *,
           queue: Any, now: datetime | None = None) -> Any:
    """Check, take in, store and queue one attempt; returns the new Submission or raises Refused."""
    from grader.site.portal.models import Submission

    now = now or timezone.now()
    spec = course.specs[assignment]
    if not uploads:
        raise Refused(_("Choose the files to submit (%(files)s) or one archive of them.")
                      % {"files": _all_files(spec)})
    if len(uploads) > INTAKE_LIMITS.max_entries:
        raise Refused(_("That is too many files (%(n)d).") % {"n": len(uploads)})
    total = sum(u.size for u in uploads)
    if total > INTAKE_LIMITS.max_total_bytes:
        raise Refused(_("The upload is %(size)s; the limit is %(cap)s.")
                      % {"size": size_text(total), "cap": size_text(INTAKE_LIMITS.max_total_bytes)})
    late, _pending = _check_rules(course, user, assignment, now)
    uploads_dir = Path(site_dir) / "uploads"
    try:
        staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=uploads_dir))
    except OSError as exc:
        raise storage_refused(exc) from None
    try:
        raw = staging / "raw"
        raw.mkdir()
        names = set()
        for upload in uploads:
            name = _safe_name(upload.name)
            if name in names:
                raise Refused(_("Two files are named %(name)r; upload each file once.") % {"name": name})
            names.add(name)
            with (raw / name).open("xb") as out:
                shutil.copyfileobj(upload.stream, out, 64 * 1024)
        first = raw / _safe_name(uploads[0].name)
        source = first if len(uploads) == 1 and is_archive(first) else raw
        try:
            taken = intake(source, staging / "taken", student="files", limits=INTAKE_LIMITS,
                           unwrap=source != raw)
        except SubmissionError as exc:
            if _disk_full(exc) or exc.code == "copy_failed":   # the server's storage failed, not the upload
                raise storage_refused(exc) from None
            raise Refused(intake_reason(exc)) from None
        binary = _binary(taken.path, taken.files)
        if binary is not None:
            raise Refused(_("%(name)s is not a text file: upload your source files (%(files)s) or an archive of "
                            "them, not compiled programs or documents.") % {"name": binary,
                                                                            "files": _all_files(spec)})
        resolved, problem = _resolve(spec, taken.path, taken.files)
        if problem is not None:
            raise Refused(problem)
        missing, present = missing_files(resolved, taken.path)
        if missing:
            raise Refused(_("This assignment needs %(missing)s; your upload has %(present)s.")
                          % {"missing": ", ".join(missing), "present": ", ".join(present) or _("no files")})
        final: Path | None = None
        try:
            with transaction.atomic():
                last = Submission.objects.filter(user=user, assignment=assignment).aggregate(n=Max("number"))["n"]
                sub = Submission.objects.create(
                    user=user, assignment=assignment, number=(last or 0) + 1, created_at=now, files=taken.files,
                    content_hash=taken.content_hash, late=late.late, days_late=late.days_late,
                    penalty_percent=late.penalty_percent, progress_total=0)
                final = submission_folder(site_dir, sub.id)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.rename(taken.path, final)   # one step: the worker sees all the files or none
        except BaseException:
            if final is not None:           # the row was rolled back: so are its files
                shutil.rmtree(final.parent, ignore_errors=True)
            raise
    except OSError as exc:
        raise storage_refused(exc) from None
    except DatabaseError as exc:     # the new row could not be written (its files were removed with it)
        if _disk_full(exc):
            raise _full() from None
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    queue.enqueue(sub.id)            # stored whole by now: a failure here is the queue's, not the upload's
    return sub
