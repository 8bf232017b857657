"""Lifecycle: reaping, zombies, orphans, exit codes, signals and overlapping lifetimes.

The words mean one thing (see PITFALLS): a zombie is a child that ended while its parent was alive
and was not waited for (Task.zombie); an orphan is a process whose parent ended first, adopted by
init (Task.orphan) - normally not a zombie; a task the grader killed at a limit (Task.stopped_by) is
neither, and is said to be stopped by the grader.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from grader.checks.base import (
    CheckOutcome,
    RunEvidence,
    SubjectCheck,
    more,
    outcome,
    stop_clause,
)
from grader.checks.params import Count, PositiveInt, Role, RoleOrAll, Signal
from grader.result import Evidence
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


def _pool(check: SubjectCheck, evidence: RunEvidence, role: str) -> tuple[list[Task], CheckOutcome | None]:
    """The processes of `role` ('all': every process but the root), or the outcome when there are none."""
    if role == "all":
        pool = _non_root(evidence)
        return pool, (None if pool else check.nothing(evidence, "none.children"))
    pool = [t for t in evidence.role(role) if t.is_process and t.tid != evidence.execution.root]
    if pool:
        return pool, None
    if role in ("children", "descendants"):
        return pool, check.nothing(evidence, "none.children")
    if role == "threads":
        return pool, check.nothing(evidence, "none.threads")
    children = len(evidence.children_of(evidence.root.tid)) if evidence.root else 0
    return pool, check.nothing(evidence, "none.role", {"role": role, "children": children})


class ProcessReaped(SubjectCheck):
    """Every process of `of` (`all`: every process but the root) was reaped by its own parent.

    Only a wait that returned the child's exit or death by signal reaps; a wait that
    reported a stop (WUNTRACED) or peeked (WNOWAIT) does not.
    """

    kind: Literal["process.reaped"]
    of: RoleOrAll = Field(
        default="all", description="whose reaping is checked: all (every process but the root) or a role (see Roles)")
    shorthand: ClassVar[str | None] = "of"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        pool, none = _pool(self, evidence, self.of)
        if none is not None:
            return none
        bad: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        for task in pool:
            reaper = evidence.execution.process_of(task.reaped_by) if task.reaped_by is not None else None
            base = {"pid": task.tid, "parent": task.ppid}
            if reaper is not None and reaper == task.ppid:
                continue
            if reaper is not None and not task.orphan:
                bad.append(("reaped.other", {**base, "reaper": reaper}, {}))
            elif task.stopped_by is not None:
                bad.append(("reaped.stopped", base, {"stop": stop_clause(task)}))
            elif task.orphan:
                bad.append(("reaped.orphan", {**base, "adopter": task.reparented_to or reaper or 1}, {}))
            else:
                bad.append(("reaped.never", base, {}))
        if bad:
            key, params, slots = bad[0]
            more_slot, more_params = more(len(bad) - 1)
            return outcome(
                False, key, {**params, **more_params, "unreaped": len(bad), "count": len(pool)},
                slots={**slots, **more_slot},
                expected="every child waited for by its parent (wait/waitpid/join)",
                observed=f"{len(bad)} of {len(pool)} not reaped by their parent",
                evidence=[evidence.task_evidence("processes", pool)],
            )
        return outcome(True, "reaped.ok", {"count": len(pool)})


class ProcessNoZombies(SubjectCheck):
    """No child was left a zombie: ended while its parent was alive and never waited for.

    An orphan that init reaped is not a zombie; a task the grader stopped at a limit is not one either.
    """

    kind: Literal["process.no_zombies"]

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        pool = _non_root(evidence)
        if not pool:
            return self.nothing(evidence, "none.children")
        zombies = [t for t in pool if t.zombie and t.stopped_by is None]
        if zombies:
            first = zombies[0]
            more_slot, more_params = more(len(zombies) - 1)
            params: dict[str, Any] = {"pid": first.tid, "parent": first.ppid, "count": len(zombies), **more_params}
            if first.zombie_seconds is not None:
                params["seconds"] = round(first.zombie_seconds, 2)
                key = "zombie.timed"
            else:
                key = "zombie.untimed"
            return outcome(
                False, key, params, slots=more_slot,
                expected="no zombies", observed=f"{len(zombies)} zombie(s)",
                evidence=[evidence.task_evidence("zombies", zombies)],
            )
        return outcome(True, "zombies.ok", {"count": len(pool)})


class ProcessNoOrphans(SubjectCheck):
    """No process outlived its parent (was re-parented to init).

    A task the grader stopped together with its parent (at the time or output limit) is not counted:
    its parent did not end on its own first.
    """

    kind: Literal["process.no_orphans"]

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        pool = _non_root(evidence)
        if not pool:
            return self.nothing(evidence, "none.children")
        tasks = evidence.execution.tasks
        candidates = [t for t in pool if t.orphan]

        def parent_stopped(t: Task) -> bool:
            parent = tasks.get(t.ppid) if t.ppid is not None else None
            return parent is not None and parent.stopped_by is not None

        orphans = [t for t in candidates if not parent_stopped(t)]
        if orphans:
            first = orphans[0]
            more_slot, more_params = more(len(orphans) - 1)
            params: dict[str, Any] = {"pid": first.tid, "parent": first.ppid, "count": len(orphans), **more_params}
            slots = dict(more_slot)
            if first.stopped_by is not None:
                key = "orphan.stopped"
                slots["stop"] = stop_clause(first)
            elif first.reparented_to is not None:
                key, params["adopter"] = "orphan.adopted", first.reparented_to
            else:
                key = "orphan.plain"
            return outcome(
                False, key, params, slots=slots,
                expected="no orphans", observed=f"{len(orphans)} orphan(s)",
                evidence=[evidence.task_evidence("orphans", orphans)],
            )
        stopped = [t.tid for t in candidates]
        if stopped:
            return outcome(True, "orphans.ok_stopped", {"pids": stopped},
                           evidence=[evidence.task_evidence("stopped by the grader with their parent",
                                                            [t for t in candidates])])
        return outcome(True, "orphans.ok", {"count": len(pool)})


class ProcessExitCode(SubjectCheck):
    """Every process of `role` (default root) exited normally with code `equals`."""

    kind: Literal["process.exit_code"]
    role: Role = Field(default="root", description="the processes that must exit with the code (see Roles)")
    equals: Count = Field(default=0, description="the exit code")
    shorthand: ClassVar[str | None] = "equals"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        record = evidence.record
        if self.role == "root" and not evidence.has_trace:
            code, signal = record.exit_code, record.signal
            if signal:
                return outcome(False, "exit.root_signal", {"want": self.equals, "signal": signal},
                               expected=str(self.equals), observed=f"killed by {signal}")
            if code != self.equals:
                return outcome(False, "exit.root_code", {"want": self.equals, "code": code},
                               expected=str(self.equals), observed=f"exit code {code}")
            return outcome(True, "exit.root_ok", {"want": self.equals})
        if not evidence.has_trace:
            return self.no_trace()
        tasks, none = _pool(self, evidence, self.role) if self.role != "root" else (
            [t for t in evidence.role("root")], None)
        if none is not None:
            return none
        for task in tasks:
            if task.signal is None and task.exit_code == self.equals and task.stopped_by is None:
                continue
            params: dict[str, Any] = {"pid": task.tid, "role": self.role, "want": self.equals}
            slots: dict[str, str] = {}
            if task.stopped_by is not None:
                key, got = "exit.stopped", "stopped by the grader"
                slots["stop"] = stop_clause(task)
            elif task.signal is not None:
                key, got, params["signal"] = "exit.signal", f"killed by {task.signal}", task.signal
            elif task.exit_code is not None:
                key, got, params["code"] = "exit.code", f"exit code {task.exit_code}", task.exit_code
            else:
                key, got = "exit.running", "never exited"
            return outcome(False, key, params, slots=slots, expected=f"exit code {self.equals}", observed=got,
                           evidence=[evidence.task_evidence(self.role, tasks)])
        return outcome(True, "exit.ok", {"count": len(tasks), "role": self.role, "want": self.equals})


class ProcessKilled(SubjectCheck):
    """At least `min` processes of `role` (default children) were killed by a signal (`signal`, or any).

    A task the grader killed at a limit does not count: the program did not kill it.
    """

    kind: Literal["process.killed"]
    role: Role = Field(default="children", description="the processes considered (see Roles)")
    signal: Signal | None = Field(
        default=None, description="the signal that must have killed them: a name (SIGSEGV or SEGV) or its number (11); not given: any signal")
    min: PositiveInt = Field(default=1, description="at least this many processes must have been killed")

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        tasks, none = _pool(self, evidence, self.role) if self.role != "root" else (evidence.role("root"), None)
        if none is not None:
            return none
        killed = [t for t in tasks if t.signal is not None and t.stopped_by is None
                  and (self.signal is None or t.signal == self.signal)]
        params: dict[str, Any] = {"role": self.role, "signal": self.signal}
        suffix = "" if self.signal else "_any"
        if len(killed) >= self.min:
            return outcome(True, "killed.ok" + suffix, {**params, "count": len(killed)})
        return outcome(
            False, "killed.few" + suffix, {**params, "want": self.min, "got": len(killed)},
            expected=f">= {self.min}", observed=str(len(killed)),
            evidence=[evidence.task_evidence(self.role, tasks)],
        )


class ProcessConcurrent(SubjectCheck):
    """At least `min` tasks of `role` (default children) were alive at the same moment."""

    kind: Literal["process.concurrent"]
    role: Role = Field(
        default="children", description="the tasks considered: processes, or threads with `threads` (see Roles)")
    min: PositiveInt = Field(default=2, description="at least this many of them alive at the same moment")
    shorthand: ClassVar[str | None] = "min"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        tasks = evidence.role(self.role)
        if not tasks:
            if self.role == "threads":
                return self.nothing(evidence, "none.threads")
            if self.role in ("children", "descendants"):
                return self.nothing(evidence, "none.children")
            children = len(evidence.children_of(evidence.root.tid)) if evidence.root else 0
            return self.nothing(evidence, "none.role", {"role": self.role, "children": children})
        end_of_run = evidence.execution.duration
        events = sorted(
            [(t.start, 1) for t in tasks] + [(t.end if t.end is not None else end_of_run, -1) for t in tasks],
            key=lambda e: (e[0], e[1]),  # an end at the same instant as a start does not overlap it
        )
        alive = best = 0
        for _, step in events:
            alive += step
            best = max(best, alive)
        shown = Evidence(
            label=f"{self.role} with lifetimes",
            lines=[f"{'pid' if t.is_process else 'thread'} {t.tid}: {t.start:.3f}s to "
                   + (f"{t.end:.3f}s" if t.end is not None else "the end") for t in tasks],
            tasks=[t.tid for t in tasks], run=evidence.run,
        )
        params = {"role": self.role, "best": best, "count": len(tasks), "want": self.min}
        if best >= self.min:
            return outcome(True, "concurrent.ok", params, evidence=[shown])
        key = "concurrent.serial" if best <= 1 and len(tasks) > 1 else "concurrent.few"
        return outcome(False, key, params, expected=f">= {self.min} at once", observed=f"{best} at once",
                       evidence=[shown])
