"""Lexing strace's text: line heads, strings, argument lists, descriptors and return values."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["decode_string", "split_args"]

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
_SIG_BODY = re.compile(r"--- (SIG[A-Z0-9_+]+|[A-Z]+[0-9]*) (\{.*\})? ?---")
_SI_FIELD = re.compile(r"(si_[a-z]+)=([^,}]+)")
_EXITED = re.compile(r"\+\+\+ exited with (-?\d+) \+\+\+")
_KILLED = re.compile(r"\+\+\+ killed by (SIG[A-Z0-9_+]+)( \(core dumped\))? \+\+\+")
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


