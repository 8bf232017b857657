"""The parser's state while it reads one log: tasks, descriptor tables, channels, IPC objects, queued bytes."""

from __future__ import annotations

import posixpath
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from grader.trace.idents import SockDecoration, at_fdcwd, parse_socket, strip_device
from grader.trace.lex import (
    _CLONES,
    _FLAGS,
    _fd,
    _Ret,
)
from grader.trace.model import (
    Channel,
    ChannelKind,
    Execution,
    Flow,
    IpcKind,
    IpcObject,
    Task,
    Transfer,
)


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
class _Cwd:
    """A task's working directory; threads (CLONE_FS) share one, a fork copies it."""

    path: str | None = None


@dataclass(slots=True)
class _FileWrite:
    """The last write of one process to one file (for file flows)."""

    tgid: int
    tid: int
    time: float


@dataclass(slots=True)
class _Queue:
    """Bytes in flight in one channel: writes not yet read, or reads logged before their write."""

    writes: deque[_Segment] = field(default_factory=deque)
    reads: deque[_Segment] = field(default_factory=deque)


_SAMPLE = 64   # bytes of a write a queued segment keeps: what Flow.sample shows
_QUEUE_CAP = 20000  # unread segments one channel may hold before the parser stops following it

Handler = Callable[["_Parser", int, float, str, str, str, int], None]


class _Parser:
    def __init__(self, stdout_channel: str | None, stderr_channel: str | None, *, adopter: int = 1) -> None:
        self.ex = Execution()
        # Who adopts an orphan (its new parent) unless a traced subreaper reaps it (ends._adopted): the
        # sandbox's, as the run record says. Docker: pid 1, the container's init (docker-init); the local
        # backend: the grader's own process, a subreaper. The trace alone cannot tell (getppid is not traced).
        self.adopter = adopter
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
        # descriptor/IPC family (H-B): stable socket keys, cwds, names on disk, file flows
        self.raw_key: dict[str, str] = {}                  # socket decoration -> its stable key
        self.inet_ends: dict[tuple[str, str | None], str] = {}  # (local, remote) -> socket key
        self.cwds: dict[int, _Cwd] = {}                    # tid -> its (maybe shared) cwd
        self.first_cwd: str | None = None                  # the first cwd the trace showed
        self.live: dict[str, IpcObject] = {}               # path on disk -> the object it names now
        self.named: set[int] = set()                       # id() of objects that ever had a path
        self.last_file_writes: dict[str, list[_FileWrite]] = {}  # path -> last writes, 2 processes
        self.file_written: dict[tuple[str, int], int] = {}  # (path, tgid) -> bytes it wrote there
        # process family (H-A): ends, zombies, the runtime's helpers, bounds
        self.proc_end: dict[int, float] = {}               # tgid -> when its last task ended
        self.zombie_from: dict[int, float] = {}            # child tgid -> when it ended, its parent alive
        self.auto_reap: set[int] = set()                   # tgids whose children the kernel reaps (SIG_IGN)
        self.auto_reaped: set[int] = set()                 # children that ended under such a parent
        self.mp_imported: set[int] = set()                 # tgids whose program had imported multiprocessing
        self.image: dict[int, str] = {}                    # tgid -> the program it runs (last exec, inherited)
        self.helper_objs: dict[int, list[IpcObject]] = {}  # helper tid -> objects marked for it
        self.last_write: dict[str, Transfer] = {}          # channel ident -> last write kept (coalescing)
        self.kept_bytes: dict[str, int] = {}               # channel ident -> data bytes kept in the model
        self.kept_writes: dict[str, int] = {}              # channel ident -> Transfers kept
        self.keep_output = 1 << 20                         # stdout/stderr data worth keeping (per stream)
        self.untracked: set[str] = set()                   # flow keys given up on (too many unread writes)

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
            # a fork copies the program: what it runs and what it had imported
            if parent.tgid in self.image:
                self.image.setdefault(child_tid, self.image[parent.tgid])
            if parent.tgid in self.mp_imported:
                self.mp_imported.add(child_tid)
            if parent.tgid in self.auto_reap:     # SIGCHLD ignored is inherited (and kept across exec)
                self.auto_reap.add(child_tid)
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
        self.inherit_cwd(parent_tid, child_tid, shared=is_thread or "CLONE_FS" in flags)
        if is_thread:
            self.maps[child_tid] = self.maps.setdefault(parent.tgid, {})
        else:
            inherited = dict(self.maps.get(parent.tgid, {}))
            inherited.update(self.maps.get(child_tid, {}))
            self.maps[child_tid] = inherited
            if "CLONE_VFORK" not in flags:  # a vfork child borrows the memory until its exec
                for obj in inherited.values():
                    _use(obj, child_tid)
                    _mapped(obj, child_tid)
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
        self.proc_end[tgid] = t
        me = self.ex.tasks.get(tgid)
        if me is not None and me.ppid is not None and me.ppid in self.ex.tasks \
                and me.ppid not in self.ended_processes:
            if me.ppid in self.auto_reap:
                self.auto_reaped.add(tgid)
            else:
                self.zombie_from[tgid] = t
        for child in self.kids.get(tgid, ()):
            if child.kind == "process" and child.tid != tgid and child.end is None:
                child.orphan = True
                child.reparented_to = self.adopter

    # ------------------------------------------------------------------ descriptors and channels
    def channel(self, ident: str) -> Channel:
        ch = self.channels.get(ident)
        if ch is None:
            ident = self.key(ident)
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

    def key(self, raw: str, tid: int | None = None, fd: int | None = None) -> str:
        """One stable ident for what a decoration names, whatever strace's text says at this moment.

        Paths and pipes are their own key (device numbers dropped); a socket is `socket:[inode]`,
        or, for an inet socket shown by its addresses only, the key its descriptor (tid, fd) already
        had, or the key the same address pair had. What the decoration says about the socket (its
        peer, its addresses) is learnt on the way.
        """
        c = raw[:1]
        if c == "/":
            return strip_device(raw) if raw[-1:] == ">" else raw
        if raw.startswith(("pipe:", "socket:")):
            return raw
        if raw.startswith("anon_inode:"):
            # every eventfd shows as `anon_inode:[eventfd]`: its descriptor says which one it is
            entry = self.fdt.get(tid, {}).get(fd) if tid is not None and fd is not None else None
            if entry is not None and entry.ident.startswith("eventfd:") and raw == "anon_inode:[eventfd]":
                return entry.ident
            return raw
        known = self.raw_key.get(raw)
        if known is not None:
            return known
        d = parse_socket(raw)
        if d is None:
            return raw
        if d.inode is not None:
            key = f"socket:[{d.inode}]"
        else:
            entry = self.fdt.get(tid, {}).get(fd) if tid is not None and fd is not None else None
            if entry is not None and entry.ident.startswith("socket:"):
                key = entry.ident
            elif d.local is not None and (d.local, d.remote) in self.inet_ends:
                key = self.inet_ends[(d.local, d.remote)]
            else:
                key = "socket:" + raw
        if d.inode is not None or d.remote is not None:
            self.raw_key[raw] = key  # names one socket for good: learn it once
        self.learn_socket(key, d)
        return key

    def key_of(self, raw: str) -> str:
        """The stable key of a decoration seen before (for end-state lookups with no descriptor)."""
        return self.key(raw)

    def learn_socket(self, key: str, d: SockDecoration) -> None:
        if d.peer is not None:
            self.pair(key, f"socket:[{d.peer}]")
        if d.local is None:
            return
        self.inet_ends[(d.local, d.remote)] = key
        if d.remote is not None:
            other = self.inet_ends.get((d.remote, d.local))
            if other is not None and other != key:
                self.pair(key, other)
            return
        # listening (or bound): the kernel's port, where bind asked for port 0
        addr = self.listeners.get(key)
        if addr is not None and addr.endswith(":0"):
            real = addr[:-1] + d.local.rsplit(":", 1)[-1]
            obj = self.objects.get(addr)
            if obj is not None and real != addr:
                obj.ident = obj.name = real
                self.alias(obj, real)
            self.listeners[key] = real

    def pair(self, a: str, b: str) -> None:
        """Sockets a and b are the two ends of one connection: bytes either sent before is delivered."""
        if self.peer.get(a) == b:
            return
        self.peer[a], self.peer[b] = b, a
        for mine, other in ((a, b), (b, a)):
            q = self.queues.pop("out:" + mine, None)
            if q is not None:
                for seg in q.writes:
                    self.flow_write(seg.tid, other, seg.data, seg.left, seg.time)

    # ------------------------------------------------------------------ cwd and paths
    def cwd(self, tid: int) -> _Cwd:
        cell = self.cwds.get(tid)
        if cell is None:
            cell = self.cwds[tid] = _Cwd()
        return cell

    def inherit_cwd(self, parent_tid: int, child_tid: int, shared: bool) -> None:
        parent = self.cwd(parent_tid)
        own = self.cwds.get(child_tid)
        if shared:
            if own is not None and own.path is not None and parent.path is None:
                parent.path = own.path
            self.cwds[child_tid] = parent
        elif own is None or own.path is None:
            self.cwds[child_tid] = _Cwd(parent.path)

    def learn_cwd(self, tid: int, args: str) -> None:
        """`AT_FDCWD</work>` in a call's arguments is the task's cwd at that call."""
        if "AT_FDCWD<" not in args:
            return
        path = at_fdcwd(args)
        if path:
            self.cwd(tid).path = path
            if self.first_cwd is None:
                self.first_cwd = path

    def resolve(self, tid: int, path: str, base: str | None = None) -> str:
        """`path` made absolute against `base` (a dirfd's path) or the task's cwd, when known."""
        if path.startswith("/"):
            return posixpath.normpath(path)
        base = base or self.cwd(tid).path or self.first_cwd
        if base is None:
            return path
        return posixpath.normpath(posixpath.join(base, path))

    def use_fd(self, tid: int, arg: str) -> tuple[int, Channel | None]:
        """The descriptor in `arg`, learning it into the task's table when the trace had not shown it."""
        fd, raw = _fd(arg)
        if raw is None:
            return fd, None
        ident = self.key(raw, tid, fd)
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
        ident = self.key(ret.decoration)
        self.fdt.setdefault(tid, {})[ret.value] = _Fd(ident, end, cloexec)
        return ident

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
        if key in self.untracked:
            return
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
            # bounded (H-A): one task's bytes in a row are one segment, and a segment keeps only the
            # bytes a Flow.sample can use (a prefix of what it has left)
            last = q.writes[-1] if q.writes else None
            if last is not None and last.tid == tid:
                if len(last.data) == last.left and len(last.data) < _SAMPLE:
                    last.data += seg.data[: _SAMPLE - len(last.data)]
                last.left += seg.left
            else:
                seg.data = seg.data[:_SAMPLE]
                q.writes.append(seg)
                if len(q.writes) > _QUEUE_CAP:
                    # unread bytes of many writers: stop following this channel rather than grow without end
                    del self.queues[key]
                    self.untracked.add(key)
                    self.ex.summarized["flow_channels_untracked"] = len(self.untracked)

    def flow_read(self, tid: int, key: str, n: int, t: float) -> None:
        if key in self.untracked:
            return
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
        if ch.ident.startswith("eventfd:"):
            return ch.ident
        if ch.kind == "socket":
            if not writing:
                return ch.ident
            # not paired yet (sent before the other side's accept returned): held until it is
            return self.peer.get(ch.ident) or "out:" + ch.ident
        return None

    def file_flow(self, tid: int, path: str, data: bytes, n: int, t: float) -> None:
        """A read of `n` bytes of the file at `path`: a flow from the last other process that wrote it."""
        reader = self.ex.process_of(tid)
        last = next((w for w in self.last_file_writes.get(path, ()) if w.tgid != reader and w.time <= t), None)
        if last is None:
            return
        written = self.file_written.get((path, last.tgid), 0)
        fkey = (path, last.tid, tid)
        flow = self.flows.get(fkey)
        if flow is None:
            flow = Flow(kind="file", channel=path, writer=last.tid, reader=tid, nbytes=0, first_time=t)
            self.flows[fkey] = flow
            self.ex.flows.append(flow)
        # never more than that process wrote there: the rest of the file came from elsewhere
        flow.nbytes = min(written, flow.nbytes + n)
        if len(flow.sample) < 64:
            flow.sample += data[: 64 - len(flow.sample)]

    def file_write(self, tid: int, path: str, n: int, t: float) -> None:
        tgid = self.ex.process_of(tid)
        self.file_written[(path, tgid)] = self.file_written.get((path, tgid), 0) + n
        last = self.last_file_writes.setdefault(path, [])
        if last and last[0].tgid == tgid:
            last[0].tid, last[0].time = tid, t
            return
        others = [w for w in last if w.tgid != tgid]
        self.last_file_writes[path] = [_FileWrite(tgid, tid, t), *others[:1]]


def _use(obj: IpcObject, tgid: int) -> None:
    if tgid not in obj.users:
        obj.users.append(tgid)


def _mapped(obj: IpcObject, tgid: int) -> None:
    """`tgid` holds a shared, writable mapping of obj (mapped it, or inherited the mapping by fork)."""
    if tgid not in obj.mapped_by:
        obj.mapped_by.append(tgid)


