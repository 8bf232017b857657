"""What every check receives (RunEvidence), returns (CheckOutcome) and is built on (CheckBase)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Literal

from pydantic import Field

from grader.checks.messages import quote, render, template_id
from grader.checks.params import ROLE_PATTERN, StrictModel, Weight, compiled
from grader.result import Evidence
from grader.sandbox.records import RunRecord
from grader.trace.buffering import shared_stdio_processes
from grader.trace.helpers import runtime_helpers
from grader.trace.model import Execution, OutputLine, Task

__all__ = [
    "CheckBase",
    "CheckOutcome",
    "IfNone",
    "RunEvidence",
    "SharedStdio",
    "SubjectCheck",
    "describe_task",
    "line_text",
    "outcome",
]

IfNone = Literal["fail", "pass", "not_applicable"]
# The last line of a Python error report on stderr: "SyntaxError: '(' was never closed", "KeyError: 3".
_PY_ERROR = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit))(?::\s?(.*))?$")


def line_text(line: OutputLine) -> str:
    """A line's text, decoded safely, without a trailing carriage return (pty mode)."""
    return line.text.decode("utf-8", errors="replace").rstrip("\r")


def describe_task(task: Task) -> str:
    """'pid 12' for a process, 'thread 13 of pid 12' for a thread."""
    return f"pid {task.tid}" if task.is_process else f"thread {task.tid} of pid {task.tgid}"


@dataclass(slots=True)
class CheckOutcome:
    """The verdict of one check on one run, with what was expected and what was seen.

    `message` is the English rendering of `template` with `params` (params["template"] == template);
    `applicable` False: the check found nothing to judge and its author said that is not applicable.
    """

    passed: bool
    message: str
    expected: str | None = None
    observed: str | None = None
    evidence: list[Evidence] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    template: str | None = None
    applicable: bool = True


def outcome(
    passed: bool,
    base: str,
    params: dict[str, Any] | None = None,
    *,
    slots: dict[str, str] | None = None,
    expected: str | None = None,
    observed: str | None = None,
    evidence: list[Evidence] | None = None,
    applicable: bool = True,
) -> CheckOutcome:
    """An outcome whose message is template `base` (slots filled by the named clauses) with `params`."""
    key = template_id(base, **(slots or {}))
    values = {**(params or {}), "template": key}
    return CheckOutcome(passed, render(key, values), expected, observed, list(evidence or []), values,
                        template=key, applicable=applicable)


def more(count: int) -> tuple[dict[str, str], dict[str, Any]]:
    """The <more> slot for `count` further items."""
    return ({"more": "some"}, {"more": count}) if count > 0 else ({"more": "none"}, {})


def stop_clause(task: Task) -> str:
    """The <stop> clause for a task the grader ended."""
    return task.stopped_by if task.stopped_by in ("timeout", "output", "trace", "linger") else "other"


@dataclass(frozen=True, slots=True)
class SharedStdio:
    """A process whose threads share one stdio buffer that was flushed several lines per write."""

    pid: int
    writes: int                  # stdout writes of that process that each carried several lines
    flusher: int | None = None   # the task that made the first such write
    at_exit: bool = False        # that write came after every other thread of the process had ended

    def slot(self) -> tuple[dict[str, str], dict[str, Any]]:
        """The <flusher> slot: who flushed the shared buffer."""
        if self.flusher is None or self.flusher == self.pid:
            return {"flusher": "main_exit" if self.at_exit else "main"}, {}
        return {"flusher": "thread"}, {"flusher": self.flusher}


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
            OutputLine(text=p, writers=[], processes=[], time=None, complete=(i < len(parts) - 1 or complete_last),
                       unknown_bytes=len(p))
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
        """tgid -> why, for processes the trace took as the language runtime's own helpers."""
        return runtime_helpers(self.execution)

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
        """Whether `line` is owned by `role`: one task of it wrote every byte (None: any line at all).

        This is what `role` means in every check about lines: a mixed line (several processes) or one
        with bytes no traced call wrote belongs to no role.
        """
        if role is None:
            return True
        if role == "threads":
            return line.owner is not None and self.in_role(role, line.owner)
        return line.owner_process is not None and self.in_role(role, line.owner_process)

    def unowned(self, items: list[tuple[int, OutputLine]]) -> tuple[dict[str, str], dict[str, Any]]:
        """The <unowned> slot: why the first of `items` that no one process owns counts for none."""
        for index, line in items:
            if line.owner_process is not None:
                continue
            processes = list(dict.fromkeys(line.processes))
            params: dict[str, Any] = {"bad_line": index + 1}
            if len(processes) == 2:
                return {"unowned": "mixed2"}, {**params, "bad_a": processes[0], "bad_b": processes[1]}
            if len(processes) > 2:
                return {"unowned": "mixed"}, {**params, "bad_pids": processes}
            if line.unknown_bytes and (line.writers or self.has_trace):
                return {"unowned": "unknown"}, params
            return {"unowned": "untraced"}, params
        return {"unowned": "none"}, {}

    def ended(self) -> tuple[dict[str, str], dict[str, Any]]:
        """The <ended> slot: how the program ended, when that explains why it did nothing to check."""
        record = self.record
        root = self.root
        code = root.exit_code if root is not None else record.exit_code
        signal = root.signal if root is not None else record.signal
        stopped = getattr(record, "stopped_for", None) or ("timeout" if record.timed_out else None)
        if stopped in ("timeout", "output", "trace"):
            return {"ended": {"timeout": "timeout", "output": "output_limit", "trace": "trace_limit"}[stopped]}, {}
        if signal:
            return {"ended": "signal"}, {"signal": signal}
        if code not in (None, 0):
            error = self.python_error()
            if error is not None:
                return {"ended": "python_error"}, {"error": quote(error, 70)}
            return {"ended": "exit"}, {"code": code}
        return {"ended": "none"}, {}

    def python_error(self) -> str | None:
        """The last line of a Python error report on stderr ("SyntaxError: invalid syntax"), if there is one."""
        text = self.record.stderr.decode("utf-8", errors="replace").rstrip()
        if not text:
            return None
        last = text.splitlines()[-1].strip()
        return last if _PY_ERROR.match(last) else None

    @cached_property
    def shared_stdio(self) -> dict[int, SharedStdio]:
        """Processes whose threads' stdout lines cannot be told apart by writer (grader.trace.buffering).

        A stdio buffer is shared by a process's threads: when it is flushed with several lines per
        write(), the kernel's writer is whichever thread flushed, not the line's author.
        """
        shared = shared_stdio_processes(self.execution, "stdout")
        if not shared:
            return {}
        first_thread: dict[int, float] = {}
        for task in self.execution.threads():
            first_thread[task.tgid] = min(task.start, first_thread.get(task.tgid, task.start))
        flushes: dict[int, int] = dict.fromkeys(shared, 0)
        first: dict[int, tuple[int, float]] = {}
        for write in self.execution.writes:
            if write.channel.kind != "stdout" or write.size <= 0:
                continue
            pid = self.execution.process_of(write.tid)
            if pid in shared and write.time >= first_thread.get(pid, 0.0) and \
                    write.data.count(b"\n") > write.calls:
                flushes[pid] += 1
                first.setdefault(pid, (write.tid, write.time))
        out: dict[int, SharedStdio] = {}
        for pid, count in flushes.items():
            flusher, when = first.get(pid, (None, 0.0))
            others = [t for t in self.execution.threads(pid) if t.tid != flusher]
            at_exit = flusher is not None and all(t.end is not None and t.end <= when for t in others)
            out[pid] = SharedStdio(pid, max(count, 1), flusher, at_exit)
        return out

    def thread_unproven(self, line: OutputLine) -> SharedStdio | None:
        """Why the thread that wrote `line` cannot be known (its process's shared stdio buffer), or None."""
        for pid in line.processes:
            if pid in self.shared_stdio:
                return self.shared_stdio[pid]
        return None

    def stdio_slot(self, unproven: list[OutputLine]) -> tuple[dict[str, str], dict[str, Any]]:
        """The <shared_stdio> slot for lines whose thread could not be known."""
        if not unproven:
            return {"shared_stdio": "none"}, {}
        first = self.thread_unproven(unproven[0])
        assert first is not None
        flusher_slot, flusher_params = first.slot()
        return {"shared_stdio": "some", **flusher_slot}, {"unproven": len(unproven), "buffer_pid": first.pid,
                                                          "buffer_writes": first.writes, **flusher_params}

    def helper_slot(self) -> tuple[dict[str, str], dict[str, Any]]:
        """The <helpers> slot: which processes a count left out as the runtime's helpers."""
        if not self.helpers:
            return {"helpers": "none"}, {}
        return {"helpers": "some"}, {"helper_pids": sorted(self.helpers)}

    def helper_evidence(self) -> list[Evidence]:
        """Evidence naming the processes taken as the runtime's helpers, and why (empty when there are none)."""
        if not self.helpers:
            return []
        tasks = self.execution.tasks
        return [Evidence(
            label="processes left out as the language runtime's own helpers",
            lines=[f"pid {pid}" + (f" (parent {tasks[pid].ppid})" if pid in tasks else "") + f": {why}"
                   for pid, why in sorted(self.helpers.items())],
            tasks=sorted(self.helpers), run=self.run,
        )]

    def line_evidence(self, label: str, items: list[tuple[int, OutputLine]], limit: int = 12) -> Evidence:
        """Evidence listing output lines with the process that wrote each (mixed and unknown said so)."""
        shown: list[str] = []
        tasks: list[int] = []
        for index, line in items[:limit]:
            processes = list(dict.fromkeys(line.processes))
            if line.owner_process is not None:
                who = f"pid {line.owner_process}"
            elif len(processes) > 1:
                who = "mixed: " + " and ".join(f"pid {p}" for p in processes)
            elif line.unknown_bytes and processes:
                who = f"pid {processes[0]} and {line.unknown_bytes} byte(s) no traced call wrote"
            else:
                who = "writer unknown"
            shown.append(f"line {index + 1} ({who}): {line_text(line)}")
            tasks.extend(line.writers)
        if len(items) > limit:
            shown.append(f"... and {len(items) - limit} more")
        return Evidence(label=label, lines=shown, tasks=list(dict.fromkeys(tasks)), run=self.run)

    def task_evidence(self, label: str, tasks: list[Task]) -> Evidence:
        """Evidence listing tasks with their parent and end."""
        shown = []
        for t in tasks:
            if t.stopped_by is not None:
                end = "stopped by the grader"
            elif t.signal:
                end = f"killed by {t.signal}"
            elif t.exit_code is not None:
                end = f"exited with code {t.exit_code}"
            elif t.end is not None:
                end = "ended"
            else:
                end = "still running at the end"
            parent = f", parent {t.ppid}" if t.ppid is not None else ""
            extra = ""
            if t.zombie:
                extra += ", left a zombie" + (f" for {t.zombie_seconds:.2f} s" if t.zombie_seconds else "")
            if t.orphan:
                extra += ", outlived its parent"
            if t.runtime_helper:
                extra += f", runtime helper ({t.helper_reason or 'started by the language runtime'})"
            shown.append(f"{describe_task(t)}{parent}, {end}{extra}")
        return Evidence(label=label, lines=shown, tasks=[t.tid for t in tasks], run=self.run)


class CheckBase(StrictModel):
    """Fields every check has; subclasses add a `kind` literal, parameters and `evaluate`."""

    kind: str
    weight: Weight = Field(
        default=1.0, description="this check's share of the test's points, relative to the weights of the test's other checks")
    hint: str | None = Field(default=None, description="a hint shown to the student when the check fails")
    hint_ko: str | None = Field(default=None, description="the hint on the Korean page")
    label: str | None = Field(default=None, description="the check's name on the page (default: its id, else its kind)")
    id: str | None = Field(
        default=None, description="a name for the check, unique in its test, for `fails:` and the page")

    # The parameter a scalar YAML value stands for (`process.reaped: all`), if any.
    shorthand: ClassVar[str | None] = None

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        """Judge one run."""
        raise NotImplementedError

    def no_trace(self) -> CheckOutcome:
        """The outcome when the run left no usable trace."""
        return outcome(False, "trace.none", observed="no trace")


class SubjectCheck(CheckBase):
    """A check about things the program must have made (children, threads, lines, flows, IPC objects).

    When there is no such thing at all, the check fails by default: nothing was done, so nothing
    was done right. `if_none: pass` accepts that; `if_none: not_applicable` leaves the check out of
    the test's score for that run (not awarded, not counted) and the page says so.
    """

    if_none: IfNone = Field(
        default="fail", description="when there is nothing to judge (no child, thread, matching line or IPC object): fail, pass, or not_applicable (left out of the test's score for that run)")

    def nothing(self, evidence: RunEvidence, base: str, params: dict[str, Any] | None = None, *,
                slots: dict[str, str] | None = None, expected: str | None = None) -> CheckOutcome:
        """The outcome when the check found no subject: `base` says what is missing; how the program ended
        is added when it ended abnormally (a Python error, a signal, a non-zero exit, a grader stop)."""
        ended_slot, ended_params = evidence.ended()
        return outcome(
            self.if_none == "pass", base, {**(params or {}), **ended_params},
            slots={**(slots or {}), **ended_slot}, expected=expected, observed="none",
            applicable=self.if_none != "not_applicable",
        )
