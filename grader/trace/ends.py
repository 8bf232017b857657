"""The end state of the process family: who the grader stopped, zombies and orphans, what each live task
was blocked in, which processes really were the runtime's helpers.

The words mean what the team's PITFALLS.md says:

- stopped_by: the task died of a SIGKILL no traced task sent (no kill/tgkill/tkill to it, to its
  process, or to a group / -1 before it died), in a run the grader stopped (RunRecord.stopped_for).
- zombie: it ended while its parent process was alive, and that parent never reaped it while alive.
  zombie_seconds: from its end to its reaping, its parent's end, or the end of the run, whichever came
  first (set for every child that ended while its parent was alive and not ignoring SIGCHLD, reaped or
  not). A task the grader stopped is never a zombie. A child that ended a moment before its parent (even
  while the parent was inside exit_group) was a zombie for that moment: zombie_seconds says how long.
- orphan: its parent process ended first, on its own, while it was still alive (init adopts and reaps
  it). Processes the grader stopped together are not orphans of each other: when the parent's end was
  the grader's stop, the child is not an orphan. A child still running after its parent exited on its
  own, then stopped by the grader (stopped_for "linger"), is both an orphan and stopped_by "linger".
- an orphan that a traced process reaped (a subreaper, PR_SET_CHILD_SUBREAPER) was adopted by that
  process (reparented_to), and was its zombie from its end (or its first parent's end, if later) until
  that reap (zombie_seconds). An orphan adopted by a subreaper that never reaps it cannot be seen: prctl
  is not traced.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from grader.trace.lex import _FD, split_args
from grader.trace.model import Blocked, Execution, Task
from grader.trace.state import _Parser

__all__ = ["ThreadEnd", "end_tasks", "thread_end"]

_RESUMING = re.compile(r"<\.\.\. resuming interrupted ([A-Za-z0-9_]+) \.\.\.>")
_WAITS = frozenset({"wait4", "waitpid", "waitid"})


def end_tasks(p: _Parser, final_tasks: list[dict[str, Any]]) -> None:
    _stopped(p)
    _orphans_and_zombies(p)
    _blocked(p, final_tasks)
    _helpers(p)


def _student_killed(ex: Execution) -> tuple[set[int], float | None]:
    """(tids/tgids a traced task sent SIGKILL to, the first time one sent it to a group or to -1)."""
    targets: set[int] = set()
    group: float | None = None
    for s in ex.signals:
        if s.sender is None or s.signal != "SIGKILL" or s.target is None:
            continue
        if s.target > 0:
            targets.add(s.target)
        elif group is None or s.time < group:
            group = s.time
    return targets, group


def _stopped(p: _Parser) -> None:
    ex = p.ex
    if ex.stopped_for is None:
        return
    targets, group = _student_killed(ex)
    for task in ex.tasks.values():
        if task.signal != "SIGKILL" or task.end is None:
            continue
        if task.tid in targets or task.tgid in targets:
            continue
        if group is not None and group <= task.end:
            continue
        task.stopped_by = ex.stopped_for


def _orphans_and_zombies(p: _Parser) -> None:
    ex = p.ex
    for task in ex.tasks.values():
        if task.kind != "process" or task.tid == ex.root or task.ppid is None:
            continue
        parent = ex.tasks.get(task.ppid)
        if parent is None:
            continue
        if task.orphan and parent.stopped_by is not None:
            task.orphan = False          # stopped together with its parent, not left by it
            task.reparented_to = None
        task.auto_reaped = task.tid in p.auto_reaped
        if task.orphan and task.reaped_by is not None:
            _adopted(p, task)
            continue
        began = p.zombie_from.get(task.tid)
        if began is None or task.stopped_by is not None:
            continue
        ends = [p.last_time]
        if task.reaped_at is not None and task.reaped_at >= began:
            ends.append(task.reaped_at)
        if task.ppid in p.proc_end:
            ends.append(p.proc_end[task.ppid])
        task.zombie_seconds = round(max(0.0, min(ends) - began), 6)
        task.zombie = task.reaped_by is None


def _adopted(p: _Parser, task: Task) -> None:
    """An orphan a traced process reaped: that process was its subreaper, and so its parent from then on.

    Only a parent can reap, so the reaper (not init) adopted it. It was that parent's zombie from when
    both it had ended and its first parent was gone, until the reap.
    """
    reaper = p.ex.process_of(task.reaped_by) if task.reaped_by is not None else None
    if reaper is None:
        return
    task.reparented_to = reaper
    first_parent_end = p.proc_end.get(task.ppid) if task.ppid is not None else None
    if task.end is None or task.reaped_at is None or first_parent_end is None:
        return
    began = max(task.end, first_parent_end)
    if task.reaped_at >= began:
        task.zombie_seconds = round(task.reaped_at - began, 6)


ThreadEnd = Literal["itself", "exit_group", "exec", "signal", "stopped", "running", "process"]


def thread_end(ex: Execution, task: Task) -> tuple[ThreadEnd, int | None]:
    """How a thread ended, and the task that ended it (for exit_group/exec), from what strace shows.

    - "itself": it made its own exit call (Task.exit_call): its function returned, or pthread_exit, or it
      called exit_group itself.
    - "exit_group": another task of its process called exit_group (C's main returning, exit(), the end
      of a Python program, os._exit) while it was still running: the kernel ended it with the process.
    - "exec": another task of its process ran execve, which ends every other thread.
    - "signal": its process was killed by a signal (Task.signal) that the grader did not send.
    - "stopped": the grader killed it at a limit (Task.stopped_by).
    - "running": it had not ended when the trace ended.
    - "process": it ended with its process in a way the trace does not show (no exit call of its own).
    """
    if task.exit_call is not None:
        return "itself", task.tid
    if task.stopped_by is not None:
        return "stopped", None
    if task.end is None:
        return "running", None
    if task.signal is not None:
        return "signal", None
    members = [t for t in ex.tasks.values() if t.tgid == task.tgid and t.tid != task.tid]
    ender = next((t for t in members if t.exit_call == "exit_group" and t.exit_call_at is not None
                  and t.exit_call_at <= task.end), None)
    if ender is not None:
        return "exit_group", ender.tid
    execer = next((t for t in members if any(task.start <= e.time <= task.end for e in t.execs)), None)
    if execer is not None:
        return "exec", execer.tid
    return "process", None


def _blocked(p: _Parser, final_tasks: list[dict[str, Any]]) -> None:
    ex = p.ex
    targets, group = _student_killed(ex)
    kept: list[Blocked] = []
    for b in ex.blocked:
        task = ex.tasks.get(b.tid)
        if task is not None and task.end is not None and task.signal == "SIGKILL" and (
                task.tid in targets or task.tgid in targets or (group is not None and group <= task.end)):
            continue  # killed by the program itself, not inside the call when the run ended
        if b.syscall == "restart_syscall":
            m = _RESUMING.search(b.args)
            prior = p.interrupted.get(b.tid)
            if prior is not None and (m is None or m.group(1) == prior.name):
                b.syscall, b.args, b.since, b.line = prior.name, prior.args, prior.since, prior.line
            elif m is not None:
                b.syscall, b.args = m.group(1), ""
        if b.syscall in _WAITS:
            b.waits_for = _waits_for(ex, b)
        kept.append(b)
    ex.blocked = kept
    seen = {b.tid for b in kept}
    for row in final_tasks:
        tid = row.get("tid")
        call = row.get("call")
        if not isinstance(tid, int) or tid in seen or not isinstance(call, str) or not call:
            continue
        if str(row.get("state", "")) in ("T", "t", "Z", "X"):
            continue  # stopped by a signal (or already dead): /proc shows its last call, it is not inside it
        task = ex.tasks.get(tid)
        if task is None:
            continue
        fd = row.get("fd") if isinstance(row.get("fd"), dict) else None
        args = ""
        b = Blocked(tid=tid, syscall=call, args=args, since=ex.duration, source="proc")
        if fd is not None and isinstance(fd.get("target"), str):
            b.channel = p.channel(fd["target"])
            b.args = f"{fd.get('fd')}<{fd['target']}>"
        if call in _WAITS:
            raw = row.get("args") or []
            first = raw[0] if raw and isinstance(raw[0], int) else None
            if first is not None:
                first = first - (1 << 64) if first >= 1 << 63 else first
                if call == "waitid":
                    kinds = {0: "P_ALL", 1: "P_PID", 2: "P_PGID"}
                    second = raw[1] if len(raw) > 1 and isinstance(raw[1], int) else 0
                    b.args = f"{kinds.get(first, str(first))}, {second}" if first in kinds else ""
                else:
                    b.args = str(first)
            b.waits_for = _waits_for(ex, b)
        seen.add(tid)
        ex.blocked.append(b)


def _waits_for(ex: Execution, b: Blocked) -> list[int]:
    """The pids a blocked wait4/waitid waited for: the one it named, or every child still alive."""
    parts = split_args(b.args) if b.args else []
    pid: int | None = None
    if b.syscall == "waitid":
        which = parts[0].strip() if parts else "P_ALL"
        if which == "P_PID" and len(parts) > 1:
            m = _FD.match(parts[1].strip())
            pid = int(m.group(1)) if m is not None and m.group(1).lstrip("-").isdigit() else None
    elif parts:
        text = parts[0].strip()
        if text.lstrip("-").isdigit():
            pid = int(text)
    if pid is not None and pid > 0:
        return [pid]
    waiter = ex.process_of(b.tid)
    return sorted(c.tid for c in ex.children(waiter)
                  if c.reaped_by is None and (c.end is None or c.end >= b.since or c.stopped_by is not None))


def _helpers(p: _Parser) -> None:
    """A helper by its exec (process.py) stays one only if it behaved like one."""
    ex = p.ex
    std_writers: dict[int, bytes] = {}
    helpers = {t.tid for t in ex.tasks.values() if t.kind == "process" and t.runtime_helper}
    for w in ex.writes if helpers else ():
        if w.size > 0 and w.channel.kind in ("stdout", "stderr") and ex.process_of(w.tid) in helpers:
            std_writers[ex.process_of(w.tid)] = std_writers.get(ex.process_of(w.tid), b"") + w.data[:200]
    for task in ex.tasks.values():
        if task.kind != "process" or not task.runtime_helper:
            continue
        reason = _misbehaves(ex, task, std_writers.get(task.tid))
        if reason is None:
            continue
        task.runtime_helper = False
        task.helper_reason = f"not taken as a runtime helper: {reason}"
        for obj in p.helper_objs.get(task.tid, []):
            obj.runtime_helper = False
    for task in ex.tasks.values():
        if task.kind == "thread":
            leader = ex.tasks.get(task.tgid)
            task.runtime_helper = leader is not None and leader.runtime_helper


def _misbehaves(ex: Execution, task: Task, written: bytes | None) -> str | None:
    tracker = "resource tracker" in (task.helper_reason or "")
    # the tracker's only output is its leak warning on stderr ("resource_tracker: There appear ...")
    if written is not None and not (tracker and b"resource_tracker: " in written):
        return "it wrote to stdout/stderr"
    kids = ex.children(task.tid)
    if kids and tracker:
        return f"it started {len(kids)} process(es) of its own"
    if any(k.execs for k in kids):
        return "a process it started ran another program"
    return None
