"""Threads: how many per process, one tgid with distinct tids, and whether threads or processes did the work."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, SubjectCheck, outcome
from grader.checks.params import Bounds, PositiveInt, Regex, Role, Stream

__all__ = ["ThreadCount", "ThreadSameProcess", "ThreadWork"]


class ThreadCount(Bounds, CheckBase):
    """Each process of `role` (default root) started this many threads besides its main thread."""

    kind: Literal["thread.count"]
    role: Role = Field(
        default="root", description="the processes whose threads are counted (besides each one's main thread); each must have the count")
    shorthand: ClassVar[str | None] = "equals"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        processes = [t for t in evidence.role(self.role) if t.is_process]
        if not processes:
            children = len(evidence.children_of(evidence.root.tid)) if evidence.root else 0
            return outcome(False, "none.role", {"role": self.role, "children": children}, slots={"ended": "none"},
                           observed="none")
        slots, params = self.bounds_slot()
        for process in processes:
            threads = evidence.execution.threads(process.tid)
            if not self.holds(len(threads)):
                return outcome(
                    False, "threads.count_bad", {**params, "pid": process.tid, "got": len(threads),
                                                 "count": len(threads)},
                    slots=slots, expected=self.describe(), observed=str(len(threads)),
                    evidence=[evidence.task_evidence(f"threads of pid {process.tid}", threads)],
                )
        return outcome(True, "threads.count_ok", {**params, "count": len(processes), "role": self.role}, slots=slots)


class ThreadSameProcess(CheckBase):
    """At least `min` threads exist, all in one process (one tgid), each with its own tid."""

    kind: Literal["thread.same_process"]
    min: PositiveInt = Field(default=2, description="at least this many threads besides the main thread")
    shorthand: ClassVar[str | None] = "min"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        threads = evidence.role("threads")
        tgids = sorted({t.tgid for t in threads})
        shown = [evidence.task_evidence("threads", threads)]
        if len(threads) < self.min:
            extra = [t for t in evidence.processes if t.tid != evidence.execution.root]
            return outcome(
                False, "threads.few", {"want": self.min, "got": len(threads), "extra": len(extra)},
                slots={"extra": "some" if extra else "none"},
                expected=f">= {self.min} threads", observed=f"{len(threads)} threads", evidence=shown,
            )
        if len(tgids) != 1:
            return outcome(False, "threads.spread", {"got": len(tgids), "pids": tgids},
                           expected="one tgid", observed=f"{len(tgids)} tgids", evidence=shown)
        return outcome(True, "threads.same_ok",
                       {"count": len(threads), "pid": tgids[0], "tids": [t.tid for t in threads]}, evidence=shown)


class ThreadWork(SubjectCheck):
    """Lines matching `pattern` were written by at least `min` threads of one process, or by `min` processes.

    A line counts for the one task that wrote all of it. When a process's threads share one stdio
    buffer that was flushed several lines per write, which thread wrote a line cannot be known: those
    lines prove nothing about threads, and when nothing is left to prove the check is not applicable
    (it says why) rather than failed on a buffering artefact.
    """

    kind: Literal["thread.work"]
    pattern: Regex = Field(description="a regular expression; the lines it matches are the work")
    by: Literal["threads", "processes"] = Field(
        default="threads", description="threads: the lines come from `min` threads of one process; processes: from `min` processes")
    min: PositiveInt = Field(default=2, description="at least this many threads (or processes)")
    stream: Stream = Field(default="stdout", description="the stream judged: stdout or stderr")

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        hits = evidence.matching(self.pattern, self.stream)
        if not hits:
            return self.nothing(evidence, "none.lines", {"pattern": self.pattern})
        if not evidence.has_trace:
            return self.no_trace()
        owned = [(i, ln) for i, ln in hits if ln.owner_process is not None]
        unowned_slot, unowned_params = evidence.unowned(hits)
        tgids = sorted({ln.owner_process for _, ln in owned if ln.owner_process is not None})
        shown = [evidence.line_evidence(f"lines matching /{self.pattern}/", hits)]
        base = {"pattern": self.pattern, "want": self.min, **unowned_params}
        if self.by == "processes":
            threads = sorted({ln.owner for _, ln in owned if ln.owner is not None})
            params = {**base, "processes": len(tgids), "threads": len(threads), "count": len(tgids)}
            if len(tgids) >= self.min:
                return outcome(True, "work.processes_ok", params)
            return outcome(False, "work.processes_few", params, slots=unowned_slot,
                           expected=f">= {self.min} processes", observed=f"{len(tgids)} process(es)",
                           evidence=shown)
        unproven = [ln for _, ln in owned if evidence.thread_unproven(ln) is not None
                    and (self.stream == "stdout")]
        proven = [(i, ln) for i, ln in owned if ln not in unproven]
        per_process: dict[int, set[int]] = {}
        for _, ln in proven:
            if ln.owner is not None and ln.owner_process is not None:
                per_process.setdefault(ln.owner_process, set()).add(ln.owner)
        best_pid, best = max(per_process.items(), key=lambda kv: len(kv[1]), default=(None, set()))
        stdio_slot, stdio_params = evidence.stdio_slot(unproven)
        if best_pid is not None and len(best) >= self.min:
            return outcome(True, "work.threads_ok", {**base, **stdio_params, "count": len(best), "pid": best_pid},
                           slots=stdio_slot)
        if unproven:
            shared = evidence.thread_unproven(unproven[0])
            assert shared is not None
            return outcome(
                False, "work.threads_unproven",
                {**base, "buffer_pid": shared.pid, "buffer_writes": shared.writes, **shared.slot()[1]},
                slots=shared.slot()[0],
                expected=f">= {self.min} threads", observed="writer thread unknown (shared stdio buffer)",
                evidence=shown, applicable=False,
            )
        all_threads = sorted({ln.owner for _, ln in owned if ln.owner is not None})
        return outcome(
            False, "work.threads_few",
            {**base, **stdio_params, "threads": len(all_threads), "processes": len(tgids)},
            slots={**unowned_slot, **stdio_slot},
            expected=f">= {self.min} threads",
            observed=f"{len(all_threads)} thread(s) in {len(tgids)} process(es)", evidence=shown,
        )
