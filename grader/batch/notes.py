"""The LMS intake's notes (renamed files, late, attempts, commits) as catalog templates, so a page in
Korean says them in Korean.

grader.intake.lms writes each note as one English line. `note_message` finds the template here that
the line fills exactly and reads its facts back (file names, dates) from the line; the diagnosis the
batch attaches then carries that template and those facts, and grader.report.i18n renders it in the
page's language. A line no template fits stays as it is, in English (never half translated): e.g.
"x was left out: <an archive-safety message>", whose reason is not one of these sentences.

Each template mirrors a sentence in grader/intake/lms.py word for word; tests/unit/test_cli_conventions.py
runs the intake on recorded downloads and fails when a note it produces has no template here.
"""

from __future__ import annotations

import re
import string
from functools import cache

from grader.result import Message

__all__ = ["NOTE_TEMPLATES", "REASON_TEMPLATES", "note_message"]


def N_(message: str) -> str:
    """Mark a message for the "grader" catalog (python3 -m grader.report.i18n extract)."""
    return message


# Most specific first: the first template whose pattern matches the whole line is the one.
NOTE_TEMPLATES: tuple[str, ...] = (
    N_("{downloaded} was taken as {taken} ({why})"),
    N_("{downloaded} was taken as {taken}"),
    N_("Canvas marked this submission late"),
    N_("{name} is not a regular file and was left out"),
    N_("{name} was left out: it names no file"),
    N_("{name} was left out: another file is already taken as {taken}"),
    N_("the attempt of {latest} was graded; {earlier} earlier attempt(s) were not"),
    N_("a group submission, also by {others}"),
    N_("{path} is a link in the repository and was left out"),
    N_("{path} is a commit in the repository and was left out"),
    N_("no commit on {branch} before {deadline}; nothing was graded"),
    N_("no commit on {branch} at all; nothing was graded"),
    N_("commit {commit} of {when} was graded (the last one before {deadline})"),
    N_("commit {commit} of {when} was graded"),
)

# Phrases a note nests in its {why}: each must be one of these, or the note stays English.
REASON_TEMPLATES: tuple[str, ...] = (
    N_("{lms} adds -{n} to a resubmitted file"),
)


@cache
def _pattern(template: str) -> re.Pattern[str]:
    parts: list[str] = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name:
            parts.append(f"(?P<{name}>.+?)")
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


def _match(line: str, templates: tuple[str, ...]) -> Message | None:
    for template in templates:
        found = _pattern(template).match(line)
        if found is None:
            continue
        params: dict[str, object] = dict(found.groupdict())
        if "why" in params:
            reason = _match(str(params["why"]), REASON_TEMPLATES)
            if reason is None:
                return None          # a reason we cannot say in another language: keep the English line
            params["why"] = reason
        return Message(template, params)
    return None


def note_message(line: str) -> Message | None:
    """The template and facts of one intake note, or None when no template fills to exactly `line`."""
    message = _match(line, NOTE_TEMPLATES)
    return message if message is not None and message.english == line else None
