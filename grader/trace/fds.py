"""Handlers for the descriptor and IPC family: pipes, sockets, files, shared memory, queues, bytes moved.

Each handler gets (parser, tid, time, name, args, ret, line) for a finished call.
"""

from __future__ import annotations

from collections import deque

from grader.trace.lex import (
    _IOV_STRING,
    _SIN_ADDR,
    _SIN_PORT,
    _SUN_PATH,
    _SYSTEM_PREFIXES,
    _fd,
    _first_ident,
    _ret,
    _unescape,
    decode_string,
    split_args,
)
from grader.trace.model import (
    Channel,
    IpcKind,
    IpcObject,
    Transfer,
)
from grader.trace.state import Handler, _Fd, _mapped, _Parser, _use


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
        fd, raw = _fd(fd_text)
        if raw is not None:
            ident = p.key(raw)
            table[fd] = _Fd(ident, None, cloexec)
            idents.append(ident)
    if len(idents) != 2:
        return
    a, b = idents
    p.pair(a, b)
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



def _address(p: _Parser, tid: int, sock: str, arg: str) -> tuple[str, IpcKind, bool] | None:
    """(the address, its kind, whether it is a file on disk) a sockaddr argument names.

    A unix path is made absolute against the task's cwd: `bind("s")` in /work is /work/s.
    """
    m = _SUN_PATH.search(arg)
    if m is not None:
        path = _unescape(m.group(2)).decode("utf-8", "replace")
        if m.group(1):
            return "@" + path, "unix_socket", False
        return p.resolve(tid, path), "unix_socket", True
    port = _SIN_PORT.search(arg)
    if port is None:
        return None
    addr = _SIN_ADDR.search(arg)
    host = addr.group(1) if addr else "?"
    if host not in ("127.0.0.1", "::1", "0.0.0.0", "::", "::ffff:127.0.0.1", "?") and not host.startswith("127."):
        return None
    kind: IpcKind = "udp_loopback" if p.sock_type.get(sock) == "udp" else "tcp_loopback"
    return f"{kind.split('_')[0]}:{port.group(1)}", kind, False



def _h_bind(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    if _ret(ret).value != 0:
        return
    parts = split_args(args)
    _, ch = p.use_fd(tid, parts[0])
    if ch is None:
        return
    found = _address(p, tid, ch.ident, parts[1])
    if found is None:
        return
    addr, kind, on_disk = found
    obj = p.ipc(kind, addr, tid, t, name=addr)
    p.alias(obj, ch.ident)
    p.listeners[ch.ident] = addr
    if on_disk:
        # bind made the socket file; it stays on disk until it is unlinked
        p.live[addr] = obj
        p.named.add(id(obj))
        if "/pymp-" in addr:  # multiprocessing's own listeners live in its pymp-* temporary folder
            obj.runtime_helper = True



def _h_listen(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    """listen: its decoration shows the port the kernel gave a bind to port 0."""
    if _ret(ret).value == 0:
        p.use_fd(tid, split_args(args)[0])



def _pop_unpaired(queue: deque[str] | None, peer: dict[str, str]) -> str | None:
    """The first socket in `queue` not paired yet (sockets paired by their decoration are skipped)."""
    while queue:
        ident = queue.popleft()
        if ident not in peer:
            return ident
    return None



def _h_connect(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    if r.value != 0 and r.errno != "EINPROGRESS":
        return
    parts = split_args(args)
    _, ch = p.use_fd(tid, parts[0])
    if ch is None or len(parts) < 2:
        return
    found = _address(p, tid, ch.ident, parts[1])
    if found is None:
        return
    addr, kind, _ = found
    obj = p.ipc(kind, addr, tid, t, name=addr)
    p.alias(obj, ch.ident)
    if kind == "udp_loopback" or ch.ident in p.peer:
        return
    other = _pop_unpaired(p.accepts.get(addr), p.peer)
    if other is not None:
        p.pair(ch.ident, other)
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
    known = p.peer.get(ident)
    if known is not None:
        # the decoration already named the other end: it is no longer waiting in line
        if waiting and known in waiting:
            waiting.remove(known)
        return
    other = _pop_unpaired(waiting, p.peer)
    if other is not None:
        p.pair(ident, other)
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
    ident = src.ident if src else (p.key(r.decoration) if r.decoration else None)
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
    if args.startswith("AT_FDCWD<"):
        p.learn_cwd(tid, args)
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
    ident = p.new_fd(tid, r, cloexec="O_CLOEXEC" in flags) or r.decoration
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
            obj = p.ipc("posix_shm", ident, tid, t, name="/" + base)
        _named(p, ident, obj)
        return
    if ident in p.fifos:
        p.ipc("fifo", ident, tid, t, name=ident)
        return
    if ident.startswith("/") and not ident.startswith(_SYSTEM_PREFIXES):
        p.file_opens.setdefault(ident, set()).add(tgid)
        if "O_WRONLY" in flags or "O_RDWR" in flags:
            p.file_writers.setdefault(ident, set()).add(tgid)



def _named(p: _Parser, path: str, obj: IpcObject) -> None:
    """`path` on disk names `obj` (until it is unlinked or renamed away)."""
    p.live[path] = obj
    p.named.add(id(obj))



def _paths(p: _Parser, tid: int, name: str, args: str) -> list[str]:
    """The path arguments of a path call, absolute (against their dirfd, else the task's cwd)."""
    p.learn_cwd(tid, args)
    out: list[str] = []
    base: str | None = None
    for a in split_args(args):
        if a.startswith('"'):
            out.append(p.resolve(tid, decode_string(a)[0].decode("utf-8", "replace"), base))
            base = None
        elif a[:1].isdigit() or a.startswith("AT_FDCWD"):
            try:
                base = _fd(a)[1]  # the dirfd of the path argument that follows
            except ValueError:
                base = None
    return out



def _h_link(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    """link/linkat add a name; rename/renameat/renameat2 move one (glibc's sem_open: temp name, link, unlink)."""
    if _ret(ret).value != 0:
        return
    paths = _paths(p, tid, name, args)
    if len(paths) < 2:
        return
    old, new = paths[0], paths[1]
    moved = name.startswith("rename")
    obj = p.live.pop(old, None) if moved else p.live.get(old)
    if obj is None:
        obj = p.objects.get(old)
    if moved:
        p.live.pop(new, None)
    if obj is None:
        return
    _named(p, new, obj)
    p.alias(obj, new)
    if new.startswith("/dev/shm/") and obj.kind in ("semaphore", "posix_shm"):
        obj.ident = new
        base = new[len("/dev/shm/"):]
        obj.name = "/" + (base.removeprefix("sem."))
        if base.startswith("sem.mp-"):
            obj.runtime_helper = True
    elif obj.kind == "fifo":
        p.fifos.add(new)



def _h_unlink(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    if _ret(ret).value != 0:
        return
    paths = _paths(p, tid, name, args)
    if not paths:
        return
    path = paths[0]
    p.unlinked.add(path)
    p.live.pop(path, None)



def _h_mknod(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    if _ret(ret).value != 0 or "S_IFIFO" not in args:
        return
    paths = _paths(p, tid, name, args)
    if not paths:
        return
    path = paths[0]
    p.fifos.add(path)
    p.channels.pop(path, None)
    p.unlinked.discard(path)
    obj = p.ipc("fifo", path, tid, t, name=path)
    _named(p, path, obj)



def _h_chdir(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    if _ret(ret).value != 0:
        return
    if name == "fchdir":
        _, path = _fd(split_args(args)[0])
    else:
        path = p.resolve(tid, decode_string(split_args(args)[0])[0].decode("utf-8", "replace"))
    if path and path.startswith("/"):
        p.cwd(tid).path = path



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
        p.file_write(tid, ch.path, size, t)
        return
    _learn_pipe_end(p, tid, fd, ch, "w")
    if name in ("sendto",) and len(parts) > 4 and ch.kind == "socket" and ch.ident not in p.peer:
        found = _address(p, tid, ch.ident, parts[4])
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
    if ch.kind == "file" and ch.path is not None:
        p.file_flow(tid, ch.path, data, size, t)
        return
    obj = p.objects.get(ch.ident)
    if obj is not None:
        _use(obj, p.ex.process_of(tid))
    _learn_pipe_end(p, tid, fd, ch, "r")
    key = p.flow_key(ch, writing=False)
    if key is not None:
        p.flow_read(tid, key, size, t)



def _h_mmap(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    """A shared, writable mapping: of the object its descriptor names (a /dev/shm object, a memfd,
    a file), or anonymous (shared with the children forked after it)."""
    if "MAP_SHARED" not in args or "PROT_WRITE" not in args:
        return
    parts = split_args(args)
    if len(parts) < 5 or "MAP_SHARED" not in parts[3] or "PROT_WRITE" not in parts[2]:
        return
    r = _ret(ret)
    if r.value is None or r.value < 0:
        return
    tgid = p.ex.process_of(tid)
    _, raw = _fd(parts[4])
    obj: IpcObject | None
    if raw is None:
        obj = p.ipc("shared_mmap", f"anon:{r.value:#x}@{tgid}", tid, t)
    else:
        ident = p.key(raw)
        obj = p.objects.get(ident)
        if obj is None:
            kind: IpcKind = "memfd" if ident.startswith("/memfd:") else \
                "posix_shm" if ident.startswith("/dev/shm/") else "shared_mmap"
            name_ = "/" + ident[len("/dev/shm/"):] if kind == "posix_shm" else ident
            obj = p.ipc(kind, ident, tid, t, name=name_)
        else:
            _use(obj, tgid)
    _mapped(obj, tgid)
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
    """An eventfd: strace names every one `anon_inode:[eventfd]`, so each gets its own key (the
    trace line that made it), carried by its descriptor through dup and fork."""
    r = _ret(ret)
    if r.value is None or r.value < 0 or r.decoration is None:
        return
    ident = f"eventfd:[line {line}]"
    p.fdt.setdefault(tid, {})[r.value] = _Fd(ident, None, "EFD_CLOEXEC" in args)
    p.ipc("eventfd", ident, tid, t, name="eventfd")



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
        if "SHM_RDONLY" not in args:
            _mapped(obj, p.ex.process_of(tid))
            p.maps.setdefault(p.ex.process_of(tid), {})[r.value] = obj
    elif name in ("shmctl", "semctl", "msgctl") and "IPC_RMID" in args:
        prefix = {"shmctl": "shmid", "semctl": "semid", "msgctl": "msqid"}[name]
        p.unlinked.add(f"{prefix} {parts[0]}")
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




FD_HANDLERS: dict[str, Handler] = {
    "pipe": _h_pipe, "pipe2": _h_pipe,
    "socketpair": _h_socketpair, "socket": _h_socket,
    "bind": _h_bind, "listen": _h_listen, "connect": _h_connect, "accept": _h_accept, "accept4": _h_accept,
    "dup": _h_dup, "dup2": _h_dup, "dup3": _h_dup, "fcntl": _h_fcntl,
    "close": _h_close, "close_range": _h_close_range,
    "open": _h_open, "openat": _h_open, "openat2": _h_open, "creat": _h_open,
    "link": _h_link, "linkat": _h_link, "rename": _h_link, "renameat": _h_link, "renameat2": _h_link,
    "unlink": _h_unlink, "unlinkat": _h_unlink, "mq_unlink": _h_mq,
    "mknod": _h_mknod, "mknodat": _h_mknod, "chdir": _h_chdir, "fchdir": _h_chdir,
    "write": _h_write, "pwrite64": _h_write, "writev": _h_write, "pwritev": _h_write,
    "pwritev2": _h_write, "send": _h_write, "sendto": _h_write, "sendmsg": _h_write,
    "read": _h_read, "pread64": _h_read, "readv": _h_read, "preadv": _h_read, "preadv2": _h_read,
    "recv": _h_read, "recvfrom": _h_read, "recvmsg": _h_read,
    "mmap": _h_mmap, "munmap": _h_munmap,
    "memfd_create": _h_memfd, "eventfd": _h_eventfd, "eventfd2": _h_eventfd,
    "shmget": _h_sysv, "shmat": _h_sysv, "shmctl": _h_sysv, "semctl": _h_sysv, "msgctl": _h_sysv, "semget": _h_sysv, "msgget": _h_sysv,
    "msgsnd": _h_sysv, "msgrcv": _h_sysv, "semop": _h_sysv, "semtimedop": _h_sysv,
    "mq_open": _h_mq, "mq_timedsend": _h_mq, "mq_timedreceive": _h_mq,
    "pause": _h_noop,
}


_REMOVABLE = ("posix_shm", "fifo", "sysv_shm", "mqueue", "semaphore", "sysv_msg")


def finish_ipc(p: _Parser) -> None:
    """The end state of the IPC objects: what was left behind, and files two processes shared.

    An object with a name on disk (/dev/shm, a FIFO, a unix socket file bound by path) is left behind
    when a name of it still exists at the end: every link/rename/unlink was followed, with relative
    paths resolved against the task's cwd. System V objects and message queues are left behind when
    nothing removed them (IPC_RMID, mq_unlink).
    """
    ex = p.ex
    alive = {id(o) for o in p.live.values()}
    for obj in ex.ipc:
        if id(obj) in p.named:
            obj.left_behind = id(obj) in alive
        elif obj.kind in _REMOVABLE:
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
