"""Parse an `strace -f -q -ttt -s 4096 -x -y` log into the Execution model."""

from __future__ import annotations

import codecs
import re
import time as _clock
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from grader.trace.model import (
    Blocked,
    Channel,
    ChannelKind,
    Exec,
    Execution,
    Flow,
    IpcKind,
    IpcObject,
    Signal,
    Task,
    Transfer,
)

__all__ = ["bench_parse", "decode_string", "parse_trace", "split_args"]

# ----------------------------------------------------------------------------- lexing

_HEAD = re.compile(r"(\d+) +(\d+(?:\.\d+)?) ")
_RESUMED = re.compile(r"<\.\.\. ([A-Za-z0-9_]+) resumed>")
_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\(")
# strings use the unrolled form "[^"\\]*(\\.[^"\\]*)*": one C-speed scan per string, even at 16 KiB
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"(?:\.\.\.)?|[\[\]{}(),<]')
_STRING = re.compile(r'"([^"\\]*(?:\\.[^"\\]*)*)"(\.\.\.)?')
_IOV_STRING = re.compile(r'iov_base="([^"\\]*(?:\\.[^"\\]*)*)"(\.\.\.)?')
_RET = re.compile(r"(0x[0-9a-fA-F]+|-?\d+|\?)(?:<(.*)>)?(?:\(deleted\))?(?: ([A-Z][A-Z0-9_]+)(?: \(.*\))?)?")
_FD = re.compile(r"(-?\d+|AT_FDCWD)(?:<(.*)>(?:\(deleted\))?)?$", re.DOTALL)
_FLAGS = re.compile(r"flags=([A-Z0-9_|]+)")
_SIG_BODY = re.compile(r"--- (SIG[A-Z0-9+]+|[A-Z]+[0-9]*) (\{.*\})? ?---")
_SI_FIELD = re.compile(r"(si_[a-z]+)=([^,}]+)")
_EXITED = re.compile(r"\+\+\+ exited with (-?\d+) \+\+\+")
_KILLED = re.compile(r"\+\+\+ killed by (SIG[A-Z0-9+]+)( \(core dumped\))? \+\+\+")
_SUN_PATH = re.compile(r'sun_path=(@?)"((?:[^"\\]|\\.)*)"')
_SIN_PORT = re.compile(r"sin6?_port=htons\((\d+)\)")
_SIN_ADDR = re.compile(r'inet_(?:addr|pton)\([^"]*"([^"]+)"\)')
_SI_PID = re.compile(r"si_pid=(\d+)")

_CLONES = frozenset({"clone", "clone3", "fork", "vfork"})
_UNFINISHED = " <unfinished ...>"
_HELPER_MARKERS = (
    "multiprocessing.resource_tracker",
    "multiprocessing.semaphore_tracker",
    "multiprocessing.forkserver",
)
_SYSTEM_PREFIXES = ("/usr/", "/lib", "/etc/", "/proc/", "/sys/", "/dev/", "/bin/", "/sbin/", "/opt/")
_KERNEL_SI_CODES = frozenset({"SI_USER", "SI_TKILL", "SI_QUEUE"})


def decode_string(token: str) -> tuple[bytes, bool]:
    """strace's C-escaped `"..."` (maybe followed by `...`) as bytes, and whether it was cut."""
    m = _STRING.match(token)
    if m is None:
        return b"", False
    return _unescape(m.group(1)), m.group(2) is not None


def _unescape(inner: str) -> bytes:
    if "\\" not in inner:
        return inner.encode("utf-8", "surrogateescape")
    try:
        return codecs.escape_decode(inner.encode("latin-1"))[0]
    except (UnicodeEncodeError, ValueError):
        return codecs.escape_decode(inner.encode("utf-8", "surrogateescape"))[0]


def _close_angle(s: str, pos: int) -> int:
    """Index just past the `>` that closes an fd decoration opened before `pos`."""
    n = len(s)
    while True:
        j = s.find(">", pos)
        if j < 0:
            return n
        k = j + 1
        if k >= n or s[k] in ",)]} (":
            return k
        pos = k


def split_args(s: str) -> list[str]:
    """Split strace's argument text at top-level commas (strings, brackets and fd decorations kept whole)."""
    out: list[str] = []
    depth = 0
    start = 0
    pos = 0
    search = _TOKEN.search
    while True:
        m = search(s, pos)
        if m is None:
            break
        c = m.group()[0]
        i = m.start()
        if c == '"':
            pos = m.end()
            continue
        if c == "<":
            pos = _close_angle(s, i + 1) if i > 0 and (s[i - 1].isdigit() or s[i - 1] == "D") else i + 1
            continue
        if c in "[{(":
            depth += 1
        elif c in "]})":
            depth -= 1
        elif depth <= 0:
            out.append(s[start:i].strip())
            start = i + 1
        pos = i + 1
    last = s[start:].strip()
    if last or out:
        out.append(last)
    return out


def _first_ident(args: str) -> str | None:
    """The fd decoration of the first argument, without splitting the rest (a fast path)."""
    lt = args.find("<")
    if lt <= 0 or not args[lt - 1].isdigit():
        return None
    end = _close_angle(args, lt + 1)
    return args[lt + 1:end - 1]


def _fd(arg: str) -> tuple[int, str | None]:
    m = _FD.match(arg.strip())
    if m is None:
        raise ValueError(f"not a descriptor: {arg[:40]!r}")
    num = m.group(1)
    return (-100 if num == "AT_FDCWD" else int(num)), m.group(2)


@dataclass(slots=True)
class _Ret:
    value: int | None
    errno: str | None
    decoration: str | None


def _ret(text: str) -> _Ret:
    m = _RET.match(text.strip())
    if m is None:
        return _Ret(None, None, None)
    raw = m.group(1)
    value = None if raw == "?" else int(raw, 16) if raw.startswith("0x") else int(raw)
    return _Ret(value, m.group(3), m.group(2))


# ----------------------------------------------------------------------------- state


@dataclass(slots=True)
class _Fd:
    ident: str
    end: str | None      # "r" / "w" for pipe ends, None when unknown or not a pipe
    cloexec: bool


@dataclass(slots=True)
class _Pending:
    name: str
    args: str
    since: float
    line: int


@dataclass(slots=True)
class _Segment:
    tid: int
    data: bytes
    left: int
    time: float


@dataclass(slots=True)
class _Queue:
    """Bytes in flight in one channel: writes not yet read, or reads logged before their write."""

    writes: deque[_Segment] = field(default_factory=deque)
    reads: deque[_Segment] = field(default_factory=deque)


Handler = Callable[["_Parser", int, float, str, str, str, int], None]


class _Parser:
    def __init__(self, stdout_channel: str | None, stderr_channel: str | None) -> None:
        self.ex = Execution()
        self.stdout_channel = stdout_channel
        self.stderr_channel = stderr_channel
        self.t0: float | None = None
        self.last_time = 0.0
        self.pending: dict[int, _Pending] = {}
        # Calls a task was inside when SIGKILL ended it (the harness's stop at a timeout): the end state.
        self.killed_in: dict[int, _Pending] = {}
        self.interrupted: dict[int, _Pending] = {}
        self.fdt: dict[int, dict[int, _Fd]] = {}          # tid -> its (maybe shared) fd table
        self.maps: dict[int, dict[int, IpcObject]] = {}    # tgid -> address -> shared mapping
        self.channels: dict[str, Channel] = {}
        self.fifos: set[str] = set()
        self.objects: dict[str, IpcObject] = {}            # ident or alias -> object
        self.peer: dict[str, str] = {}                     # socket ident -> its peer's ident
        self.queues: dict[str, _Queue] = {}
        self.flows: dict[tuple[str, int, int], Flow] = {}
        self.linked: set[int] = set()                      # tids whose creating call was seen
        self.exit_group: set[int] = set()                  # tgids that called exit_group
        self.ended_processes: set[int] = set()
        self.recent_pipes: dict[int, list[IpcObject]] = {}
        self.preforked: dict[int, list[IpcObject]] = {}    # child tid -> pipes made just before its fork
        self.young: dict[int, int] = {}                    # child tid -> calls seen (for mp detection)
        self.file_opens: dict[str, set[int]] = {}
        self.file_writers: dict[str, set[int]] = {}
        self.unlinked: set[str] = set()
        self.listeners: dict[str, str] = {}                # socket ident -> address it listens on
        self.connects: dict[str, deque[str]] = {}          # address -> client sockets not yet paired
        self.accepts: dict[str, deque[str]] = {}           # address -> server sockets not yet paired
        self.sock_type: dict[str, str] = {}                # socket ident -> "unix"/"tcp"/"udp"
        self.std_fds: dict[int, str] = {}                  # root's inherited fd -> ident
        self.closed_early: dict[int, set[int]] = {}        # fds a task closed before its clone returned
        self.members: dict[int, list[Task]] = {}           # tgid -> its tasks
        self.kids: dict[int, list[Task]] = {}              # tgid -> processes it created

    # ------------------------------------------------------------------ tasks
    def task(self, tid: int, t: float, line: int) -> Task:
        task = self.ex.tasks.get(tid)
        if task is not None:
            return task
        task = Task(tid=tid, tgid=tid, kind="process", creator=None, ppid=None, created_by=None,
                    start=t, start_line=line)
        self.ex.tasks[tid] = task
        self.members[tid] = [task]
        if self.ex.root is None:
            self.ex.root = tid
            self.fdt[tid] = {}
            self.maps[tid] = {}
            return task
        # A new task may speak before its creator's clone returns: link it to the one pending clone.
        creators = [p for p, c in self.pending.items() if c.name in _CLONES and p in self.ex.tasks]
        if len(creators) == 1:
            c = self.pending[creators[0]]
            self.link(creators[0], tid, c.name, c.args, c.since)
        else:
            self.fdt[tid] = {}
            self.maps[tid] = {}
        return task

    def link(self, parent_tid: int, child_tid: int, name: str, args: str, t: float) -> None:
        if child_tid in self.linked:
            return
        self.linked.add(child_tid)
        parent = self.task(parent_tid, t, 0)
        child = self.ex.tasks.get(child_tid)
        if child is None:
            child = Task(tid=child_tid, tgid=child_tid, kind="process", creator=None, ppid=None,
                         created_by=None, start=t)
            self.ex.tasks[child_tid] = child
            self.members[child_tid] = [child]
        m = _FLAGS.search(args)
        flags = [f for f in m.group(1).split("|") if f] if m else []
        if name == "vfork":
            flags = flags or ["CLONE_VM", "CLONE_VFORK", "SIGCHLD"]
        child.clone_flags = flags
        child.creator = parent_tid
        is_thread = "CLONE_THREAD" in flags
        if name in ("clone", "clone3"):
            if is_thread:
                child.created_by = name
            elif "CLONE_VFORK" in flags:
                child.created_by = "vfork"
            elif "CLONE_VM" not in flags:
                child.created_by = "fork"
            else:
                child.created_by = name
        else:
            child.created_by = name
        parent_proc = self.ex.tasks.get(parent.tgid, parent)
        if is_thread:
            child.kind = "thread"
            child.tgid = parent.tgid
            if self.members.get(child_tid) == [child]:
                del self.members[child_tid]
            self.members.setdefault(parent.tgid, []).append(child)
            child.ppid = parent_proc.ppid
            child.runtime_helper = parent_proc.runtime_helper
        else:
            child.kind = "process"
            child.tgid = child_tid
            child.ppid = parent_proc.ppid if "CLONE_PARENT" in flags else parent.tgid
            if child.ppid is not None:
                self.kids.setdefault(child.ppid, []).append(child)
        # descriptors: shared with CLONE_FILES, else copied; anything the child already used stays.
        own = self.fdt.get(child_tid, {})
        if is_thread or "CLONE_FILES" in flags:
            table = self.fdt.setdefault(parent_tid, {})
            for fd, entry in own.items():
                table.setdefault(fd, entry)
        else:
            table = {fd: _Fd(e.ident, e.end, e.cloexec) for fd, e in self.fdt.get(parent_tid, {}).items()}
            for fd in self.closed_early.pop(child_tid, ()):
                table.pop(fd, None)
            table.update(own)
        self.fdt[child_tid] = table
        if is_thread:
            self.maps[child_tid] = self.maps.setdefault(parent.tgid, {})
        else:
            inherited = dict(self.maps.get(parent.tgid, {}))
            inherited.update(self.maps.get(child_tid, {}))
            self.maps[child_tid] = inherited
            for obj in inherited.values():
                _use(obj, child_tid)
            pipes = self.recent_pipes.pop(parent_tid, None)
            if pipes:
                self.preforked[child_tid] = pipes
            self.young[child_tid] = 0

    def end_task(self, tid: int, t: float, line: int, code: int | None, sig: str | None, core: bool) -> None:
        task = self.task(tid, t, line)
        if task.end is None:
            task.end = t
            task.end_line = line
            task.exit_code = code
            task.signal = sig
            task.core_dumped = core
        self.drop_pending(tid, sig)
        tgid = task.tgid
        group = self.members.get(tgid) or [task]
        if tid == tgid and (sig is not None or tgid in self.exit_group):
            for other in group:
                if other.end is None:
                    other.end, other.end_line, other.exit_code, other.signal = t, line, code, sig
                    self.drop_pending(other.tid, sig)
        if all(x.end is not None for x in group):
            self.process_ended(tgid, t)

    def drop_pending(self, tid: int, sig: str | None) -> None:
        call = self.pending.pop(tid, None)
        if call is not None and sig == "SIGKILL":
            self.killed_in[tid] = call

    def process_ended(self, tgid: int, t: float) -> None:
        if tgid in self.ended_processes:
            return
        self.ended_processes.add(tgid)
        for child in self.kids.get(tgid, ()):
            if child.kind == "process" and child.tid != tgid and child.end is None:
                child.orphan = True
                child.reparented_to = 1

    # ------------------------------------------------------------------ descriptors and channels
    def channel(self, ident: str) -> Channel:
        ch = self.channels.get(ident)
        if ch is None:
            ch = Channel(kind=self.classify(ident), ident=ident,
                         path=ident if ident.startswith("/") else None)
            self.channels[ident] = ch
        return ch

    def classify(self, ident: str) -> ChannelKind:
        if self.stdout_channel is not None and ident == self.stdout_channel:
            return "stdout"
        if self.stderr_channel is not None and ident == self.stderr_channel:
            return "stderr"
        if self.stdout_channel is None and ident == self.std_fds.get(1):
            return "stdout"
        if self.stderr_channel is None and ident == self.std_fds.get(2) and ident != self.std_fds.get(1):
            return "stderr"
        if ident.startswith("pipe:"):
            return "pipe"
        if ident.startswith(("socket:", "UNIX", "TCP", "UDP", "NETLINK")):
            return "socket"
        if ident in self.fifos:
            return "fifo"
        if ident == "/dev/null":
            return "null"
        if ident.startswith(("/dev/pts/", "/dev/tty", "/dev/console")):
            return "tty"
        if ident.startswith("/dev/shm/"):
            return "shm"
        if ident == self.std_fds.get(0):
            return "stdin"
        if ident.startswith("/"):
            return "file"
        return "other"

    def use_fd(self, tid: int, arg: str) -> tuple[int, Channel | None]:
        """The descriptor in `arg`, learning it into the task's table when the trace had not shown it."""
        fd, ident = _fd(arg)
        if ident is None:
            return fd, None
        table = self.fdt.setdefault(tid, {})
        entry = table.get(fd)
        if entry is None or entry.ident != ident:
            table[fd] = _Fd(ident, None, False)
            if entry is None and 0 <= fd <= 2 and fd not in self.std_fds:
                # not in any table the trace built: inherited from before the trace began
                self.std_fds[fd] = ident
                known = self.channels.get(ident)
                if known is not None:
                    known.kind = self.classify(ident)
        return fd, self.channel(ident)

    def new_fd(self, tid: int, ret: _Ret, end: str | None = None, cloexec: bool = False) -> str | None:
        if ret.value is None or ret.value < 0 or ret.decoration is None:
            return None
        self.fdt.setdefault(tid, {})[ret.value] = _Fd(ret.decoration, end, cloexec)
        return ret.decoration

    # ------------------------------------------------------------------ ipc objects
    def ipc(self, kind: IpcKind, ident: str, tid: int, t: float, name: str | None = None) -> IpcObject:
        obj = self.objects.get(ident)
        if obj is None:
            obj = IpcObject(kind=kind, ident=ident, created_by=tid, created_at=t, name=name)
            obj.aliases.append(ident)
            task = self.ex.tasks.get(tid)
            if task is not None and task.runtime_helper:
                obj.runtime_helper = True
            self.ex.ipc.append(obj)
            self.objects[ident] = obj
        _use(obj, self.ex.tasks[tid].tgid if tid in self.ex.tasks else tid)
        return obj

    def alias(self, obj: IpcObject, ident: str) -> None:
        if ident not in self.objects:
            self.objects[ident] = obj
            obj.aliases.append(ident)

    # ------------------------------------------------------------------ flows
    def flow_write(self, tid: int, key: str, data: bytes, n: int, t: float) -> None:
        q = self.queues.setdefault(key, _Queue())
        seg = _Segment(tid, data, n, t)
        while seg.left > 0 and q.reads:
            rd = q.reads[0]
            take = min(seg.left, rd.left)
            self.account(key, tid, rd.tid, take, seg.data[:take], rd.time)
            seg.data = seg.data[take:]
            seg.left -= take
            rd.left -= take
            if rd.left == 0:
                q.reads.popleft()
        if seg.left > 0:
            q.writes.append(seg)

    def flow_read(self, tid: int, key: str, n: int, t: float) -> None:
        q = self.queues.setdefault(key, _Queue())
        left = n
        while left > 0 and q.writes:
            seg = q.writes[0]
            take = min(left, seg.left)
            self.account(key, seg.tid, tid, take, seg.data[:take], t)
            seg.data = seg.data[take:]
            seg.left -= take
            left -= take
            if seg.left == 0:
                q.writes.popleft()
        if left > 0:
            q.reads.append(_Segment(tid, b"", left, t))

    def account(self, key: str, writer: int, reader: int, n: int, data: bytes, t: float) -> None:
        if self.ex.process_of(writer) == self.ex.process_of(reader):
            return
        obj = self.objects.get(key)
        if obj is None:
            return
        fkey = (obj.ident, writer, reader)
        flow = self.flows.get(fkey)
        if flow is None:
            flow = Flow(kind=obj.kind, channel=obj.ident, writer=writer, reader=reader, nbytes=0,
                        first_time=t)
            self.flows[fkey] = flow
            self.ex.flows.append(flow)
        flow.nbytes += n
        if len(flow.sample) < 64:
            flow.sample += data[: 64 - len(flow.sample)]

    def flow_key(self, ch: Channel, writing: bool) -> str | None:
        if ch.kind in ("pipe", "fifo") or (ch.kind in ("stdout", "stderr") and ch.ident.startswith("pipe:")):
            return ch.ident
        if ch.kind == "socket":
            return self.peer.get(ch.ident) if writing else ch.ident
        return None


def _use(obj: IpcObject, tgid: int) -> None:
    if tgid not in obj.users:
        obj.users.append(tgid)


# ----------------------------------------------------------------------------- handlers
# Each handler gets (parser, tid, time, name, args, ret, line) for a finished call.


def _h_clone(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    if r.value is None:
        return
    if r.value < 0:
        if not (name == "clone3" and r.errno == "ENOSYS"):
            p.ex.failed_forks.append((tid, t, r.errno or "?"))
        return
    if r.value == 0:
        return  # the child's side of a fork, as some strace versions show it
    p.link(tid, r.value, name, args, t)


def _h_execve(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    if r.value != 0:
        return
    parts = split_args(args)
    if name == "execveat":
        parts = parts[1:]
    path = decode_string(parts[0])[0].decode("utf-8", "replace") if parts else ""
    argv: list[str] = []
    if len(parts) > 1:
        for m in _STRING.finditer(parts[1]):
            argv.append(_unescape(m.group(1)).decode("utf-8", "replace"))
    task = p.task(tid, t, line)
    task.execs.append(Exec(time=t, path=path, argv=argv, line=line))
    p.young.pop(tid, None)
    table = p.fdt.get(tid, {})
    kept = {fd: e for fd, e in table.items() if not e.cloexec}
    p.fdt[tid] = kept
    p.maps[task.tgid] = {}
    joined = " ".join(argv)
    if any(marker in joined for marker in _HELPER_MARKERS):
        task.runtime_helper = True
        for e in kept.values():
            obj = p.objects.get(e.ident)
            if obj is not None:
                obj.runtime_helper = True
        for obj in p.preforked.get(tid, []):
            obj.runtime_helper = True


def _h_exit(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    if name == "exit_group":
        p.exit_group.add(p.ex.process_of(tid))


def _h_wait(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    if r.value is None or r.value < 0:
        return
    pid = r.value
    if name == "waitid":
        if pid != 0 or "WNOWAIT" in args:
            return
        m = _SI_PID.search(args)
        if m is None:
            return
        pid = int(m.group(1))
    if pid <= 0:
        return
    child = p.ex.tasks.get(pid)
    if child is not None and child.reaped_by is None:
        child.reaped_by = tid
        child.reaped_at = t


def _signame(arg: str) -> str:
    arg = arg.strip()
    return arg


def _h_kill(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    parts = split_args(args)
    if name == "kill" or name == "tkill" or name == "rt_sigqueueinfo":
        target, sig = parts[0], parts[1]
    else:  # tgkill, rt_tgsigqueueinfo
        target, sig = parts[1], parts[2]
    sig = _signame(sig)
    if sig == "0":
        return
    p.ex.signals.append(Signal(time=t, signal=sig, sender=tid, target=int(target), line=line))


def _h_pipe(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    if r.value != 0:
        return
    parts = split_args(args)
    ends = split_args(parts[0].strip()[1:-1])
    cloexec = len(parts) > 1 and "O_CLOEXEC" in parts[1]
    table = p.fdt.setdefault(tid, {})
    ident = None
    for fd_text, end in zip(ends, ("r", "w")):
        fd, ident = _fd(fd_text)
        if ident is not None:
            table[fd] = _Fd(ident, end, cloexec)
    if ident is None:
        return
    obj = p.ipc("pipe", ident, tid, t)
    p.recent_pipes.setdefault(tid, []).append(obj)


def _h_socketpair(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    if _ret(ret).value != 0:
        return
    parts = split_args(args)
    cloexec = "SOCK_CLOEXEC" in parts[1]
    ends = split_args(parts[3].strip()[1:-1])
    idents: list[str] = []
    table = p.fdt.setdefault(tid, {})
    for fd_text in ends:
        fd, ident = _fd(fd_text)
        if ident is not None:
            table[fd] = _Fd(ident, None, cloexec)
            idents.append(ident)
    if len(idents) != 2:
        return
    a, b = idents
    p.peer[a], p.peer[b] = b, a
    obj = p.ipc("socketpair", a, tid, t, name=f"{a} <-> {b}")
    p.alias(obj, b)


def _h_socket(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    parts = split_args(args)
    ident = p.new_fd(tid, r, cloexec="SOCK_CLOEXEC" in (parts[1] if len(parts) > 1 else ""))
    if ident is None or not parts:
        return
    family = parts[0]
    stype = parts[1] if len(parts) > 1 else ""
    if family in ("AF_UNIX", "AF_LOCAL"):
        p.sock_type[ident] = "unix"
    elif family in ("AF_INET", "AF_INET6"):
        p.sock_type[ident] = "udp" if "SOCK_DGRAM" in stype else "tcp"


def _address(p: _Parser, sock: str, arg: str) -> tuple[str, IpcKind] | None:
    m = _SUN_PATH.search(arg)
    if m is not None:
        return ("@" if m.group(1) else "") + _unescape(m.group(2)).decode("utf-8", "replace"), "unix_socket"
    port = _SIN_PORT.search(arg)
    if port is None:
        return None
    addr = _SIN_ADDR.search(arg)
    host = addr.group(1) if addr else "?"
    if host not in ("127.0.0.1", "::1", "0.0.0.0", "::", "::ffff:127.0.0.1", "?") and not host.startswith("127."):
        return None
    kind: IpcKind = "udp_loopback" if p.sock_type.get(sock) == "udp" else "tcp_loopback"
    return f"{kind.split('_')[0]}:{port.group(1)}", kind


def _h_bind(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    if _ret(ret).value != 0:
        return
    parts = split_args(args)
    _, ch = p.use_fd(tid, parts[0])
    if ch is None:
        return
    found = _address(p, ch.ident, parts[1])
    if found is None:
        return
    addr, kind = found
    obj = p.ipc(kind, addr, tid, t, name=addr)
    p.alias(obj, ch.ident)
    p.listeners[ch.ident] = addr


def _pair(p: _Parser, a: str, b: str) -> None:
    p.peer[a], p.peer[b] = b, a


def _h_connect(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    if r.value != 0 and r.errno != "EINPROGRESS":
        return
    parts = split_args(args)
    _, ch = p.use_fd(tid, parts[0])
    if ch is None or len(parts) < 2:
        return
    found = _address(p, ch.ident, parts[1])
    if found is None:
        return
    addr, kind = found
    obj = p.ipc(kind, addr, tid, t, name=addr)
    p.alias(obj, ch.ident)
    if kind == "udp_loopback":
        return
    waiting = p.accepts.get(addr)
    if waiting:
        _pair(p, ch.ident, waiting.popleft())
    else:
        p.connects.setdefault(addr, deque()).append(ch.ident)


def _h_accept(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    parts = split_args(args)
    ident = p.new_fd(tid, r, cloexec="SOCK_CLOEXEC" in args)
    if ident is None:
        return
    _, ch = p.use_fd(tid, parts[0])
    if ch is None:
        return
    addr = p.listeners.get(ch.ident)
    if addr is None:
        return
    obj = p.objects.get(addr)
    if obj is not None:
        p.alias(obj, ident)
        _use(obj, p.ex.process_of(tid))
    waiting = p.connects.get(addr)
    if waiting:
        _pair(p, ident, waiting.popleft())
    else:
        p.accepts.setdefault(addr, deque()).append(ident)


def _h_dup(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    if r.value is None or r.value < 0:
        return
    parts = split_args(args)
    old, _ = p.use_fd(tid, parts[0])
    if name in ("dup2", "dup3") and len(parts) > 1:
        p.use_fd(tid, parts[1])  # learn what the target held before it is replaced
    table = p.fdt.setdefault(tid, {})
    src = table.get(old)
    ident = r.decoration or (src.ident if src else None)
    if ident is None:
        return
    cloexec = name == "dup3" and len(parts) > 2 and "O_CLOEXEC" in parts[2]
    table[r.value] = _Fd(ident, src.end if src else None, cloexec)


def _h_fcntl(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    parts = split_args(args)
    if len(parts) < 2:
        return
    cmd = parts[1]
    if cmd in ("F_DUPFD", "F_DUPFD_CLOEXEC"):
        _h_dup(p, tid, t, name, args, ret, line)
        r = _ret(ret)
        entry = p.fdt.get(tid, {}).get(r.value if r.value is not None else -1)
        if entry is not None:
            entry.cloexec = cmd == "F_DUPFD_CLOEXEC"
    elif cmd == "F_SETFD" and len(parts) > 2 and _ret(ret).value == 0:
        fd, _ = p.use_fd(tid, parts[0])
        entry = p.fdt.get(tid, {}).get(fd)
        if entry is not None:
            entry.cloexec = "FD_CLOEXEC" in parts[2] or parts[2].strip() == "1"


def _h_close(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    fd, _ = _fd(split_args(args)[0])
    p.fdt.setdefault(tid, {}).pop(fd, None)
    if tid not in p.linked and tid != p.ex.root:
        p.closed_early.setdefault(tid, set()).add(fd)


def _h_close_range(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    if _ret(ret).value != 0:
        return
    parts = split_args(args)
    lo, hi = int(_fd(parts[0])[0]), parts[1].strip()
    top = int(hi) if hi.isdigit() else 1 << 31
    table = p.fdt.setdefault(tid, {})
    cloexec_only = len(parts) > 2 and "CLOSE_RANGE_CLOEXEC" in parts[2]
    for fd in [f for f in table if lo <= f <= top]:
        if cloexec_only:
            table[fd].cloexec = True
        else:
            del table[fd]


def _h_open(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    if r.value is None or r.value < 0 or r.decoration is None:
        return
    parts = split_args(args)
    flags = ""
    if name == "open":
        flags = parts[1] if len(parts) > 1 else ""
    elif name == "creat":
        flags = "O_CREAT|O_WRONLY"
    elif len(parts) > 2:
        flags = parts[2]
    ident = r.decoration
    p.new_fd(tid, r, cloexec="O_CLOEXEC" in flags)
    tgid = p.ex.process_of(tid)
    if tid in p.young and ident == "/dev/null" and flags.startswith("O_RDONLY") and "O_CLOEXEC" in flags:
        # multiprocessing's child bootstrap replaces stdin with /dev/null before running the target.
        p.ex.tasks[tid].multiprocessing_child = True
        for obj in p.preforked.get(tid, []):
            obj.runtime_helper = True
    if ident.startswith("/dev/shm/"):
        base = ident[len("/dev/shm/"):]
        if base.startswith("sem."):
            obj = p.ipc("semaphore", ident, tid, t, name="/" + base[4:])
            if base.startswith("sem.mp-"):
                obj.runtime_helper = True
        else:
            p.ipc("posix_shm", ident, tid, t, name="/" + base)
        return
    if ident in p.fifos:
        p.ipc("fifo", ident, tid, t, name=ident)
        return
    if ident.startswith("/") and not ident.startswith(_SYSTEM_PREFIXES):
        p.file_opens.setdefault(ident, set()).add(tgid)
        if "O_WRONLY" in flags or "O_RDWR" in flags:
            p.file_writers.setdefault(ident, set()).add(tgid)


def _h_link(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    if _ret(ret).value != 0:
        return
    strings = [decode_string(a)[0].decode("utf-8", "replace") for a in split_args(args) if a.startswith('"')]
    if len(strings) < 2:
        return
    old, new = strings[0], strings[1]
    obj = p.objects.get(old)
    if obj is None or not new.startswith("/dev/shm/"):
        return
    p.alias(obj, new)
    obj.ident = new
    base = new[len("/dev/shm/"):]
    obj.name = "/" + (base.removeprefix("sem."))
    if base.startswith("sem.mp-"):
        obj.runtime_helper = True


def _h_unlink(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    if _ret(ret).value != 0:
        return
    for a in split_args(args):
        if a.startswith('"'):
            path = decode_string(a)[0].decode("utf-8", "replace")
            if not path.startswith("/") and name == "unlinkat" and "<" in args:
                dirfd = _fd(split_args(args)[0])[1]
                if dirfd:
                    path = dirfd.rstrip("/") + "/" + path
            p.unlinked.add(path)
            obj = p.objects.get(path)
            if obj is not None:
                p.unlinked.add(obj.ident)
            return


def _h_mknod(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    if _ret(ret).value != 0 or "S_IFIFO" not in args:
        return
    parts = split_args(args)
    if name == "mknodat":
        dirfd = _fd(parts[0])[1]
        path = decode_string(parts[1])[0].decode("utf-8", "replace")
        if not path.startswith("/") and dirfd:
            path = dirfd.rstrip("/") + "/" + path
    else:
        path = decode_string(parts[0])[0].decode("utf-8", "replace")
    p.fifos.add(path)
    p.channels.pop(path, None)
    p.unlinked.discard(path)
    p.ipc("fifo", path, tid, t, name=path)


def _transfer_data(name: str, parts: list[str]) -> tuple[bytes, bool]:
    if name in ("writev", "pwritev", "pwritev2", "sendmsg", "readv", "preadv", "preadv2", "recvmsg"):
        chunks: list[bytes] = []
        cut = False
        for m in _IOV_STRING.finditer(parts[1] if len(parts) > 1 else ""):
            chunks.append(_unescape(m.group(1)))
            cut = cut or m.group(2) is not None
        return b"".join(chunks), cut
    if len(parts) > 1 and parts[1].startswith('"'):
        return decode_string(parts[1])
    return b"", False


def _moved(name: str, parts: list[str], ret: str) -> tuple[int, bytes, bool]:
    """(bytes the call moved or -1, the bytes strace showed of them, whether strace cut them short)."""
    r = _ret(ret)
    size = r.value if r.value is not None else -1
    data, cut = _transfer_data(name, parts) if size > 0 else (b"", False)
    if size >= 0:
        cut = cut and len(data) < size
        data = data[:size]
    return size, data, cut


def _learn_pipe_end(p: _Parser, tid: int, fd: int, ch: Channel, end: str) -> None:
    """A pipe descriptor of unknown end that was written (read) is the write (read) end."""
    entry = p.fdt.get(tid, {}).get(fd)
    if entry is not None and entry.end is None and ch.ident.startswith("pipe:"):
        entry.end = end


def _h_write(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    parts = split_args(args)
    fd, ch = p.use_fd(tid, parts[0])
    if ch is None:
        return
    size, data, cut = _moved(name, parts, ret)
    p.ex.writes.append(Transfer(time=t, tid=tid, syscall=name, fd=fd, channel=ch, data=data, size=size,
                                truncated=cut, line=line))
    if size <= 0:
        return
    obj = p.objects.get(ch.ident)
    tgid = p.ex.process_of(tid)
    if obj is not None:
        _use(obj, tgid)
    elif ch.kind == "file" and ch.path is not None:
        p.file_writers.setdefault(ch.path, set()).add(tgid)
    _learn_pipe_end(p, tid, fd, ch, "w")
    if name in ("sendto",) and len(parts) > 4 and ch.kind == "socket" and ch.ident not in p.peer:
        found = _address(p, ch.ident, parts[4])
        if found is not None:
            target = next((s for s, a in p.listeners.items() if a == found[0]), None)
            if target is not None:
                p.flow_write(tid, target, data, size, t)
                return
    key = p.flow_key(ch, writing=True)
    if key is not None:
        p.flow_write(tid, key, data, size, t)


def _h_read(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    ident = _first_ident(args)
    if ident is None or (ident.startswith(_SYSTEM_PREFIXES) and not ident.startswith("/dev/")):
        return  # the runtime loading its own files (or a fd strace could not name)
    parts = split_args(args)
    fd, ch = p.use_fd(tid, parts[0])
    if ch is None:
        return
    if ch.kind == "file" and ch.path is not None and ch.path.startswith(_SYSTEM_PREFIXES):
        return
    if ch.kind == "file" and ch.path is not None and ch.path.endswith((".pyc", ".py", ".so")) \
            and ch.path not in p.file_writers:
        return
    size, data, cut = _moved(name, parts, ret)
    p.ex.reads.append(Transfer(time=t, tid=tid, syscall=name, fd=fd, channel=ch, data=data, size=size,
                               truncated=cut, line=line))
    if size <= 0:
        return
    obj = p.objects.get(ch.ident)
    if obj is not None:
        _use(obj, p.ex.process_of(tid))
    _learn_pipe_end(p, tid, fd, ch, "r")
    key = p.flow_key(ch, writing=False)
    if key is not None:
        p.flow_read(tid, key, size, t)


def _h_mmap(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    if "MAP_SHARED" not in args or "PROT_WRITE" not in args:
        return
    parts = split_args(args)
    if len(parts) < 5 or "MAP_SHARED" not in parts[3] or "PROT_WRITE" not in parts[2]:
        return
    r = _ret(ret)
    if r.value is None or r.value < 0:
        return
    tgid = p.ex.process_of(tid)
    _, ident = _fd(parts[4])
    obj: IpcObject | None
    if ident is None:
        obj = p.ipc("shared_mmap", f"anon:{r.value:#x}@{tgid}", tid, t)
    else:
        obj = p.objects.get(ident)
        if obj is None:
            kind: IpcKind = "memfd" if ident.startswith("/memfd:") else "shared_mmap"
            obj = p.ipc(kind, ident, tid, t, name=ident)
        else:
            _use(obj, tgid)
    p.maps.setdefault(tgid, {})[r.value] = obj


def _h_munmap(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    parts = split_args(args)
    try:
        addr = int(parts[0], 16)
    except ValueError:
        return
    p.maps.get(p.ex.process_of(tid), {}).pop(addr, None)


def _h_memfd(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    ident = p.new_fd(tid, r, cloexec="MFD_CLOEXEC" in args)
    if ident is not None:
        parts = split_args(args)
        p.ipc("memfd", ident, tid, t, name=decode_string(parts[0])[0].decode("utf-8", "replace"))


def _h_eventfd(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    ident = p.new_fd(tid, _ret(ret), cloexec="EFD_CLOEXEC" in args)
    if ident is not None:
        p.ipc("eventfd", f"{ident}@{p.ex.process_of(tid)}:{t:.6f}", tid, t)


def _h_sysv(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    if r.value is None or r.value < 0:
        return
    parts = split_args(args)
    if name == "shmget":
        p.ipc("sysv_shm", f"shmid {r.value}", tid, t, name=parts[0])
    elif name == "semget":
        p.ipc("semaphore", f"semid {r.value}", tid, t, name=parts[0])
    elif name == "msgget":
        p.ipc("sysv_msg", f"msqid {r.value}", tid, t, name=parts[0])
    elif name == "shmat":
        obj = p.objects.get(f"shmid {parts[0]}")
        if obj is None:
            obj = p.ipc("sysv_shm", f"shmid {parts[0]}", tid, t)
        _use(obj, p.ex.process_of(tid))
        p.maps.setdefault(p.ex.process_of(tid), {})[r.value] = obj
    elif name == "shmctl" and "IPC_RMID" in args:
        p.unlinked.add(f"shmid {parts[0]}")
    elif name in ("msgsnd", "msgrcv", "semop", "semtimedop"):
        key = {"msgsnd": "msqid", "msgrcv": "msqid"}.get(name, "semid")
        obj = p.objects.get(f"{key} {parts[0]}")
        if obj is not None:
            _use(obj, p.ex.process_of(tid))


def _h_mq(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    parts = split_args(args)
    if name == "mq_open":
        if r.value is None or r.value < 0:
            return
        qname = decode_string(parts[0])[0].decode("utf-8", "replace")
        ident = "mqueue:" + qname
        if r.decoration is not None:
            p.fdt.setdefault(tid, {})[r.value] = _Fd(r.decoration, None, "O_CLOEXEC" in args)
        queue = p.ipc("mqueue", ident, tid, t, name=qname)
        if r.decoration is not None:
            p.alias(queue, r.decoration)
    elif name == "mq_unlink" and r.value == 0:
        p.unlinked.add("mqueue:" + decode_string(parts[0])[0].decode("utf-8", "replace"))
    elif name in ("mq_timedsend", "mq_timedreceive"):
        _, ch = p.use_fd(tid, parts[0])
        if ch is None or r.value is None or r.value < 0:
            return
        found = p.objects.get(ch.ident)
        if found is None:
            return
        _use(found, p.ex.process_of(tid))
        data, _ = decode_string(parts[1]) if parts[1].startswith('"') else (b"", False)
        if name == "mq_timedsend":
            n = len(data) if not parts[2].strip().isdigit() else int(parts[2])
            p.flow_write(tid, found.ident, data, n, t)
        else:
            p.flow_read(tid, found.ident, r.value, t)


def _h_noop(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    return


HANDLERS: dict[str, Handler] = {
    "clone": _h_clone, "clone3": _h_clone, "fork": _h_clone, "vfork": _h_clone,
    "execve": _h_execve, "execveat": _h_execve,
    "exit": _h_exit, "exit_group": _h_exit,
    "wait4": _h_wait, "waitpid": _h_wait, "waitid": _h_wait,
    "kill": _h_kill, "tkill": _h_kill, "tgkill": _h_kill,
    "rt_sigqueueinfo": _h_kill, "rt_tgsigqueueinfo": _h_kill,
    "pipe": _h_pipe, "pipe2": _h_pipe,
    "socketpair": _h_socketpair, "socket": _h_socket,
    "bind": _h_bind, "connect": _h_connect, "accept": _h_accept, "accept4": _h_accept,
    "dup": _h_dup, "dup2": _h_dup, "dup3": _h_dup, "fcntl": _h_fcntl,
    "close": _h_close, "close_range": _h_close_range,
    "open": _h_open, "openat": _h_open, "openat2": _h_open, "creat": _h_open,
    "link": _h_link, "linkat": _h_link, "rename": _h_link, "renameat": _h_link, "renameat2": _h_link,
    "unlink": _h_unlink, "unlinkat": _h_unlink, "mq_unlink": _h_mq,
    "mknod": _h_mknod, "mknodat": _h_mknod,
    "write": _h_write, "pwrite64": _h_write, "writev": _h_write, "pwritev": _h_write,
    "pwritev2": _h_write, "send": _h_write, "sendto": _h_write, "sendmsg": _h_write,
    "read": _h_read, "pread64": _h_read, "readv": _h_read, "preadv": _h_read, "preadv2": _h_read,
    "recv": _h_read, "recvfrom": _h_read, "recvmsg": _h_read,
    "mmap": _h_mmap, "munmap": _h_munmap,
    "memfd_create": _h_memfd, "eventfd": _h_eventfd, "eventfd2": _h_eventfd,
    "shmget": _h_sysv, "shmat": _h_sysv, "shmctl": _h_sysv, "semget": _h_sysv, "msgget": _h_sysv,
    "msgsnd": _h_sysv, "msgrcv": _h_sysv, "semop": _h_sysv, "semtimedop": _h_sysv,
    "mq_open": _h_mq, "mq_timedsend": _h_mq, "mq_timedreceive": _h_mq,
    "pause": _h_noop,
}
# calls after which a pipe pair is no longer "just made for the next fork"
_KEEPS_RECENT = frozenset({"pipe", "pipe2", "clone", "clone3", "fork", "vfork"})


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
        handler(p, tid, t, name, args, ret, line)


def _parse_lines(p: _Parser, text: str) -> None:
    ex = p.ex
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    last_index = len(lines) - 1
    head = _HEAD.match
    tasks = ex.tasks
    for index, raw in enumerate(lines):
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
            ident = fdm.group(2)
            blocked.channel = p.channel(ident)
            reading = call.name in ("read", "readv", "recvfrom", "recvmsg", "recv", "pread64", "accept",
                                    "accept4", "poll", "select", "pselect6", "ppoll")
            blocked.holders = _holders(p, ident, want_end="w" if reading else "r", alive=alive)
        ex.blocked.append(blocked)
    for task in ex.tasks.values():
        if task.kind != "process" or task.tid == ex.root:
            continue
        if task.end is not None and task.reaped_by is None:
            task.zombie = True
        if task.orphan and task.end is not None:
            task.zombie = True
    for obj in ex.ipc:
        if obj.kind in ("posix_shm", "fifo", "sysv_shm", "mqueue", "semaphore", "sysv_msg"):
            obj.left_behind = obj.ident not in p.unlinked and not any(a in p.unlinked for a in obj.aliases)
    for path, openers in p.file_opens.items():
        writers = p.file_writers.get(path, set())
        if len(openers | writers) >= 2 and writers and path not in p.objects:
            created = next((w for w in ex.writes if w.channel.ident == path), None)
            obj = IpcObject(kind="file", ident=path, created_by=created.tid if created else None,
                            created_at=created.time if created else None,
                            users=sorted(openers | writers), name=path)
            obj.aliases.append(path)
            ex.ipc.append(obj)
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
                truncated: bool = False) -> Execution:
    """The Execution an strace log describes. Never raises on odd lines: they go to `unparsed`."""
    p = _Parser(stdout_channel, stderr_channel)
    _parse_lines(p, text)
    _end_state(p)
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
