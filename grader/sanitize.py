"""gcc's sanitizers as a build variant (`sanitize: thread | address | undefined`): the build flags, the
runtime options the harness gives the program, and each sanitizer's report read back as data
(ThreadSanitizer: parse_tsan; AddressSanitizer: parse_asan, parse_leaks; UndefinedBehaviorSanitizer: parse_ubsan).

The report is never read from the program's stdout or stderr. The sanitizer writes it to
`<log dir>/report.<pid>`: a directory the harness makes for each run (root-owned, mode 1733: the
program may create its own files there but can neither list nor read it), read back as root once the
run's processes have ended, regular files only, never through a link (harness.collect_sanitizer). What
the program itself could still do to that file (truncate it, seek back and overwrite it, unlink or
rename it, open it a second time) it can do only through system calls the trace records: `tampering`
finds them, and a run whose log was touched by anything but the sanitizer's one open, its writes and
its close has no verdict (race.none, memory.safe and ub.none fail and say why).

Pure: no Docker, no files. The harness (standard library only) applies `runtime_plan`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["EVASION_PATTERNS", "EVASION_SYMBOLS", "SANITIZER_EXIT", "SANITIZERS", "Access", "Frame", "LeakReport",
           "MemoryReport", "RaceReport", "Sanitizer", "UndefinedReport", "build_command", "parse_asan", "parse_leaks",
           "parse_tsan", "parse_ubsan", "runtime_plan", "tampering"]

Sanitizer = Literal["thread", "address", "undefined"]
SANITIZER_EXIT = 66          # the exit code a sanitizer ends a program with after a report (its `exitcode`)
COMPILERS = frozenset({"gcc", "cc", "g++", "c++"})

# Runtime options, set through the environment (they override the program's own __tsan_default_options;
# a program that defines one is refused anyway, see EVASION_SYMBOLS). log_path is added per run.
SANITIZERS: dict[str, dict[str, Any]] = {
    "thread": {"name": "ThreadSanitizer", "flag": "-fsanitize=thread", "env": "TSAN_OPTIONS",
               "options": f"exitcode={SANITIZER_EXIT}:halt_on_error=0:report_bugs=1:report_signal_unsafe=0:"
                          "suppressions=:ignore_noninstrumented_modules=0:history_size=4"},
    # LeakSanitizer cannot run under ptrace (strace): leaks are not looked for.
    "address": {"name": "AddressSanitizer", "flag": "-fsanitize=address", "env": "ASAN_OPTIONS",
                "options": f"exitcode={SANITIZER_EXIT}:detect_leaks=0:halt_on_error=1:suppressions="},
    # halt_on_error=1: the first report ends the program with `exitcode`, so an exit with that code and no
    # report in the log is seen (as with the other two); print_stacktrace: the student's file:line.
    "undefined": {"name": "UndefinedBehaviorSanitizer", "flag": "-fsanitize=undefined", "env": "UBSAN_OPTIONS",
                  "options": f"exitcode={SANITIZER_EXIT}:print_stacktrace=1:halt_on_error=1:suppressions="},
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
# "#0 Counter::add(int, long) /work/counter.cc:7 (counter+0x1504)": a C++ name has spaces, so the
# file and line are the last "path:line" before the module in parentheses.
_FRAME = re.compile(r"^    #\d+ (.+) (\S+?):(\d+)(?::\d+)?(?: \([^()\n]*\))?$", re.MULTILINE)
_LOCATION = re.compile(r"^  Location is (.+?)(?: at 0x[0-9a-f]+.*)?$", re.MULTILINE)
_THREAD = re.compile(r"^  Thread (T\d+) \(tid=(\d+)", re.MULTILINE)


def _access(match: re.Match[str]) -> Access:
    # The innermost frame in the student's own code: a race inside an inlined library template (a
    # std::vector's push_back) is told at the student's line that called it.
    frame = _own([Frame(function=m.group(1), file=m.group(2), line=int(m.group(3)))
                  for m in _FRAME.finditer(match.group(5) or "")])
    thread = match.group(4)
    return Access(kind=match.group(2).lower(), size=int(match.group(3)),
                  thread=thread[len("thread "):] if thread.startswith("thread ") else "T0",
                  function=frame.function if frame else "", file=frame.file if frame else "",
                  line=frame.line if frame else 0)


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


# ----------------------------------------------------------------------------- AddressSanitizer, UBSan

@dataclass(frozen=True, slots=True)
class Frame:
    """One line of a sanitizer's stack: the function and where it is (file as compiled)."""

    function: str = ""
    file: str = ""
    line: int = 0

    @property
    def where(self) -> str:
        """'mem.c:11' (the file's name, not the sandbox's path)."""
        return f"{self.file.rsplit('/', 1)[-1]}:{self.line}" if self.file else "an unknown place"


@dataclass(frozen=True, slots=True)
class MemoryReport:
    """One 'ERROR: AddressSanitizer: ...' block: what went wrong, where in the student's code, on what memory."""

    error: str                       # ASan's name: "heap-buffer-overflow", "heap-use-after-free", "double-free",
                                     # "stack-buffer-overflow", "global-buffer-overflow", "bad-free", "SEGV", ...
    at: Frame                        # the innermost frame in the student's code (else the innermost one)
    access: str = ""                 # "read" | "write" | "" (a free, or not said)
    size: int | None = None          # bytes read or written
    thread: str = "T0"
    region: int | None = None        # bytes of the block or variable the address belongs to (or is next to)
    position: int | None = None      # the byte of that block the access began at (negative: before it)
    variable: str = ""               # the local or global variable, when the memory is one
    allocated_at: Frame | None = None
    freed_at: Frame | None = None
    null: bool = False               # a SEGV at an address in the zero page (a null pointer, or one near it)
    pid: int | None = None
    text: str = ""                   # the block itself (for the authors; the page shows the facts)


@dataclass(frozen=True, slots=True)
class LeakReport:
    """One 'Direct leak' / 'Indirect leak' paragraph of LeakSanitizer's report."""

    direct: bool
    size: int                        # bytes never freed
    objects: int                     # in this many blocks
    allocated_at: Frame


@dataclass(frozen=True, slots=True)
class UndefinedReport:
    """One 'runtime error:' of UndefinedBehaviorSanitizer: what, and where in the student's code."""

    error: str                       # a name from _UB_KINDS ("signed-overflow", "shift-too-large", ...) or "other"
    at: Frame
    detail: str = ""                 # UBSan's own sentence, addresses left out
    facts: dict[str, str] = field(default_factory=dict)   # what _UB_KINDS' pattern read from it
    text: str = ""


_ASAN_BLOCK = re.compile(r"^==(\d+)==ERROR: AddressSanitizer: (.*?)(?=^==\d+==ABORTING|^={20,}$|\Z)",
                         re.MULTILINE | re.DOTALL)
# A C++ function's name may hold spaces ("operator new[](unsigned long)"): the place is the last word.
_STACK_FRAME = re.compile(r"^ +#\d+ 0x[0-9a-f]+ in (.+) (\S+?):(\d+)(?::\d+)?$")
_ASAN_ACCESS = re.compile(r"^(READ|WRITE) of size (\d+) at 0x[0-9a-f]+ thread (T\d+)", re.MULTILINE)
_SEGV_ACCESS = re.compile(r"The signal is caused by a (READ|WRITE) memory access", re.MULTILINE)
_HEAP_REGION = re.compile(r"is located (\d+) bytes (to the right of|to the left of|inside of) (\d+)-byte region")
_GLOBAL = re.compile(r"is located (\d+) bytes (to the right of|to the left of|inside of) global variable '([^']+)'"
                     r".*? of size (\d+)")
_STACK_VARIABLE = re.compile(r"\[(\d+), (\d+)\) '([^']+)'(?: \(line \d+\))? <== Memory access at offset (\d+)")
_SUMMARY = re.compile(r"^SUMMARY: AddressSanitizer: (\S+)", re.MULTILINE)
_LEAK = re.compile(r"^(Direct|Indirect) leak of (\d+) byte\(s\) in (\d+) object\(s\) allocated from:\n"
                   r"((?: +#\d+ .*\n?)*)", re.MULTILINE)
_UB_LINE = re.compile(r"^(\S+?):(\d+):(?:\d+:)? runtime error: (.*)$", re.MULTILINE)
_ADDRESS = re.compile(r"\s*0x[0-9a-f]+")


def _frames(text: str) -> list[Frame]:
    """The frames with a file and line, in order, of the first stack in `text` (lines before it are skipped;
    it ends at a blank line or at a line that is not a frame)."""
    out: list[Frame] = []
    started = False
    for line in text.splitlines():
        is_frame = line.lstrip().startswith("#")
        if not started and not is_frame:
            continue
        if not is_frame:
            break
        started = True
        match = _STACK_FRAME.match(line)
        if match:
            out.append(Frame(function=match.group(1), file=match.group(2), line=int(match.group(3))))
    return out


def _own(frames: list[Frame]) -> Frame | None:
    """The innermost frame in the program's own sources (not the sanitizer's runtime, libc or the compiler's
    headers), else the innermost frame, else None."""
    for frame in frames:
        if "libsanitizer" not in frame.file and not frame.file.startswith(("/usr/", "/lib", "../")):
            return frame
    return frames[0] if frames else None


def _stack_after(body: str, heading: str) -> Frame | None:
    at = body.find(heading)
    return _own(_frames(body[at + len(heading):].lstrip("\n"))) if at >= 0 else None


def _position(distance: int, side: str, size: int) -> int:
    return {"to the right of": size + distance, "to the left of": -distance}.get(side, distance)


def parse_asan(text: str) -> list[MemoryReport]:
    """Every memory error AddressSanitizer reported in a log, in order (leaks: parse_leaks)."""
    reports = []
    for block in _ASAN_BLOCK.finditer(text):
        body = block.group(2)
        headline = body.split("\n", 1)[0]
        summary = _SUMMARY.search(body)
        error = summary.group(1) if summary else headline.split()[0] if headline.split() else "unknown"
        if error == "attempting":
            error = headline.split()[1]
        access = _ASAN_ACCESS.search(body)
        at = _own(_frames(body[access.end():] if access else body.split("\n", 1)[-1])) or Frame()
        facts: dict[str, Any] = {}
        if access:
            facts.update(access=access.group(1).lower(), size=int(access.group(2)), thread=access.group(3))
        elif (segv := _SEGV_ACCESS.search(body)) is not None:
            facts["access"] = segv.group(1).lower()
        if (heap := _HEAP_REGION.search(body)) is not None:
            facts.update(region=int(heap.group(3)),
                         position=_position(int(heap.group(1)), heap.group(2), int(heap.group(3))))
        elif (variable := _GLOBAL.search(body)) is not None:
            facts.update(region=int(variable.group(4)), variable=variable.group(3),
                         position=_position(int(variable.group(1)), variable.group(2), int(variable.group(4))))
        elif (local := _STACK_VARIABLE.search(body)) is not None:
            start, end = int(local.group(1)), int(local.group(2))
            facts.update(region=end - start, variable=local.group(3), position=int(local.group(4)) - start)
        reports.append(MemoryReport(
            error=error, at=at, allocated_at=_stack_after(body, "allocated by thread"),
            freed_at=_stack_after(body, "freed by thread"), null="address points to the zero page" in body,
            pid=int(block.group(1)),
            text=block.group(0)[:4000], **facts))
    return reports


def parse_leaks(text: str) -> list[LeakReport]:
    """Every leak in a LeakSanitizer report, in order (direct leaks are the blocks nothing pointed to)."""
    return [LeakReport(direct=m.group(1) == "Direct", size=int(m.group(2)), objects=int(m.group(3)),
                       allocated_at=_own(_frames(m.group(4))) or Frame())
            for m in _LEAK.finditer(text)]


# UBSan's sentence -> (a name for it, what the pattern reads); the first that matches names the error.
_UB_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("signed-overflow", re.compile(r"^signed integer overflow: (?P<expression>.+?) cannot be represented in "
                                   r"type '(?P<type>[^']+)'")),
    ("negation-overflow", re.compile(r"^negation of (?P<expression>\S+) cannot be represented in type "
                                     r"'(?P<type>[^']+)'")),
    ("shift-too-large", re.compile(r"^shift exponent (?P<count>\d+) is too large for (?P<width>\d+)-bit type "
                                   r"'(?P<type>[^']+)'")),
    ("shift-negative", re.compile(r"^shift exponent (?P<count>-\d+) is negative")),
    ("shift-of-negative", re.compile(r"^left shift of negative value (?P<value>-?\d+)")),
    ("shift-overflow", re.compile(r"^left shift of (?P<value>-?\d+) by (?P<count>\d+) places cannot be "
                                  r"represented in type '(?P<type>[^']+)'")),
    ("division-by-zero", re.compile(r"^(?:integer )?division by zero|^integer divide by zero")),
    ("index-out-of-bounds", re.compile(r"^index (?P<index>-?\d+) out of bounds for type '(?P<type>[^']+)'")),
    ("null-pointer", re.compile(r"^(?:load of|store to|member access within|reference binding to) null pointer")),
    ("misaligned", re.compile(r"^(?:load of|store to|member access within) misaligned address")),
)


def parse_ubsan(text: str) -> list[UndefinedReport]:
    """Every 'runtime error:' UndefinedBehaviorSanitizer reported in a log, in order."""
    reports = []
    for match in _UB_LINE.finditer(text):
        detail = _ADDRESS.sub("", match.group(3)).strip()
        stack = text[match.end():].lstrip("\n")
        at = _own(_frames(stack)) or Frame(file=match.group(1), line=int(match.group(2)))
        error, facts = "other", {}
        for name, pattern in _UB_KINDS:
            found = pattern.search(match.group(3))
            if found:
                error, facts = name, {k: v for k, v in found.groupdict().items() if v is not None}
                break
        end = text.find("\n\n", match.end())
        reports.append(UndefinedReport(error=error, at=at, detail=detail, facts=facts,
                                       text=text[match.start():end if end > 0 else None][:4000]))
    return reports


# ----------------------------------------------------------------------------- tampering, from the trace

_LINE = re.compile(r"^(\d+)\s+\S+\s+([a-z0-9_]+)\((.*)$")
_PATH_ARG = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FD_PATH = re.compile(r"\d+<([^>]*)>")
_OPEN_OK = re.compile(r"=\s*\d+")
_FAILED = re.compile(r"\)\s+=\s+-1 E[A-Z]+")


_RESUMED = re.compile(r"^(\d+)\s+\S+\s+<\.\.\. [a-z0-9_]+ resumed>(.*)$")
_UNFINISHED = "<unfinished ...>"


def _whole_calls(trace: str) -> Iterator[tuple[str, bool]]:
    """The trace's lines, each call cut by another task's line ("<unfinished ...>") made whole again with
    the result its "<... resumed>" line gives; (line, finished). A call that never returned (the program
    ended inside it) comes last, unfinished."""
    pending: dict[str, str] = {}
    for raw in trace.splitlines():
        if raw.rstrip().endswith(_UNFINISHED):
            pending[raw.split(None, 1)[0] if raw.strip() else ""] = raw.rstrip()[: -len(_UNFINISHED)].rstrip()
            continue
        resumed = _RESUMED.match(raw)
        if resumed is not None and resumed.group(1) in pending:
            yield pending.pop(resumed.group(1)) + resumed.group(2), True
            continue
        yield raw, True
    for line in pending.values():
        yield line, False


def tampering(trace: str, log_dir: str) -> list[str]:
    """Every traced call on the sanitizer's log directory other than the sanitizer's own: one open of each
    report file (write-only; the sanitizer creates and truncates it), then writes and a close. A call that
    failed changed nothing and is left out, also when another thread's line cut it in two. Each item says
    what the call did, e.g. "unlink on report.38", "a second open of report.38", "lseek on report.38"."""
    if not log_dir:
        return []
    prefix = log_dir.rstrip("/") + "/"
    found: list[str] = []
    opened: set[str] = set()
    for line, finished in _whole_calls(trace):
        if prefix not in line and log_dir not in line:
            continue
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
            # an open that never returned counts as made: the file may be open
            if not finished or _OPEN_OK.search(rest.rsplit(")", 1)[-1]):
                opened.add(name)
        elif call in ("write", "writev", "close") and fd_paths:
            continue
        else:
            found.append(f"{call} on {name}")
    return found
