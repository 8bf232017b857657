"""Resources: the run stayed within its time, memory and process budgets (each its own verdict)."""

from __future__ import annotations

from typing import ClassVar, Literal

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence
from grader.checks.params import Duration, PositiveInt

__all__ = ["ResourceMemory", "ResourcePids", "ResourceTime"]


class ResourceTime(CheckBase):
    """The run finished before the time limit (and within `max`, if given)."""

    kind: Literal["resource.time"]
    max: Duration | None = None
    shorthand: ClassVar[str | None] = "max"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        record = evidence.record
        if record.timed_out:
            return CheckOutcome(
                False,
                f"the program did not finish within the time limit ({record.limits.timeout_ms} ms) and was stopped",
                expected=f"<= {record.limits.timeout_ms} ms",
                observed="timed out",
            )
        if self.max is not None and record.wall_ms > self.max:
            return CheckOutcome(False, f"the program took {record.wall_ms} ms, more than {self.max} ms",
                                expected=f"<= {self.max} ms", observed=f"{record.wall_ms} ms")
        return CheckOutcome(True, f"the program finished in {record.wall_ms} ms")


class ResourceMemory(CheckBase):
    """The run was not killed for running out of memory."""

    kind: Literal["resource.memory"]

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        record = evidence.record
        if record.oom_killed:
            limit = record.limits.memory_bytes // 2**20
            return CheckOutcome(False, f"the program used more than its {limit} MiB of memory and was killed",
                                expected=f"<= {limit} MiB", observed="out of memory")
        return CheckOutcome(True, "the program stayed within its memory limit")


class ResourcePids(CheckBase):
    """No fork or clone failed for lack of pids (and at most `max` processes were alive at once, if given)."""

    kind: Literal["resource.pids"]
    max: PositiveInt | None = None
    shorthand: ClassVar[str | None] = "max"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        record = evidence.record
        failed = evidence.execution.failed_forks
        if record.pids_limit_hit or failed:
            return CheckOutcome(
                False,
                f"the program hit the limit of {record.limits.pids} tasks"
                + (f": {len(failed)} fork/clone call(s) failed ({failed[0][2]})" if failed else ""),
                expected=f"< {record.limits.pids} tasks at once",
                observed="limit reached",
            )
        if self.max is not None and evidence.has_trace:
            tasks = evidence.processes
            events = sorted([(t.start, 1) for t in tasks]
                            + [(t.end if t.end is not None else evidence.execution.duration, -1) for t in tasks])
            alive = peak = 0
            for _, step in events:
                alive += step
                peak = max(peak, alive)
            if peak > self.max:
                return CheckOutcome(False, f"{peak} processes were alive at once, more than {self.max}",
                                    expected=f"<= {self.max}", observed=str(peak))
        return CheckOutcome(True, "the program stayed within its process budget")
