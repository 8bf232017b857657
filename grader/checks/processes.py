"""Processes: how many, whose children, the tree's shape, siblings, and programs exec'd."""

from __future__ import annotations

import os
from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, outcome
from grader.checks.params import Bounds, Count, PositiveInt, Role, StrictModel
from grader.result import Evidence
from grader.trace.model import Task

__all__ = ["ProcessChildren", "ProcessCount", "ProcessExec", "ProcessSiblings", "ProcessTree", "TreeShape"]


class ProcessCount(Bounds, CheckBase):
    """The number of processes the program made (itself included; runtime helpers excluded)."""

    kind: Literal["process.count"]
    include_helpers: bool = False
    shorthand: ClassVar[str | None] = "equals"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        counted = evidence.execution.processes() if self.include_helpers else evidence.processes
        slots, params = self.bounds_slot()
        if not self.include_helpers:
            helper_slot, helper_params = evidence.helper_slot()
            slots, params = {**slots, **helper_slot}, {**params, **helper_params}
        else:
            slots["helpers"] = "none"
        ok = self.holds(len(counted))
        return outcome(
            ok, "count.ok" if ok else "count.bad", {**params, "count": len(counted)}, slots=slots,
            expected=self.describe(),
            observed=str(len(counted)),
            evidence=[] if ok else [evidence.task_evidence("processes", counted),
                                    *([] if self.include_helpers else evidence.helper_evidence())],
        )


class ProcessChildren(Bounds, CheckBase):
    """Each process of `role` (default root) has this many child processes."""

    kind: Literal["process.children"]
    role: Role = "root"
    shorthand: ClassVar[str | None] = "equals"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        parents = [t for t in evidence.role(self.role) if t.is_process]
        if not parents:
            children = len(evidence.children_of(evidence.root.tid)) if evidence.root else 0
            return outcome(False, "none.role", {"role": self.role, "children": children},
                           slots={"ended": "none"}, observed="none")
        slots, params = self.bounds_slot()
        for parent in parents:
            kids = evidence.children_of(parent.tid)
            if not self.holds(len(kids)):
                helper_slot, helper_params = evidence.helper_slot()
                return outcome(
                    False, "children.bad",
                    {**params, **helper_params, "pid": parent.tid, "role": self.role, "got": len(kids)},
                    slots={**slots, **helper_slot},
                    expected=self.describe(),
                    observed=str(len(kids)),
                    evidence=[evidence.task_evidence(f"children of pid {parent.tid}", kids),
                              *evidence.helper_evidence()],
                )
        return outcome(True, "children.ok", {**params, "count": len(parents), "role": self.role}, slots=slots)


class TreeShape(StrictModel):
    """A node of an expected process tree; children in any order."""

    children: list[TreeShape] = Field(default_factory=list)

    def canonical(self) -> tuple[object, ...]:
        """An order-free form for comparison."""
        return tuple(sorted((c.canonical() for c in self.children), key=repr))


def _canonical(evidence: RunEvidence, pid: int) -> tuple[object, ...]:
    return tuple(sorted((_canonical(evidence, c.tid) for c in evidence.children_of(pid)), key=repr))


def _draw(evidence: RunEvidence, task: Task, depth: int = 0) -> list[str]:
    lines = ["  " * depth + f"pid {task.tid}" + (f" ({os.path.basename(task.program)})" if task.program else "")]
    for child in evidence.children_of(task.tid):
        lines.extend(_draw(evidence, child, depth + 1))
    return lines


def _draw_shape(canonical: tuple[object, ...], depth: int = 0) -> list[str]:
    lines = ["  " * depth + "process"]
    for child in canonical:
        assert isinstance(child, tuple)
        lines.extend(_draw_shape(child, depth + 1))
    return lines


class ProcessTree(CheckBase):
    """The process tree from the root has a given shape, or is a chain of N processes."""

    kind: Literal["process.tree"]
    shape: TreeShape | None = None
    chain: PositiveInt | None = None

    @model_validator(mode="after")
    def _one_form(self) -> ProcessTree:
        if (self.shape is None) == (self.chain is None):
            raise PydanticCustomError("tree", "give exactly one of shape or chain", {})
        return self

    def _expected(self) -> tuple[object, ...]:
        if self.shape is not None:
            return self.shape.canonical()
        node: tuple[object, ...] = ()
        for _ in range((self.chain or 1) - 1):
            node = (node,)
        return node

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        root = evidence.root
        if root is None:
            return self.no_trace()
        want = self._expected()
        got = _canonical(evidence, root.tid)
        drawn = _draw(evidence, root)
        if want == got:
            return outcome(True, "tree.ok", observed="\n".join(drawn))
        expected = "\n".join(_draw_shape(want))
        helper_slot, helper_params = evidence.helper_slot()
        return outcome(
            False, "tree.bad_chain" if self.chain else "tree.bad", {**helper_params, "chain": self.chain},
            slots=helper_slot,
            expected=expected,
            observed="\n".join(drawn),
            evidence=[
                Evidence(label="process tree observed", lines=drawn, tasks=[t.tid for t in evidence.processes],
                         run=evidence.run),
                Evidence(label="process tree expected", lines=_draw_shape(want)),
            ],
        )


class ProcessSiblings(CheckBase):
    """At least `min` processes of `role` (default children) exist, with distinct pids and one shared parent."""

    kind: Literal["process.siblings"]
    role: Role = "children"
    min: PositiveInt = 2
    shorthand: ClassVar[str | None] = "min"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        tasks = [t for t in evidence.role(self.role) if t.is_process]
        shown = [evidence.task_evidence(f"processes in {self.role}", tasks)]
        parents = sorted({t.ppid for t in tasks if t.ppid is not None})
        if len(tasks) < self.min:
            return outcome(False, "siblings.few", {"want": self.min, "role": self.role, "got": len(tasks)},
                           expected=f">= {self.min}", observed=str(len(tasks)), evidence=shown)
        if len(parents) != 1:
            return outcome(False, "siblings.parents", {"role": self.role, "parents": parents},
                           expected="one parent", observed=f"{len(parents)} parents", evidence=shown)
        return outcome(True, "siblings.ok", {"count": len(tasks), "parent": parents[0]}, evidence=shown)


class ProcessExec(CheckBase):
    """At least `min` processes (of `role`, if given) exec'd `program` (a path, or a name matched on basename)."""

    kind: Literal["process.exec"]
    program: str
    role: Role | None = None
    min: Count = 1
    shorthand: ClassVar[str | None] = "program"

    def _matches(self, path: str) -> bool:
        return path == self.program if "/" in self.program else os.path.basename(path) == self.program

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        pool = evidence.role(self.role) if self.role else evidence.processes
        root = evidence.execution.root
        # The root's own exec is the sandbox starting the program, not the program's doing.
        did = [t for t in pool if any(self._matches(e.path) for e in t.execs[(1 if t.tid == root else 0):])]
        if len(did) >= self.min:
            return outcome(True, "exec.ok", {"count": len(did), "program": self.program})
        ran = sorted({e.path for t in pool for e in t.execs})
        pids = {t.tid for t in pool}
        failed = [f for f in evidence.execution.failed_execs if evidence.execution.process_of(f.tid) in pids]
        slots = {"failed_exec": "some" if failed else "none"}
        params: dict[str, object] = {"want": self.min, "program": self.program, "got": len(did), "role": self.role}
        if failed:
            params.update(fail_pid=failed[0].tid, fail_path=failed[0].path, errno=failed[0].errno)
        return outcome(
            False, "exec.few_role" if self.role else "exec.few", params, slots=slots,
            expected=f">= {self.min}",
            observed=f"{len(did)}; programs exec'd: " + (", ".join(ran) or "none"),
            evidence=[evidence.task_evidence("processes", pool)],
        )
