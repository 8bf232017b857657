"""gcc's sanitizers as a build variant (`sanitize: thread | address | undefined`): the build flags, the
runtime options the harness gives the program, and ThreadSanitizer's report read back as data.

The report is never read from the program's stdout or stderr. The sanitizer writes it to
`<log dir>/report.<pid>`: a directory the harness makes for each run (root-owned, mode 1733: the
program may create its own files there but can neither list nor read it), read back as root once the
run's processes have ended, regular files only, never through a link (harness.collect_sanitizer). What
the program itself could still do to that file (truncate it, seek back and overwrite it, unlink or
rename it, open it a second time) it can do only through system calls the trace records: `tampering`
finds them, and a run whose log was touched by anything but the sanitizer's one open, its writes and
its close has no race verdict (race.none fails and says why).

Pure: no Docker, no files. The harness (standard library only) applies `runtime_plan`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["EVASION_PATTERNS", "EVASION_SYMBOLS", "SANITIZER_EXIT", "SANITIZERS", "Access", "RaceReport",
           "Sanitizer", "build_command", "parse_tsan", "runtime_plan", "tampering"]

Sanitizer = Literal["thread", "address", "undefined"]
SANITIZER_EXIT = 66          # the exit code a sanitizer ends a program with after a report (its `exitcode`)
COMPILERS = frozenset({"gcc", "cc", "g++", "c++"})

# Runtime options, set through the environment (they override the program's own __tsan_default_options;
# a program that defines one is refused anyway, see EVASION_SYMBOLS). log_path is added per run.
SANITIZERS: dict[str, dict[str, Any]] = {
    "thread": {"flag": "-fsanitize=thread", "env": "TSAN_OPTIONS",
               "options": f"exitcode={SANITIZER_EXIT}:halt_on_error=0:report_bugs=1:report_signal_unsafe=0:"
                          "suppressions=:ignore_noninstrumented_modules=0:history_size=4"},
    # LeakSanitizer cannot run under ptrace (strace): leaks are not looked for.
    "address": {"flag": "-fsanitize=address", "env": "ASAN_OPTIONS",
                "options": f"exitcode={SANITIZER_EXIT}:detect_leaks=0:halt_on_error=1:suppressions="},
    "undefined": {"flag": "-fsanitize=undefined", "env": "UBSAN_OPTIONS",
                  "options": "print_stacktrace=1:halt_on_error=0:suppressions="},
}

# What changes what a sanitizer reports from inside the program: defined in the built binary
# (`nm --defined-only`), or written in its sources. Either makes the run's report untrustworthy.
EVASION_SYMBOLS = ("__tsan_default_options", "__tsan_default_suppressions", "__asan_default_options",
                   "__asan_default_suppressions", "__ubsan_default_options", "__lsan_default_options",
                   "__sanitizer_set_report_path", "__sanitizer_set_report_fd", "__tsan_on_report",
                   "__sanitizer_report_error_summary")
EVASION_PATTERNS = (r"no_sanitize", r"__tsan_", r"__sanitizer_", r"__asan_", r"\bAnnotate[A-Z]\w*",
                    r"disable_sanitizer_instrumentation")


def build_command(build: list[str], kind: Sanitizer) -> list[str]:
    """The assignment's build with the sanitizer's flags after the compiler's name (-g for file:line).

    ValueError when the build does not start with a compiler (e.g. make): the flags cannot be added."""
    if not build or build[0].rsplit("/", 1)[-1] not in COMPILERS:
        raise ValueError(f"sanitize: {kind} needs a build that starts with gcc, g++, cc or c++, "
                         f"got {build[:1]!r}")
    return [build[0], SANITIZERS[kind]["flag"], "-g", "-fno-omit-frame-pointer", *build[1:]]


def runtime_plan(kind: Sanitizer) -> dict[str, Any]:
    """What the harness needs to run a sanitized program: the variable, its options, the exit code."""
    spec = SANITIZERS[kind]
    return {"kind": kind, "env": spec["env"], "options": spec["options"], "exit_code": SANITIZER_EXIT,
            "evasion_symbols": list(EVASION_SYMBOLS), "evasion_patterns": list(EVASION_PATTERNS)}


# ----------------------------------------------------------------------------- reading the report

@dataclass(frozen=True, slots=True)
class Access:
    """One side of a data race, as ThreadSanitizer names it."""

    kind: str                        # "read" | "write" (atomic ones as "atomic read" ...)
    size: int                        # bytes
    thread: str                      # ThreadSanitizer's name: "T1", ...; "T0" is the main thread
    function: str = ""               # the innermost frame's function
    file: str = ""                   # its file, as compiled (e.g. /work/counter.c)
    line: int = 0
    tid: int | None = None           # the kernel's tid, from the thread's own paragraph

    @property
    def where(self) -> str:
        """'counter.c:12' (the file's name, not the sandbox's path)."""
        return f"{self.file.rsplit('/', 1)[-1]}:{self.line}" if self.file else "an unknown place"


@dataclass(frozen=True, slots=True)
class RaceReport:
    """One 'WARNING: ThreadSanitizer: data race' block."""

    current: Access                  # the access that was being made when the race was seen
    previous: Access                 # the earlier access it raced with
    location: str = ""               # "global 'counter' of size 8", "heap block of size 8", ... ("" when not said)

    @property
    def variable(self) -> str | None:
        """The global variable raced on ('counter'), or None when the memory is not a named global."""
        match = re.match(r"global '([^']+)'", self.location)
        return match.group(1) if match else None
    pid: int | None = None
    text: str = ""                   # the block itself (for the authors; the page shows the facts)
    threads: dict[str, int] = field(default_factory=dict)   # "T1" -> tid


_BLOCK = re.compile(r"^WARNING: ThreadSanitizer: data race \(pid=(\d+)\)\n(.*?)(?=^==================|\Z)",
                    re.MULTILINE | re.DOTALL)
_ACCESS = re.compile(r"^  (Previous )?((?:[Aa]tomic )?(?:[Rr]ead|[Ww]rite)) of size (\d+) at \S+ by "
                     r"(thread T\d+|main thread)(?: \(mutexes: [^)]*\))?:\n((?:    #\d+ .*\n?)*)", re.MULTILINE)
_FRAME = re.compile(r"^    #\d+ (\S+) (\S+?):(\d+)(?::\d+)?(?: \(|$)", re.MULTILINE)
_LOCATION = re.compile(r"^  Location is (.+?)(?: at 0x[0-9a-f]+.*)?$", re.MULTILINE)
_THREAD = re.compile(r"^  Thread (T\d+) \(tid=(\d+)", re.MULTILINE)


def _access(match: re.Match[str]) -> Access:
    frame = _FRAME.search(match.group(5) or "")
    thread = match.group(4)
    return Access(kind=match.group(2).lower(), size=int(match.group(3)),
                  thread=thread[len("thread "):] if thread.startswith("thread ") else "T0",
                  function=frame.group(1) if frame else "", file=frame.group(2) if frame else "",
                  line=int(frame.group(3)) if frame else 0)


def parse_tsan(text: str) -> list[RaceReport]:
    """Every data race report in a ThreadSanitizer log, in order (other warnings are left out)."""
    reports = []
    for block in _BLOCK.finditer(text):
        body = block.group(2)
        accesses = [_access(m) for m in _ACCESS.finditer(body)]
        current = next((a for a, m in zip(accesses, _ACCESS.finditer(body)) if not m.group(1)), None)
        previous = next((a for a, m in zip(accesses, _ACCESS.finditer(body)) if m.group(1)), None)
        if current is None or previous is None:
            continue
        threads = {name: int(tid) for name, tid in _THREAD.findall(body)}
        threads.setdefault("T0", int(block.group(1)))
        current = Access(**{**_fields(current), "tid": threads.get(current.thread)})
        previous = Access(**{**_fields(previous), "tid": threads.get(previous.thread)})
        location = _LOCATION.search(body)
        reports.append(RaceReport(current=current, previous=previous, location=location.group(1) if location else "",
                                  pid=int(block.group(1)), text=block.group(0)[:4000], threads=threads))
    return reports


def _fields(access: Access) -> dict[str, Any]:
    return {name: getattr(access, name) for name in Access.__slots__}


# ----------------------------------------------------------------------------- tampering, from the trace

_LINE = re.compile(r"^(\d+)\s+\S+\s+([a-z0-9_]+)\((.*)$")
_PATH_ARG = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FD_PATH = re.compile(r"\d+<([^>]*)>")
_OPEN_OK = re.compile(r"=\s*\d+")
_FAILED = re.compile(r"\)\s+=\s+-1 E[A-Z]+")


def tampering(trace: str, log_dir: str) -> list[str]:
    """Every traced call on the sanitizer's log directory other than the sanitizer's own: one open of each
    report file (write-only; the sanitizer creates and truncates it), then writes and a close. A call that
    failed changed nothing and is left out. Each item says what the call did, e.g. "unlink on report.38",
    "a second open of report.38", "lseek on report.38"."""
    if not log_dir:
        return []
    prefix = log_dir.rstrip("/") + "/"
    found: list[str] = []
    opened: set[str] = set()
    for raw in trace.splitlines():
        if prefix not in raw and log_dir not in raw:
            continue
        unfinished = "<unfinished ...>" in raw
        line = raw.replace("<unfinished ...>", "")
        match = _LINE.match(line)
        if match is None:
            continue
        call, rest = match.group(2), match.group(3)
        if _FAILED.search(rest):
            continue                  # refused (the directory cannot be listed or read): nothing changed
        paths = [p for p in _PATH_ARG.findall(rest) if p.startswith(prefix) or p == log_dir.rstrip("/")]
        fd_paths = [p for p in _FD_PATH.findall(rest.split(")", 1)[0] if call != "open" else "")
                    if p.startswith(prefix)]
        name = (paths or fd_paths or [log_dir])[0][len(prefix):] or log_dir
        if call in ("open", "openat", "creat") and paths:
            flags = rest.split(",")[1 if call == "open" else 2] if rest.count(",") >= (1 if call == "open" else 2) else ""
            if name in opened:
                found.append(f"a second open of {name}")
            elif "O_RDONLY" in flags or "O_RDWR" in flags or "O_WRONLY" not in flags:
                found.append(f"an open of {name} with {flags.strip()}")
            # An open cut by another task's line ("<unfinished ...>") has its result on a "resumed" line
            # that names no path; it counts as opened, so the program's own open after it is a second one.
            if unfinished or _OPEN_OK.search(rest.rsplit(")", 1)[-1]):
                opened.add(name)
        elif call in ("write", "writev", "close") and fd_paths:
            continue
        else:
            found.append(f"{call} on {name}")
    return found
