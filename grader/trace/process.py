"""Handlers for the process family: creation, programs, ends, reaping, signals sent.

Each handler gets (parser, tid, time, name, args, ret, line) for a finished call.
"""

from __future__ import annotations

from grader.trace.lex import (
    _HELPER_MARKERS,
    _SI_PID,
    _STRING,
    _ret,
    _unescape,
    decode_string,
    split_args,
)
from grader.trace.model import (
    Exec,
    Signal,
)
from grader.trace.state import Handler, _Parser


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




PROCESS_HANDLERS: dict[str, Handler] = {
    "clone": _h_clone, "clone3": _h_clone, "fork": _h_clone, "vfork": _h_clone,
    "execve": _h_execve, "execveat": _h_execve,
    "exit": _h_exit, "exit_group": _h_exit,
    "wait4": _h_wait, "waitpid": _h_wait, "waitid": _h_wait,
    "kill": _h_kill, "tkill": _h_kill, "tgkill": _h_kill,
    "rt_sigqueueinfo": _h_kill, "rt_tgsigqueueinfo": _h_kill,
}
