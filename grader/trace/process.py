"""Handlers for the process family: creation, programs, ends, reaping, signals sent.

Each handler gets (parser, tid, time, name, args, ret, line) for a finished call.
"""

from __future__ import annotations

import re

from grader.trace.lex import (
    _SI_PID,
    _STRING,
    _ret,
    _unescape,
    decode_string,
    split_args,
)
from grader.trace.model import (
    Exec,
    FailedExec,
    Signal,
)
from grader.trace.state import Handler, _Parser

# What the model keeps of one exec's argv (the rest is counted in Execution.summarized["argv_bytes"]).
ARGV_ITEMS = 64
ARGV_ITEM_CHARS = 512
ARGV_TOTAL_CHARS = 8192
PATH_CHARS = 1024
# Failed execs kept (the rest counted in Execution.summarized["failed_execs"]).
FAILED_EXECS = 256
# Signals kept (sent or delivered); the rest counted in Execution.summarized["signals"].
SIGNALS = 2000

# A wait that reported one of these collected the child: exit, or death by a signal.
_REAPED_STATUS = re.compile(r"WIFEXITED\(s\)|WIFSIGNALED\(s\)")
_NOT_REAPED_STATUS = re.compile(r"WIFSTOPPED\(s\)|WIFCONTINUED\(s\)")
_REAPED_CODES = frozenset({"CLD_EXITED", "CLD_KILLED", "CLD_DUMPED"})
_SI_CODE = re.compile(r"si_code=([A-Z_]+)")
# SIGCHLD ignored, or SA_NOCLDWAIT: the kernel reaps this process's children itself (no zombies).
# the word a new thread's id is cleared from when it ends (clone's child_tidptr, clone3's child_tid)
_CLEAR_TID = re.compile(r"child_tid(?:ptr)?=(0x[0-9a-f]+)")
_SIGCHLD_ACTION = re.compile(r"sa_handler=(SIG_IGN|SIG_DFL|0x[0-9a-f]+|[A-Za-z_0-9]+)")


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
    word = _CLEAR_TID.search(args)
    child = p.ex.tasks.get(r.value)
    if word is not None and child is not None and child.kind == "thread":
        child.clear_tid_word = int(word.group(1), 16)


def _cap(p: _Parser, text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    p.ex.summarized["argv_bytes"] = p.ex.summarized.get("argv_bytes", 0) + len(text) - limit
    return text[:limit] + "..."


def _exec_args(p: _Parser, name: str, args: str) -> tuple[str, list[str]]:
    """The path and argv of an execve/execveat, capped (what was cut is counted in summarized)."""
    # Only the path and argv are needed: cut the environment off before splitting a huge line.
    env = args.rfind("], ")
    head = args[:env + 1] if env > 0 else args
    parts = split_args(head)
    if name == "execveat":
        parts = parts[1:]
    path = decode_string(parts[0])[0].decode("utf-8", "replace") if parts else ""
    path = _cap(p, path, PATH_CHARS)
    argv: list[str] = []
    total = 0
    if len(parts) > 1:
        for m in _STRING.finditer(parts[1]):
            if len(argv) >= ARGV_ITEMS or total >= ARGV_TOTAL_CHARS:
                p.ex.summarized["argv_bytes"] = p.ex.summarized.get("argv_bytes", 0) + len(m.group(1))
                continue
            item = _unescape(m.group(1)).decode("utf-8", "replace")
            item = _cap(p, item, min(ARGV_ITEM_CHARS, ARGV_TOTAL_CHARS - total))
            total += len(item)
            argv.append(item)
    return path, argv


def _h_execve(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    r = _ret(ret)
    if r.value is None:
        return
    path, argv = _exec_args(p, name, args)
    task = p.task(tid, t, line)
    if r.value != 0:
        if len(p.ex.failed_execs) >= FAILED_EXECS:
            p.ex.summarized["failed_execs"] = p.ex.summarized.get("failed_execs", 0) + 1
            return
        p.ex.failed_execs.append(FailedExec(tid=tid, time=t, path=path, argv=argv,
                                            errno=r.errno or "?", line=line))
        return
    for failed in p.ex.failed_execs[::-1]:
        if failed.tid == tid and not failed.superseded:
            failed.superseded = True   # execvp's PATH search: an earlier entry failed, this one ran
        elif failed.tid == tid:
            break
    task.execs.append(Exec(time=t, path=path, argv=argv, line=line))
    p.young.pop(tid, None)
    table = p.fdt.get(tid, {})
    kept = {fd: e for fd, e in table.items() if not e.cloexec}
    p.fdt[tid] = kept
    p.maps[task.tgid] = {}
    # The program's memory is replaced: whatever it had imported is gone; it runs `path` now.
    creator_image = p.image.get(task.ppid) if task.ppid is not None else None
    creator_imported = task.ppid in p.mp_imported if task.ppid is not None else False
    p.mp_imported.discard(task.tgid)
    p.image[task.tgid] = path
    reason = _helper_shape(path, argv, creator_image, creator_imported)
    if reason is not None:
        task.runtime_helper = True
        task.helper_reason = reason
        marked = p.helper_objs.setdefault(tid, [])
        for e in kept.values():
            obj = p.objects.get(e.ident)
            if obj is not None and not obj.runtime_helper:
                obj.runtime_helper = True
                marked.append(obj)
        for obj in p.preforked.get(tid, []):
            if not obj.runtime_helper:
                obj.runtime_helper = True
                marked.append(obj)


# The argv CPython's multiprocessing builds for its helpers (Lib/multiprocessing/resource_tracker.py and
# forkserver.py, 3.8-3.13): [sys.executable, *util._args_from_interpreter_flags(), "-c", CMD].
_FLAG = re.compile(r"-(?:O+|d+|B|S|v+|b+|q+|I|E|s|P|W.+)\Z", re.DOTALL)
_XOPT = re.compile(r"(?:dev|showrefcount|(?:faulthandler|tracemalloc|importtime|utf8)(?:=[^\s]*)?)\Z")
_TRACKER_CMD = re.compile(r"from multiprocessing\.resource_tracker import main;main\(\d+\)\Z")
_FORKSERVER_CMD = re.compile(
    r"from multiprocessing\.forkserver import main; main\(\d+, \d+, (?:\[[^\]]*\]|None), \*\*\{.*\}\)\Z",
    re.DOTALL)
_PYTHON = re.compile(r"python[0-9.]*\Z")
HELPER_KINDS = {"resource_tracker": _TRACKER_CMD, "forkserver": _FORKSERVER_CMD}


def _helper_shape(path: str, argv: list[str], creator_image: str | None, creator_imported: bool) -> str | None:
    """Why this exec looks like a multiprocessing helper, or None (the student's own program).

    Only the exact shape the runtime builds counts: the interpreter the creating process itself ran
    (sys.executable), interpreter flags only, then `-c` and the runtime's one command, started by a
    process that had imported multiprocessing. Behaviour is checked at the end (no output, no children).
    """
    if not creator_imported or creator_image is None or path != creator_image:
        return None
    if not _PYTHON.match(path.rsplit("/", 1)[-1]) or len(argv) < 3 or argv[0] != path:
        return None
    if argv[-2] != "-c":
        return None
    i = 1
    while i < len(argv) - 2:
        if argv[i] == "-X" and i + 1 < len(argv) - 2 and _XOPT.match(argv[i + 1]):
            i += 2
            continue
        if not _FLAG.match(argv[i]):
            return None
        i += 1
    for kind, shape in HELPER_KINDS.items():
        if shape.match(argv[-1]):
            return (f"multiprocessing's {kind.replace('_', ' ')}: {path} -c \"{argv[-1][:60]}\" started by a "
                    "process that had imported multiprocessing")
    return None


def _h_exit(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    task = p.ex.tasks.get(tid)
    if task is not None and task.exit_call is None:
        task.exit_call, task.exit_call_at = name, t   # it ended itself (Task.exit_call)
    if name == "exit_group":
        p.exit_group.add(p.ex.process_of(tid))


def _h_wait(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    """Only a wait that returned an exit or a death by signal (and not WNOWAIT) collects the child."""
    r = _ret(ret)
    if r.value is None or r.value < 0:
        return
    pid = r.value
    parts = split_args(args)
    if name == "waitid":
        if pid != 0 or "WNOWAIT" in (parts[3] if len(parts) > 3 else args):
            return
        info = parts[2] if len(parts) > 2 else args
        m = _SI_PID.search(info)
        code = _SI_CODE.search(info)
        if m is None or code is None or code.group(1) not in _REAPED_CODES:
            return
        pid = int(m.group(1))
    else:
        if pid <= 0:
            return
        status = parts[1] if len(parts) > 1 else ""
        if _NOT_REAPED_STATUS.search(status):
            return
        if not _REAPED_STATUS.search(status):
            # no status shown (NULL): only exits are reported unless asked for stops/continues
            flags = parts[2] if len(parts) > 2 else ""
            if any(f in flags for f in ("WUNTRACED", "WSTOPPED", "WCONTINUED")):
                child = p.ex.tasks.get(pid)
                if child is None or child.end is None:
                    return
    if pid <= 0:
        return
    child = p.ex.tasks.get(pid)
    if child is not None and child.reaped_by is None:
        child.reaped_by = tid
        child.reaped_at = t


def _h_sigaction(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    """SIGCHLD set to SIG_IGN (or SA_NOCLDWAIT): from then on the kernel reaps the children itself."""
    if not args.startswith("SIGCHLD") or _ret(ret).value != 0:
        return
    parts = split_args(args)
    if len(parts) < 2 or not parts[1].startswith("{"):
        return
    m = _SIGCHLD_ACTION.search(parts[1])
    tgid = p.ex.process_of(tid)
    if (m is not None and m.group(1) == "SIG_IGN") or "SA_NOCLDWAIT" in parts[1]:
        p.auto_reap.add(tgid)
    else:
        p.auto_reap.discard(tgid)


def _h_kill(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    parts = split_args(args)
    if name == "kill" or name == "tkill" or name == "rt_sigqueueinfo":
        target, sig = parts[0], parts[1]
    else:  # tgkill, rt_tgsigqueueinfo
        target, sig = parts[1], parts[2]
    sig = sig.strip()
    if sig == "0":
        return
    if len(p.ex.signals) >= SIGNALS and sig != "SIGKILL":   # every SIGKILL sent is kept (stopped_by)
        p.ex.summarized["signals"] = p.ex.summarized.get("signals", 0) + 1
        return
    p.ex.signals.append(Signal(time=t, signal=sig, sender=tid, target=int(target), line=line))


PROCESS_HANDLERS: dict[str, Handler] = {
    "clone": _h_clone, "clone3": _h_clone, "fork": _h_clone, "vfork": _h_clone,
    "execve": _h_execve, "execveat": _h_execve,
    "exit": _h_exit, "exit_group": _h_exit,
    "wait4": _h_wait, "waitpid": _h_wait, "waitid": _h_wait,
    "kill": _h_kill, "tkill": _h_kill, "tgkill": _h_kill,
    "rt_sigqueueinfo": _h_kill, "rt_tgsigqueueinfo": _h_kill,
    "rt_sigaction": _h_sigaction,
}
