"""Files the program wrote: their contents, as the harness copied them after the run, and who wrote them.

The contents come from RunRecord.files: the harness copies each path a file.contents check names out
of the work dir into its root-only results once every process of the run has ended, reading only a
regular file and never through a symbolic link, so the program cannot swap it afterwards. Who wrote
it comes from the trace's writes to that path.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, SubjectCheck, outcome
from grader.checks.messages import quote
from grader.checks.params import Bounds, Regex, Role
from grader.result import Evidence
from grader.sandbox.records import CollectedFile

__all__ = ["FileContents", "WORK_DIR", "WorkPath", "collected_paths"]

WORK_DIR = "/work"   # the program's working directory in the sandbox (both backends)
_PATH = re.compile(r"^[^/\x00][^\x00]*$")
_SHOWN_LINES = 12


def _work_path(value: Any) -> str:
    if not isinstance(value, str) or not _PATH.match(value) or len(value) > 255:
        raise PydanticCustomError("work_path", "expected a path relative to the program's working directory "
                                  "(such as 'out.txt' or 'logs/run.log'), got {got}", {"got": repr(value)})
    norm = posixpath.normpath(value)
    if norm == "." or norm.startswith("../") or norm == ".." or "/../" in f"/{value}/":
        raise PydanticCustomError("work_path", "the path {got} leaves the program's working directory: give a "
                                  "path inside it, without '..'", {"got": repr(value)})
    return norm


WorkPath = Annotated[str, PlainValidator(_work_path), WithJsonSchema({
    "type": "string", "pattern": _PATH.pattern,
    "description": "a path relative to the program's working directory, without '..'"})]


def collected_paths(checks: Iterable[CheckBase]) -> tuple[str, ...]:
    """The paths the harness must copy out after each run of a test with these checks."""
    return tuple(dict.fromkeys(c.path for c in checks if isinstance(c, FileContents)))


def _lines(text: str) -> list[str]:
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n") if text else []


class FileContents(SubjectCheck):
    """The file at `path` (in the working directory), as the program left it, matches; and, with `writer`,
    every write to it that the trace shows came from processes of that role.

    Matchers (give at least one, or `writer`): `exact` (the whole text, trailing spaces and final blank lines
    ignored), `contains` (plain text), `regex` (searched multi-line), `lines` (a line count: equals, or
    min/max). A file the program did not leave fails unless `if_none` says otherwise. At most 1 MiB of
    the file is read; a match that fails on a longer file says so. A file written under another name and
    renamed into place shows no writes to `path` in the trace.
    """

    kind: Literal["file.contents"]
    path: WorkPath = Field(description="the file, relative to the program's working directory (e.g. out.txt)")
    exact: str | None = Field(None, description="the file's whole expected text (trailing spaces and final "
                                                "blank lines ignored)")
    contains: str | None = Field(None, description="text the file must contain (plain text, may span lines)")
    regex: Regex | None = Field(None, description="a regular expression searched in the file, multi-line "
                                                  "(^ and $ match at each line)")
    lines: Bounds | None = Field(None, description="how many lines the file must have: {equals: n} or "
                                                   "{min: a, max: b}")
    writer: Role | None = Field(None, description="the role whose processes must have made every write to the "
                                                  "file that the trace shows (at least one)")

    @model_validator(mode="after")
    def _something(self) -> FileContents:
        if all(v is None for v in (self.exact, self.contains, self.regex, self.lines, self.writer)):
            raise PydanticCustomError("file_contents", "give what to check: exact, contains, regex, lines or "
                                      "writer", {})
        return self

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        params: dict[str, Any] = {"path": self.path}
        found = next((f for f in getattr(evidence.record, "files", []) if f.path == self.path), None)
        if found is None:
            return outcome(False, "file.not_collected", params, observed="no copy")
        if found.status == "missing":
            return self.nothing(evidence, "file.missing", params)
        if found.status != "ok":
            key = {"symlink": "file.symlink", "not_regular": "file.not_regular"}.get(found.status, "file.unreadable")
            return outcome(False, key, params, observed=found.status)
        text = found.data.decode("utf-8", errors="replace")
        shown = [self._shown(evidence, found, text)]
        if self.writer is not None:
            bad = self._writers(evidence, params, shown)
            if bad is not None:
                return bad
        cut = {"cut": "some" if found.truncated else "none"}
        if found.truncated:
            params.update(kept=len(found.data), size=found.size)
        if self.exact is not None:
            bad = self._exact(text, params, cut, shown)
            if bad is not None:
                return bad
        if self.contains is not None and self.contains not in text:
            key = "file.contains_empty" if not text else "file.contains_bad"
            return outcome(False, key, {**params, "text": quote(self.contains)}, slots={} if not text else cut,
                           expected=self.contains, observed=text[:200], evidence=shown)
        if self.regex is not None and re.search(self.regex, text, re.MULTILINE) is None:
            key = "file.regex_empty" if not text else "file.regex_bad"
            return outcome(False, key, {**params, "pattern": self.regex}, slots={} if not text else cut,
                           expected=self.regex, observed=text[:200], evidence=shown)
        count = len(_lines(text))
        if self.lines is not None and not self.lines.holds(count):
            slot, bounds = self.lines.bounds_slot()
            return outcome(False, "file.lines_bad", {**params, **bounds, "count": count}, slots={**slot, **cut},
                           expected=self.lines.describe(), observed=str(count), evidence=shown)
        if self.exact is not None:
            return outcome(True, "file.ok_exact", params, evidence=shown)
        if self.contains is not None:
            return outcome(True, "file.ok_contains", {**params, "text": quote(self.contains)}, evidence=shown)
        if self.regex is not None:
            return outcome(True, "file.ok_regex", {**params, "pattern": self.regex}, evidence=shown)
        if self.lines is not None:
            slot, bounds = self.lines.bounds_slot()
            return outcome(True, "file.ok_lines", {**params, **bounds, "count": count}, slots=slot, evidence=shown)
        return outcome(True, "file.ok_writer", {**params, "role": self.writer,
                                                "pids": self._writer_pids(evidence)}, evidence=shown)

    def _writer_pids(self, evidence: RunEvidence) -> list[int]:
        target = posixpath.join(WORK_DIR, self.path)
        ex = evidence.execution
        return sorted({ex.process_of(w.tid) for w in ex.writes
                       if w.size > 0 and w.channel.path is not None and posixpath.normpath(w.channel.path) == target})

    def _writers(self, evidence: RunEvidence, params: dict[str, Any], shown: list[Evidence]) -> CheckOutcome | None:
        assert self.writer is not None
        if not evidence.has_trace:
            return self.no_trace()
        pids = self._writer_pids(evidence)
        role = {evidence.execution.process_of(t.tid) for t in evidence.role(self.writer)}
        params = {**params, "role": self.writer}
        if not pids:
            return outcome(False, "file.writer_none", params, expected=self.writer, observed="no write", evidence=shown)
        outside = [p for p in pids if p not in role]
        if not outside:
            return None
        inside = [p for p in pids if p in role]
        key = "file.writer_bad" if inside else "file.writer_other"
        return outcome(False, key, {**params, "pids": outside, "members": sorted(role) or "none"},
                       expected=self.writer, observed=", ".join(map(str, pids)), evidence=shown)

    def _exact(self, text: str, params: dict[str, Any], cut: dict[str, str],
               shown: list[Evidence]) -> CheckOutcome | None:
        assert self.exact is not None
        want = [s.rstrip() for s in _lines(self.exact.rstrip("\n") + "\n")] if self.exact.strip("\n") else []
        got = [s.rstrip() for s in _lines(text)]
        while got and got[-1] == "":
            got.pop()
        if want == got:
            return None
        i = next(i for i in range(max(len(want), len(got)) + 1)
                 if i >= len(want) or i >= len(got) or want[i] != got[i])
        extra: dict[str, Any] = {"line": i + 1}
        if i >= len(want):
            key, extra["got"] = "file.exact_long", quote(got[i])
        elif i >= len(got):
            key, extra["want"] = "file.exact_short", quote(want[i])
        else:
            key, extra["want"], extra["got"] = "file.exact_line", quote(want[i]), quote(got[i])
        return outcome(False, key, {**params, **extra}, slots=cut, expected="\n".join(want),
                       observed="\n".join(got), evidence=shown)

    def _shown(self, evidence: RunEvidence, found: CollectedFile, text: str) -> Evidence:
        lines = [f"line {i + 1}: {line[:200]}" for i, line in enumerate(_lines(text)[:_SHOWN_LINES])]
        total = len(_lines(text))
        if total > _SHOWN_LINES:
            lines.append(f"... and {total - _SHOWN_LINES} more line(s)")
        if found.truncated:
            lines.append(f"(only the first {len(found.data)} of {found.size} bytes were kept)")
        pids = self._writer_pids(evidence) if evidence.has_trace else []
        lines.append("written by " + (", ".join(f"pid {p}" for p in pids) if pids else "no write the trace shows"))
        return Evidence(label=f"{self.path} as the program left it", lines=lines or ["(empty)"], tasks=pids,
                        run=evidence.run)
