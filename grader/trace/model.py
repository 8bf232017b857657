"""The Execution model: the kernel's account of one run, rebuilt from strace's log.

Times are seconds (float) since the first line of the trace. Task ids are the
kernel's tids as seen inside the sandbox's pid namespace. Bytes are bytes.
Checks and feedback read only this model, never the program's own claims.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Blocked",
    "Channel",
    "ChannelKind",
    "Exec",
    "Execution",
    "FailedExec",
    "Flow",
    "GroupChange",
    "IpcKind",
    "IpcObject",
    "OutputLine",
    "Signal",
    "SignalAction",
    "Task",
    "TaskKind",
    "Transfer",
]

TaskKind = Literal["process", "thread"]
# What a file descriptor referred to when it was used.
ChannelKind = Literal["stdout", "stderr", "stdin", "pipe", "fifo", "socket", "file", "shm", "tty", "null", "other"]
IpcKind = Literal[
    "pipe", "fifo", "socketpair", "unix_socket", "tcp_loopback", "udp_loopback",
    "posix_shm", "sysv_shm", "shared_mmap", "mqueue", "file", "eventfd", "memfd",
    "semaphore", "sysv_msg",
]


@dataclass(slots=True)
class Exec:
    """A successful execve: the program a task became."""

    time: float
    path: str
    argv: list[str]
    line: int = 0                  # 1-based line of the trace that shows it (0: unknown)


@dataclass(slots=True)
class Task:
    """One kernel task: a process (thread-group leader) or a thread in it."""

    tid: int
    tgid: int                      # the process it belongs to (== tid for a process)
    kind: TaskKind
    creator: int | None            # tid of the task whose fork/clone made it (None: the root)
    ppid: int | None               # the process the kernel counts as parent at creation (tgid)
    created_by: str | None         # "fork", "vfork", "clone", "clone3" or None for the root
    clone_flags: list[str] = field(default_factory=list)
    start: float = 0.0
    end: float | None = None       # when it exited or was killed (None: still alive at the end)
    exit_code: int | None = None   # for a process: its exit status; for a thread: what it passed to exit
    signal: str | None = None      # the signal that killed it, e.g. "SIGSEGV"
    core_dumped: bool = False
    execs: list[Exec] = field(default_factory=list)
    reaped_by: int | None = None   # tid of the task whose wait4/waitid collected it
    reaped_at: float | None = None
    reparented_to: int | None = None  # new parent (1 or a subreaper) once its parent ended first
    orphan: bool = False           # its parent process ended first while it was still alive; init (or a
                                   # subreaper) adopted it. An orphan is normally NOT a zombie.
    zombie: bool = False           # left a zombie: it ended while its parent was alive, and that parent
                                   # never reaped it (the parent ended first, or the run ended unreaped)
    zombie_seconds: float | None = None  # how long it was a zombie (ended while its parent was alive,
                                   # until reaped, the parent ended, or the run ended); None: never one
    stopped_by: str | None = None  # the grader killed it at a limit: "timeout", "output", "trace" or
                                   # "linger" (RunRecord.stopped_for); None: it ended on its own
    runtime_helper: bool = False   # the language runtime's helper (multiprocessing resource tracker,
                                   # forkserver), not a process the student asked for
    helper_reason: str | None = None  # why it was taken as a runtime helper (shown on the page)
    multiprocessing_child: bool = False  # a worker started by multiprocessing (its bootstrap was seen)
    auto_reaped: bool = False      # it ended while its parent ignored SIGCHLD (SIG_IGN / SA_NOCLDWAIT):
                                   # the kernel reaped it at once, it was never a zombie
    start_line: int = 0            # 1-based trace line where it first appears
    end_line: int = 0              # 1-based trace line of its exit/kill (0: none)
    pgid: int | None = None        # its process group when it ended (or at the end of the run), as
                                   # setpgid/setsid/getpgid and fork inheritance show it (grader.trace.signals);
                                   # None: the group the program was started in, which no traced task leads
    sid: int | None = None         # its session likewise (None: the session the program was started in)
    exit_call: str | None = None   # the call this task itself made to end: "exit" (it alone: a thread that
                                   # returned from its function or called pthread_exit) or "exit_group" (its
                                   # whole process); None: it made none (another thread's exit_group, a
                                   # signal, or another thread's execve ended it)
    exit_call_at: float | None = None  # when it made that call
    clear_tid_word: int | None = None  # a thread's CLONE_CHILD_CLEARTID word (clone's child_tidptr): the
                                   # kernel zeroes and wakes it when the thread ends; pthread_join waits on it

    @property
    def is_process(self) -> bool:
        return self.kind == "process"

    @property
    def program(self) -> str | None:
        """The path of the last program it exec'd, if any."""
        return self.execs[-1].path if self.execs else None


@dataclass(slots=True)
class FailedExec:
    """An execve that returned an error: the program a task tried and failed to become."""

    tid: int
    time: float
    path: str
    argv: list[str]
    errno: str                     # "ENOENT", "EACCES", ...
    line: int = 0
    superseded: bool = False       # a later execve of the same task succeeded (execvp's PATH search tried
                                   # this entry first): not a failure to report. All failures are kept.


@dataclass(slots=True)
class Channel:
    """What a file descriptor pointed at, as strace's -y decoding named it."""

    kind: ChannelKind
    ident: str                     # e.g. "pipe:[1234]", "socket:[99]", "/work/out.txt", "/dev/shm/x"
    path: str | None = None        # a filesystem path, where there is one


@dataclass(slots=True)
class Transfer:
    """One write-like or read-like call that moved bytes through a descriptor."""

    time: float
    tid: int
    syscall: str                   # write, writev, pwrite64, sendto, sendmsg, read, recvfrom, ...
    fd: int
    channel: Channel
    data: bytes                    # what strace showed (may be shorter than size when truncated)
    size: int                      # what the call returned (bytes moved); -1 on failure
    truncated: bool = False        # strace cut the string, or the model kept only a prefix (data is a
                                   # prefix of the `size` bytes moved)
    line: int = 0                  # 1-based trace line (of the first call, when coalesced)
    calls: int = 1                 # consecutive calls of this task on this channel merged into this one
    shown: bool = True             # False: the call does not show its bytes (splice, sendfile, tee,
                                   # copy_file_range): only its size is known


@dataclass(slots=True)
class IpcObject:
    """An IPC object the program created or used."""

    kind: IpcKind
    ident: str                     # pipe:[1234], /dev/shm/name, shmid 5, socket:[77], a path
    created_by: int | None         # tid
    created_at: float | None
    users: list[int] = field(default_factory=list)   # tgids of processes that used it
    name: str | None = None        # user-visible name (shm_open name, fifo path, socket address)
    left_behind: bool = False      # still existed at the end (shm not unlinked, fifo not removed)
    runtime_helper: bool = False   # created by the language runtime (multiprocessing), not the student
    aliases: list[str] = field(default_factory=list)  # every channel ident that belongs to it (both
                                   # ends of a socketpair, sockets bound/connected/accepted on an address)
    mapped_by: list[int] = field(default_factory=list)  # tgids that held a shared, writable mapping of it
                                   # (mmap MAP_SHARED+PROT_WRITE, shmat without SHM_RDONLY, or such a
                                   # mapping inherited by fork; not a vfork child). Shared memory shows no
                                   # reads or writes: this is all the trace knows of who shared it.


@dataclass(slots=True)
class Flow:
    """Bytes that went into a channel from one process and came out in another."""

    kind: IpcKind
    channel: str                   # IpcObject.ident
    writer: int                    # tid that wrote
    reader: int                    # tid that read
    nbytes: int
    first_time: float
    sample: bytes = b""            # the first bytes that crossed, for feedback


@dataclass(slots=True)
class Signal:
    """A signal sent with kill/tgkill/tkill, or delivered to a task."""

    time: float
    signal: str                    # "SIGTERM"
    sender: int | None             # tid that sent it (None: the kernel, e.g. SIGCHLD, SIGSEGV)
    target: int | None             # tid/pid it was aimed at (as given to kill)
    delivered_to: int | None = None
    line: int = 0                  # 1-based trace line
    syscall: str | None = None     # sent: kill, tkill, tgkill, rt_sigqueueinfo, pidfd_send_signal, ...
    errno: str | None = None       # sent: the call failed (ESRCH, EPERM): nothing was delivered by it
    to_group: bool = False         # sent to a process group (kill(-pgid), kill(0), killpg) or to all (-1)
    group: int | None = None       # that group's id, when the trace knows it
    recipients: list[int] = field(default_factory=list)  # sent: the processes (tgids) it was aimed at: the
                                   # target, or the group's members at that moment as far as the trace knows


@dataclass(slots=True)
class SignalAction:
    """A disposition a task set with rt_sigaction: a handler function, SIG_DFL or SIG_IGN."""

    time: float
    tid: int
    signal: str                    # "SIGUSR1" (strace's name)
    action: Literal["handler", "SIG_DFL", "SIG_IGN"]
    flags: list[str] = field(default_factory=list)  # SA_RESTART, SA_SIGINFO, ...
    runtime: bool = False          # set by the language runtime's start-up, not the program (CPython's
                                   # SIGINT handler and its SIGPIPE/SIGXFSZ SIG_IGN, once after each exec)
    line: int = 0


@dataclass(slots=True)
class GroupChange:
    """A process group or session a call set or reported: setpgid, setsid, getpgid, getpgrp, getsid."""

    time: float
    tid: int                       # the task that made the call
    call: str
    pid: int                       # the process it is about (tgid)
    pgid: int | None               # its group after the call (None: the call did not say)
    sid: int | None                # its session after the call (None: the call did not say)
    errno: str | None = None       # the call failed (EPERM, EACCES, ESRCH): nothing changed
    line: int = 0


@dataclass(slots=True)
class Blocked:
    """A syscall a task was still inside when the trace ended."""

    tid: int
    syscall: str
    args: str                      # strace's text of the arguments, as far as it got
    since: float                   # when the call started; for source "proc": when /proc was read (the
                                   # call's start is not known then)
    channel: Channel | None = None # for read/write/accept on a descriptor
    holders: list[int] = field(default_factory=list)  # tgids that still held the other end open
    line: int = 0                  # 1-based trace line where the call started
    source: Literal["trace", "proc"] = "trace"  # "proc": read from /proc/TID/syscall just before the kill
    waits_for: list[int] = field(default_factory=list)  # wait4/waitid: the pids it waited for (still alive)


@dataclass(slots=True)
class OutputLine:
    """One line of the program's stdout (or stderr) with the task(s) that wrote it."""

    text: bytes                    # without the trailing newline
    writers: list[int]             # tids whose bytes make up this line (one, unless lines merged)
    processes: list[int]           # their tgids
    time: float | None             # when its last byte was written
    complete: bool = True          # ended with a newline
    unknown_bytes: int = 0         # bytes of the line that no traced write accounts for

    @property
    def owner(self) -> int | None:
        """The one task that wrote all of this line, or None (mixed writers, or bytes of unknown origin)."""
        return self.writers[0] if len(self.writers) == 1 and self.unknown_bytes == 0 else None

    @property
    def owner_process(self) -> int | None:
        """The one process whose tasks wrote all of this line, or None."""
        return self.processes[0] if len(self.processes) == 1 and self.unknown_bytes == 0 else None

    @property
    def mixed(self) -> bool:
        """Bytes of this line came from more than one process."""
        return len(self.processes) > 1


@dataclass(slots=True)
class Execution:
    """Everything the trace says the program did."""

    tasks: dict[int, Task] = field(default_factory=dict)
    root: int | None = None
    writes: list[Transfer] = field(default_factory=list)
    reads: list[Transfer] = field(default_factory=list)
    ipc: list[IpcObject] = field(default_factory=list)
    flows: list[Flow] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    signal_actions: list[SignalAction] = field(default_factory=list)  # dispositions set (not queries)
    group_changes: list[GroupChange] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)
    failed_forks: list[tuple[int, float, str]] = field(default_factory=list)  # (tid, time, errno)
    failed_execs: list[FailedExec] = field(default_factory=list)
    stopped_for: str | None = None     # why the grader stopped the run (RunRecord.stopped_for), if it did
    summarized: dict[str, int] = field(default_factory=dict)  # what was left out to bound the model,
                                       # e.g. {"writes": 440000, "argv_bytes": 1800000}
    unparsed: list[str] = field(default_factory=list)   # lines the parser could not understand
    duration: float = 0.0
    trace_truncated: bool = False
    stdout_channel: str | None = None  # the ident writes to stdout went to, e.g. "pipe:[15982]"

    # ----- queries used by checks and feedback -----
    def processes(self) -> list[Task]:
        return [t for t in self.tasks.values() if t.kind == "process"]

    def threads(self, tgid: int | None = None) -> list[Task]:
        """Threads other than the leader, of one process or of all."""
        return [
            t for t in self.tasks.values()
            if t.kind == "thread" and (tgid is None or t.tgid == tgid)
        ]

    def children(self, pid: int) -> list[Task]:
        """Processes whose parent at creation is the process `pid`."""
        return [t for t in self.processes() if t.ppid == pid and t.tid != pid]

    def descendants(self, pid: int) -> list[Task]:
        out: list[Task] = []
        todo = [pid]
        while todo:
            for child in self.children(todo.pop()):
                out.append(child)
                todo.append(child.tid)
        return out

    def process_of(self, tid: int) -> int:
        task = self.tasks.get(tid)
        return task.tgid if task else tid

    def writes_to(self, kind: ChannelKind) -> list[Transfer]:
        return [w for w in self.writes if w.channel.kind == kind and w.size > 0]

    def student_processes(self) -> list[Task]:
        """Processes other than the runtime's helpers (resource tracker, forkserver)."""
        return [t for t in self.processes() if not t.runtime_helper]

    def student_ipc(self) -> list[IpcObject]:
        """IPC objects other than those the runtime made for its own use."""
        return [o for o in self.ipc if not o.runtime_helper]

    def ipc_of(self, ident: str) -> IpcObject | None:
        """The IPC object a channel ident (or an alias of it) belongs to."""
        for o in self.ipc:
            if o.ident == ident or ident in o.aliases:
                return o
        return None

    def task_lines(self, tid: int) -> list[int]:
        """1-based trace lines of what the model recorded for task `tid` (start, execs, I/O, signals, end)."""
        task = self.tasks.get(tid)
        if task is None:
            return []
        lines = {task.start_line, task.end_line}
        lines.update(e.line for e in task.execs)
        lines.update(x.line for x in self.writes if x.tid == tid)
        lines.update(x.line for x in self.reads if x.tid == tid)
        lines.update(s.line for s in self.signals if s.sender == tid or s.delivered_to == tid)
        lines.update(b.line for b in self.blocked if b.tid == tid)
        lines.discard(0)
        return sorted(lines)

    def to_json(self) -> dict[str, Any]:
        """The documented JSON form (see README: `grader trace --json`), bounded whatever the run did.

        Each list keeps at most JSON_LIMITS[name] items (tasks: processes before threads, the earliest
        started first, so parents stay with their children; the others: the first ones); how many were left
        out is added to
        "summarized" as "json_<name>". Written data is cut to JSON_DATA bytes per write.
        """
        def b(data: bytes) -> dict[str, str]:
            try:
                return {"text": data.decode("utf-8")}
            except UnicodeDecodeError:
                return {"base64": base64.b64encode(data).decode("ascii")}

        summarized = dict(self.summarized)

        def cap(name: str, items: list[Any]) -> list[Any]:
            limit = JSON_LIMITS[name]
            if len(items) > limit:
                summarized[f"json_{name}"] = len(items) - limit
                return items[:limit]
            return items

        # processes first (the tree), then threads, each earliest first; listed in order of start
        kept = cap("tasks", sorted(self.tasks.values(), key=lambda t: (t.kind != "process", t.start, t.tid)))
        tasks = sorted(kept, key=lambda t: (t.start, t.tid))
        return {
            "root": self.root,
            "duration": self.duration,
            "trace_truncated": self.trace_truncated,
            "stopped_for": self.stopped_for,
            "tasks": [
                {
                    "pid": t.tid, "tgid": t.tgid, "ppid": t.ppid, "kind": t.kind,
                    "creator": t.creator, "created_by": t.created_by,
                    "start": t.start, "end": t.end, "exit_code": t.exit_code,
                    "signal": t.signal, "core_dumped": t.core_dumped,
                    "execs": [{"time": e.time, "path": e.path, "argv": e.argv} for e in t.execs[:JSON_EXECS]],
                    "reaped_by": t.reaped_by, "reaped_at": t.reaped_at,
                    "reparented_to": t.reparented_to, "orphan": t.orphan, "zombie": t.zombie,
                    "zombie_seconds": t.zombie_seconds, "stopped_by": t.stopped_by,
                    "auto_reaped": t.auto_reaped,
                    "runtime_helper": t.runtime_helper, "helper_reason": t.helper_reason,
                    "multiprocessing_child": t.multiprocessing_child,
                    "pgid": t.pgid, "sid": t.sid,
                    "exit_call": t.exit_call, "exit_call_at": t.exit_call_at, "clear_tid_word": t.clear_tid_word,
                }
                for t in tasks
            ],
            "writes": [
                {"time": w.time, "tid": w.tid, "pid": self.process_of(w.tid), "syscall": w.syscall,
                 "fd": w.fd, "channel": w.channel.kind, "target": w.channel.ident,
                 "size": w.size, "truncated": w.truncated or len(w.data) > JSON_DATA, "calls": w.calls,
                 "shown": w.shown, "data": b(w.data[:JSON_DATA])}
                for w in cap("writes", self.writes)
            ],
            "ipc": [
                {"kind": o.kind, "id": o.ident, "name": o.name, "created_by": o.created_by,
                 "created_at": o.created_at, "users": o.users[:JSON_LIMITS["tasks"]],
                 "left_behind": o.left_behind, "runtime_helper": o.runtime_helper}
                for o in cap("ipc", self.ipc)
            ],
            "flows": [
                {"kind": f.kind, "channel": f.channel, "from": f.writer, "to": f.reader,
                 "bytes": f.nbytes, "first_time": f.first_time, "sample": b(f.sample)}
                for f in cap("flows", self.flows)
            ],
            "signals": [
                {"time": s.time, "signal": s.signal, "sender": s.sender, "target": s.target,
                 "delivered_to": s.delivered_to, "syscall": s.syscall, "errno": s.errno, "to_group": s.to_group,
                 "group": s.group, "recipients": s.recipients[:JSON_LIMITS["tasks"]]}
                for s in cap("signals", self.signals)
            ],
            "signal_actions": [
                {"time": a.time, "tid": a.tid, "signal": a.signal, "action": a.action, "flags": a.flags,
                 "runtime": a.runtime}
                for a in cap("signal_actions", self.signal_actions)
            ],
            "group_changes": [
                {"time": c.time, "tid": c.tid, "call": c.call, "pid": c.pid, "pgid": c.pgid, "sid": c.sid,
                 "errno": c.errno}
                for c in cap("group_changes", self.group_changes)
            ],
            "blocked": [
                {"tid": x.tid, "syscall": x.syscall, "args": x.args[:JSON_DATA], "since": x.since,
                 "channel": x.channel.ident if x.channel else None, "holders": x.holders,
                 "source": x.source, "waits_for": x.waits_for[:JSON_LIMITS["tasks"]]}
                for x in cap("blocked", self.blocked)
            ],
            "failed_forks": [{"tid": t, "time": tm, "errno": e} for t, tm, e in cap("failed_forks", self.failed_forks)],
            "failed_execs": [
                {"tid": f.tid, "time": f.time, "path": f.path, "argv": f.argv, "errno": f.errno,
                 "superseded": f.superseded}
                for f in cap("failed_execs", self.failed_execs)
            ],
            "unparsed": len(self.unparsed),
            "summarized": summarized,
        }


# What Execution.to_json keeps of each list (the rest is counted in its "summarized").
JSON_LIMITS = {
    "tasks": 2000, "writes": 2000, "ipc": 500, "flows": 500, "signals": 500, "blocked": 500,
    "signal_actions": 500, "group_changes": 500,
    "failed_forks": 200, "failed_execs": 200,
}
JSON_EXECS = 16      # execs per task
JSON_DATA = 4096     # bytes of data per write (and characters of a blocked call's arguments)
