"""Parameter types shared by checks and the assignment schema, each with a plain-English error."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
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
    "Regex",
    "Role",
    "RoleOrAll",
    "Size",
    "Stream",
    "StrictModel",
    "Weight",
    "compiled",
    "parse_duration_ms",
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


def _role(value: Any) -> str:
    if not isinstance(value, str) or not ROLE_PATTERN.match(value):
        raise _fail("role", "a role: root, children, child[i], descendants or threads", value)
    return value


Role = Annotated[
    str, PlainValidator(_role), WithJsonSchema({"type": "string", "pattern": ROLE_PATTERN.pattern})
]


def _role_or_all(value: Any) -> str:
    if value == "all":
        return "all"
    if not isinstance(value, str) or not ROLE_PATTERN.match(value):
        raise _fail("role", "'all' or a role: root, children, child[i], descendants or threads", value)
    return value


RoleOrAll = Annotated[
    str, PlainValidator(_role_or_all),
    WithJsonSchema({"type": "string", "pattern": ROLE_PATTERN.pattern[:-2] + "|all)$"}),
]
Stream = Literal["stdout", "stderr"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min)\s*$")
_DURATION_MS = {"ms": 1.0, "s": 1000.0, "m": 60_000.0, "min": 60_000.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KiB|MiB|GiB|KB|MB|GB|K|M|G|k)?\s*$")
_SIZE_BYTES = {
    None: 1, "B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "K": 2**10, "k": 2**10, "M": 2**20, "G": 2**30,
    "KB": 1000, "MB": 1000**2, "GB": 1000**3,
}


def parse_duration_ms(value: Any) -> int:
    """'5s', '500ms', '2m' or a number of seconds, as whole milliseconds; ValueError if malformed."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return round(float(value) * 1000)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(value)
    return round(float(match.group(1)) * _DURATION_MS[match.group(2)])


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


def _duration(value: Any) -> int:
    try:
        ms = parse_duration_ms(value)
    except ValueError:
        raise _fail("duration", "a duration such as '5s' or '500ms'", value) from None
    if ms <= 0:
        raise _fail("duration", "a duration greater than zero", value)
    return ms


def _size(value: Any) -> int:
    try:
        size = parse_size_bytes(value)
    except ValueError:
        raise _fail("size", "a size such as '128MiB' or '64KiB'", value) from None
    if size <= 0:
        raise _fail("size", "a size greater than zero", value)
    return size


Duration = Annotated[
    int,
    PlainValidator(_duration),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": _DURATION.pattern}, {"type": "number", "exclusiveMinimum": 0}],
                    "description": "a duration: '5s', '500ms', '2m', or seconds"}),
]
Size = Annotated[
    int,
    PlainValidator(_size),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": _SIZE.pattern}, {"type": "integer", "exclusiveMinimum": 0}],
                    "description": "a size: '128MiB', '64KiB', or bytes"}),
]


class Bounds(StrictModel):
    """A count that must equal a value or lie within min..max."""

    equals: Count | None = None
    min: Count | None = None
    max: Count | None = None

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
