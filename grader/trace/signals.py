"""Handlers for the signal family: dispositions set, signals sent, process groups and sessions.

Each handler gets (parser, tid, time, name, args, ret, line) for a finished call. Signals delivered
(strace's `--- SIGUSR1 {si_signo=..., si_pid=...} ---` lines) are read by the parser itself
(grader.trace.parser._on_signal); `finish_signals` runs once the whole log is read: it marks the
language runtime's own dispositions, works out every process's group and session over time, and
names the processes each signal sent to a group was aimed at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from grader.trace.lex import _fd, _ret, split_args
from grader.trace.model import Execution, GroupChange, Signal, SignalAction
from grader.trace.process import SIGNALS, _h_kill, _h_sigaction

if TYPE_CHECKING:
    from grader.trace.state import Handler, _Parser

__all__ = ["GROUP_CHANGES", "SIGNAL_HANDLERS", "disposition_at", "finish_signals", "group_at"]

# Dispositions and group calls kept; the rest counted in Execution.summarized.
SIGNAL_ACTIONS = 2000
GROUP_CHANGES = 2000

_HANDLER = re.compile(r"sa_handler=(SIG_IGN|SIG_DFL|SIG_ERR|0x[0-9a-f]+|[A-Za-z_0-9]+)")
_SA_FLAGS = re.compile(r"sa_flags=([A-Z0-9_|]+)")
_PIDFD = re.compile(r"pid:(\d+)")
_PYTHON = re.compile(r"python[0-9.]*\Z")
# What CPython's start-up sets before the program's first line runs (Python/pylifecycle.c,
# Modules/signalmodule.c): SIGPIPE and SIGXFSZ ignored, then its KeyboardInterrupt handler on SIGINT.
_RUNTIME_SET = {"SIGPIPE": "SIG_IGN", "SIGXFSZ": "SIG_IGN", "SIGINT": "handler"}


def _h_sigaction_set(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    """rt_sigaction(SIG, {sa_handler=...}, old, size) = 0: the disposition it set (a query passes NULL)."""
    _h_sigaction(p, tid, t, name, args, ret, line)   # SIGCHLD ignored: the kernel reaps (process.py)
    if _ret(ret).value != 0:
        return
    parts = split_args(args)
    if len(parts) < 2 or not parts[1].startswith("{"):
        return
    m = _HANDLER.search(parts[1])
    if m is None:
        return
    value = m.group(1)
    action: Literal["handler", "SIG_DFL", "SIG_IGN"] = (
        "SIG_DFL" if value == "SIG_DFL" else "SIG_IGN" if value == "SIG_IGN" else "handler")
    flags = _SA_FLAGS.search(parts[1])
    if len(p.ex.signal_actions) >= SIGNAL_ACTIONS:
        p.ex.summarized["signal_actions"] = p.ex.summarized.get("signal_actions", 0) + 1
        return
    p.ex.signal_actions.append(SignalAction(
        time=t, tid=tid, signal=parts[0].strip(), action=action,
        flags=[f for f in flags.group(1).split("|") if f and f != "0"] if flags else [], line=line))


def _h_kill_sent(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    """kill/tkill/tgkill/rt_sigqueueinfo: what process.py records, with the call, its error and a group target."""
    before = len(p.ex.signals)
    _h_kill(p, tid, t, name, args, ret, line)
    if len(p.ex.signals) == before:
        return
    sent = p.ex.signals[-1]
    sent.syscall = name
    r = _ret(ret)
    sent.errno = r.errno if r.value is not None and r.value < 0 else None
    if name == "kill" and sent.target is not None and sent.target <= 0:
        sent.to_group = True
        if sent.target < -1:
            sent.group = -sent.target


def _h_pidfd_open(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    """pidfd_open(pid, flags) = fd: the descriptor names that process (kept in the task's fd table)."""
    from grader.trace.state import _Fd

    r = _ret(ret)
    parts = split_args(args)
    if r.value is None or r.value < 0 or not parts or not parts[0].strip().isdigit():
        return
    p.fdt.setdefault(tid, {})[r.value] = _Fd(f"pidfd:{int(parts[0])}", None, True)


def _h_pidfd_send(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    """pidfd_send_signal(pidfd, SIG, info, flags): a signal sent to the process the descriptor names."""
    parts = split_args(args)
    if len(parts) < 2 or parts[1].strip() == "0":
        return
    fd, decoration = _fd(parts[0])
    target: int | None = None
    entry = p.fdt.get(tid, {}).get(fd)
    if entry is not None and entry.ident.startswith("pidfd:"):
        target = int(entry.ident[6:])
    elif decoration is not None and (m := _PIDFD.search(decoration)) is not None:
        target = int(m.group(1))
    if len(p.ex.signals) >= SIGNALS:
        p.ex.summarized["signals"] = p.ex.summarized.get("signals", 0) + 1
        return
    r = _ret(ret)
    p.ex.signals.append(Signal(time=t, signal=parts[1].strip(), sender=tid, target=target, line=line,
                               syscall=name, errno=r.errno if r.value is not None and r.value < 0 else None))


def _h_group(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    """setpgid/setpgrp/setsid set a process's group or session; getpgid/getpgrp/getsid report one."""
    r = _ret(ret)
    if r.value is None:
        return
    me = p.ex.process_of(tid)
    parts = [a.strip() for a in split_args(args)] if args.strip() else []
    failed = r.value < 0
    errno = r.errno if failed else None
    pid, pgid, sid = me, None, None
    if name == "setpgid":
        if len(parts) < 2 or not parts[0].lstrip("-").isdigit() or not parts[1].lstrip("-").isdigit():
            return
        pid = int(parts[0]) or me
        pgid = int(parts[1]) or pid
    elif name == "setpgrp":
        pgid = me
    elif name == "setsid":
        pgid = sid = None if failed else r.value
    elif name in ("getpgid", "getsid"):
        if parts and parts[0].lstrip("-").isdigit():
            pid = int(parts[0]) or me
        if not failed:
            pgid, sid = (r.value, None) if name == "getpgid" else (None, r.value)
    elif name == "getpgrp":
        pgid = None if failed else r.value
    if failed:
        pgid = sid = None
    if len(p.ex.group_changes) >= GROUP_CHANGES:
        p.ex.summarized["group_changes"] = p.ex.summarized.get("group_changes", 0) + 1
        return
    p.ex.group_changes.append(GroupChange(time=t, tid=tid, call=name, pid=p.ex.process_of(pid), pgid=pgid,
                                          sid=sid, errno=errno, line=line))


SIGNAL_HANDLERS: dict[str, Handler] = {
    "rt_sigaction": _h_sigaction_set,
    "kill": _h_kill_sent, "tkill": _h_kill_sent, "tgkill": _h_kill_sent,
    "rt_sigqueueinfo": _h_kill_sent, "rt_tgsigqueueinfo": _h_kill_sent,
    "pidfd_open": _h_pidfd_open, "pidfd_send_signal": _h_pidfd_send,
    "setpgid": _h_group, "setpgrp": _h_group, "setsid": _h_group,
    "getpgid": _h_group, "getpgrp": _h_group, "getsid": _h_group,
}


# ----------------------------------------------------------------------------- after the whole log


@dataclass(slots=True)
class _Membership:
    time: float
    pgid: int | None
    sid: int | None


def _runtime_actions(ex: Execution) -> None:
    """Mark what CPython's start-up set: the first such disposition of each signal after each exec of python."""
    execs: dict[int, list[tuple[float, bool]]] = {}
    for task in ex.processes():
        execs[task.tid] = [(e.time, bool(_PYTHON.match(e.path.rsplit("/", 1)[-1]))) for e in task.execs]
    seen: set[tuple[int, float, str]] = set()
    for action in ex.signal_actions:
        pid = ex.process_of(action.tid)
        last = None
        for when, is_python in execs.get(pid, ()):
            if when <= action.time:
                last = (when, is_python)
        if last is None or not last[1] or _RUNTIME_SET.get(action.signal) != action.action:
            continue
        key = (pid, last[0], action.signal)
        if key not in seen:
            seen.add(key)
            action.runtime = True


def _histories(ex: Execution) -> dict[int, list[_Membership]]:
    """Each process's group and session over time: inherited at creation, then what its calls set or reported."""
    changes: dict[int, list[GroupChange]] = {}
    for change in ex.group_changes:
        if change.errno is None:
            changes.setdefault(change.pid, []).append(change)
    start_pgid: int | None = None
    start_sid: int | None = None
    out: dict[int, list[_Membership]] = {}
    for task in sorted(ex.processes(), key=lambda x: (x.start, x.tid)):
        parent = ex.process_of(task.creator) if task.creator is not None else None
        inherited = _at(out.get(parent, []), task.start, strict=True) if parent is not None else None
        history = [_Membership(task.start, inherited.pgid if inherited else None,
                               inherited.sid if inherited else None)]
        for change in sorted(changes.get(task.tid, ()), key=lambda c: (c.time, c.line)):
            current = history[-1]
            pgid, sid = current.pgid, current.sid
            if change.call in ("setpgid", "setpgrp"):
                pgid = change.pgid
            elif change.call == "setsid":
                pgid = sid = change.sid
            else:   # a report: the kernel's word for what it was (and so for the starting group, if it was that)
                if change.pgid is not None:
                    if pgid is None:
                        start_pgid = change.pgid
                    pgid = change.pgid
                if change.sid is not None:
                    if sid is None:
                        start_sid = change.sid
                    sid = change.sid
            history.append(_Membership(change.time, pgid, sid))
        out[task.tid] = history
    if start_pgid is not None or start_sid is not None:
        for history in out.values():
            for m in history:
                m.pgid = start_pgid if m.pgid is None else m.pgid
                m.sid = start_sid if m.sid is None else m.sid
    return out


def _at(history: list[_Membership], t: float, strict: bool = False) -> _Membership | None:
    found = None
    for m in history:
        if m.time < t or (not strict and m.time == t):
            found = m
    return found or (history[0] if history else None)


def finish_signals(p: _Parser) -> None:
    """Once the log is read: runtime dispositions, each process's final group and session, group sends' targets."""
    ex = p.ex
    _runtime_actions(ex)
    histories = _histories(ex)
    for pid, history in histories.items():
        task = ex.tasks[pid]
        task.pgid, task.sid = history[-1].pgid, history[-1].sid
    sends = [s for s in ex.signals if s.sender is not None and s.delivered_to is None]
    for sent in sends:
        if not sent.to_group and sent.target is not None:
            sent.recipients = [ex.process_of(sent.target)]
    if any(s.to_group for s in sends):
        _group_recipients(ex, histories, [s for s in sends if s.to_group])


def _group_recipients(ex: Execution, histories: dict[int, list[_Membership]], sends: list[Signal]) -> None:
    """Each group send's recipients: one sweep over time keeping every live process's group (not a scan of
    every process per send, which a fork bomb's killpg calls would make quadratic)."""
    # (time, order, ...): at one instant a process joins or moves before a send sees it, and leaves after
    events: list[tuple[float, int, int, int | None, Signal | None]] = []
    for pid, history in histories.items():
        for m in history:
            events.append((m.time, 0, pid, m.pgid, None))
        end = ex.tasks[pid].end
        if end is not None:
            events.append((end, 2, pid, None, None))
    events.extend((s.time, 1, i, None, s) for i, s in enumerate(sends))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    group_of: dict[int, int | None] = {}
    members: dict[int | None, set[int]] = {}
    shown: dict[int | None, list[int]] = {}     # the sorted members, until the group next changes
    for _, order, pid, pgid, sent in events:
        if order == 0:
            if pid in group_of:
                members[group_of[pid]].discard(pid)
                shown.pop(group_of[pid], None)
            group_of[pid] = pgid
            members.setdefault(pgid, set()).add(pid)
            shown.pop(pgid, None)
        elif order == 2:
            if pid in group_of:
                members[group_of.pop(pid)].discard(pid)
                shown.clear()
        elif sent is not None:
            sender = ex.process_of(sent.sender or 0)
            if sent.target == -1:    # every process it may signal but itself
                sent.recipients = sorted(p for p in group_of if p != sender)
                continue
            key = group_of.get(sender) if sent.target == 0 else sent.group
            if sent.target == 0:
                sent.group = key
            elif key is None:
                continue
            if key not in shown:
                shown[key] = sorted(members.get(key, ()))
            sent.recipients = shown[key]


def group_at(ex: Execution, pid: int, t: float) -> tuple[int | None, int | None]:
    """(group, session) of process `pid` at time `t` (None: the ones the program was started in, or unknown)."""
    m = _at(_histories(ex).get(pid, []), t)
    return (m.pgid, m.sid) if m is not None else (None, None)


def disposition_at(ex: Execution, pid: int, signal: str, t: float,
                   actions: Iterable[SignalAction] | None = None) -> SignalAction | None:
    """The disposition of `signal` in effect in process `pid` just before time `t` (None: the default).

    Set by one of its own tasks, else inherited from the process that forked it; an exec resets a
    handler to the default and keeps SIG_IGN (execve(2)).
    """
    pool = [a for a in (actions if actions is not None else ex.signal_actions) if a.signal == signal]
    while True:
        task = ex.tasks.get(pid)
        if task is None:
            return None
        own = [a for a in pool if ex.process_of(a.tid) == pid and a.time < t]
        execs = [e.time for e in task.execs if e.time < t]
        last_exec = max(execs) if execs else None
        after = [a for a in own if last_exec is None or a.time > last_exec]
        if after:
            return max(after, key=lambda a: (a.time, a.line))
        if last_exec is not None:
            before = [a for a in own if a.time <= last_exec]
            prior = max(before, key=lambda a: (a.time, a.line)) if before else None
            if prior is None and task.creator is not None:
                prior = disposition_at(ex, ex.process_of(task.creator), signal, task.start, pool)
            return prior if prior is not None and prior.action == "SIG_IGN" else None
        if task.creator is None:
            return None
        pid, t = ex.process_of(task.creator), task.start
