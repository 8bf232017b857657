"""Parameter types shared by checks and the assignment schema, each with a plain-English error."""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "ROLE_PATTERN",
    "Bounds",
    "Count",
    "Duration",
    "Points",
    "PositiveInt",
    "SIGNALS",
    "Regex",
    "Role",
    "RoleOrAll",
    "Signal",
    "Size",
    "Stream",
    "StrictModel",
    "Weight",
    "compiled",
    "format_duration",
    "format_size",
    "parse_duration_ms",
    "parse_signal",
    "parse_size_bytes",
]

ROLE_PATTERN = re.compile(r"^(root|children|descendants|threads|child\[(\d+)\])$")


class StrictModel(BaseModel):
    """Base of every schema model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _fail(kind: str, expected: str, value: Any) -> PydanticCustomError:
    return PydanticCustomError(kind, "expected {expected}, got {got}", {"expected": expected, "got": repr(value)})


def _int(minimum: int, expected: str) -> Any:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise _fail("integer", expected, value)
        return value

    return check


def _number(minimum: float, inclusive: bool, expected: str) -> Any:
    def check(value: Any) -> float:
        ok = not isinstance(value, bool) and isinstance(value, (int, float))
        if ok and (value < minimum or (not inclusive and value == minimum)):
            ok = False
        if not ok:
            raise _fail("number", expected, value)
        return float(value)

    return check


Count = Annotated[int, PlainValidator(_int(0, "an integer >= 0")), WithJsonSchema({"type": "integer", "minimum": 0})]
PositiveInt = Annotated[
    int, PlainValidator(_int(1, "an integer >= 1")), WithJsonSchema({"type": "integer", "minimum": 1})
]
Weight = Annotated[
    float, PlainValidator(_number(0, False, "a number > 0")), WithJsonSchema({"type": "number", "exclusiveMinimum": 0})
]
Points = Annotated[
    float, PlainValidator(_number(0, True, "a number >= 0")), WithJsonSchema({"type": "number", "minimum": 0})
]


@lru_cache(maxsize=1024)
def compiled(pattern: str) -> re.Pattern[str]:
    """The compiled form of an already-validated regular expression."""
    return re.compile(pattern)


def _regex(value: Any) -> str:
    if not isinstance(value, str):
        raise _fail("regex", "a regular expression (string)", value)
    try:
        re.compile(value)
    except re.error as err:
        raise PydanticCustomError(
            "regex", "not a valid regular expression: {error} in {got}", {"error": str(err), "got": repr(value)}
        ) from None
    return value


Regex = Annotated[str, PlainValidator(_regex), WithJsonSchema({"type": "string", "format": "regex"})]


# What authors write for a role by mistake, and the role they mean.
_ROLE_ALIASES = {
    "parent": "root", "main": "root", "self": "root", "child": "children", "kids": "children",
    "thread": "threads", "all": "descendants", "every": "descendants",
}
_CHILD_INDEX = re.compile(r"^child\s*[\[(_-]?\s*(\d+)\s*[\])]?$")


def _role_fix(value: Any) -> str:
    """'; did you mean ...?' for a mistyped role, or ''."""
    if not isinstance(value, str):
        return ""
    word = value.strip().lower()
    index = _CHILD_INDEX.match(word)
    if index:
        return f"; write 'child[{index.group(1)}]' (quoted in a {{...}} mapping), the child processes counting from 0"
    close = _ROLE_ALIASES.get(word) or next(
        iter(difflib.get_close_matches(word, ["root", "children", "descendants", "threads"], n=1, cutoff=0.6)), None)
    return f"; did you mean {close!r}?" if close else ""


def _role(value: Any) -> str:
    if not isinstance(value, str) or not ROLE_PATTERN.match(value):
        raise PydanticCustomError(
            "role", "expected a role: root, children, child[i], descendants or threads, got {got}{fix}",
            {"got": repr(value), "fix": _role_fix(value)},
        )
    return value


Role = Annotated[
    str, PlainValidator(_role),
    WithJsonSchema({"type": "string", "pattern": ROLE_PATTERN.pattern,
                    "description": "a role: root, children, child[i], descendants or threads"}),
]


def _role_or_all(value: Any) -> str:
    if value == "all":
        return "all"
    if not isinstance(value, str) or not ROLE_PATTERN.match(value):
        fix = _role_fix(value) if value != "all" else ""
        raise PydanticCustomError(
            "role", "expected 'all' or a role: root, children, child[i], descendants or threads, got {got}{fix}",
            {"got": repr(value), "fix": fix},
        )
    return value


RoleOrAll = Annotated[
    str, PlainValidator(_role_or_all),
    WithJsonSchema({"type": "string", "pattern": ROLE_PATTERN.pattern[:-2] + "|all)$",
                    "description": "'all' or a role: root, children, child[i], descendants or threads"}),
]
Stream = Literal["stdout", "stderr"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min)\s*$")
_DURATION_MS = {"ms": 1.0, "s": 1000.0, "m": 60_000.0, "min": 60_000.0}
# Unit words authors write, and the unit they mean (for the suggestion in an error).
_DURATION_WORDS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$")
_DURATION_FIX = {
    "msec": "ms", "msecs": "ms", "millis": "ms", "millisecond": "ms", "milliseconds": "ms", "mil": "ms",
    "sec": "s", "secs": "s", "second": "s", "seconds": "s", "S": "s",
    "mins": "m", "minute": "m", "minutes": "m", "M": "m",
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB|K|M|G|k)?\s*$")
_SIZE_BYTES = {
    None: 1, "B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "K": 2**10, "k": 2**10, "M": 2**20, "G": 2**30,
    "KB": 1000, "MB": 1000**2, "GB": 1000**3,
}
_SIZE_UNITS = {unit.lower(): unit for unit in ("B", "KiB", "MiB", "GiB", "KB", "MB", "GB")} | {
    "m": "MiB", "g": "GiB", "bytes": "B", "byte": "B"}


def parse_duration_ms(value: Any) -> int:
    """'5s', '500ms', '2m' as whole milliseconds; ValueError if malformed or a bare number (no unit)."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(value)
    return round(float(match.group(1)) * _DURATION_MS[match.group(2)])


def format_duration(ms: int) -> str:
    """Milliseconds as an author writes them: 10000 -> '10s', 1500 -> '1500ms', 120000 -> '2m'."""
    if ms % 60_000 == 0 and ms >= 60_000:
        return f"{ms // 60_000}m"
    if ms % 1000 == 0:
        return f"{ms // 1000}s"
    return f"{ms}ms"


def parse_size_bytes(value: Any) -> int:
    """'128MiB', '64KiB', '1GB' or a number of bytes, as bytes; ValueError if malformed."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(value)
    return round(float(match.group(1)) * _SIZE_BYTES[match.group(2)])


def format_size(size: int) -> str:
    """Bytes as an author writes them: 268435456 -> '256MiB', 65536 -> '64KiB', 1000 -> '1000B'."""
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if size % factor == 0 and size >= factor:
            return f"{size // factor}{unit}"
    return f"{size}B"


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _duration_fix(value: Any) -> str:
    """What to write instead of a malformed duration ('' if nothing obvious)."""
    number: float | None = None
    if (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
            isinstance(value, str) and re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", value)):
        number = float(value)
    if number is not None:
        n = _number_text(number)
        if number >= 100:
            return (f": a bare number could mean seconds or milliseconds, so write '{n}ms' "
                    f"(= {format_duration(round(number))}) or '{n}s'")
        return f": a bare number could mean seconds or milliseconds, so write '{n}s' or '{n}ms'"
    words = _DURATION_WORDS.match(value) if isinstance(value, str) else None
    if words:
        unit = _DURATION_FIX.get(words.group(2)) or _DURATION_FIX.get(words.group(2).lower())
        if unit is None and words.group(2).lower() in ("h", "hr", "hour", "hours"):
            return f": write '{_number_text(float(words.group(1)) * 60)}m'"
        if unit is not None:
            return f": write '{words.group(1)}{unit}'"
    return ""


def _duration(value: Any) -> int:
    if isinstance(value, str) and _DURATION.match(value.replace("-", "", 1)) and value.strip().startswith("-"):
        raise _fail("duration", "a duration greater than zero, such as '5s' or '500ms'", value)
    try:
        ms = parse_duration_ms(value)
    except ValueError:
        raise PydanticCustomError(
            "duration", "expected a duration with a unit such as '10s', '500ms' or '2m', got {got}{fix}",
            {"got": repr(value), "fix": _duration_fix(value)},
        ) from None
    if ms <= 0:
        raise _fail("duration", "a duration greater than zero", value)
    return ms


def _size_fix(value: Any) -> str:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*", value) if isinstance(value, str) else None
    unit = _SIZE_UNITS.get(match.group(2).lower()) if match else None
    if match and unit:
        return f": write '{match.group(1)}{unit}'"
    return " (units: B, KiB, MiB, GiB, KB, MB, GB; a bare integer is bytes)"


def _size(value: Any) -> int:
    try:
        size = parse_size_bytes(value)
    except ValueError:
        raise PydanticCustomError(
            "size", "expected a size such as '128MiB' or '64KiB', got {got}{fix}",
            {"got": repr(value), "fix": _size_fix(value)},
        ) from None
    if size <= 0:
        raise _fail("size", "a size greater than zero", value)
    return size


Duration = Annotated[
    int,
    PlainValidator(_duration),
    WithJsonSchema({"type": "string", "pattern": _DURATION.pattern,
                    "description": "a duration with its unit: '10s', '500ms', '2m' (a bare number is refused)"}),
]
Size = Annotated[
    int,
    PlainValidator(_size),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": _SIZE.pattern}, {"type": "integer", "exclusiveMinimum": 0}],
                    "description": "a size: '128MiB', '64KiB', '1GB', or a whole number of bytes"}),
]

# Linux's signal numbers (the sandbox is Linux whatever the grader runs on), by the name strace prints.
SIGNALS: dict[int, str] = {
    1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
    9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
    16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU",
    23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ", 26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO",
    30: "SIGPWR", 31: "SIGSYS",
}
_SIGNAL_ALIASES = {"SIGIOT": "SIGABRT", "SIGPOLL": "SIGIO", "SIGCLD": "SIGCHLD", "SIGUNUSED": "SIGSYS"}
_SIGNAL_NAMES = set(SIGNALS.values())
# Real-time signals 32..64: strace names signal 32 + n 'SIGRT_n'; C's SIGRTMIN is 34 (glibc keeps 32 and 33).
_RT_FIRST, _RT_LAST, _RTMIN = 32, 64, 34
_RT_NAME = re.compile(r"^SIGRT(MIN|MAX)(?:([+-])(\d+))?$|^SIGRT_(\d+)$")


def parse_signal(value: Any) -> str:
    """11, '11', 'SIGSEGV', 'SEGV', 'segv' -> 'SIGSEGV'; 35, 'SIGRTMIN+1' -> 'SIGRT_3' (the names strace prints).

    Numbers are Linux's whatever the grader runs on; ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        number = int(value)
        if number in SIGNALS:
            return SIGNALS[number]
        if _RT_FIRST <= number <= _RT_LAST:
            return f"SIGRT_{number - _RT_FIRST}"
        raise ValueError(value)
    if not isinstance(value, str):
        raise ValueError(value)
    name = value.strip().upper()
    name = name if name.startswith("SIG") else "SIG" + name
    name = _SIGNAL_ALIASES.get(name, name)
    if name in _SIGNAL_NAMES:
        return name
    rt = _RT_NAME.match(name)
    if rt is None:
        raise ValueError(value)
    if rt.group(4) is not None:
        return parse_signal(_RT_FIRST + int(rt.group(4)))
    base = _RTMIN if rt.group(1) == "MIN" else _RT_LAST
    return parse_signal(base + int(rt.group(3) or 0) * (-1 if rt.group(2) == "-" else 1))


def _signal(value: Any) -> str:
    try:
        return parse_signal(value)
    except ValueError:
        pass
    fix = ""
    if isinstance(value, str) and value.strip():
        word = value.strip().upper()
        word = word if word.startswith("SIG") else "SIG" + word
        close = difflib.get_close_matches(word, sorted(_SIGNAL_NAMES), n=1, cutoff=0.6)
        fix = f" (did you mean {close[0]!r}?)" if close else ""
    raise PydanticCustomError(
        "signal", "expected a signal: a name such as SIGSEGV or SEGV (or SIGRTMIN+n), or its Linux number from 1 "
        "to 64, got {got}{fix}",
        {"got": repr(value), "fix": fix},
    )


Signal = Annotated[
    str,
    PlainValidator(_signal),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 1, "maximum": 64}],
                    "description": "a signal: SIGSEGV, SEGV, SIGRTMIN+n or its Linux number (11)"}),
]


class Bounds(StrictModel):
    """A count that must equal a value or lie within min..max."""

    equals: Count | None = Field(default=None, description="the count must be exactly this")
    min: Count | None = Field(default=None, description="the count must be at least this")
    max: Count | None = Field(default=None, description="the count must be at most this")

    @model_validator(mode="after")
    def _one_bound(self) -> Bounds:
        if self.equals is None and self.min is None and self.max is None:
            raise PydanticCustomError("bounds", "give one of equals, min or max", {})
        if self.equals is not None and (self.min is not None or self.max is not None):
            raise PydanticCustomError("bounds", "give either equals or min/max, not both", {})
        if self.min is not None and self.max is not None and self.min > self.max:
            raise PydanticCustomError("bounds", "min ({lo}) is greater than max ({hi})", {"lo": self.min, "hi": self.max})
        return self

    def holds(self, value: int) -> bool:
        """Whether `value` satisfies the bounds."""
        if self.equals is not None:
            return value == self.equals
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def bounds_slot(self) -> tuple[dict[str, str], dict[str, Any]]:
        """The <bounds> slot of a message template and its params (see grader.checks.messages)."""
        if self.equals is not None:
            return {"bounds": "eq"}, {"eq": self.equals}
        if self.min is not None and self.max is not None:
            return {"bounds": "range"}, {"lo": self.min, "hi": self.max}
        if self.min is not None:
            return {"bounds": "min"}, {"lo": self.min}
        return {"bounds": "max"}, {"hi": self.max}

    def describe(self) -> str:
        """The bounds in words, e.g. 'exactly 3' or 'between 2 and 4'."""
        if self.equals is not None:
            return f"exactly {self.equals}"
        if self.min is not None and self.max is not None:
            return f"between {self.min} and {self.max}"
        if self.min is not None:
            return f"at least {self.min}"
        return f"at most {self.max}"
