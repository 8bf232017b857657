"""A small builder of hand-made Executions and RunEvidence for check, diagnosis and grading tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from grader.checks.base import RunEvidence
from grader.sandbox.records import RunRecord
from grader.trace.model import (
    Blocked,
    Channel,
    Exec,
    Execution,
    Flow,
    IpcKind,
    IpcObject,
    OutputLine,
    Task,
    Transfer,
)

__all__ = ["ExecBuilder"]


class ExecBuilder:
    """Build an Execution step by step; each action advances a clock by 10 ms."""

    def __init__(self, root: int = 100, program: str = "/usr/bin/python3", argv: list[str] | None = None) -> None:
        self.execution = Execution(root=root)
        self.clock = 0.0
        self._next = root + 1
        self.execution.tasks[root] = Task(
            tid=root, tgid=root, kind="process", creator=None, ppid=1, created_by=None, start=0.0,
            execs=[Exec(0.0, program, argv or [program, "main.py"])],
        )

    def tick(self) -> float:
        """Advance the clock and return the new time."""
        self.clock += 0.01
        return round(self.clock, 3)

    def fork(self, parent: int, pid: int | None = None) -> int:
        """A child process of `parent`'s process."""
        pid = pid or self._take()
        tgid = self.execution.process_of(parent)
        self.execution.tasks[pid] = Task(tid=pid, tgid=pid, kind="process", creator=parent, ppid=tgid,
                                         created_by="clone", start=self.tick())
        return pid

    def thread(self, process: int, tid: int | None = None) -> int:
        """A thread in `process`."""
        tid = tid or self._take()
        self.execution.tasks[tid] = Task(tid=tid, tgid=process, kind="thread", creator=process, ppid=None,
                                         created_by="clone3", clone_flags=["CLONE_THREAD"], start=self.tick())
        return tid

    def exec(self, pid: int, path: str, argv: list[str] | None = None) -> None:
        """`pid` execs `path`."""
        self.execution.tasks[pid].execs.append(Exec(self.tick(), path, argv or [path]))

    def exit(self, tid: int, code: int = 0, *, reaped: bool = True) -> None:
        """`tid` exits; a process is reaped by its parent unless told otherwise (then it is a zombie)."""
        task = self.execution.tasks[tid]
        task.end, task.exit_code = self.tick(), code
        if task.is_process and tid != self.execution.root:
            if reaped and task.ppid is not None:
                task.reaped_by, task.reaped_at = task.ppid, self.tick()
            elif not reaped:
                task.zombie = True

    def kill(self, tid: int, signal: str = "SIGKILL", *, reaped: bool = True) -> None:
        """`tid` is killed by `signal`."""
        self.exit(tid, reaped=reaped)
        task = self.execution.tasks[tid]
        task.exit_code, task.signal = None, signal

    def orphan(self, pid: int, new_parent: int = 1) -> None:
        """`pid` outlived its parent and was adopted by `new_parent`."""
        task = self.execution.tasks[pid]
        task.orphan, task.reparented_to = True, new_parent

    def write(self, tid: int, text: str | bytes, stream: str = "stdout") -> None:
        """`tid` writes `text` (whole lines) to stdout or stderr."""
        data = text.encode() if isinstance(text, str) else text
        fd = 1 if stream == "stdout" else 2
        self.execution.writes.append(Transfer(
            time=self.tick(), tid=tid, syscall="write", fd=fd,
            channel=Channel(kind=stream, ident=f"pipe:[{fd}]"), data=data, size=len(data),  # type: ignore[arg-type]
        ))

    def say(self, tid: int, *lines: str) -> None:
        """`tid` prints each line (one write per line)."""
        for line in lines:
            self.write(tid, line + "\n")

    def ipc(self, kind: IpcKind, ident: str, users: list[int], **extra: Any) -> IpcObject:
        """An IPC object used by `users`."""
        obj = IpcObject(kind=kind, ident=ident, created_by=users[0], created_at=self.tick(), users=users, **extra)
        self.execution.ipc.append(obj)
        return obj

    def flow(self, kind: IpcKind, channel: str, writer: int, reader: int, data: bytes = b"hello") -> None:
        """Bytes that went from `writer` to `reader` over `channel`."""
        self.execution.flows.append(Flow(kind=kind, channel=channel, writer=writer, reader=reader,
                                         nbytes=len(data), first_time=self.tick(), sample=data))

    def block(self, tid: int, syscall: str, args: str, *, channel: Channel | None = None,
              holders: list[int] | None = None) -> None:
        """`tid` was still inside `syscall` when the trace ended."""
        self.execution.blocked.append(Blocked(tid=tid, syscall=syscall, args=args, since=self.tick(),
                                              channel=channel, holders=holders or []))

    def lines(self, stream: str = "stdout") -> list[OutputLine]:
        """The stream's lines, attributed per writing task (writes are assumed to hold whole lines)."""
        out = []
        for w in self.execution.writes:
            if w.channel.kind != stream:
                continue
            for part in w.data.split(b"\n")[:-1] if w.data.endswith(b"\n") else w.data.split(b"\n"):
                out.append(OutputLine(text=part, writers=[w.tid], processes=[self.execution.process_of(w.tid)],
                                      time=w.time))
        return out

    def record(self, **flags: Any) -> RunRecord:
        """A RunRecord whose captured output is what the builder's tasks wrote."""
        stdout = b"".join(w.data for w in self.execution.writes if w.channel.kind == "stdout")
        stderr = b"".join(w.data for w in self.execution.writes if w.channel.kind == "stderr")
        root = self.execution.tasks[self.execution.root]  # type: ignore[index]
        base = RunRecord(name="t", repeat_index=0, command=["/usr/bin/python3", "main.py"], stdout=stdout,
                         stderr=stderr, exit_code=root.exit_code, signal=root.signal, wall_ms=50)
        return replace(base, **flags)

    def evidence(self, **flags: Any) -> RunEvidence:
        """The RunEvidence checks receive."""
        self.execution.duration = self.tick()
        return RunEvidence(self.execution, self.lines("stdout"), self.lines("stderr"), self.record(**flags))

    def _take(self) -> int:
        self._next += 1
        return self._next - 1
