"""Read a class as an LMS hands it out: who each submission belongs to, and its files under their own names.

Every layout yields :class:`LmsEntry` rows: a stable student id, a display name, the path the
batch takes in with :func:`grader.submission.intake` (which keeps all archive and size safety),
the LMS's identifiers (for the roster join and the gradebook exports), and notes (late,
renamed files). The layouts, as each LMS documents or produces them:

- ``canvas``: flat files ``login_userid_fileid_name.ext`` (``login_LATE_...`` when late;
  ``name-1.ext`` for a resubmitted file), loose or in ``submissions.zip``.
- ``moodle``: "Download all submissions": folders ``Full Name_12345_assignsubmission_file_``
  (or flat files ``Full Name_12345_assignsubmission_file_name.ext``), loose or zipped.
- ``blackboard``: ``Assignment Name_username_attempt_2024-01-31-23-59-59_name.ext`` plus the
  ``..._attempt_<date>.txt`` receipt ("Name: ...", "Original filename: ...").
- ``gradescope``: "Export Submissions": ``submission_metadata.yml`` mapping ``submission_<id>/``
  folders to their submitters.
- ``classroom``: GitHub Classroom, a folder of cloned repositories ``assignment-login/``; the
  default branch's last commit (before ``deadline`` when given), read with git itself.
- ``folders``: one folder or archive per student (:func:`grader.submission.discover`).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.errors import SubmissionError, UsageError
from grader.submission import (
    CLASS_ARCHIVE_LIMITS,
    IntakeLimits,
    _member_parts,
    _unwrap_class_folder,
    discover,
    intake,
    is_archive,
    student_id,
)

__all__ = ["LAYOUTS", "LmsEntry", "detect_layout", "discover_class", "read_layout"]

LAYOUTS = ("canvas", "moodle", "blackboard", "gradescope", "classroom", "folders")

EXPECTED = {
    "canvas": "files named login_userid_fileid_name.ext (login_LATE_... when late), as Canvas's "
              "'Download Submissions' gives them",
    "moodle": "folders named 'Full Name_12345_assignsubmission_file_', as Moodle's 'Download all submissions' "
              "gives them",
    "blackboard": "files named 'Assignment_username_attempt_YYYY-MM-DD-HH-MM-SS_name.ext' with their .txt "
                  "receipts, as Blackboard's 'Download Assignment' gives them",
    "gradescope": "a submission_metadata.yml next to submission_<id>/ folders, as Gradescope's "
                  "'Export Submissions' gives them",
    "classroom": "a folder of git repositories named assignment-login/, as GitHub Classroom's clones give them",
    "folders": "one folder or archive per student",
}

# Canvas's ContentZipper (lib/content_zipper.rb): [sortable name downcased, "LATE" if late, user id] joined by
# "_" and stripped to word characters, then "_<attachment id>_<file name>"; "anon_<id>" when anonymous.
_CANVAS = re.compile(r"^(?P<login>[^_/]+?)(?P<late>_late)?_(?P<uid>\d+)_(?P<fid>\d+)_(?P<name>.+)$", re.IGNORECASE)
_CANVAS_ANON = re.compile(r"^(?:(?P<late>late)_)?anon_(?P<uid>[A-Za-z0-9]+)_(?P<fid>\d+)_(?P<name>.+)$",
                          re.IGNORECASE)
_MOODLE_DIR = re.compile(r"^(?P<name>.+)_(?P<pid>\d+)_assign(?P<kind>submission|feedback)_(?P<plugin>[a-z]+)_?$")
_MOODLE_FILE = re.compile(r"^(?P<name>.+)_(?P<pid>\d+)_assignsubmission_file_(?P<file>.+)$")
_BLACKBOARD = re.compile(
    r"^(?P<assignment>.+)_(?P<user>[^_]+)_attempt_(?P<date>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})"
    r"(?:_(?P<file>.+)|(?P<receipt>\.txt))$")
_RESUBMISSION = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)(?P<ext>\.[^.]+)?$")
_GRADESCOPE_META = "submission_metadata.yml"
_STUDENT_LIMITS = IntakeLimits()   # what grader.submission.intake applies to each student
_JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX"})


@dataclass(slots=True)
class LmsEntry:
    """One student's submission as the LMS handed it out."""

    student: str                     # stable id: the store's key and the pages' folder name
    display_name: str                # as the LMS names the student ("" when it does not)
    path: Path                       # what grader.submission.intake takes in (file, archive or folder)
    layout: str
    keys: dict[str, str] = field(default_factory=dict)   # LMS identifiers: login, user_id, email, sid ...
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (name as downloaded, name taken as)
    notes: list[str] = field(default_factory=list)       # one line each, shown to the student and the TA
    late: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"student": self.student, "display_name": self.display_name, "layout": self.layout,
                "keys": dict(self.keys), "renamed": [list(r) for r in self.renamed], "notes": list(self.notes),
                "late": self.late}


# ----------------------------------------------------------------- names


def _nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


def _visible(folder: Path) -> list[Path]:
    return sorted((c for c in folder.iterdir() if not c.name.startswith(".") and c.name not in _JUNK),
                  key=lambda p: p.name)


def _taken_as(name: str, required: Sequence[str], lms: str) -> tuple[str, str | None]:
    """The name a downloaded file stands for, and the note when it differs only by the LMS's -N suffix."""
    if name in required:
        return name, None
    match = _RESUBMISSION.match(name)
    if match:
        plain = match["stem"] + (match["ext"] or "")
        if plain in required or not required:
            return plain, f"{lms} adds -{match['n']} to a resubmitted file"
    return name, None


def _resubmission_number(name: str) -> int:
    match = _RESUBMISSION.match(name)
    return int(match["n"]) if match else 0


def parse_canvas_name(name: str) -> dict[str, str] | None:
    """login, user_id, file_id, file (prefix stripped) and late ("1"/"") of a Canvas download name.

    An anonymous assignment's files carry "anon_<anonymous id>": that id is the user_id, login "anon_<id>".
    """
    match = _CANVAS_ANON.match(_nfc(name))
    if match:
        return {"login": f"anon_{match['uid']}", "user_id": f"anon_{match['uid']}", "file_id": match["fid"],
                "file": match["name"], "late": "1" if match["late"] else ""}
    match = _CANVAS.match(_nfc(name))
    if not match:
        return None
    return {"login": match["login"], "user_id": match["uid"], "file_id": match["fid"],
            "file": match["name"], "late": "1" if match["late"] else ""}


def parse_moodle_name(name: str) -> dict[str, str] | None:
    """display name, participant id, plugin (and file for a flat download) of a Moodle download name."""
    name = _nfc(name)
    match = _MOODLE_DIR.match(name)
    if match:
        return {"name": match["name"], "participant_id": match["pid"], "plugin": match["plugin"],
                "kind": match["kind"], "file": ""}
    match = _MOODLE_FILE.match(name)
    if match:
        return {"name": match["name"], "participant_id": match["pid"], "plugin": "file", "kind": "submission",
                "file": match["file"]}
    return None


def parse_blackboard_name(name: str) -> dict[str, str] | None:
    """assignment, username, attempt date, file ("" for the receipt) of a Blackboard download name."""
    match = _BLACKBOARD.match(_nfc(name))
    if not match:
        return None
    return {"assignment": match["assignment"], "username": match["user"], "attempt": match["date"],
            "file": match["file"] or "", "receipt": "1" if match["receipt"] else ""}


# ----------------------------------------------------------------- detection


def _is_repo(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and (path / ".git").exists()


def detect_layout(folder: Path) -> str:
    """The layout a class folder is in; ``folders`` when no LMS's naming is recognised."""
    entries = _visible(folder)
    if (folder / _GRADESCOPE_META).is_file():
        return "gradescope"
    if not entries:
        return "folders"
    files = [e for e in entries if e.is_file()]
    dirs = [e for e in entries if e.is_dir()]
    if dirs and all(_is_repo(d) for d in dirs) and not files:
        return "classroom"
    if any(parse_blackboard_name(f.name) for f in files) and \
            sum(1 for f in files if parse_blackboard_name(f.name)) * 2 >= len(files):
        return "blackboard"
    moodle = sum(1 for e in entries if parse_moodle_name(e.name))
    if moodle and moodle * 2 >= len(entries):
        return "moodle"
    canvas = sum(1 for f in files if parse_canvas_name(f.name))
    if canvas and canvas * 2 >= len(entries):
        return "canvas"
    return "folders"


# ----------------------------------------------------------------- staging


class _Stager:
    """Builds one clean folder per student from the LMS's files, each under the name it stands for."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ignored: list[str] = []   # names in the class folder that fit no student

    def folder(self, student: str, files: Iterable[tuple[Path, str]]) -> tuple[Path, list[str]]:
        """Copy regular files (never links or devices) into root/<student>/; returns it and notes."""
        target = self.root / student
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        notes: list[str] = []
        for source, name in files:
            info = source.lstat()
            if stat.S_ISDIR(info.st_mode):
                # A folder inside a student's download is copied as it is; intake checks it again.
                shutil.copytree(source, target / name, symlinks=True)
                continue
            if not stat.S_ISREG(info.st_mode):
                notes.append(f"{source.name} is not a regular file and was left out")
                continue
            try:
                parts = _member_parts(name)
            except SubmissionError as exc:
                notes.append(f"{source.name} was left out: {exc.message}")
                continue
            if not parts or parts[0] in ("", ".", ".."):
                notes.append(f"{source.name} was left out: it names no file")
                continue
            if (target / name).exists():
                notes.append(f"{source.name} was left out: another file is already taken as {name}")
                continue
            shutil.copyfile(source, target.joinpath(*parts), follow_symlinks=False)
        return target, notes


def _unique(sid: str, taken: set[str]) -> str:
    unique, n = sid, 1
    while unique.casefold() in taken:
        n += 1
        unique = f"{sid}-{n}"
    taken.add(unique.casefold())
    return unique


def _renamed_note(downloaded: str, taken: str, why: str | None = None) -> str:
    return f"{downloaded} was taken as {taken}" + (f" ({why})" if why else "")


def _place(entry: LmsEntry, stager: _Stager, sid: str, files: list[tuple[Path, str]]) -> None:
    """Where the entry's submission is: a zip handed in as the whole submission (intake extracts it),
    or a staged folder of its files under the names they stand for."""
    if len(files) == 1 and is_archive(files[0][0]):
        entry.path = files[0][0]
    else:
        entry.path, notes = stager.folder(sid, files)
        entry.notes.extend(notes)


# ----------------------------------------------------------------- canvas


def _read_canvas(folder: Path, stager: _Stager, required: Sequence[str]) -> list[LmsEntry]:
    groups: dict[str, list[tuple[Path, dict[str, str]]]] = {}
    strays: list[str] = []
    for child in _visible(folder):
        parsed = parse_canvas_name(child.name) if child.is_file() else None
        if parsed is None:
            strays.append(child.name)
            continue
        groups.setdefault(parsed["user_id"], []).append((child, parsed))
    entries: list[LmsEntry] = []
    taken: set[str] = set()
    for uid, items in sorted(groups.items(), key=lambda kv: kv[1][0][1]["login"]):
        login = items[0][1]["login"]
        sid = _unique(student_id(login, strip_extension=False), taken)
        entry = LmsEntry(student=sid, display_name=login, path=folder, layout="canvas",
                         keys={"login": login, "user_id": uid})
        entry.late = any(p["late"] for _, p in items)
        if entry.late:
            entry.notes.append("Canvas marked this submission late")
        names: list[tuple[Path, str]] = []
        # Newest resubmission last: hello.py, hello-1.py, hello-2.py -> hello-2.py stands for hello.py.
        items.sort(key=lambda it: _resubmission_number(it[1]["file"]))
        chosen: dict[str, tuple[Path, str, str | None]] = {}
        for path, parsed in items:
            name, why = _taken_as(parsed["file"], required, "Canvas")
            chosen[name] = (path, parsed["file"], why)
        for name, (path, _original, why) in sorted(chosen.items()):
            names.append((path, name))
            entry.renamed.append((path.name, name))
            entry.notes.append(_renamed_note(path.name, name, why))
        _place(entry, stager, sid, names)
        entries.append(entry)
    _require(entries, "canvas", strays, stager)
    return entries


# ----------------------------------------------------------------- moodle


def _read_moodle(folder: Path, stager: _Stager, required: Sequence[str]) -> list[LmsEntry]:
    groups: dict[str, tuple[str, list[tuple[Path, str]]]] = {}
    strays: list[str] = []
    for child in _visible(folder):
        parsed = parse_moodle_name(child.name)
        if parsed is None:
            strays.append(child.name)
            continue
        if parsed["kind"] != "submission" or parsed["plugin"] != "file":
            continue  # online text, comments, feedback files: not code
        name, files = groups.setdefault(parsed["participant_id"], (parsed["name"], []))
        if child.is_dir():
            files.extend((inner, inner.name) for inner in _visible(child))
        else:
            files.append((child, parsed["file"]))
    entries: list[LmsEntry] = []
    taken: set[str] = set()
    for pid, (name, files) in sorted(groups.items(), key=lambda kv: kv[1][0]):
        sid = _unique(student_id(f"{name}_{pid}", strip_extension=False), taken)
        entry = LmsEntry(student=sid, display_name=name, path=folder, layout="moodle",
                         keys={"participant_id": pid, "name": name})
        staged: list[tuple[Path, str]] = []
        for path, original in files:
            taken_name, why = _taken_as(original, required, "Moodle")
            if path.name != taken_name:
                entry.renamed.append((path.name, taken_name))
                entry.notes.append(_renamed_note(path.name, taken_name, why))
            staged.append((path, taken_name))
        _place(entry, stager, sid, staged)
        entries.append(entry)
    _require(entries, "moodle", strays, stager)
    return entries


# ----------------------------------------------------------------- blackboard


def _receipt(path: Path) -> tuple[str, dict[str, str]]:
    """The student's name and {downloaded file name: original file name} from a Blackboard receipt."""
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return "", {}
    name = ""
    originals: dict[str, str] = {}
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("Name:") and not name:
            name = re.sub(r"\s*\([^()]*\)\s*$", "", line[5:].strip())
        elif line.startswith("Original filename:"):
            pending = line.split(":", 1)[1].strip()
        elif line.startswith("Filename:") and pending:
            originals[_nfc(line.split(":", 1)[1].strip())] = pending
            pending = ""
    return name, originals


def _read_blackboard(folder: Path, stager: _Stager, required: Sequence[str]) -> list[LmsEntry]:
    attempts: dict[str, dict[str, list[Path]]] = {}
    receipts: dict[tuple[str, str], Path] = {}
    strays: list[str] = []
    for child in _visible(folder):
        parsed = parse_blackboard_name(child.name) if child.is_file() else None
        if parsed is None:
            strays.append(child.name)
            continue
        user, when = parsed["username"], parsed["attempt"]
        if parsed["receipt"]:
            receipts[(user, when)] = child
            attempts.setdefault(user, {}).setdefault(when, [])
        else:
            attempts.setdefault(user, {}).setdefault(when, []).append(child)
    entries: list[LmsEntry] = []
    taken: set[str] = set()
    for user, by_date in sorted(attempts.items()):
        latest = max(by_date)
        sid = _unique(student_id(user, strip_extension=False), taken)
        receipt = receipts.get((user, latest))
        display, originals = _receipt(receipt) if receipt else ("", {})
        entry = LmsEntry(student=sid, display_name=display or user, path=folder, layout="blackboard",
                         keys={"username": user, "attempt": latest})
        if len(by_date) > 1:
            entry.notes.append(f"the attempt of {latest} was graded; {len(by_date) - 1} earlier attempt(s) "
                               "were not")
        staged: list[tuple[Path, str]] = []
        for path in by_date[latest]:
            parsed = parse_blackboard_name(path.name)
            assert parsed is not None
            original = originals.get(_nfc(path.name), parsed["file"])
            taken_name, why = _taken_as(original, required, "Blackboard")
            entry.renamed.append((path.name, taken_name))
            entry.notes.append(_renamed_note(path.name, taken_name, why))
            staged.append((path, taken_name))
        _place(entry, stager, sid, staged)
        entries.append(entry)
    _require(entries, "blackboard", strays, stager)
    return entries


# ----------------------------------------------------------------- gradescope


def _read_gradescope(folder: Path, stager: _Stager, required: Sequence[str]) -> list[LmsEntry]:
    import yaml

    meta_path = folder / _GRADESCOPE_META
    if not meta_path.is_file():
        raise UsageError(f"not a Gradescope export: expected {EXPECTED['gradescope']}")
    try:
        # Gradescope writes Ruby symbols (":submitters:"); the safe loader reads them as plain string keys.
        text = meta_path.read_text(encoding="utf-8")
        try:
            meta = yaml.safe_load(text)
        except yaml.YAMLError:
            # Some exports tag values as Ruby objects ("!ruby/object:..."): read them as plain mappings.
            meta = yaml.safe_load(re.sub(r"!ruby/[\w:/.-]+", "", text))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UsageError(f"{_GRADESCOPE_META} cannot be read ({exc})") from None
    if not isinstance(meta, dict):
        raise UsageError(f"{_GRADESCOPE_META} does not map submission folders to students")
    entries: list[LmsEntry] = []
    taken: set[str] = set()
    for key, raw in sorted(meta.items(), key=lambda kv: str(kv[0])):
        sub = folder / str(key)
        if not isinstance(raw, dict) or not sub.is_dir() or sub.is_symlink():
            continue
        info = {str(k).strip(":"): v for k, v in raw.items()}
        submitters = [{str(k).strip(":"): v for k, v in s.items()}
                      for s in info.get("submitters") or [] if isinstance(s, dict)]
        first = submitters[0] if submitters else {}
        name = str(first.get("name") or "")
        sid_raw = str(first.get("sid") or "") or str(first.get("email") or "").split("@")[0] or str(key)
        sid = _unique(student_id(sid_raw, strip_extension=False), taken)
        keys = {k: str(first[k]) for k in ("sid", "email", "name") if first.get(k)}
        keys["submission"] = str(key)
        entry = LmsEntry(student=sid, display_name=name or sid_raw, path=sub, layout="gradescope", keys=keys)
        if len(submitters) > 1:
            others = ", ".join(str(s.get("name") or s.get("email") or "?") for s in submitters[1:])
            entry.notes.append(f"a group submission, also by {others}")
        files = _visible(sub)
        staged = []
        for path in files:
            taken_name, why = _taken_as(path.name, required, "Gradescope") if path.is_file() else (path.name, None)
            if taken_name != path.name:
                entry.renamed.append((path.name, taken_name))
                entry.notes.append(_renamed_note(path.name, taken_name, why))
            staged.append((path, taken_name))
        if entry.renamed:
            entry.path, notes = stager.folder(sid, staged)
            entry.notes.extend(notes)
        entries.append(entry)
    _require(entries, "gradescope", [])
    return entries


# ----------------------------------------------------------------- github classroom


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    # Only plumbing that runs no configured command (no hooks, filters, fsmonitor or pager).
    return subprocess.run(
        ["git", "-c", "core.fsmonitor=false", "-c", f"safe.directory={repo}", "-C", str(repo), *args],
        capture_output=True, timeout=60, check=False,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "GIT_PAGER": "cat"})


def _default_branch(repo: Path) -> str:
    probe = _git(repo, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD")
    if probe.returncode == 0 and probe.stdout.strip():
        return probe.stdout.decode().strip()
    return "HEAD"


def _export_commit(repo: Path, commit: str, target: Path, limits: IntakeLimits = _STUDENT_LIMITS) -> list[str]:
    """Write the commit's files into target with git cat-file (no filters run); returns notes.

    Writing stops just past the per-student caps, so grader.submission.intake refuses the folder with its
    own message rather than a huge repository filling the disk here.
    """
    written = count = 0
    listing = _git(repo, "ls-tree", "-r", "-z", "--full-tree", commit)
    if listing.returncode != 0:
        raise SubmissionError(f"git cannot list commit {commit[:12]} ({listing.stderr.decode(errors='replace')[:200]})")
    notes: list[str] = []
    for record in listing.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, obj = meta.decode().split()
        rel = raw_path.decode("utf-8", "surrogateescape")
        if kind != "blob" or mode == "120000":
            notes.append(f"{rel} is a {'link' if mode == '120000' else kind} in the repository and was left out")
            continue
        parts = _member_parts(rel)
        blob = _git(repo, "cat-file", "blob", obj)
        if blob.returncode != 0:
            raise SubmissionError(f"git cannot read {rel} from commit {commit[:12]}")
        out = target.joinpath(*parts)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(blob.stdout)
        if mode == "100755":
            out.chmod(0o755)
        written += len(blob.stdout)
        count += 1
        if written > limits.max_total_bytes or count > limits.max_entries:
            break
    return notes


def _check_deadline(deadline: str) -> str:
    """The deadline as git reads it; git itself takes any text (an unreadable one as "now"), so check it here."""
    text = deadline.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"      # Python 3.10's fromisoformat does not read a Z suffix
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--deadline {deadline!r} is not a date: give it as 2024-03-01T23:59+09:00 "
                         "(without an offset it is this machine's local time)") from None
    return when.isoformat()


def _read_classroom(folder: Path, stager: _Stager, required: Sequence[str], deadline: str | None) -> list[LmsEntry]:
    git_deadline = _check_deadline(deadline) if deadline is not None else None
    repos = [d for d in _visible(folder) if _is_repo(d)]
    strays = [e.name for e in _visible(folder) if not _is_repo(e)]
    names = [r.name for r in repos]
    # GitHub Classroom names every repository "<assignment>-<login>": the shared part up to a "-" is the assignment.
    prefix = names[0] if len(names) > 1 else ""
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    prefix = prefix[: prefix.rfind("-") + 1] if "-" in prefix else ""
    entries: list[LmsEntry] = []
    taken: set[str] = set()
    for repo in repos:
        login = repo.name[len(prefix):] or repo.name
        sid = _unique(student_id(login, strip_extension=False), taken)
        entry = LmsEntry(student=sid, display_name=login, path=repo, layout="classroom",
                         keys={"login": login, "repository": repo.name})
        branch = _default_branch(repo)
        args = ["rev-list", "-1", *([f"--before={git_deadline}"] if git_deadline else []), branch]
        found = _git(repo, *args)
        commit = found.stdout.decode().strip() if found.returncode == 0 else ""
        target = stager.root / sid
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        entry.path = target
        if not commit:
            entry.notes.append(f"no commit on {branch.removeprefix('refs/remotes/origin/')} "
                               + (f"before {deadline}" if deadline else "at all") + "; nothing was graded")
        else:
            entry.keys["commit"] = commit
            when = _git(repo, "show", "-s", "--format=%cI", commit).stdout.decode().strip()
            entry.notes.append(f"commit {commit[:12]} of {when} was graded"
                               + (f" (the last one before {deadline})" if deadline else ""))
            entry.notes.extend(_export_commit(repo, commit, target))
        entries.append(entry)
    _require(entries, "classroom", strays, stager)
    return entries


# ----------------------------------------------------------------- public


def _require(entries: list[LmsEntry], layout: str, strays: list[str], stager: _Stager | None = None) -> None:
    if stager is not None:
        stager.ignored.extend(strays)
    if not entries:
        seen = ", ".join(strays[:3]) + (" ..." if len(strays) > 3 else "")
        raise UsageError(f"not a {layout} download: expected {EXPECTED[layout]}"
                         + (f"; found {seen}" if seen else "; found nothing"))
    for entry in entries:
        entry.keys.setdefault("student", entry.student)


def read_layout(folder: Path, layout: str, *, stage_dir: Path, required: Sequence[str] = (),
                deadline: str | None = None, ignored: list[str] | None = None) -> list[LmsEntry]:
    """The class folder's entries read as `layout` (not ``auto``); raises UsageError naming what was expected.

    `ignored` receives the names in the folder that fit the layout's naming for no student.
    """
    stager = _Stager(stage_dir)
    stager.ignored = ignored if ignored is not None else []
    stage_dir.mkdir(parents=True, exist_ok=True)
    if layout == "canvas":
        return _read_canvas(folder, stager, required)
    if layout == "moodle":
        return _read_moodle(folder, stager, required)
    if layout == "blackboard":
        return _read_blackboard(folder, stager, required)
    if layout == "gradescope":
        return _read_gradescope(folder, stager, required)
    if layout == "classroom":
        return _read_classroom(folder, stager, required, deadline)
    if layout == "folders":
        return [LmsEntry(student=sid, display_name=sid, path=path, layout="folders", keys={"student": sid})
                for sid, path in discover(folder)]
    raise UsageError(f"unknown layout {layout!r}: choose auto or one of {', '.join(LAYOUTS)}")


def discover_class(submissions: Path, *, work_dir: Path | None = None, layout: str = "auto",
                   required: Sequence[str] = (), deadline: str | None = None,
                   limits: IntakeLimits = CLASS_ARCHIVE_LIMITS,
                   ignored: list[str] | None = None) -> tuple[str, list[LmsEntry]]:
    """(layout, entries) for a class folder or class archive (``submissions.zip``, a Moodle zip ...).

    An archive is extracted by grader.submission.intake with the class limits first.
    """
    submissions = Path(submissions)
    if not submissions.exists():
        raise SubmissionError(f"submissions {str(submissions)!r} do not exist")
    base = Path(work_dir) if work_dir is not None else Path(tempfile.mkdtemp(prefix="grader-class-"))
    if submissions.is_file():
        if not is_archive(submissions) and not zipfile.is_zipfile(submissions):
            raise SubmissionError(f"{submissions.name!r} is neither a folder nor a zip/tar archive")
        extracted = intake(submissions, base, student="class", limits=limits, unwrap=False)
        folder = _unwrap_class_folder(extracted.path)
    else:
        folder = submissions
        # A download unpacked by hand may sit in one wrapper folder ("Assignment 1/"): look inside it
        # for an LMS's naming, but a plain class folder is read as it is (as grader.submission.discover does).
        inner = _unwrap_class_folder(submissions)
        if inner != submissions and (layout not in ("auto", "folders") or detect_layout(inner) != "folders"):
            folder = inner
    # Gradescope's export zip wraps its folders and submission_metadata.yml in "assignment_<id>_export/".
    inner_entries = _visible(folder)
    if not (folder / _GRADESCOPE_META).exists() and len(inner_entries) == 1 and inner_entries[0].is_dir() \
            and not inner_entries[0].is_symlink() and (inner_entries[0] / _GRADESCOPE_META).is_file():
        folder = inner_entries[0]
    chosen = detect_layout(folder) if layout == "auto" else layout
    return chosen, read_layout(folder, chosen, stage_dir=base / "lms", required=required, deadline=deadline,
                               ignored=ignored)
