"""Writers: which processes and threads wrote the lines that match a pattern.

A line is credited to a process (thread) only when that one task wrote every byte of it
(OutputLine.owner_process / owner): a line assembled from several processes' writes, or holding
bytes that no traced call wrote, counts for none of them, and a failure says which line and why.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from grader.checks.base import CheckOutcome, RunEvidence, SubjectCheck, outcome
from grader.checks.params import Count, Regex, Role, Stream

__all__ = ["OutputWriters"]


class OutputWriters(SubjectCheck):
    """Which processes or threads wrote the lines matching `pattern`: how many distinct ones, and/or who.

    A line is credited to a process (or thread) only when that one task wrote every byte of it; a
    line assembled from several processes' writes counts for none of them. `distinct_processes` and
    `distinct_threads` count the writers of the matching lines; `written_by` requires that at least
    `min_lines` of them were written by that role and, with `exclusive` (the default), that none was
    written by anyone else.
    """

    kind: Literal["output.writers"]
    pattern: Regex = Field(description="a regular expression; the lines it matches (anywhere in the line) are judged")
    distinct_processes: Count | None = Field(
        default=None, description="the matching lines were written by exactly this many different processes")
    distinct_threads: Count | None = Field(
        default=None, description="the matching lines were written by exactly this many different threads")
    written_by: Role | None = Field(
        default=None, description="the role that must have written the matching lines (see Roles)")
    exclusive: bool = Field(
        default=True, description="with `written_by`: no matching line may come from outside the role")
    min_lines: Count = Field(
        default=1, description="at least this many lines must match (with `written_by`: be written by the role)")
    stream: Stream = Field(default="stdout", description="the stream whose lines are judged: stdout or stderr")

    @model_validator(mode="before")
    @classmethod
    def _role_was_renamed(cls, data: Any) -> Any:
        if isinstance(data, dict) and "role" in data:
            raise PydanticCustomError(
                "writers",
                "output.writers takes no `role`: in every other check `role` only picks which lines are "
                "considered, but here it used to require who wrote them; to require that, write "
                "`written_by: {role}` instead of `role: {role}`",
                {"role": str(data["role"])},
            )
        return data

    @model_validator(mode="after")
    def _says_something(self) -> OutputWriters:
        if self.distinct_processes is None and self.distinct_threads is None and self.written_by is None:
            raise PydanticCustomError("writers", "give distinct_processes, distinct_threads or written_by", {})
        return self

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        hits = evidence.matching(self.pattern, self.stream)
        if not hits and self.min_lines > 0:
            return self.nothing(evidence, "none.lines", {"pattern": self.pattern})
        if len(hits) < self.min_lines:
            return outcome(False, "writers.few", {"want": self.min_lines, "pattern": self.pattern, "got": len(hits)},
                           expected=f">= {self.min_lines} line(s)", observed=f"{len(hits)} line(s)")
        if not evidence.has_trace:
            return self.no_trace()
        shown = [evidence.line_evidence(f"lines matching /{self.pattern}/", hits)]
        unowned_slot, unowned_params = evidence.unowned(hits)
        owned = [(i, ln) for i, ln in hits if ln.owner_process is not None]
        processes = sorted({ln.owner_process for _, ln in owned if ln.owner_process is not None})
        thread_lines = [(i, ln) for i, ln in owned if ln.owner is not None]
        unproven = [ln for _, ln in thread_lines if evidence.thread_unproven(ln) is not None]
        threads = sorted({ln.owner for _, ln in thread_lines if ln.owner is not None and ln not in unproven})
        base: dict[str, Any] = {"pattern": self.pattern, **unowned_params}
        if self.distinct_processes is not None and len(processes) != self.distinct_processes:
            return outcome(
                False, "writers.processes" if processes else "writers.processes_none",
                {**base, "want": self.distinct_processes, "got": len(processes), "pids": processes},
                slots=unowned_slot,
                expected=f"{self.distinct_processes} processes", observed=f"{len(processes)} processes",
                evidence=shown,
            )
        if self.distinct_threads is not None and len(threads) != self.distinct_threads:
            stdio_slot, stdio_params = evidence.stdio_slot(unproven)
            if unproven and len(threads) < self.distinct_threads:
                shared = evidence.thread_unproven(unproven[0])
                assert shared is not None
                return outcome(
                    False, "work.threads_unproven",
                    {"pattern": self.pattern, "buffer_pid": shared.pid, "buffer_writes": shared.writes,
                     **shared.slot()[1]},
                    slots=shared.slot()[0],
                    expected=f"{self.distinct_threads} threads", observed="writer thread unknown (shared stdio buffer)",
                    evidence=shown, applicable=False,
                )
            return outcome(
                False, "writers.threads" if threads else "writers.threads_none",
                {**base, **stdio_params, "want": self.distinct_threads, "got": len(threads), "tids": threads},
                slots={**unowned_slot, **stdio_slot},
                expected=f"{self.distinct_threads} threads", observed=f"{len(threads)} threads",
                evidence=shown,
            )
        if self.written_by is not None:
            mine = [(i, ln) for i, ln in hits if evidence.line_in_role(ln, self.written_by)]
            outside = [(i, ln) for i, ln in hits if not evidence.line_in_role(ln, self.written_by)]
            if len(mine) < max(self.min_lines, 1):
                unowned_slot, unowned_params = evidence.unowned(outside)
                return outcome(
                    False, "writers.role_few",
                    {"pattern": self.pattern, "want": max(self.min_lines, 1), "got": len(mine), "role": self.written_by,
                     **unowned_params},
                    slots=unowned_slot,
                    expected=f">= {self.min_lines} line(s) from {self.written_by}", observed=f"{len(mine)} from {self.written_by}",
                    evidence=[evidence.line_evidence(f"lines not from {self.written_by}", outside)],
                )
            if outside and self.exclusive:
                members = [t.tid for t in evidence.role(self.written_by)]
                unowned_slot, unowned_params = evidence.unowned(outside)
                return outcome(
                    False, "writers.outside",
                    {"count": len(outside), "pattern": self.pattern, "role": self.written_by, "members": members,
                     "line": outside[0][0] + 1, **unowned_params},
                    slots=unowned_slot,
                    expected=f"every such line from {self.written_by}",
                    observed=f"{len(outside)} from elsewhere",
                    evidence=[evidence.line_evidence(f"lines not from {self.written_by}", outside)],
                )
        return outcome(True, "writers.ok", {"count": len(hits), "pattern": self.pattern,
                                             "processes": len(processes), "threads": len(threads)})
