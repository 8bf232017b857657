"""Parse an `strace -f -q -ttt -s 4096 -x -y` log into the Execution model.

The lexing is in `lex`, the parser's state in `state`, and the handlers by family in
`process` (tasks) and `fds` (descriptors and IPC), joined here in one dispatch table.
"""

from __future__ import annotations

import time as _clock
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from grader.trace.bounds import bound_transfer
from grader.trace.ends import end_tasks
from grader.trace.fds import FD_HANDLERS, finish_ipc
from grader.trace.lex import (
    _EXITED,
    _FD,
    _HEAD,
    _KERNEL_SI_CODES,
    _KILLED,
    _NAME,
    _RESUMED,
    _SI_FIELD,
    _SIG_BODY,
    _UNFINISHED,
    decode_string,
    split_args,
)
from grader.trace.model import (
    Blocked,
    Execution,
    Signal,
)
from grader.trace.moves import MOVE_HANDLERS
from grader.trace.process import PROCESS_HANDLERS, SIGNALS
from grader.trace.signals import SIGNAL_HANDLERS, finish_signals
from grader.trace.state import Handler, _Parser, _Pending

__all__ = ["HANDLERS", "bench_parse", "decode_string", "parse_trace", "split_args"]

HANDLERS: dict[str, Handler] = {**PROCESS_HANDLERS, **FD_HANDLERS, **MOVE_HANDLERS, **SIGNAL_HANDLERS}
# calls after which a pipe pair is no longer "just made for the next fork"
_KEEPS_RECENT = frozenset({"pipe", "pipe2", "clone", "clone3", "fork", "vfork"})
# calls whose `= ?` is normal: they do not return to the caller
_NO_RETURN = frozenset({"exit", "exit_group", "execve", "execveat", "rt_sigreturn"})
_OPENS = frozenset({"open", "openat", "openat2"})




# ----------------------------------------------------------------------------- events


def _on_signal(p: _Parser, tid: int, t: float, rest: str, line: int) -> bool:
    m = _SIG_BODY.match(rest)
    if m is None:
        return rest.startswith("--- stopped by ")
    sig = m.group(1)
    fields = dict(_SI_FIELD.findall(m.group(2) or ""))
    sender: int | None = None
    if fields.get("si_code") in _KERNEL_SI_CODES and fields.get("si_pid", "").isdigit():
        sender = int(fields["si_pid"])
    if len(p.ex.signals) >= SIGNALS:
        p.ex.summarized["signals"] = p.ex.summarized.get("signals", 0) + 1
        return True
    p.ex.signals.append(Signal(time=t, signal=sig, sender=sender, target=tid, delivered_to=tid, line=line))
    return True


def _on_exit(p: _Parser, tid: int, t: float, rest: str, line: int) -> bool:
    m = _EXITED.match(rest)
    if m is not None:
        p.end_task(tid, t, line, int(m.group(1)), None, False)
        return True
    m = _KILLED.match(rest)
    if m is not None:
        p.end_task(tid, t, line, None, m.group(1), m.group(2) is not None)
        return True
    if rest.startswith("+++ superseded by execve"):
        p.end_task(tid, t, line, None, None, False)
        return True
    return False


def _finish(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    if ret.lstrip().startswith("? ERESTART") or " ERESTART" in ret[:24]:
        p.interrupted[tid] = _Pending(name, args, t, line)
        return
    if ret.strip() == "?" and name not in _NO_RETURN:
        # entered and never returned (with one task traced strace prints `pause() = ?` whole): the task
        # was still inside it when it was killed or the trace ended.
        p.pending[tid] = _Pending(name, args, t, line)
        return
    if name in _OPENS and "/multiprocessing/" in args and not ret.lstrip().startswith("-"):
        p.mp_imported.add(p.ex.process_of(tid))
    if name == "restart_syscall":
        prior = p.interrupted.pop(tid, None)
        if prior is None:
            return
        name, args = prior.name, prior.args
    if tid in p.young:
        p.young[tid] += 1
        if p.young[tid] > 40:
            del p.young[tid]
    if tid in p.recent_pipes and name not in _KEEPS_RECENT:
        del p.recent_pipes[tid]
    handler = HANDLERS.get(name)
    if handler is not None:
        ex = p.ex
        nw, nr = len(ex.writes), len(ex.reads)
        handler(p, tid, t, name, args, ret, line)
        if len(ex.writes) > nw:
            bound_transfer(p, ex.writes, "w")
        if len(ex.reads) > nr:
            bound_transfer(p, ex.reads, "r")


def _lines(text: str, count: int) -> Iterator[str]:
    """The first `count` lines of `text`, one at a time (a list of every line would double the memory)."""
    start = 0
    for _ in range(count):
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def _parse_lines(p: _Parser, text: str) -> None:
    ex = p.ex
    stop = len(text)
    while stop and text[stop - 1].isspace():
        stop -= 1
    last_index = text.count("\n", 0, stop)   # the last line that is not blank
    head = _HEAD.match
    tasks = ex.tasks
    for index, raw in enumerate(_lines(text, last_index + 1 if stop else 0)):
        line_no = index + 1
        m = head(raw)
        if m is None:
            if raw.strip():
                ex.unparsed.append(raw)
            continue
        try:
            tid = int(m.group(1))
            ts = float(m.group(2))
            if p.t0 is None:
                p.t0 = ts
            t = ts - p.t0
            p.last_time = max(p.last_time, t)
            rest = raw[m.end():].lstrip(" ")
            if tid not in tasks:
                p.task(tid, t, line_no)
            c = rest[:1]
            if c == "+":
                if not _on_exit(p, tid, t, rest, line_no):
                    ex.unparsed.append(raw)
                continue
            if c == "-":
                if not _on_signal(p, tid, t, rest, line_no):
                    ex.unparsed.append(raw)
                continue
            if c == "<":
                rm = _RESUMED.match(rest)
                if rm is None:
                    ex.unparsed.append(raw)
                    continue
                name = rm.group(1)
                tail = rest[rm.end():]
                prior = p.pending.pop(tid, None)
                prefix = prior.args if prior is not None and prior.name == name else ""
                tail = tail.removeprefix(_UNFINISHED)
                idx = tail.rfind(" = ")
                if idx < 0:
                    ex.unparsed.append(raw)
                    continue
                body = tail[:idx].rstrip()
                if not body.endswith(")"):
                    ex.unparsed.append(raw)
                    continue
                _finish(p, tid, t, name, prefix + body[:-1], tail[idx + 3:], line_no)
                continue
            nm = _NAME.match(rest)
            if nm is None:
                ex.unparsed.append(raw)
                continue
            name = nm.group(1)
            if rest.endswith(_UNFINISHED):
                p.pending[tid] = _Pending(name, rest[nm.end():-len(_UNFINISHED)], t, line_no)
                continue
            if rest.endswith(_UNFINISHED + ") = ?"):
                # entered and never returned: the task died inside it (strace prints both at once)
                p.pending[tid] = _Pending(name, rest[nm.end():-len(_UNFINISHED + ") = ?")], t, line_no)
                continue
            idx = rest.rfind(" = ")
            body = rest[:idx].rstrip() if idx >= 0 else ""
            if idx < 0 or not body.endswith(")"):
                if index == last_index:
                    # strace was stopped while this call was still running: it is unfinished.
                    p.pending[tid] = _Pending(name, rest[nm.end():], t, line_no)
                else:
                    ex.unparsed.append(raw)
                continue
            _finish(p, tid, t, name, body[nm.end():-1], rest[idx + 3:], line_no)
        except (ValueError, IndexError, KeyError, AttributeError, TypeError, UnicodeError) as err:
            # a line we do not understand is evidence we lack, not a reason to fail the run
            ex.unparsed.append(raw if len(raw) < 2000 else raw[:2000] + f" ... [{type(err).__name__}]")


def _end_state(p: _Parser) -> None:
    ex = p.ex
    ex.duration = p.last_time
    # Processes that still held descriptors at the end: alive, or killed by the final stop.
    alive = {t.tgid for t in ex.tasks.values() if t.end is None or t.signal == "SIGKILL"}
    for tid, call in [*p.pending.items(), *p.killed_in.items()]:
        task = ex.tasks.get(tid)
        if task is None or (task.end is not None and tid not in p.killed_in):
            continue
        blocked = Blocked(tid=tid, syscall=call.name, args=call.args, since=call.since, line=call.line)
        first = call.args.split(",", 1)[0] if call.args else ""
        fdm = _FD.match(first.strip())
        if fdm is None and call.args:
            parts = split_args(call.args)
            fdm = _FD.match(parts[0]) if parts else None
        if fdm is not None and fdm.group(2) is not None:
            ident = p.key_of(fdm.group(2))
            blocked.channel = p.channel(ident)
            reading = call.name in ("read", "readv", "recvfrom", "recvmsg", "recv", "pread64", "accept",
                                    "accept4", "poll", "select", "pselect6", "ppoll")
            blocked.holders = _holders(p, ident, want_end="w" if reading else "r", alive=alive)
        ex.blocked.append(blocked)
    finish_ipc(p)  # left behind, shared files (fds.py)
    for task in ex.tasks.values():
        if task.kind == "thread":
            leader = ex.tasks.get(task.tgid)
            if leader is not None and leader.runtime_helper:
                task.runtime_helper = True


def _holders(p: _Parser, ident: str, want_end: str, alive: set[int]) -> list[int]:
    """Processes still alive whose descriptor table holds `ident` (the wanted pipe end, or unknown)."""
    target = p.peer.get(ident, ident)
    out: list[int] = []
    seen: set[int] = set()
    for tid, table in p.fdt.items():
        task = p.ex.tasks.get(tid)
        if task is None or task.tgid not in alive or task.tgid in seen:
            continue
        for entry in table.values():
            if entry.ident == target and (not target.startswith("pipe:") or entry.end in (want_end, None)):
                seen.add(task.tgid)
                out.append(task.tgid)
                break
    return sorted(out)


def parse_trace(text: str, *, stdout_channel: str | None = None, stderr_channel: str | None = None,
                truncated: bool = False, stopped_for: str | None = None,
                final_tasks: list[dict[str, Any]] | None = None,
                keep_output: int | None = None, adopter: int = 1) -> Execution:
    """The Execution an strace log describes. Never raises on odd lines: they go to `unparsed`.

    stopped_for: RunRecord.stopped_for (the grader killed what was left: "timeout", "output", ...);
    tasks it killed get Task.stopped_by. final_tasks: RunRecord.final_tasks (/proc just before that
    kill): a task alive then, in no traced call, gets a Blocked with source="proc" where /proc named
    the call. keep_output: stdout/stderr bytes worth keeping per stream (the capture limit).
    adopter: RunRecord.adopter (the pid that adopts an orphan no traced subreaper reaps).
    """
    p = _Parser(stdout_channel, stderr_channel, adopter=adopter)
    p.ex.stopped_for = stopped_for
    if keep_output is not None:
        p.keep_output = max(0, keep_output)
    _parse_lines(p, text)
    _end_state(p)
    end_tasks(p, final_tasks or [])
    finish_signals(p)
    p.ex.trace_truncated = truncated
    p.ex.stdout_channel = stdout_channel or p.std_fds.get(1)
    return p.ex


def bench_parse(path: str | Path, repeat: int = 1) -> float:
    """Lines per second parsing the log at `path` (best of `repeat`)."""
    text = Path(path).read_text(encoding="utf-8", errors="surrogateescape")
    n = text.count("\n") or 1
    best = float("inf")
    for _ in range(repeat):
        start = _clock.perf_counter()
        parse_trace(text)
        best = min(best, _clock.perf_counter() - start)
    return n / best if best > 0 else float("inf")

