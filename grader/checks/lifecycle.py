"""Lifecycle: reaping and its order, zombies (and how long), orphans, exit codes, signals, overlapping
lifetimes, and the call a task hung in at the time limit.

The words mean one thing (see PITFALLS): a zombie is a child that ended while its parent was alive
and was not waited for (Task.zombie); an orphan is a process whose parent ended first, adopted by
init (Task.orphan) - normally not a zombie; a task the grader killed at a limit (Task.stopped_by) is
neither, and is said to be stopped by the grader.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from grader.checks.base import (
    CheckOutcome,
    RunEvidence,
    SubjectCheck,
    more,
    outcome,
    stop_clause,
)
from grader.checks.params import Count, Duration, PositiveInt, Role, RoleOrAll, Signal
from grader.result import Evidence
from grader.trace.endstate import CALL_FAMILIES, NOT_IN_A_CALL, UNNAMED_CALL, blocked_at_end, blocked_words
from grader.trace.model import Blocked, Execution, Task

__all__ = [
    "ProcessBlockedIn",
    "ProcessConcurrent",
    "ProcessExitCode",
    "ProcessKilled",
    "ProcessNoOrphans",
    "ProcessNoZombies",
    "ProcessReapOrder",
    "ProcessReaped",
    "ProcessZombie",
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


def _parent_then(task: Task) -> int | None:
    """The parent a zombie belonged to: its first parent, or the subreaper that adopted and reaped it (an
    orphan that was never a zombie keeps its first parent)."""
    adopted = task.orphan and task.reparented_to is not None and task.zombie_seconds is not None
    return task.reparented_to if adopted else task.ppid


class ProcessNoZombies(SubjectCheck):
    """No child was left a zombie: it ended while its parent was alive, and that parent never waited for it.

    A zombie lasts until its parent waits or ends. An orphan (its parent ended first) is adopted and
    reaped by init or a subreaper, so an orphan is not a zombie: a double-fork daemon passes this check
    (say "no orphans" with process.no_orphans). A task the grader stopped at a limit is not a zombie either.
    With `max`, a child its parent did wait for, but only after it had been a zombie longer than `max`,
    counts too (its time is measured in the trace, from its exit to its parent's wait).
    """

    kind: Literal["process.no_zombies"]
    max: Duration | None = Field(
        None, description="also count a child that its parent reaped only after it had been a zombie longer "
                          "than this, e.g. '200ms' (unset: only children never reaped count)")

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        pool = _non_root(evidence)
        if not pool:
            return self.nothing(evidence, "none.children")
        zombies = [t for t in pool if t.zombie and t.stopped_by is None]
        late = [t for t in pool if self.max is not None and not t.zombie and t.stopped_by is None
                and t.reaped_by is not None and t.zombie_seconds is not None
                and t.zombie_seconds * 1000 > self.max]
        if zombies or late:
            first = (zombies or late)[0]
            more_slot, more_params = more(len(zombies) + len(late) - 1)
            params: dict[str, Any] = {"pid": first.tid, "parent": _parent_then(first),
                                      "count": len(zombies) + len(late), **more_params}
            if first in late:
                assert first.zombie_seconds is not None and self.max is not None
                params.update(seconds=round(first.zombie_seconds, 2), max=round(self.max / 1000, 3))
                key = "zombie.late"
            elif first.zombie_seconds is not None:
                params["seconds"] = round(first.zombie_seconds, 2)
                key = "zombie.timed"
            else:
                key = "zombie.untimed"
            return outcome(
                False, key, params, slots=more_slot,
                expected="no zombies" + (f" for longer than {self.max} ms" if self.max is not None else ""),
                observed=f"{len(zombies) + len(late)} zombie(s)",
                evidence=[*([evidence.task_evidence("zombies", zombies)] if zombies else []),
                          *([_zombie_lines(evidence, late, "zombies")] if late else [])],
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


def _sanitizer_reported(evidence: RunEvidence, code: int | None, pid: int | None) -> str | None:
    """The sanitizer's name when this exit code is the one it gives a program after a report and its log
    (untouched by the program) holds a report of process `pid` (None: of any process); else None."""
    from grader.checks.sanitized import untrusted_log
    from grader.sanitize import SANITIZERS

    sanitizer = evidence.record.sanitizer
    if not sanitizer or code is None or code != sanitizer.get("exit_code"):
        return None
    names = {f"report.{pid}"} if pid is not None else None
    reported = [f for f in sanitizer.get("files") or [] if f.get("status") == "ok" and f.get("size")
                and (names is None or f.get("name") in names)]
    if not reported or untrusted_log(evidence, sanitizer):
        return None
    return SANITIZERS.get(str(sanitizer.get("kind")), {}).get("name")


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
                tool = _sanitizer_reported(evidence, code, None)
                return outcome(False, "exit.root_sanitizer" if tool else "exit.root_code",
                               {"want": self.equals, "code": code, **({"tool": tool} if tool else {})},
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
                tool = _sanitizer_reported(evidence, task.exit_code, task.tgid)
                if tool:
                    key, params["tool"] = "exit.sanitizer", tool
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


# ----------------------------------------------------------------------------- zombie time, reap order, hangs


def _zombie_until(evidence: RunEvidence, task: Task) -> str:
    """The <until> clause: what ended a zombie's time (its parent's wait, its parent's end, the run's end)."""
    if task.reaped_by is not None and not task.zombie:
        return "reaped"
    parent = evidence.execution.tasks.get(_parent_then(task) or -1)
    if parent is not None and parent.end is not None and parent.stopped_by is None:
        return "parent_end"
    return "run_end"


def _zombie_lines(evidence: RunEvidence, tasks: list[Task], label: str) -> Evidence:
    """Each task's exit, how long it was a zombie and what ended that, in the trace's times.

    `label` is one the page translates (grader.report.html.LABEL_TEMPLATES)."""
    words = {"reaped": "its parent's wait", "parent_end": "its parent's end", "run_end": "the end of the run"}
    shown = []
    for t in tasks:
        parent = f", parent {_parent_then(t)}" if _parent_then(t) is not None else ""
        if t.zombie_seconds is None:
            shown.append(f"pid {t.tid}{parent}: never a zombie")
            continue
        until = words[_zombie_until(evidence, t)]
        end = f"ended at {t.end:.3f} s, " if t.end is not None else ""
        shown.append(f"pid {t.tid}{parent}: {end}a zombie for {t.zombie_seconds:.3f} s until {until}")
    return Evidence(label=label, lines=shown,
                    tasks=[t.tid for t in tasks], run=evidence.run)


def _never_zombie(evidence: RunEvidence, task: Task) -> tuple[dict[str, str], dict[str, Any]]:
    """The <never> clause: why a process was never a zombie."""
    if task.stopped_by is not None:
        return {"never": "stopped", "stop": stop_clause(task)}, {}
    if task.auto_reaped:
        return {"never": "auto"}, {}
    if task.end is None:
        return {"never": "running"}, {}
    if task.orphan:
        return {"never": "orphan"}, {"adopter": task.reparented_to or 1}
    return {"never": "other"}, {}


class ProcessZombie(SubjectCheck):
    """Each process of `role` WAS a zombie for at least `min` (and, with `max`, at most `max`).

    A zombie is a child that has ended while its parent is alive and has not been waited for yet. Its
    time runs, in the trace's own timestamps, from the child's exit to the first of: its parent's wait
    that reaped it, its parent's end, the end of the run. So "the child stays a zombie for 0.3 s, then
    is reaped" is `process.zombie: {role: 'child[0]', min: 300ms}` together with `process.reaped`.
    The trace's times are when strace saw each event: a parent that sleeps exactly `min` may measure a
    few ms short, so leave a margin. Never a zombie: a child whose parent ignored SIGCHLD (the kernel
    reaps it at once), an orphan (its parent ended first; init reaps it), a child still running at the
    end, one the grader stopped.
    """

    kind: Literal["process.zombie"]
    role: Role = Field("children", description="the child processes that must have been zombies: children, "
                                               "child[i] or descendants")
    min: Duration = Field(description="the shortest time each must have stayed a zombie, e.g. '300ms'")
    max: Duration | None = Field(None, description="the longest time each may have stayed a zombie (unset: "
                                                   "no upper bound)")

    @field_validator("role")
    @classmethod
    def _a_child_role(cls, value: str) -> str:
        if value in ("root", "threads"):
            raise PydanticCustomError(
                "role", "expected children, child[i] or descendants, got {got}: only a child process can be "
                        "a zombie", {"got": repr(value)})
        return value

    @model_validator(mode="after")
    def _ordered(self) -> ProcessZombie:
        if self.max is not None and self.max < self.min:
            raise PydanticCustomError("bounds", "max ({hi}) is shorter than min ({lo})",
                                      {"lo": self.min, "hi": self.max})
        return self

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        pool, none = _pool(self, evidence, self.role)
        if none is not None:
            return none
        span_slot = "range" if self.max is not None else "min"
        base: dict[str, Any] = {"role": self.role, "want": round(self.min / 1000, 3)}
        if self.max is not None:
            base["max"] = round(self.max / 1000, 3)
        shown = [_zombie_lines(evidence, pool, f"processes in {self.role}")]
        bad: list[tuple[str, Task, dict[str, str], dict[str, Any]]] = []
        for task in pool:
            params = {"pid": task.tid, "parent": _parent_then(task)}
            if task.zombie_seconds is None:
                slots, extra = _never_zombie(evidence, task)
                bad.append(("zombie_for.never", task, slots, {**params, **extra}))
                continue
            seconds = round(task.zombie_seconds, 3)
            slots = {"until": _zombie_until(evidence, task)}
            if task.zombie_seconds < 0.001:
                bad.append(("zombie_for.brief", task, slots, {**params, "seconds": seconds}))
            elif task.zombie_seconds * 1000 < self.min:
                bad.append(("zombie_for.short", task, slots, {**params, "seconds": seconds}))
            elif self.max is not None and task.zombie_seconds * 1000 > self.max:
                bad.append(("zombie_for.long", task, slots, {**params, "seconds": seconds}))
        if bad:
            key, _, slots, params = bad[0]
            more_slot, more_params = more(len(bad) - 1)
            observed = (f"{params['seconds']} s" if "seconds" in params else "never a zombie")
            return outcome(False, key, {**base, **params, **more_params},
                           slots={**slots, **more_slot, "span": span_slot},
                           expected=f">= {self.min} ms as a zombie", observed=observed, evidence=shown)
        shortest = min(pool, key=lambda t: t.zombie_seconds or 0.0)
        return outcome(True, "zombie_for.ok" if len(pool) > 1 else "zombie_for.ok_one",
                       {**base, "count": len(pool), "pid": shortest.tid, "parent": _parent_then(shortest),
                        "seconds": round(shortest.zombie_seconds or 0.0, 3)},
                       slots={"until": _zombie_until(evidence, shortest), "span": span_slot}, evidence=shown)


_CHILD_ROLE = re.compile(r"^child\[(\d+)\]$")


class ProcessReapOrder(SubjectCheck):
    """The parent reaped its children in the given order: `creation`, `reverse`, or a list of child roles.

    The order is the order of the wait4/waitid calls that returned each child's exit, as the trace
    shows them. `order: ['child[1]', 'child[0]']` names children of the root (child[i]: the
    root's i-th child, counting from 0 in creation order) and checks only those; `creation` and
    `reverse` take every child of each process of `role`. A child its parent never reaped breaks any
    order. When children end at different times and the parent waits for any child (wait(),
    waitpid(-1)), the reap order is the order they ended in: a program that must reap in an order
    chooses it (waitpid(pid)).
    """

    kind: Literal["process.reap_order"]
    role: Role = Field("root", description="the parent process(es) whose reaping order is checked")
    order: list[str] | Literal["creation", "reverse"] = Field(
        description="'creation' (oldest child first), 'reverse' (newest first), or a list of child roles "
                    "of the root such as ['child[1]', 'child[0]'] (quoted)")
    shorthand: ClassVar[str | None] = "order"

    @field_validator("order")
    @classmethod
    def _roles(cls, value: list[str] | str) -> list[str] | str:
        if isinstance(value, str):
            return value
        bad = [v for v in value if not _CHILD_ROLE.match(v)]
        if bad:
            raise PydanticCustomError("order", "expected child roles such as child[0], got {got}",
                                      {"got": repr(bad[0])})
        if len(value) < 2 or len(set(value)) != len(value):
            raise PydanticCustomError("order", "expected at least two different child roles, got {got}",
                                      {"got": repr(value)})
        return value

    @model_validator(mode="after")
    def _root_for_roles(self) -> ProcessReapOrder:
        if isinstance(self.order, list) and self.role != "root":
            raise PydanticCustomError("order", "a list of child roles names the root's children: leave role "
                                               "as root (got {got})", {"got": repr(self.role)})
        return self

    def _expected(self, evidence: RunEvidence, parent: Task) -> tuple[list[Task], list[str]] | None:
        kids = evidence.children_of(parent.tid)
        if isinstance(self.order, list):
            named = [evidence.role(r) for r in self.order]
            if any(not n for n in named):
                return None
            return [n[0] for n in named], list(self.order)
        labels = [f"child[{i}]" for i in range(len(kids))]
        if self.order == "reverse":
            return kids[::-1], labels[::-1]
        return kids, labels

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        parents = [t for t in evidence.role(self.role) if t.is_process]
        if not parents:
            return _pool(self, evidence, self.role)[1] or self.nothing(evidence, "none.children")
        order_slot = "roles" if isinstance(self.order, list) else self.order
        judged: list[tuple[Task, list[Task], list[str]]] = []
        for parent in parents:
            expected = self._expected(evidence, parent)
            if expected is None:
                missing = next(r for r in self.order if not evidence.role(r))
                children = len(evidence.children_of(parent.tid))
                return self.nothing(evidence, "none.role", {"role": missing, "children": children})
            if len(expected[0]) >= 2:
                judged.append((parent, *expected))
        if not judged:
            most = max(len(evidence.children_of(p.tid)) for p in parents)
            return self.nothing(evidence, "reap_order.few", {"role": self.role, "count": most})
        ex = evidence.execution
        shown: list[str] = []
        verdict: CheckOutcome | None = None
        for parent, kids, labels in judged:
            for kid, label in zip(kids, labels):
                reaped = (f"reaped at {kid.reaped_at:.6f} s by pid {ex.process_of(kid.reaped_by)}"
                          if kid.reaped_by is not None and kid.reaped_at is not None else "never reaped")
                ended = f"ended at {kid.end:.3f} s" if kid.end is not None else "still running at the end"
                shown.append(f"pid {kid.tid} ({label}, child of pid {parent.tid}): {ended}, {reaped}")
            if verdict is not None:
                continue
            base: dict[str, Any] = {"parent": parent.tid, "want_pids": [k.tid for k in kids],
                                    "roles": labels}
            unreaped = [k for k in kids if k.reaped_by is None or ex.process_of(k.reaped_by) != parent.tid]
            if unreaped:
                kid = unreaped[0]
                slots: dict[str, str] = {"order": order_slot}
                if kid.stopped_by is not None:
                    slots.update(unreaped="stopped", stop=stop_clause(kid))
                elif kid.orphan:
                    slots["unreaped"] = "orphan"
                else:
                    slots["unreaped"] = "never"
                verdict = outcome(False, "reap_order.unreaped", {**base, "pid": kid.tid}, slots=slots,
                                  expected=f"pids {[k.tid for k in kids]} reaped in order",
                                  observed=f"pid {kid.tid} not reaped by pid {parent.tid}")
                continue
            got = sorted(kids, key=lambda k: (k.reaped_at or 0.0, kids.index(k)))
            if got != kids:
                i = next(i for i, (a, b) in enumerate(zip(got, kids)) if a is not b)
                verdict = outcome(False, "reap_order.bad",
                                  {**base, "early": got[i].tid, "late": kids[i].tid,
                                   "got_pids": [k.tid for k in got]},
                                  slots={"order": order_slot},
                                  expected=f"pids {[k.tid for k in kids]}", observed=f"pids {[k.tid for k in got]}")
        label = f"children of pid {judged[0][0].tid}" if len(judged) == 1 else "children"
        evidence_list = [Evidence(label=label, lines=shown,
                                  tasks=[k.tid for _, kids, _ in judged for k in kids], run=evidence.run)]
        if verdict is not None:
            verdict.evidence = evidence_list
            return verdict
        parent, kids, labels = judged[0]
        return outcome(True, "reap_order.ok",
                       {"parent": parent.tid, "want_pids": [k.tid for k in kids], "roles": labels,
                        "count": len(judged)},
                       slots={"order": order_slot}, evidence=evidence_list)


CallFamily = Literal["read", "write", "futex", "join", "wait", "sleep", "poll", "accept", "connect", "open",
                     "signal", "message_queue", "semaphore", "file_lock"]
# how a family is named to a student: its calls (the same in every language)
_CALL_NAMES: dict[str, str] = {
    "read": "read", "write": "write", "futex": "futex", "join": "pthread_join (futex)", "wait": "wait4/waitid",
    "sleep": "nanosleep/clock_nanosleep", "poll": "poll/select/epoll_wait", "accept": "accept",
    "connect": "connect", "open": "open", "signal": "pause/sigsuspend",
    "message_queue": "mq_timedreceive/mq_timedsend/msgrcv/msgsnd", "semaphore": "semop",
    "file_lock": "flock/fcntl",
}
_END_KNOWN = frozenset({"read", "write", "poll", "accept", "wait", "join"})
_ON_KINDS: dict[str, tuple[str, ...]] = {"pipe": ("pipe", "fifo"), "fifo": ("fifo",), "socket": ("socket",),
                                         "stdin": ("stdin", "tty")}
# the labels of the grader's stops, as the <stop> clause names them
_STOPS = frozenset({"timeout", "output", "trace", "linger"})


class ProcessBlockedIn(SubjectCheck):
    """When the run hit its time limit, each process of `role` (each thread, for `threads`) was blocked in
    a call of family `call` (`on` a kind of channel; with `other_end`, waiting on that role).

    "Blocked" is the call a task sat in when the run ended: the call the trace shows it entered and
    never left, else the one /proc showed just before the grader's kill (the account the feedback's
    "what each task was doing" gives). A process counts when one of its tasks (its main thread or
    another thread) was in such a call. The run must have hit its time limit: a program that ended on
    its own, or that the grader stopped at another limit, did not hang. `other_end` is the other side
    as the trace knows it: for read/write/poll/accept the processes that held the descriptor's other end open;
    for wait the children waited for; for join the thread waited for. `join` is a futex wait on a
    thread's cleared-on-exit id word (C's pthread_join); CPython 3.11's Thread.join waits on a lock and
    shows as `futex` only: the trace cannot tell a lock from a condition variable or that join.
    When the other side is not known, the check is not applicable and says so.
    """

    kind: Literal["process.blocked_in"]
    role: Role = Field("root", description="whose tasks must be blocked: root, children, child[i], descendants "
                                           "or threads")
    call: CallFamily = Field(description="the family of the call they must be blocked in: read, write, futex "
                                         "(lock, condition variable or join), join (pthread_join), wait "
                                         "(wait/waitpid), sleep, poll, accept, connect, open (a FIFO), signal "
                                         "(pause/sigsuspend), message_queue, semaphore or file_lock")
    on: Literal["pipe", "fifo", "socket", "stdin"] | None = Field(
        None, description="the kind of descriptor the call waits on (pipe: a pipe or FIFO); unset: any")
    other_end: Role | None = Field(
        None, description="the role on the other side: who held the other end open (read, write, poll, "
                          "accept), the child waited for (wait), the thread joined (join)")
    shorthand: ClassVar[str | None] = "call"

    def _subjects(self, evidence: RunEvidence) -> tuple[list[tuple[Task, list[int]]], CheckOutcome | None]:
        ex = evidence.execution
        if self.role == "threads":
            threads = evidence.role("threads")
            return [(t, [t.tid]) for t in threads], (None if threads else self.nothing(evidence, "none.threads"))
        if self.role == "root":
            processes = evidence.role("root")
        else:
            processes, none = _pool(self, evidence, self.role)
            if none is not None:
                return [], none
        return [(p, sorted(t.tid for t in ex.tasks.values() if t.tgid == p.tid)) for p in processes], None

    def _others(self, blocked: Blocked) -> list[int]:
        if self.call in ("wait", "join"):
            return list(blocked.waits_for)
        if self.call == "futex":
            return []
        return list(blocked.holders)

    def _matches(self, blocked: Blocked) -> bool:
        if blocked.syscall not in CALL_FAMILIES[self.call]:
            return False
        if self.call == "join" and not blocked.waits_for:
            return False
        if self.on is not None:
            return blocked.channel is not None and blocked.channel.kind in _ON_KINDS[self.on]
        return True

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        subjects, none = self._subjects(evidence)
        if none is not None:
            return none
        ex, record = evidence.execution, evidence.record
        base: dict[str, Any] = {"role": self.role, "calls": _CALL_NAMES[self.call]}
        want: dict[str, str] = {"want_on": self.on or "none"}
        stopped = record.stopped_for or ex.stopped_for or ("timeout" if record.timed_out else None)
        if stopped not in ("timeout", "linger"):
            if stopped is None:
                return outcome(False, "blocked.finished", {**base, "seconds": round(ex.duration, 2)}, slots=want,
                               expected=f"blocked in {self.call} at the time limit", observed="ended on its own")
            return outcome(False, "blocked.limit", base,
                           slots={**want, "stop": stopped if stopped in _STOPS else "other"},
                           expected=f"blocked in {self.call} at the time limit", observed=f"stopped: {stopped}")
        live = {b.tid: b for b in blocked_at_end(ex, record)}
        shown = [Evidence(label="what each task was doing when time ran out",
                          items=[blocked_words(ex, b) for b in live.values()
                                 if any(b.tid in tids for _, tids in subjects)],
                          tasks=sorted(live), run=evidence.run)]
        members = sorted({ex.process_of(t.tid) for t in evidence.role(self.other_end)}) if self.other_end else []
        good: list[tuple[Task, Blocked]] = []
        for subject, tids in subjects:
            inside = [live[t] for t in tids if t in live]
            matching = [b for b in inside if self._matches(b)]
            if self.other_end is not None:
                other_end = self.other_end
                found = [b for b in matching if any(evidence.in_role(other_end, x) for x in self._others(b))]
                if found:
                    good.append((subject, found[0]))
                    continue
                if matching:
                    b = matching[0]
                    params = {**base, **self._got(ex, b), "other_role": other_end, "members": members}
                    if not self._others(b) or self.call not in _END_KNOWN:
                        return outcome(False, "blocked.end_unknown", params, slots=self._got_slots(ex, b),
                                       expected=f"the other end in {other_end}", observed="other end unknown",
                                       evidence=shown, applicable=False)
                    return outcome(False, "blocked.other_end", params,
                                   slots={**self._got_slots(ex, b), "got_end": self._end_slot(b)},
                                   expected=f"the other end in {other_end}",
                                   observed=f"other end: {self._others(b)}", evidence=shown)
            elif matching:
                good.append((subject, matching[0]))
                continue
            who = {"task": "process" if subject.is_process else "thread"}
            ids = {"pid": subject.tgid, "tid": subject.tid}
            if not inside:
                return outcome(False, "blocked.ended", {**base, **ids}, slots={**want, **who},
                               expected=f"blocked in {self.call}", observed="ended before the limit",
                               evidence=shown)
            b = inside[0]
            got_slot = ("running" if b.syscall == "" else "outside" if b.syscall == NOT_IN_A_CALL
                        else "unnamed" if b.syscall == UNNAMED_CALL else "call")
            return outcome(False, "blocked.elsewhere", {**base, **ids, "got_call": b.syscall,
                                                        **({"channel": b.channel.ident} if b.channel else {})},
                           slots={**want, **who, "got": got_slot,
                                  **({"got_on": "channel" if b.channel else "none"} if got_slot == "call" else {})},
                           expected=f"blocked in {self.call}", observed=f"in {b.syscall or 'no call'}",
                           evidence=shown)
        subject, b = good[0]
        more_slot, more_params = more(len(good) - 1)
        return outcome(True, "blocked.ok", {**base, **self._got(ex, b), **more_params},
                       slots={**self._got_slots(ex, b), "got_end": self._end_slot(b), **more_slot},
                       evidence=shown)

    def _got(self, ex: Execution, b: Blocked) -> dict[str, Any]:
        """The facts of the call a task was found in: which task, the call, its descriptor, the other side."""
        params: dict[str, Any] = {"pid": ex.process_of(b.tid), "tid": b.tid, "got_call": b.syscall}
        if b.channel is not None:
            params["channel"] = b.channel.ident
        others = self._others(b)
        if others:
            params["others"] = others
        return params

    def _got_slots(self, ex: Execution, b: Blocked) -> dict[str, str]:
        task = ex.tasks.get(b.tid)
        return {"task": "thread" if task is not None and not task.is_process else "process",
                "got_on": "channel" if b.channel is not None else "none"}

    def _end_slot(self, b: Blocked) -> str:
        if not self._others(b):
            return "none"
        return {"wait": "waits", "join": "joins"}.get(self.call, "holders")
