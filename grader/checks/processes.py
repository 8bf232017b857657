"""Processes: how many, whose children, the tree's shape, siblings, and programs exec'd."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, outcome
from grader.checks.params import Bounds, Count, PositiveInt, Role, StrictModel
from grader.result import Evidence
from grader.trace.model import Task

__all__ = ["ProcessChildren", "ProcessCount", "ProcessExec", "ProcessSiblings", "ProcessTree", "Shapes", "TreeShape"]


class ProcessCount(Bounds, CheckBase):
    """The number of processes the program made (itself included; runtime helpers excluded)."""

    kind: Literal["process.count"]
    include_helpers: bool = Field(
        default=False, description="count the language runtime's own helper processes too (e.g. multiprocessing's resource tracker)")
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
    role: Role = Field(
        default="root", description="the processes whose child processes are counted; each must have the count")
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

    children: list[TreeShape] = Field(
        default_factory=list, description="the child processes of this node, each a {children: [...]} mapping")

    def canonical(self, shapes: Shapes | None = None) -> int:
        """This tree's shape id in `shapes` (equal ids: equal trees, children in any order); no recursion."""
        shapes = shapes if shapes is not None else Shapes()
        ids: dict[int, int] = {}
        stack: list[tuple[TreeShape, bool]] = [(self, False)]
        while stack:
            node, done = stack.pop()
            if done:
                ids[id(node)] = shapes.node(ids[id(c)] for c in node.children)
                continue
            stack.append((node, True))
            stack.extend((c, False) for c in node.children)
        return ids[id(self)]


# A check's drawing of a tree stays this small whatever the program made (a 3000-deep chain, 10k children).
MAX_DRAWN = 100
MAX_DRAWN_DEPTH = 30


class Shapes:
    """Tree shapes as integers, shared by the trees compared: a node's id is that of its sorted child ids.

    Equal ids mean equal trees with children in any order, found bottom-up without recursion or
    nested tuples (a 3000-deep tuple cannot even be compared or printed under Python's recursion limit).
    """

    def __init__(self) -> None:
        self._ids: dict[tuple[int, ...], int] = {}
        self.children: list[tuple[int, ...]] = []   # id -> its children's ids, sorted

    def node(self, children: Iterable[int]) -> int:
        key = tuple(sorted(children))
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = len(self.children)
            self.children.append(key)
        return found

    def chain(self, length: int) -> int:
        node = self.node(())
        for _ in range(length - 1):
            node = self.node((node,))
        return node

    def size(self, shape: int) -> int:
        """How many processes a shape has."""
        sizes: dict[int, int] = {}
        for ident in range(shape + 1):        # children always have smaller ids than their parent
            sizes[ident] = 1 + sum(sizes[c] for c in self.children[ident])
        return sizes[shape]


def _kids(evidence: RunEvidence) -> dict[int, list[Task]]:
    """pid -> the student's child processes, in creation order (one pass, not one scan per process)."""
    kids: dict[int, list[Task]] = {}
    for task in evidence.processes:
        if task.ppid is not None and task.ppid != task.tid:
            kids.setdefault(task.ppid, []).append(task)
    return kids


def _observed(kids: dict[int, list[Task]], root: int, shapes: Shapes) -> int:
    """The shape id of the tree under `root`, bottom-up without recursion (each pid drawn once)."""
    ids: dict[int, int] = {}
    claimed: dict[int, list[int]] = {}
    seen = {root}
    stack: list[tuple[int, bool]] = [(root, False)]
    while stack:
        pid, done = stack.pop()
        if done:
            ids[pid] = shapes.node(ids[c] for c in claimed[pid])
            continue
        claimed[pid] = [c.tid for c in kids.get(pid, []) if c.tid not in seen]
        seen.update(claimed[pid])
        stack.append((pid, True))
        stack.extend((c, False) for c in claimed[pid])
    return ids[root]


def _draw_tree(top: int, children: Callable[[int], Sequence[int]], label: Callable[[int], str]) -> list[str]:
    """Lines of a tree, indented by depth, at most MAX_DRAWN lines and MAX_DRAWN_DEPTH generations;
    what is not drawn is counted on a line of its own. Depth-first without recursion."""
    lines: list[str] = []
    stack: list[tuple[int, int]] = [(top, 0)]
    skipped = 0
    while stack:
        node, depth = stack.pop()
        if len(lines) >= MAX_DRAWN:
            skipped += 1 + _count_below(node, children)
            continue
        lines.append("  " * depth + label(node))
        below = children(node)
        if below and depth + 1 >= MAX_DRAWN_DEPTH:
            hidden = sum(1 + _count_below(c, children) for c in below)
            lines.append("  " * (depth + 1) + f"... {hidden} more process(es) below, {MAX_DRAWN_DEPTH} generations drawn")
            continue
        stack.extend((c, depth + 1) for c in reversed(below))
    if skipped:
        lines.append(f"... {skipped} more process(es) not drawn")
    return lines


def _count_below(node: int, children: Callable[[int], Sequence[int]]) -> int:
    count, todo = 0, list(children(node))
    while todo:
        count += 1
        todo.extend(children(todo.pop()))
    return count


def _draw(evidence: RunEvidence, kids: dict[int, list[Task]], root: Task) -> list[str]:
    tasks = {t.tid: t for t in evidence.processes}
    tasks[root.tid] = root

    def label(pid: int) -> str:
        task = tasks[pid]
        return f"pid {task.tid}" + (f" ({os.path.basename(task.program)})" if task.program else "")

    seen = {root.tid}

    def children(pid: int) -> list[int]:
        out = [c.tid for c in kids.get(pid, []) if c.tid not in seen]
        seen.update(out)
        return out

    return _draw_tree(root.tid, children, label)


def _draw_shape(shapes: Shapes, shape: int) -> list[str]:
    # nodes of the drawing are (shape id) but one shape id can occur many times: number the occurrences
    occurrences: list[int] = [shape]

    def children(node: int) -> list[int]:
        out = []
        for child in shapes.children[occurrences[node]]:
            occurrences.append(child)
            out.append(len(occurrences) - 1)
        return out

    return _draw_tree(0, children, lambda _node: "process")


class ProcessTree(CheckBase):
    """The process tree from the root has a given shape, or is a chain of N processes."""

    kind: Literal["process.tree"]
    shape: TreeShape | None = Field(
        default=None, description="the expected tree under the root, as nested {children: [...]}; children in any order")
    chain: PositiveInt | None = Field(
        default=None, description="the tree is a chain of this many processes, the root included (each the only child of the one before)")

    @model_validator(mode="after")
    def _one_form(self) -> ProcessTree:
        if (self.shape is None) == (self.chain is None):
            raise PydanticCustomError("tree", "give exactly one of shape or chain", {})
        return self

    def _expected(self, shapes: Shapes) -> int:
        if self.shape is not None:
            return self.shape.canonical(shapes)
        return shapes.chain(self.chain or 1)

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        root = evidence.root
        if root is None:
            return self.no_trace()
        shapes = Shapes()
        want = self._expected(shapes)
        kids = _kids(evidence)
        got = _observed(kids, root.tid, shapes)
        drawn = _draw(evidence, kids, root)
        if want == got:
            return outcome(True, "tree.ok", observed="\n".join(drawn))
        expected_lines = _draw_shape(shapes, want)
        expected = "\n".join(expected_lines)
        helper_slot, helper_params = evidence.helper_slot()
        return outcome(
            False, "tree.bad_chain" if self.chain else "tree.bad", {**helper_params, "chain": self.chain},
            slots=helper_slot,
            expected=expected,
            observed="\n".join(drawn),
            evidence=[
                Evidence(label="process tree observed", lines=drawn, tasks=[t.tid for t in evidence.processes],
                         run=evidence.run),
                Evidence(label="process tree expected", lines=expected_lines),
            ],
        )


class ProcessSiblings(CheckBase):
    """At least `min` processes of `role` (default children) exist, with distinct pids and one shared parent."""

    kind: Literal["process.siblings"]
    role: Role = Field(default="children", description="the processes that must be siblings (see Roles)")
    min: PositiveInt = Field(default=2, description="at least this many of them")
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
    program: str = Field(
        description="a path (compared whole) or a program name (compared with the last part of the exec'd path)")
    role: Role | None = Field(default=None, description="only processes of this role count (see Roles)")
    min: Count = Field(default=1, description="at least this many processes must have exec'd it")
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
