"""Captures: numbers printed by the program, bound to the trace (pid, ppid, tid) or compared with each other."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import PlainValidator, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, line_text
from grader.checks.params import Count, Role, Stream, StrictModel
from grader.trace.model import OutputLine

__all__ = [
    "TRACE_NAMES",
    "CapturePattern",
    "CaptureSpec",
    "OutputIds",
    "OutputValues",
    "capture_regex",
    "parse_expression",
]

TRACE_NAMES = ("pid", "ppid", "tid")
_PLACEHOLDER = re.compile(r"(?<!\\)\{([A-Za-z_]\w*)(?::((?:[^{}]|\{[^{}]*\})*))?\}")


@lru_cache(maxsize=512)
def capture_regex(pattern: str) -> re.Pattern[str]:
    """`child {pid} of {ppid}` -> a regex with named number groups; `{name:regex}` gives the group's regex."""
    out: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(pattern):
        out.append(pattern[last:match.start()])
        body = match.group(2) if match.group(2) is not None else r"-?\d+"
        out.append(f"(?P<{match.group(1)}>{body})")
        last = match.end()
    out.append(pattern[last:])
    return re.compile("".join(out))


def _capture_pattern(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("capture", "expected a pattern with {name} placeholders, got {got}", {"got": repr(value)})
    names = [m.group(1) for m in _PLACEHOLDER.finditer(value)]
    if not names:
        raise PydanticCustomError(
            "capture", "the pattern {got} has no placeholder such as {pid} or {x}", {"got": repr(value)}
        )
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise PydanticCustomError(
            "capture", "placeholder {dup} appears twice in {got}", {"dup": "{" + duplicated[0] + "}", "got": repr(value)}
        )
    try:
        capture_regex(value)
    except re.error as err:
        raise PydanticCustomError(
            "capture", "not a valid pattern: {error} in {got}", {"error": str(err), "got": repr(value)}
        ) from None
    return value


CapturePattern = Annotated[
    str,
    PlainValidator(_capture_pattern),
    WithJsonSchema({"type": "string", "description": "a regex with {name} or {name:regex} placeholders"}),
]


def _number(text: str) -> int | float | str:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


@dataclass(slots=True)
class _Hit:
    index: int
    line: OutputLine
    values: dict[str, int | float | str]


def _hits(evidence: RunEvidence, pattern: str, role: str | None, stream: str) -> list[_Hit]:
    regex = capture_regex(pattern)
    found = []
    for index, line in enumerate(evidence.lines(stream)):
        match = regex.search(line_text(line))
        if match and evidence.line_in_role(line, role):
            found.append(_Hit(index, line, {k: _number(v) for k, v in match.groupdict().items() if v is not None}))
    return found


def _verify_ids(evidence: RunEvidence, hits: list[_Hit]) -> list[str]:
    """Problems where a printed pid/ppid/tid is not what the kernel says about the line's writer."""
    problems: list[str] = []
    tasks = evidence.execution.tasks
    for hit in hits:
        claimed = {k: v for k, v in hit.values.items() if k in TRACE_NAMES}
        if not claimed:
            continue
        where = f"line {hit.index + 1} ({line_text(hit.line)!r})"
        if not hit.line.writers or hit.line.writers[0] not in tasks:
            problems.append(f"{where} could not be tied to the task that wrote it")
            continue
        if len(set(hit.line.processes)) > 1:
            problems.append(f"{where} was written by several processes at once ({sorted(set(hit.line.processes))})")
            continue
        task = tasks[hit.line.writers[0]]
        process = tasks.get(task.tgid, task)
        if "pid" in claimed and claimed["pid"] != task.tgid:
            problems.append(f"{where} says pid {claimed['pid']}, but it was written by pid {task.tgid}")
        if "tid" in claimed and claimed["tid"] != task.tid:
            problems.append(f"{where} says tid {claimed['tid']}, but it was written by thread {task.tid}")
        if "ppid" in claimed and process.ppid is not None:
            real = [process.ppid] + ([process.reparented_to] if process.reparented_to is not None else [])
            if claimed["ppid"] not in real:
                problems.append(
                    f"{where} says ppid {claimed['ppid']}, but the parent of pid {process.tid} is "
                    + " then ".join(str(p) for p in real)
                )
    return problems


class OutputIds(CheckBase):
    """Lines like `child {pid} of {ppid}` exist and the printed ids are the writer's real pid/ppid/tid."""

    kind: Literal["output.ids"]
    pattern: CapturePattern
    role: Role | None = None
    min: Count = 1
    stream: Stream = "stdout"
    shorthand: ClassVar[str | None] = "pattern"

    @model_validator(mode="after")
    def _has_ids(self) -> OutputIds:
        names = set(capture_regex(self.pattern).groupindex)
        if not names & set(TRACE_NAMES):
            raise PydanticCustomError(
                "capture", "the pattern names none of {pid}, {ppid}, {tid}; use output.values for other numbers", {}
            )
        return self

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        hits = _hits(evidence, self.pattern, self.role, self.stream)
        who = f" from {self.role}" if self.role else ""
        if len(hits) < self.min:
            return CheckOutcome(
                False,
                f"expected at least {self.min} line(s) like {self.pattern!r}{who}, found {len(hits)}",
                expected=f">= {self.min} line(s)",
                observed=f"{len(hits)} line(s)",
            )
        if not evidence.has_trace:
            return self.no_trace()
        problems = _verify_ids(evidence, hits)
        if problems:
            return CheckOutcome(
                False,
                problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                expected="the ids of the process that printed the line",
                observed=f"{len(problems)} wrong id(s)",
                evidence=[
                    evidence.line_evidence("lines with printed ids", [(h.index, h.line) for h in hits]),
                    evidence.task_evidence("processes in the trace", evidence.processes),
                ],
                params={"problems": problems},
            )
        return CheckOutcome(True, f"{len(hits)} line(s) print ids that match the trace")


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt,
}
_FUNCS = ("first", "last", "sum", "min", "max", "count", "distinct")
_OPERAND = (
    r"-?\d+(?:\.\d+)?|'[^']*'"
    r"|(?:" + "|".join(_FUNCS) + r")\(\s*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?\s*\)"
    r"|[A-Za-z_]\w*\.[A-Za-z_]\w*"
)
_EXPRESSION = re.compile(rf"^\s*({_OPERAND})\s*(==|!=|<=|>=|<|>)\s*({_OPERAND})\s*$")
_REF = re.compile(r"^(?:(\w+)\(\s*)?([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?\s*\)?$")


@dataclass(frozen=True, slots=True)
class _Operand:
    text: str
    literal: int | float | str | None = None
    capture: str | None = None
    field: str | None = None
    func: str | None = None


def _operand(text: str) -> _Operand:
    if text.startswith("'"):
        return _Operand(text, literal=text[1:-1])
    if re.fullmatch(r"-?\d+(?:\.\d+)?", text):
        return _Operand(text, literal=_number(text))
    match = _REF.match(text)
    assert match is not None
    return _Operand(text, capture=match.group(2), field=match.group(3), func=match.group(1))


def parse_expression(text: str) -> tuple[_Operand, str, _Operand]:
    """'child.x == 1' -> (operand, op, operand); ValueError when it is not one comparison."""
    match = _EXPRESSION.match(text)
    if not match:
        raise ValueError(text)
    return _operand(match.group(1)), match.group(2), _operand(match.group(3))


class CaptureSpec(StrictModel):
    """Lines a name stands for in expressions, and the values their placeholders captured."""

    pattern: CapturePattern
    role: Role | None = None
    stream: Stream = "stdout"


class OutputValues(CheckBase):
    """Values printed by the program satisfy comparisons, e.g. `child.x == 1`, `last(total.n) == 4000`."""

    kind: Literal["output.values"]
    captures: dict[str, CaptureSpec]
    expect: list[str]
    require: bool = True

    @model_validator(mode="after")
    def _expressions_refer_to_captures(self) -> OutputValues:
        if not self.expect:
            raise PydanticCustomError("expression", "give at least one comparison in expect", {})
        for number, text in enumerate(self.expect):
            try:
                parts = parse_expression(text)
            except ValueError:
                raise PydanticCustomError(
                    "expression",
                    "expect[{i}]: {got} is not a comparison like 'child.x == 1' or 'last(total.n) >= 10'",
                    {"i": number, "got": repr(text)},
                ) from None
            for side in (parts[0], parts[2]):
                if side.capture is None:
                    continue
                if side.capture not in self.captures:
                    raise PydanticCustomError(
                        "expression", "expect[{i}]: no capture named {name} (captures: {known})",
                        {"i": number, "name": repr(side.capture), "known": ", ".join(sorted(self.captures))},
                    )
                fields = set(capture_regex(self.captures[side.capture].pattern).groupindex)
                if side.field is not None and side.field not in fields:
                    raise PydanticCustomError(
                        "expression", "expect[{i}]: capture {name} has no placeholder {field}",
                        {"i": number, "name": repr(side.capture), "field": "{" + str(side.field) + "}"},
                    )
                if side.field is None and side.func != "count":
                    raise PydanticCustomError(
                        "expression", "expect[{i}]: write {name}.<placeholder>, e.g. {name}.{first}",
                        {"i": number, "name": side.capture, "first": min(fields)},
                    )
        return self

    def _values(self, side: _Operand, hits: dict[str, list[_Hit]]) -> tuple[list[tuple[Any, str]], bool]:
        """(value, where) pairs and whether the operand stands for each value (True) or one aggregate."""
        if side.capture is None:
            return [(side.literal, "")], False
        rows = hits[side.capture]
        values: list[tuple[Any, str]] = [
            (h.values[side.field] if side.field else None, f"line {h.index + 1}, pid {', '.join(map(str, h.line.processes)) or '?'}")
            for h in rows
            if side.field is None or side.field in h.values
        ]
        nums = [v for v, _ in values]
        if side.func is None:
            return values, True
        if side.func == "count":
            return [(len(rows), f"{len(rows)} line(s)")], False
        if side.func == "distinct":
            return [(len(set(nums)), f"{len(set(nums))} distinct value(s)")], False
        if not values:
            return [], False
        picked: dict[str, Callable[[], tuple[Any, str]]] = {
            "first": lambda: values[0],
            "last": lambda: values[-1],
            "sum": lambda: (sum(nums), f"sum of {len(nums)}"),
            "min": lambda: min(values, key=lambda x: x[0]),
            "max": lambda: max(values, key=lambda x: x[0]),
        }
        return [picked[side.func]()], False

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        hits = {name: _hits(evidence, spec.pattern, spec.role, spec.stream) for name, spec in self.captures.items()}
        if any(spec.role for spec in self.captures.values()) and not evidence.has_trace:
            return self.no_trace()
        if self.require:
            empty = [name for name, rows in hits.items() if not rows]
            if empty:
                name = empty[0]
                spec = self.captures[name]
                return CheckOutcome(
                    False,
                    f"no line like {spec.pattern!r}" + (f" from {spec.role}" if spec.role else "") + f" ({name})",
                    expected=f"a line like {spec.pattern!r}",
                    observed="none",
                )
        if evidence.has_trace:
            problems = _verify_ids(evidence, [h for rows in hits.values() for h in rows])
            if problems:
                return CheckOutcome(False, problems[0], expected="ids that match the trace", observed=problems[0])
        for text in self.expect:
            left, op, right = parse_expression(text)
            lvals, _ = self._values(left, hits)
            rvals, _ = self._values(right, hits)
            if not lvals or not rvals:
                return CheckOutcome(False, f"{text}: no value was printed to compare", expected=text, observed="none")
            for lv, lwhere in lvals:
                for rv, rwhere in rvals:
                    try:
                        holds = _OPS[op](lv, rv)
                    except TypeError:
                        holds = False
                    if not holds:
                        seen = ", ".join(
                            f"{s.text} = {v!r}" + (f" ({w})" if w else "")
                            for s, v, w in ((left, lv, lwhere), (right, rv, rwhere)) if s.capture
                        )
                        return CheckOutcome(
                            False,
                            f"expected {text}, but {seen}",
                            expected=text,
                            observed=seen,
                            evidence=[
                                evidence.line_evidence(
                                    f"lines captured as {name}", [(h.index, h.line) for h in rows]
                                )
                                for name, rows in hits.items() if rows
                            ],
                        )
        return CheckOutcome(True, "the printed values satisfy " + "; ".join(self.expect))
