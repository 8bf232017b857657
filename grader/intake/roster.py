"""The class roster: who should have submitted, read from any LMS's CSV export, joined to the submissions.

Columns are chosen by their header names (Canvas: "Student", "ID", "SIS User ID", "SIS Login ID",
"Section"; Moodle: "First name", "Last name", "ID number", "Email address", "Username"; Blackboard:
"Last Name", "First Name", "Username"), or named with ``id=COLUMN,name=COLUMN``. The dialect
(comma, semicolon, tab) is found with :class:`csv.Sniffer`. A student on the roster with no
submission is ``missing``; a submission with no roster entry is kept and listed, never dropped.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from grader.errors import UsageError

__all__ = ["Roster", "RosterEntry", "RosterMatch", "join_roster", "load_roster", "parse_columns"]

# Header names (casefolded) that identify a student, most specific first.
_ID_HEADERS = ("sis user id", "id number", "sis login id", "username", "user name", "login", "email address",
               "email", "id", "student id", "sid", "github username", "identifier")
_NAME_HEADERS = ("student", "name", "full name", "student name", "display name")
_FIRST = ("first name", "firstname", "given name")
_LAST = ("last name", "lastname", "surname", "family name")
# Canvas's own export has a "Points Possible" row (and "Student, Test" students): not people.
_NOT_STUDENTS = re.compile(r"^\s*(points possible|student,\s*test|test student)\s*$", re.IGNORECASE)


@dataclass(slots=True)
class RosterEntry:
    """One student on the roster: an id, a display name and the whole row (for the LMS exports)."""

    id: str
    name: str
    row: dict[str, str] = field(default_factory=dict)

    def identifiers(self) -> set[str]:
        """Every identifier in the row that a submission may carry (ids, logins, emails)."""
        out = {_norm(self.id)} if self.id else set()
        for header, value in self.row.items():
            if header.strip().casefold() in _ID_HEADERS and value.strip():
                out.add(_norm(value))
                if "@" in value:
                    out.add(_norm(value.split("@")[0]))
        return out


@dataclass(slots=True)
class Roster:
    path: Path
    headers: list[str]
    entries: list[RosterEntry]
    id_column: str
    name_columns: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "headers": self.headers, "id_column": self.id_column,
                "name_columns": self.name_columns,
                "entries": [{"id": e.id, "name": e.name, "row": e.row} for e in self.entries]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Roster:
        return cls(path=Path(data["path"]), headers=list(data["headers"]), id_column=data["id_column"],
                   name_columns=list(data["name_columns"]),
                   entries=[RosterEntry(e["id"], e["name"], dict(e["row"])) for e in data["entries"]])


def _norm(value: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", value)).strip().casefold()


def _name_key(value: str) -> str:
    """A name compared loosely: "Kim, Minsu", "Minsu Kim" and "kimminsu" meet on their sorted letters."""
    words = re.findall(r"\w+", unicodedata.normalize("NFC", value).casefold())
    return "".join(sorted(words))


def parse_columns(spec: str | None) -> dict[str, str]:
    """``id=SIS User ID,name=Student`` -> {"id": "SIS User ID", "name": "Student"}."""
    out: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in ("id", "name", "first", "last") or not value.strip():
            raise UsageError(f"--roster-columns takes id=COLUMN,name=COLUMN (also first=, last=), not {part!r}")
        out[key] = value.strip()
    return out


def _find(headers: Sequence[str], wanted: Iterable[str]) -> str | None:
    folded = {h.strip().casefold(): h for h in headers}
    for name in wanted:
        if name in folded:
            return folded[name]
    return None


def load_roster(path: Path, columns: Mapping[str, str] | None = None) -> Roster:
    """Read a roster CSV (UTF-8, with or without BOM; any delimiter the Sniffer recognises)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the roster {str(path)!r}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp949")   # Excel's "CSV" on a Korean Windows
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    headers = [h for h in (reader.fieldnames or []) if h is not None]
    if not headers:
        raise UsageError(f"the roster {str(path)!r} has no header row")
    columns = dict(columns or {})
    for key, header in columns.items():
        if header not in headers:
            raise UsageError(f"the roster has no column {header!r} (for {key}=); its columns are "
                             + ", ".join(repr(h) for h in headers))
    rows = [{k: (v or "").strip() for k, v in raw.items() if isinstance(k, str)} for raw in reader]
    # The most specific id column that holds values (a Canvas export's "SIS User ID" may be all blank).
    people = [r for r in rows if not any(_NOT_STUDENTS.match(v) for v in r.values() if v)]
    candidates = [h for h in headers if h.strip().casefold() in _ID_HEADERS]
    candidates.sort(key=lambda h: (-sum(1 for r in people if r.get(h)), _ID_HEADERS.index(h.strip().casefold())))
    id_column = columns.get("id") or (candidates[0] if candidates else None)
    if id_column is None:
        raise UsageError("the roster has no student id column (looked for " + ", ".join(
            repr(h) for h in ("SIS User ID", "ID number", "Username", "Email address", "ID")) + "); name it with "
            "--roster-columns id=COLUMN")
    if "name" in columns:
        name_columns = [columns["name"]]
    else:
        first = columns.get("first") or _find(headers, _FIRST)
        last = columns.get("last") or _find(headers, _LAST)
        single = _find(headers, _NAME_HEADERS)
        name_columns = [single] if single else [c for c in (first, last) if c]
    entries: list[RosterEntry] = []
    for row in rows:
        ident = row.get(id_column, "")
        name = " ".join(row.get(c, "") for c in name_columns).strip()
        if not ident and not name:
            continue
        if _NOT_STUDENTS.match(name or ident):
            continue
        entries.append(RosterEntry(id=ident, name=name or ident, row=row))
    return Roster(path=path, headers=headers, entries=entries, id_column=id_column, name_columns=name_columns)


class _Submitted(Protocol):
    student: str
    display_name: str
    keys: dict[str, str]


@dataclass(slots=True)
class RosterMatch:
    """The join: roster entry per submitted student id, the roster's students with nothing, and strays."""

    by_student: dict[str, RosterEntry]
    missing: list[RosterEntry]
    unrostered: list[str]


def join_roster(roster: Roster, submitted: Sequence[_Submitted]) -> RosterMatch:
    """Match each submission to one roster entry: by any identifier first, then by name."""
    by_key: dict[str, RosterEntry] = {}
    by_name: dict[str, list[RosterEntry]] = {}
    for entry in roster.entries:
        for key in entry.identifiers():
            by_key.setdefault(key, entry)
        by_name.setdefault(_name_key(entry.name), []).append(entry)
    used: set[int] = set()
    matched: dict[str, RosterEntry] = {}
    unrostered: list[str] = []
    for sub in submitted:
        candidates = [sub.student, *sub.keys.values()]
        found = next((by_key[_norm(k)] for k in candidates if k and _norm(k) in by_key
                      and id(by_key[_norm(k)]) not in used), None)
        if found is None and sub.display_name:
            same = [e for e in by_name.get(_name_key(sub.display_name), []) if id(e) not in used]
            found = same[0] if len(same) == 1 else None
        if found is None:
            unrostered.append(sub.student)
            continue
        used.add(id(found))
        matched[sub.student] = found
    missing = [e for e in roster.entries if id(e) not in used]
    return RosterMatch(by_student=matched, missing=missing, unrostered=unrostered)
