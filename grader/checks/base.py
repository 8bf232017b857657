"""What every check receives (RunEvidence), returns (CheckOutcome) and is built on (CheckBase)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from grader.checks.params import ROLE_PATTERN, StrictModel, Weight, compiled
from grader.result import Evidence
from grader.sandbox.records import RunRecord
from grader.trace.model import Execution, OutputLine, Task

__all__ = [
    "HELPER_MARKERS",
    "CheckBase",
    "CheckOutcome",
    "RunEvidence",
    "describe_task",
    "line_text",
]

# argv fragments of processes the Python runtime starts on its own (not the student's).
HELPER_MARKERS = (
    "multiprocessing.resource_tracker",
    "multiprocessing.forkserver",
    "multiprocessing.semaphore_tracker",
)


def line_text(line: OutputLine) -> str:
    """A line's text, decoded safely, without a trailing carriage return (pty mode)."""
    return line.text.decode("utf-8", errors="replace").rstrip("\r")


def describe_task(task: Task) -> str:
    """'pid 12' for a process, 'thread 13 of pid 12' for a thread."""
    return f"pid {task.tid}" if task.is_process else f"thread {task.tid} of pid {task.tgid}"


@dataclass(slots=True)
class CheckOutcome:
    """The verdict of one check on one run, with what was expected and what was seen."""

    passed: bool
    message: str
    expected: str | None = None
    observed: str | None = None
    evidence: list[Evidence] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunEvidence:
    """One run as the checks see it: the kernel's account, attributed output lines, and the run's flags."""

    execution: Execution
    stdout: list[OutputLine]
    stderr: list[OutputLine]
    record: RunRecord

    @property
    def run(self) -> int:
        """The repeat index of this run."""
        return self.record.repeat_index

    @property
    def has_trace(self) -> bool:
        """Whether the trace named a root process at all."""
        return self.execution.root is not None and self.execution.root in self.execution.tasks

    def lines(self, stream: str = "stdout") -> list[OutputLine]:
        """Attributed lines of a stream; falls back to the captured bytes (no writers) when the trace had none."""
        attributed = self.stdout if stream == "stdout" else self.stderr
        if attributed:
            return attributed
        captured = self.record.stdout if stream == "stdout" else self.record.stderr
        if not captured:
            return []
        parts = captured.split(b"\n")
        complete_last = parts[-1] == b""
        if complete_last:
            parts.pop()
        return [
            OutputLine(text=p, writers=[], processes=[], time=None, complete=(i < len(parts) - 1 or complete_last))
            for i, p in enumerate(parts)
        ]

    def texts(self, stream: str = "stdout") -> list[str]:
        """The decoded text of each line of a stream."""
        return [line_text(line) for line in self.lines(stream)]

    def matching(self, pattern: str, stream: str = "stdout") -> list[tuple[int, OutputLine]]:
        """(index, line) for each line of `stream` that `pattern` matches (re.search)."""
        regex = compiled(pattern)
        return [(i, line) for i, line in enumerate(self.lines(stream)) if regex.search(line_text(line))]

    # ----- who is who -----
    @cached_property
    def helpers(self) -> dict[int, str]:
        """tgid -> why, for processes the language runtime started (and their descendants)."""
        found: dict[int, str] = {}
        for task in self.execution.processes():
            argv = " ".join(arg for ex in task.execs for arg in ex.argv)
            for marker in HELPER_MARKERS:
                if marker in argv:
                    found[task.tid] = marker.rsplit(".", 1)[-1].replace("_", " ")
        for tgid, why in list(found.items()):
            for child in self.execution.descendants(tgid):
                found.setdefault(child.tid, why)
        return found

    @cached_property
    def processes(self) -> list[Task]:
        """The student's processes (runtime helpers excluded), in creation order."""
        return sorted(
            (t for t in self.execution.processes() if t.tid not in self.helpers),
            key=lambda t: (t.start, t.tid),
        )

    @cached_property
    def root(self) -> Task | None:
        """The program's first process."""
        return self.execution.tasks.get(self.execution.root) if self.execution.root is not None else None

    def children_of(self, pid: int) -> list[Task]:
        """The student's child processes of `pid`, in creation order."""
        return [t for t in self.processes if t.ppid == pid and t.tid != pid]

    def role(self, role: str) -> list[Task]:
        """The tasks a role names: root, children, child[i] (creation order), descendants, threads."""
        root = self.root
        if root is None:
            return []
        match = ROLE_PATTERN.match(role)
        if role == "root":
            return [root]
        if role == "children":
            return self.children_of(root.tid)
        if role == "descendants":
            return [t for t in self.processes if t.tid != root.tid]
        if role == "threads":
            ids = {p.tid for p in self.processes}
            return sorted(
                (t for t in self.execution.threads() if t.tgid in ids), key=lambda t: (t.start, t.tid)
            )
        if match and match.group(2) is not None:
            children = self.children_of(root.tid)
            index = int(match.group(2))
            return [children[index]] if index < len(children) else []
        return []

    def in_role(self, role: str, tid: int) -> bool:
        """Whether the task `tid` belongs to `role` (for process roles: any thread of those processes)."""
        tasks = self.role(role)
        if role == "threads":
            return tid in {t.tid for t in tasks}
        return self.execution.process_of(tid) in {t.tid for t in tasks}

    def line_in_role(self, line: OutputLine, role: str | None) -> bool:
        """Whether every writer of `line` is in `role` (None: any writer)."""
        if role is None:
            return True
        return bool(line.writers) and all(self.in_role(role, tid) for tid in line.writers)

    def helper_note(self) -> str:
        """' (not counting runtime helpers: pid 14 resource tracker)' or ''."""
        if not self.helpers:
            return ""
        listed = ", ".join(f"pid {pid} {why}" for pid, why in sorted(self.helpers.items()))
        return f" (not counting the language runtime's own helpers: {listed})"

    def line_evidence(self, label: str, items: list[tuple[int, OutputLine]], limit: int = 12) -> Evidence:
        """Evidence listing output lines with the process that wrote each."""
        shown: list[str] = []
        tasks: list[int] = []
        for index, line in items[:limit]:
            who = ", ".join(f"pid {p}" for p in dict.fromkeys(line.processes)) or "unknown writer"
            shown.append(f"line {index + 1} ({who}): {line_text(line)}")
            tasks.extend(line.writers)
        if len(items) > limit:
            shown.append(f"... and {len(items) - limit} more")
        return Evidence(label=label, lines=shown, tasks=list(dict.fromkeys(tasks)), run=self.run)

    def task_evidence(self, label: str, tasks: list[Task]) -> Evidence:
        """Evidence listing tasks with their parent and end."""
        shown = []
        for t in tasks:
            end = f"signal {t.signal}" if t.signal else (f"exit {t.exit_code}" if t.exit_code is not None else "running")
            parent = f", parent {t.ppid}" if t.ppid is not None else ""
            shown.append(f"{describe_task(t)}{parent}, {end}")
        return Evidence(label=label, lines=shown, tasks=[t.tid for t in tasks], run=self.run)


class CheckBase(StrictModel):
    """Fields every check has; subclasses add a `kind` literal, parameters and `evaluate`."""

    kind: str
    weight: Weight = 1.0
    hint: str | None = None
    hint_ko: str | None = None
    label: str | None = None
    id: str | None = None

    # The parameter a scalar YAML value stands for (`process.reaped: all`), if any.
    shorthand: ClassVar[str | None] = None

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        """Judge one run."""
        raise NotImplementedError

    def no_trace(self) -> CheckOutcome:
        """The outcome when the run left no usable trace."""
        return CheckOutcome(
            passed=False,
            message="the program's behaviour could not be observed: no trace of it was recorded",
            observed="no trace",
        )
