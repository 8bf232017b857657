"""Threads: how many per process, one tgid with distinct tids, and whether threads or processes did the work."""

from __future__ import annotations

from typing import ClassVar, Literal

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence
from grader.checks.params import Bounds, PositiveInt, Regex, Role, Stream

__all__ = ["ThreadCount", "ThreadSameProcess", "ThreadWork"]


class ThreadCount(Bounds, CheckBase):
    """Each process of `role` (default root) started this many threads besides its main thread."""

    kind: Literal["thread.count"]
    role: Role = "root"
    shorthand: ClassVar[str | None] = "equals"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        processes = [t for t in evidence.role(self.role) if t.is_process]
        if not processes:
            return CheckOutcome(False, f"there is no process in role {self.role}", observed="none")
        for process in processes:
            threads = evidence.execution.threads(process.tid)
            if not self.holds(len(threads)):
                return CheckOutcome(
                    False,
                    f"expected pid {process.tid} to start {self.describe()} thread(s) besides its main thread, "
                    f"it started {len(threads)}",
                    expected=self.describe(),
                    observed=str(len(threads)),
                    evidence=[evidence.task_evidence(f"threads of pid {process.tid}", threads)],
                    params={"count": len(threads)},
                )
        return CheckOutcome(True, f"{len(processes)} process(es) in {self.role} started {self.describe()} thread(s)")


class ThreadSameProcess(CheckBase):
    """At least `min` threads exist, all in one process (one tgid), each with its own tid."""

    kind: Literal["thread.same_process"]
    min: PositiveInt = 2
    shorthand: ClassVar[str | None] = "min"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        threads = evidence.role("threads")
        tgids = sorted({t.tgid for t in threads})
        shown = [evidence.task_evidence("threads", threads)]
        if len(threads) < self.min:
            extra = [t for t in evidence.processes if t.tid != evidence.execution.root]
            also = f" (but {len(extra)} extra process(es) were created)" if extra else ""
            return CheckOutcome(
                False,
                f"expected at least {self.min} threads, found {len(threads)}{also}",
                expected=f">= {self.min} threads",
                observed=f"{len(threads)} threads",
                evidence=shown,
            )
        if len(tgids) != 1:
            return CheckOutcome(
                False,
                f"expected all threads in one process, they are spread over {len(tgids)}: "
                + ", ".join(f"pid {g}" for g in tgids),
                expected="one tgid",
                observed=f"{len(tgids)} tgids",
                evidence=shown,
            )
        return CheckOutcome(
            True,
            f"{len(threads)} threads share pid (tgid) {tgids[0]}, each with its own tid: "
            + ", ".join(str(t.tid) for t in threads),
            evidence=shown,
        )


class ThreadWork(CheckBase):
    """Lines matching `pattern` were written by at least `min` threads of one process, or by `min` processes."""

    kind: Literal["thread.work"]
    pattern: Regex
    by: Literal["threads", "processes"] = "threads"
    min: PositiveInt = 2
    stream: Stream = "stdout"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        hits = evidence.matching(self.pattern, self.stream)
        if not hits:
            return CheckOutcome(False, f"no line matches /{self.pattern}/", observed="none")
        if not evidence.has_trace:
            return self.no_trace()
        tids = sorted({t for _, line in hits for t in line.writers})
        tgids = sorted({p for _, line in hits for p in line.processes})
        shown = [evidence.line_evidence(f"lines matching /{self.pattern}/", hits)]
        if self.by == "threads":
            ok = len(tgids) == 1 and len(tids) >= self.min
            observed = f"{len(tids)} thread(s) in {len(tgids)} process(es)"
            message = (
                f"the work was done by {len(tids)} threads of pid {tgids[0]}"
                if ok else
                f"expected the work to be done by at least {self.min} threads of one process, "
                f"it was done by {observed}"
            )
        else:
            ok = len(tgids) >= self.min
            observed = f"{len(tgids)} process(es)"
            message = (
                f"the work was done by {len(tgids)} processes"
                if ok else
                f"expected the work to be done by at least {self.min} processes, it was done by {observed}"
                + (f" using {len(tids)} thread(s)" if len(tids) > len(tgids) else "")
            )
        return CheckOutcome(ok, message, expected=f">= {self.min} {self.by}", observed=observed,
                            evidence=[] if ok else shown)
