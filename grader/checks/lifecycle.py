"""Lifecycle: reaping, zombies, orphans, exit codes, signals and overlapping lifetimes."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import model_validator

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, describe_task
from grader.checks.params import Count, PositiveInt, Role, RoleOrAll
from grader.trace.model import Task

__all__ = [
    "ProcessConcurrent",
    "ProcessExitCode",
    "ProcessKilled",
    "ProcessNoOrphans",
    "ProcessNoZombies",
    "ProcessReaped",
]


def _non_root(evidence: RunEvidence) -> list[Task]:
    return [t for t in evidence.processes if t.tid != evidence.execution.root]


class ProcessReaped(CheckBase):
    """Every process of `of` (`all`: every process but the root) was waited for by its own parent."""

    kind: Literal["process.reaped"]
    of: RoleOrAll = "all"
    shorthand: ClassVar[str | None] = "of"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        pool = _non_root(evidence) if self.of == "all" else [t for t in evidence.role(self.of) if t.is_process]
        pool = [t for t in pool if t.tid != evidence.execution.root]
        bad: list[str] = []
        for task in pool:
            reaper = evidence.execution.process_of(task.reaped_by) if task.reaped_by is not None else None
            if reaper is None:
                bad.append(f"pid {task.tid} was never waited for by its parent pid {task.ppid}")
            elif reaper != task.ppid:
                bad.append(f"pid {task.tid} was reaped by pid {reaper}, not by its parent pid {task.ppid}")
        if bad:
            return CheckOutcome(
                False,
                bad[0] + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""),
                expected="every child waited for by its parent (wait/waitpid/join)",
                observed=f"{len(bad)} of {len(pool)} not reaped by their parent",
                evidence=[evidence.task_evidence("processes", pool)],
                params={"unreaped": len(bad)},
            )
        return CheckOutcome(True, f"all {len(pool)} child process(es) were waited for by their parent")


class ProcessNoZombies(CheckBase):
    """No process was left a zombie (ended, not collected by its parent)."""

    kind: Literal["process.no_zombies"]

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        zombies = [t for t in _non_root(evidence) if t.zombie]
        if zombies:
            return CheckOutcome(
                False,
                f"{len(zombies)} process(es) became zombies: "
                + ", ".join(f"pid {t.tid} (parent {t.ppid} never waited)" for t in zombies),
                expected="no zombies",
                observed=f"{len(zombies)} zombie(s)",
                evidence=[evidence.task_evidence("zombies", zombies)],
            )
        return CheckOutcome(True, "no process was left a zombie")


class ProcessNoOrphans(CheckBase):
    """No process outlived its parent (was re-parented to init)."""

    kind: Literal["process.no_orphans"]

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        orphans = [t for t in _non_root(evidence) if t.orphan]
        if orphans:
            return CheckOutcome(
                False,
                f"{len(orphans)} process(es) outlived their parent and were re-parented: "
                + ", ".join(
                    f"pid {t.tid} (parent {t.ppid}" + (f", adopted by {t.reparented_to})" if t.reparented_to else ")")
                    for t in orphans
                ),
                expected="no orphans",
                observed=f"{len(orphans)} orphan(s)",
                evidence=[evidence.task_evidence("orphans", orphans)],
            )
        return CheckOutcome(True, "no process outlived its parent")


class ProcessExitCode(CheckBase):
    """Every process of `role` (default root) exited normally with code `equals`."""

    kind: Literal["process.exit_code"]
    role: Role = "root"
    equals: Count = 0
    shorthand: ClassVar[str | None] = "equals"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        record = evidence.record
        if self.role == "root" and not evidence.has_trace:
            code, signal = record.exit_code, record.signal
            ok = signal is None and code == self.equals
            got = f"killed by {signal}" if signal else f"exit code {code}"
            return CheckOutcome(ok, f"expected the program to exit with code {self.equals}, it ended with {got}",
                                expected=str(self.equals), observed=got)
        if not evidence.has_trace:
            return self.no_trace()
        tasks = [t for t in evidence.role(self.role) if t.is_process]
        if not tasks:
            return CheckOutcome(False, f"there is no process in role {self.role}", observed="none")
        for task in tasks:
            if task.signal is not None or task.exit_code != self.equals:
                got = f"was killed by {task.signal}" if task.signal else (
                    f"exited with code {task.exit_code}" if task.exit_code is not None else "never exited"
                )
                return CheckOutcome(
                    False,
                    f"expected {describe_task(task)} ({self.role}) to exit with code {self.equals}, it {got}",
                    expected=f"exit code {self.equals}",
                    observed=got,
                    evidence=[evidence.task_evidence(self.role, tasks)],
                )
        return CheckOutcome(True, f"{len(tasks)} process(es) in {self.role} exited with code {self.equals}")


class ProcessKilled(CheckBase):
    """At least `min` processes of `role` (default children) were killed by a signal (`signal`, or any)."""

    kind: Literal["process.killed"]
    role: Role = "children"
    signal: str | None = None
    min: PositiveInt = 1

    @model_validator(mode="before")
    @classmethod
    def _normalise_signal(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("signal"), str):
            name = data["signal"].upper()
            data = {**data, "signal": name if name.startswith("SIG") else "SIG" + name}
        return data

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        tasks = [t for t in evidence.role(self.role) if t.is_process]
        killed = [t for t in tasks if t.signal is not None and (self.signal is None or t.signal == self.signal)]
        what = self.signal or "a signal"
        if len(killed) >= self.min:
            return CheckOutcome(True, f"{len(killed)} process(es) in {self.role} were killed by {what}")
        return CheckOutcome(
            False,
            f"expected at least {self.min} process(es) in {self.role} to be killed by {what}, found {len(killed)}",
            expected=f">= {self.min}",
            observed=str(len(killed)),
            evidence=[evidence.task_evidence(self.role, tasks)],
        )


class ProcessConcurrent(CheckBase):
    """At least `min` tasks of `role` (default children) were alive at the same moment."""

    kind: Literal["process.concurrent"]
    role: Role = "children"
    min: PositiveInt = 2
    shorthand: ClassVar[str | None] = "min"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        tasks = evidence.role(self.role)
        end_of_run = evidence.execution.duration
        events = sorted(
            [(t.start, 1) for t in tasks] + [(t.end if t.end is not None else end_of_run, -1) for t in tasks],
            key=lambda e: (e[0], e[1]),  # an end at the same instant as a start does not overlap it
        )
        alive = best = 0
        for _, step in events:
            alive += step
            best = max(best, alive)
        shown = [evidence.task_evidence(f"{self.role} with lifetimes", tasks)]
        shown[0].lines = [
            f"{describe_task(t)}: {t.start:.3f}s to " + (f"{t.end:.3f}s" if t.end is not None else "the end")
            for t in tasks
        ]
        if best >= self.min:
            return CheckOutcome(True, f"up to {best} of {len(tasks)} tasks in {self.role} ran at the same time",
                                evidence=shown)
        return CheckOutcome(
            False,
            f"expected at least {self.min} tasks in {self.role} to run at the same time, at most {best} did "
            f"(each ended before the next started)" if best <= 1 and len(tasks) > 1 else
            f"expected at least {self.min} tasks in {self.role} to run at the same time, at most {best} did",
            expected=f">= {self.min} at once",
            observed=f"{best} at once",
            evidence=shown,
        )
