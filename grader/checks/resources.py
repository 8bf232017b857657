"""Resources: the run stayed within its time, memory and process budgets (each its own verdict).

These are guards: they say nothing went wrong, not that anything went right, so a test's share
for them is earned only next to a passed check of what the program did (grader.scoring).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, outcome
from grader.checks.params import Duration, PositiveInt

__all__ = ["ResourceMemory", "ResourcePids", "ResourceTime"]


class ResourceTime(CheckBase):
    """The run finished before the time limit (and within `max`, if given)."""

    kind: Literal["resource.time"]
    max: Duration | None = Field(
        default=None, description="the run must also finish within this wall-clock time, with its unit ('2s'); not given: only the assignment's timeout")
    shorthand: ClassVar[str | None] = "max"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        record = evidence.record
        if record.timed_out:
            return outcome(False, "time.out", {"limit_ms": record.limits.timeout_ms},
                           expected=f"<= {record.limits.timeout_ms} ms", observed="timed out")
        if self.max is not None and record.wall_ms > self.max:
            return outcome(False, "time.slow", {"ms": record.wall_ms, "max_ms": self.max},
                           expected=f"<= {self.max} ms", observed=f"{record.wall_ms} ms")
        return outcome(True, "time.ok", {"ms": record.wall_ms})


class ResourceMemory(CheckBase):
    """The run was not killed for running out of memory."""

    kind: Literal["resource.memory"]

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        record = evidence.record
        if record.oom_killed:
            limit = record.limits.memory_bytes // 2**20
            return outcome(False, "memory.oom", {"limit_mib": limit}, expected=f"<= {limit} MiB",
                           observed="out of memory")
        return outcome(True, "memory.ok")


class ResourcePids(CheckBase):
    """No fork or clone failed for lack of pids (and at most `max` processes were alive at once, if given)."""

    kind: Literal["resource.pids"]
    max: PositiveInt | None = Field(
        default=None, description="at most this many processes alive at once; not given: only the pids limit")
    shorthand: ClassVar[str | None] = "max"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        record = evidence.record
        failed = evidence.execution.failed_forks
        if record.pids_limit_hit or failed:
            params: dict[str, object] = {"limit": record.limits.pids}
            if failed:
                params.update(failed=len(failed), errno=failed[0][2])
            return outcome(False, "pids.failed" if failed else "pids.limit", params,
                           expected=f"< {record.limits.pids} tasks at once", observed="limit reached")
        if self.max is not None and evidence.has_trace:
            tasks = evidence.processes
            events = sorted([(t.start, 1) for t in tasks]
                            + [(t.end if t.end is not None else evidence.execution.duration, -1) for t in tasks])
            alive = peak = 0
            for _, step in events:
                alive += step
                peak = max(peak, alive)
            if peak > self.max:
                return outcome(False, "pids.peak", {"peak": peak, "max": self.max},
                               expected=f"<= {self.max}", observed=str(peak))
        return outcome(True, "pids.ok")
