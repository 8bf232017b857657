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

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, SubjectCheck, line_text, more, outcome
from grader.checks.messages import quote
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


@dataclass(slots=True)
class _Verdict:
    problems: list[tuple[str, dict[str, Any]]]   # (template, params) per wrong or unverifiable line
    checked: int                                  # claims compared with the trace
    unproven: list[OutputLine]                    # lines whose {tid} could not be known (shared stdio)


def _verify_ids(evidence: RunEvidence, hits: list[_Hit]) -> _Verdict:
    """Where a printed pid/ppid/tid is not what the kernel says about the line's one writer."""
    verdict = _Verdict([], 0, [])
    tasks = evidence.execution.tasks
    for hit in hits:
        claimed = {k: v for k, v in hit.values.items() if k in TRACE_NAMES}
        if not claimed:
            continue
        where = {"line": hit.index + 1, "text": quote(line_text(hit.line))}
        line = hit.line
        processes = list(dict.fromkeys(line.processes))
        if line.owner_process is None or line.owner_process not in tasks:
            if len(processes) == 2:
                verdict.problems.append(("ids.mixed2", {**where, "a": processes[0], "b": processes[1]}))
            elif len(processes) > 2:
                verdict.problems.append(("ids.mixed", {**where, "pids": processes}))
            elif line.writers and line.unknown_bytes:
                verdict.problems.append(("ids.unknown", where))
            else:
                verdict.problems.append(("ids.untraced", where))
            continue
        process = tasks[line.owner_process]
        if "pid" in claimed:
            verdict.checked += 1
            if claimed["pid"] != process.tid:
                verdict.problems.append(("ids.pid", {**where, "claimed": claimed["pid"], "real": process.tid}))
        if "tid" in claimed:
            if evidence.thread_unproven(line) is not None:
                verdict.unproven.append(line)
            elif line.owner is None:
                verdict.problems.append(("ids.mixed2", {**where, "a": line.writers[0], "b": line.writers[1]})
                                        if len(line.writers) > 1 else ("ids.untraced", where))
            else:
                verdict.checked += 1
                if claimed["tid"] != line.owner:
                    verdict.problems.append(("ids.tid", {**where, "claimed": claimed["tid"], "real": line.owner}))
        if "ppid" in claimed and process.ppid is not None:
            verdict.checked += 1
            real = [process.ppid] + ([process.reparented_to] if process.reparented_to is not None else [])
            if claimed["ppid"] not in real:
                params = {**where, "claimed": claimed["ppid"], "pid": process.tid, "real": process.ppid}
                if process.reparented_to is not None:
                    verdict.problems.append(("ids.ppid_adopted", {**params, "adopter": process.reparented_to}))
                else:
                    verdict.problems.append(("ids.ppid", params))
    return verdict


def _problem_outcome(verdict: _Verdict, **extra: Any) -> CheckOutcome:
    key, params = verdict.problems[0]
    more_slot, more_params = more(len(verdict.problems) - 1)
    return outcome(False, key, {**params, **more_params, "problems": len(verdict.problems)}, slots=more_slot,
                   **extra)


class OutputIds(SubjectCheck):
    """Lines like `child {pid} of {ppid}` exist and the printed ids are the writer's real pid/ppid/tid.

    A {tid} claim is judged only where the trace shows which thread wrote the line: when a process's
    threads share one stdio buffer flushed several lines per write, the tid is not checked (and not
    failed); the page says so. With nothing checkable left the check is not applicable.
    """

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
        if self.role is not None and not evidence.has_trace:
            return self.no_trace()
        hits = _hits(evidence, self.pattern, self.role, self.stream)
        frm = {"from": "role" if self.role else "none"}
        if len(hits) < self.min:
            everything = _hits(evidence, self.pattern, None, self.stream)
            unowned_slot, unowned_params = evidence.unowned([(h.index, h.line) for h in everything])
            if not hits and not everything:
                return self.nothing(evidence, "ids.few", {"want": self.min, "pattern": quote(self.pattern),
                                                          "role": self.role, "got": 0, **unowned_params},
                                    slots={**unowned_slot, **frm})
            return outcome(
                False, "ids.few", {"want": self.min, "pattern": quote(self.pattern), "role": self.role,
                                   "got": len(hits), **unowned_params},
                slots={**unowned_slot, **frm},
                expected=f">= {self.min} line(s)",
                observed=f"{len(hits)} line(s)",
            )
        if not evidence.has_trace:
            return self.no_trace()
        verdict = _verify_ids(evidence, hits)
        shown = [
            evidence.line_evidence("lines with printed ids", [(h.index, h.line) for h in hits]),
            evidence.task_evidence("processes in the trace", evidence.processes),
        ]
        if verdict.problems:
            return _problem_outcome(verdict, expected="the ids of the process that printed the line",
                                    observed=f"{len(verdict.problems)} wrong id(s)", evidence=shown)
        if verdict.unproven and verdict.checked == 0:
            shared = evidence.thread_unproven(verdict.unproven[0])
            assert shared is not None
            return outcome(
                False, "ids.unproven",
                {"unproven": len(verdict.unproven), "pattern": quote(self.pattern), "buffer_pid": shared.pid,
                 "buffer_writes": shared.writes, **shared.slot()[1]},
                slots=shared.slot()[0],
                expected="the ids of the thread that printed the line",
                observed="writer thread unknown (shared stdio buffer)", evidence=shown, applicable=False,
            )
        stdio_slot, stdio_params = evidence.stdio_slot(verdict.unproven)
        return outcome(True, "ids.ok", {"count": len(hits), **stdio_params}, slots=stdio_slot,
                       evidence=shown if verdict.unproven else [])


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
            (h.values[side.field] if side.field else None, f"line {h.index + 1}, pid {h.line.owner_process or '?'}")
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
        expect = "; ".join(self.expect)
        if self.require:
            empty = [name for name, rows in hits.items() if not rows]
            if empty:
                name = empty[0]
                spec = self.captures[name]
                everything = _hits(evidence, spec.pattern, None, spec.stream)
                unowned_slot, unowned_params = evidence.unowned([(h.index, h.line) for h in everything])
                return outcome(
                    False, "values.none",
                    {"pattern": quote(spec.pattern), "role": spec.role, "name": name, **unowned_params},
                    slots={**unowned_slot, "from": "role" if spec.role else "none"},
                    expected=f"a line like {spec.pattern!r}",
                    observed="none",
                )
        if evidence.has_trace:
            verdict = _verify_ids(evidence, [h for rows in hits.values() for h in rows])
            if verdict.problems:
                return _problem_outcome(verdict, expected="ids that match the trace")
        for text in self.expect:
            left, op, right = parse_expression(text)
            lvals, _ = self._values(left, hits)
            rvals, _ = self._values(right, hits)
            if not lvals or not rvals:
                return outcome(False, "values.nothing", {"expect": text}, expected=text, observed="none")
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
                        return outcome(
                            False, "values.bad", {"expect": text, "seen": seen},
                            expected=text,
                            observed=seen,
                            evidence=[
                                evidence.line_evidence(
                                    f"lines captured as {name}", [(h.index, h.line) for h in rows]
                                )
                                for name, rows in hits.items() if rows
                            ],
                        )
        return outcome(True, "values.ok", {"expect": expect})
