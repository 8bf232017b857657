"""What each live task was doing when the run ended, from the trace and /proc, and how to say it.

`blocked_at_end` joins the trace's unfinished calls with the harness's /proc snapshot
(RunRecord.final_tasks, open_ends): one Blocked per task still alive. `blocked_words` turns one
into a sentence (a Message) from a table keyed by the call's name; a call not in the table is
named, never shown as a number or raw arguments.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from grader.result import N_, Message
from grader.sandbox.records import RunRecord
from grader.trace.model import Blocked, Channel, ChannelKind, Execution

__all__ = [
    "CALL_FAMILIES", "NOT_IN_A_CALL", "STOPPED_WORDS", "UNNAMED_CALL", "blocked_at_end", "blocked_words",
    "holders_phrase", "join_waits", "who",
]

_READS = frozenset({"read", "readv", "pread64", "preadv", "preadv2", "recvfrom", "recvmsg", "recv",
                    "recvmmsg"})
_WRITES = frozenset({"write", "writev", "pwrite64", "pwritev", "pwritev2", "sendto", "sendmsg", "send",
                     "sendmmsg", "sendfile", "splice", "tee", "vmsplice"})
_WAITS = frozenset({"wait4", "waitid", "waitpid"})
_POLLS = frozenset({"poll", "ppoll", "select", "pselect6", "epoll_wait", "epoll_pwait", "epoll_pwait2"})
# The call families an assignment can name (process.blocked_in): family -> the calls that are in it.
# "join" is the futex wait of pthread_join: a futex whose word is a thread's cleared-on-exit tid
# (Blocked.waits_for names the thread); "futex" is any futex wait (lock, condition variable or join).
CALL_FAMILIES: dict[str, frozenset[str]] = {
    "read": _READS,
    "write": _WRITES,
    "futex": frozenset({"futex"}),
    "join": frozenset({"futex"}),
    "wait": _WAITS,
    "sleep": frozenset({"nanosleep", "clock_nanosleep"}),
    "poll": _POLLS,
    "accept": frozenset({"accept", "accept4"}),
    "connect": frozenset({"connect"}),
    "open": frozenset({"open", "openat"}),
    "signal": frozenset({"pause", "rt_sigsuspend", "sigsuspend", "rt_sigtimedwait", "sigtimedwait"}),
    "message_queue": frozenset({"mq_timedreceive", "msgrcv", "mq_timedsend", "msgsnd"}),
    "semaphore": frozenset({"semop", "semtimedop"}),
    "file_lock": frozenset({"flock", "fcntl"}),
}
# clone/clone3 lines that name the word a new thread's tid is cleared from when it ends (pthread_join
# waits on that word with futex)
_CHILD_TID = re.compile(r"^(\d+)\s+\S+\s+clone3?\((?=.*CLONE_THREAD).*?child_tid(?:ptr)?=(0x[0-9a-f]+).*"
                        r"\s=\s(\d+)\s*$", re.M)

# a futex wait strace shows (only when futex is traced): the waiting task, the word, the value expected there
_FUTEX_WAIT = re.compile(r"^(\d+)\s+\S+\s+futex\((0x[0-9a-f]+), FUTEX_WAIT(?:_BITSET)?(?:_PRIVATE)?"
                         r"(?:\|FUTEX_CLOCK_REALTIME)?, (\d+)\b", re.M)

_NOT_IN_A_CALL = "-"          # Blocked.syscall of a task /proc shows waiting outside any system call
_UNNAMED_CALL = "?"           # Blocked.syscall of a task inside a call whose number has no known name
NOT_IN_A_CALL, UNNAMED_CALL = _NOT_IN_A_CALL, _UNNAMED_CALL   # for the checks that name what a task was in

# What the grader's stop is called, per RunRecord.stopped_for / Task.stopped_by.
STOPPED_WORDS: dict[str, str] = {
    "timeout": N_("stopped by the grader at the time limit"),
    "output": N_("stopped by the grader at the output limit"),
    "trace": N_("stopped by the grader when its trace passed the size limit"),
    "linger": N_("still running after the main process ended, stopped by the grader at the time limit"),
}


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _kind(execution: Execution, record: RunRecord, target: str) -> ChannelKind:
    if target in (record.stdout_channel, execution.stdout_channel):
        return "stdout"
    if target == record.stderr_channel:
        return "stderr"
    obj = execution.ipc_of(target)
    if obj is not None and obj.kind == "fifo":
        return "fifo"
    if target.startswith("pipe:"):
        return "pipe"
    if target.startswith("socket:"):
        return "socket"
    if target.startswith(("/dev/pts/", "/dev/tty")):
        return "tty"
    if target == "/dev/null":
        return "null"
    return "file"


def _holders(record: RunRecord, target: str, reading: bool) -> list[int]:
    """Processes that held the other end of `target` open just before the kill."""
    wanted = ("w", "rw") if reading else ("r", "rw")
    return sorted({int(h["pid"]) for h in record.open_ends.get(target, []) if h.get("mode") in wanted})


def _thread_words(execution: Execution, record: RunRecord) -> dict[int, int]:
    """Address of each thread's cleared-on-exit tid word -> that thread's tid.

    From the model (Task.clear_tid_word, read from the whole clone call, also when strace split it into
    an unfinished and a resumed line), else from clone lines the log shows whole.
    """
    words = {t.clear_tid_word: t.tid for t in execution.threads() if t.clear_tid_word is not None}
    if "CLONE_THREAD" in record.trace:
        for m in _CHILD_TID.finditer(record.trace):
            words.setdefault(int(m.group(2), 16), int(m.group(3)))
    return words


def join_waits(execution: Execution, record: RunRecord) -> dict[int, list[int]]:
    """Thread tid -> the tasks that waited for it in futex on its cleared-on-exit tid word.

    That is pthread_join's wait (glibc: futex(&thread->tid, FUTEX_WAIT..., tid)), made only when the
    thread had not ended yet; a join of a thread that has already ended makes no system call. CPython
    3.11's Thread.join waits on a lock the thread releases, not on this word, so it is not seen here.
    Empty unless the trace shows futex calls: the grader's own STRACE_ARGS do not trace futex (every
    contended mutex would be a line).
    """
    if "futex(" not in record.trace:
        return {}
    words = _thread_words(execution, record)
    out: dict[int, list[int]] = {}
    for m in _FUTEX_WAIT.finditer(record.trace):
        waiter, word, value = int(m.group(1)), int(m.group(2), 16), int(m.group(3))
        thread = words.get(word)
        if thread is not None and thread == value and waiter != thread and waiter not in out.get(thread, []):
            out.setdefault(thread, []).append(waiter)
    return out


def _wait_targets(execution: Execution, tid: int, call: str, first: int | None, second: int | None) -> list[int]:
    """The pids a wait4/waitid call waited for that had not ended."""
    tgid = execution.process_of(tid)
    pid: int | None = first
    if call == "waitid":
        pid = second if first == 1 else None          # P_PID, id; P_ALL / P_PGID: any child
    alive = [t.tid for t in execution.children(tgid) if t.end is None or t.stopped_by is not None]
    if pid is not None and pid > 0:
        return [pid]
    return sorted(alive)


def _first_int(args: str) -> int | None:
    word = args.split(",", 1)[0].strip()
    try:
        return int(word)
    except ValueError:
        return None


def _from_proc(execution: Execution, record: RunRecord, entry: dict[str, Any]) -> Blocked:
    tid = int(entry["tid"])
    call = entry.get("call") or ""
    nr = entry.get("nr")
    if not call and isinstance(nr, int) and nr >= 0:
        call = _UNNAMED_CALL                        # inside a call the image's table does not name
    elif not call and (isinstance(nr, int) or entry.get("state") not in ("R", None)):
        call = _NOT_IN_A_CALL                       # blocked, but not inside a system call
    args = [int(a) for a in entry.get("args") or []]
    blocked = Blocked(tid=tid, syscall=call, args="", since=execution.duration, source="proc")
    fd = entry.get("fd")
    watched = entry.get("fds") or []
    if not fd and call in _POLLS and len(watched) == 1:
        fd = watched[0]
    if isinstance(fd, dict) and fd.get("target"):
        target = str(fd["target"])
        blocked.channel = Channel(kind=_kind(execution, record, target), ident=target,
                                  path=target if target.startswith("/") else None)
        reading = call in _READS or call in ("accept", "accept4") or (
            call in _POLLS and fd.get("wants", "read") == "read")
        blocked.holders = _holders(record, target, reading)
    if call in _WAITS:
        blocked.waits_for = _wait_targets(execution, tid, call,
                                          _signed(args[0]) if args else None,
                                          _signed(args[1]) if len(args) > 1 else None)
    elif call == "futex" and args:
        joined = _thread_words(execution, record).get(args[0])
        if joined is not None and joined != tid:
            blocked.waits_for = [joined]
    return blocked


def blocked_at_end(execution: Execution, record: RunRecord) -> list[Blocked]:
    """One entry per task alive at the end: the trace's own unfinished call first, else /proc's."""
    proc = {int(e["tid"]): e for e in record.final_tasks if "tid" in e}
    out: list[Blocked] = []
    seen: set[int] = set()
    for traced in execution.blocked:        # the parser keeps only calls of tasks alive at the end
        if traced.tid in seen:
            continue
        seen.add(traced.tid)
        blocked = replace(traced, holders=list(traced.holders), waits_for=list(traced.waits_for))
        entry = proc.get(blocked.tid)
        if entry is not None:
            from_proc = _from_proc(execution, record, entry)
            if blocked.channel is None and from_proc.syscall == blocked.syscall:
                blocked.channel = from_proc.channel
            if not blocked.holders and blocked.channel is not None and from_proc.channel is not None \
                    and from_proc.channel.ident == blocked.channel.ident:
                blocked.holders = from_proc.holders
            if not blocked.waits_for and from_proc.syscall == blocked.syscall:
                blocked.waits_for = from_proc.waits_for
        if blocked.syscall in _WAITS and not blocked.waits_for:
            blocked.waits_for = _wait_targets(execution, blocked.tid, blocked.syscall,
                                              _first_int(blocked.args), None)
        out.append(blocked)
    for tid, entry in proc.items():
        task = execution.tasks.get(tid)
        if task is not None and task.end is not None and task.signal != "SIGKILL":
            continue   # alive in the snapshot, then ended on its own before the grader's kill reached it
        if tid not in seen and "call" in entry:     # an older snapshot without call names says too little
            seen.add(tid)
            out.append(_from_proc(execution, record, entry))
    return out


# ----------------------------------------------------------------------------- words


def who(execution: Execution, tid: int) -> Message:
    """'pid 64', or 'thread 23 of pid 22'."""
    task = execution.tasks.get(tid)
    if task is not None and task.runtime_helper:
        return Message(N_("pid {pid} (a helper of the language runtime, not the program's own)"),
                       {"pid": task.tgid})
    if task is None or task.is_process:
        return Message(N_("pid {pid}"), {"pid": tid})
    return Message(N_("thread {tid} of pid {pid}"), {"tid": tid, "pid": task.tgid})


def holders_phrase(execution: Execution, blocked: Blocked) -> Message:
    """Where the other end is still open: 'pid 64 itself and pid 62'."""
    own = execution.process_of(blocked.tid)
    others = [h for h in blocked.holders if h != own]
    if own in blocked.holders and others:
        return Message(N_("pid {pid} itself and in pid {others}"), {"pid": own, "others": others})
    if own in blocked.holders:
        return Message(N_("pid {pid} itself"), {"pid": own})
    return Message(N_("pid {others}"), {"others": others})


Words = Callable[[Execution, Blocked, Message], Message]


def _running(ex: Execution, b: Blocked, w: Message) -> Message:
    return Message(N_("{who} was running, not waiting in a system call"), {"who": w})


def _outside(ex: Execution, b: Blocked, w: Message) -> Message:
    return Message(N_("{who} was not running and not inside a system call (stopped, or being traced)"),
                   {"who": w})


def _unnamed(ex: Execution, b: Blocked, w: Message) -> Message:
    return Message(N_("{who} was inside a system call the grader could not name"), {"who": w})


def _futex(ex: Execution, b: Blocked, w: Message) -> Message:
    if b.waits_for:
        return Message(N_("{who} waits in pthread_join for thread {thread}, which never ended (futex)"),
                       {"who": w, "thread": b.waits_for[0]})
    return Message(N_("{who} waits on a lock, condition variable or join (futex) that nobody released or "
                      "signalled"), {"who": w})


def _sleep(ex: Execution, b: Blocked, w: Message) -> Message:
    return Message(N_("{who} was sleeping ({call})"), {"who": w, "call": b.syscall})


def _poll(ex: Execution, b: Blocked, w: Message) -> Message:
    if b.channel is not None and b.channel.kind in ("pipe", "fifo") and b.holders:
        return Message(N_("{who} waits in {call} for data on a pipe ({channel}) whose write end is still open "
                          "in {holders}; none came"),
                       {"who": w, "call": b.syscall, "channel": b.channel.ident,
                        "holders": holders_phrase(ex, b)})
    if b.channel is not None:
        return Message(N_("{who} waits in {call} for {channel} to become ready; it never did"),
                       {"who": w, "call": b.syscall, "channel": b.channel.ident})
    return Message(N_("{who} waits in {call} for one of its descriptors to become ready; none did"),
                   {"who": w, "call": b.syscall})


def _signal(ex: Execution, b: Blocked, w: Message) -> Message:
    return Message(N_("{who} waits in {call} for a signal that never came"), {"who": w, "call": b.syscall})


def _wait(ex: Execution, b: Blocked, w: Message) -> Message:
    if b.waits_for:
        return Message(N_("{who} waits in {call} for pid {pids}, which had not ended"),
                       {"who": w, "call": b.syscall, "pids": b.waits_for})
    return Message(N_("{who} waits in {call} for a child process to end"), {"who": w, "call": b.syscall})


def _read(ex: Execution, b: Blocked, w: Message) -> Message:
    channel = b.channel
    if channel is None:
        return _other(ex, b, w)
    facts: dict[str, Any] = {"who": w, "call": b.syscall, "channel": channel.ident}
    task = ex.tasks.get(b.tid)
    if channel.kind in ("pipe", "fifo") and b.holders and task is not None and task.runtime_helper:
        return Message(N_("{who} waits in {call} on its pipe ({channel}), as it does until the program ends"),
                       facts)
    if channel.kind in ("pipe", "fifo") and b.holders:
        return Message(N_("{who} reads a pipe ({channel}) whose write end is still open in {holders}: a read "
                          "sees end-of-file only when every write end is closed; close the write ends you do "
                          "not use"), {**facts, "holders": holders_phrase(ex, b)})
    if channel.kind in ("pipe", "fifo"):
        return Message(N_("{who} waits in {call} on a pipe ({channel}) for data that never came"), facts)
    if channel.kind in ("stdin", "tty"):
        return Message(N_("{who} waits to read its standard input, which gets no more data"), facts)
    if channel.kind == "socket":
        return Message(N_("{who} waits in {call} on a socket ({channel}) for data nobody sent"), facts)
    return Message(N_("{who} waits in {call} on {channel}"), facts)


def _write(ex: Execution, b: Blocked, w: Message) -> Message:
    channel = b.channel
    if channel is not None and channel.kind in ("stdout", "stderr", "tty"):
        return Message(N_("{who} was writing its output ({call})"), {"who": w, "call": b.syscall})
    if channel is None or channel.kind not in ("pipe", "fifo", "socket"):
        return _other(ex, b, w)
    facts: dict[str, Any] = {"who": w, "call": b.syscall, "channel": channel.ident}
    if b.holders:
        return Message(N_("{who} writes to a full pipe ({channel}): its read end is open in {holders}, but "
                          "nobody reads it"), {**facts, "holders": holders_phrase(ex, b)})
    return Message(N_("{who} writes to a full pipe or socket ({channel}) that nobody reads"), facts)


def _accept(ex: Execution, b: Blocked, w: Message) -> Message:
    return Message(N_("{who} waits in {call} for a connection nobody made"), {"who": w, "call": b.syscall})


def _connect(ex: Execution, b: Blocked, w: Message) -> Message:
    return Message(N_("{who} waits in connect for the other side to accept the connection"), {"who": w})


def _open(ex: Execution, b: Blocked, w: Message) -> Message:
    if (b.channel is not None and b.channel.kind == "fifo") or _fifo_path(ex, b.args):
        return Message(N_("{who} opens the FIFO {path} and waits for another process to open its other end"),
                       {"who": w, "path": _fifo_path(ex, b.args) or (b.channel.ident if b.channel else "")})
    return _other(ex, b, w)


def _fifo_path(ex: Execution, args: str) -> str | None:
    for obj in ex.ipc:
        if obj.kind == "fifo" and obj.name and (obj.name in args or obj.ident in args):
            return obj.name
    return None


def _mq_receive(ex: Execution, b: Blocked, w: Message) -> Message:
    return Message(N_("{who} waits in {call} for a message on an empty message queue"),
                   {"who": w, "call": b.syscall})


def _mq_send(ex: Execution, b: Blocked, w: Message) -> Message:
    return Message(N_("{who} waits in {call} to send to a full message queue"), {"who": w, "call": b.syscall})


def _semaphore(ex: Execution, b: Blocked, w: Message) -> Message:
    return Message(N_("{who} waits in {call} on a System V semaphore that nobody raised"),
                   {"who": w, "call": b.syscall})


def _lock(ex: Execution, b: Blocked, w: Message) -> Message:
    return Message(N_("{who} waits in {call} for a file lock that another process holds"),
                   {"who": w, "call": b.syscall})


def _other(ex: Execution, b: Blocked, w: Message) -> Message:
    return Message(N_("{who} was inside the system call {call}"), {"who": w, "call": b.syscall})


_TABLE: dict[str, Words] = {
    "": _running,
    _NOT_IN_A_CALL: _outside,
    _UNNAMED_CALL: _unnamed,
    "futex": _futex,
    **dict.fromkeys(("nanosleep", "clock_nanosleep"), _sleep),
    **dict.fromkeys(_POLLS, _poll),
    **dict.fromkeys(("pause", "rt_sigsuspend", "sigsuspend", "rt_sigtimedwait", "sigtimedwait"), _signal),
    **dict.fromkeys(_WAITS, _wait),
    **dict.fromkeys(_READS, _read),
    **dict.fromkeys(_WRITES, _write),
    **dict.fromkeys(("accept", "accept4"), _accept),
    "connect": _connect,
    **dict.fromkeys(("open", "openat"), _open),
    **dict.fromkeys(("mq_timedreceive", "msgrcv"), _mq_receive),
    **dict.fromkeys(("mq_timedsend", "msgsnd"), _mq_send),
    **dict.fromkeys(("semop", "semtimedop"), _semaphore),
    **dict.fromkeys(("flock", "fcntl"), _lock),
}


def blocked_words(execution: Execution, blocked: Blocked) -> Message:
    """One sentence: which task waits for what, in words."""
    words = _TABLE.get(blocked.syscall, _other)
    return words(execution, blocked, who(execution, blocked.tid))
