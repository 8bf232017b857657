"""Captures: numbers printed by the program, bound to the trace (pid, ppid, tid and any trace fact).

`output.ids` checks placeholders named pid, ppid and tid against the line's writer. `output.values`
checks expressions (grader.checks.expr) over what placeholders captured and over the trace's model
of the run: the writer, its parent and children, any process's exit status or signal, the reap
order, line numbers. Every binding is judged against the trace, never against what the program says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, PlainValidator, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, SubjectCheck, line_text, more, outcome
from grader.checks.expr import (
    Binding,
    ExprError,
    Fact,
    Failure,
    Row,
    TraceView,
    compile_expression,
    judge,
    reads_trace,
)
from grader.checks.messages import quote
from grader.checks.params import Count, Role, Stream, StrictModel
from grader.trace.model import OutputLine, Task

__all__ = [
    "TRACE_NAMES",
    "CapturePattern",
    "CaptureSpec",
    "LineChoice",
    "OutputIds",
    "OutputValues",
    "capture_regex",
    "capture_values",
]

TRACE_NAMES = ("pid", "ppid", "tid")
_PLACEHOLDER = re.compile(r"(?<!\\)\{([A-Za-z_]\w*)(?::((?:[^{}]|\{[^{}]*\})*))?\}")
_REPEAT = re.compile(r"^__(\d+)__(\w+)$")    # the group of a placeholder's second, third... occurrence
LineChoice = Literal["all", "first", "last"]


@lru_cache(maxsize=512)
def capture_regex(pattern: str) -> re.Pattern[str]:
    """`child {pid} of {ppid}` -> a regex with named number groups; `{name:regex}` gives the group's regex.

    A placeholder may appear more than once (`pid={pid} tid={tid}|tid={tid} pid={pid}`): each later
    occurrence is its own group, and capture_values() joins them into one value.
    """
    out: list[str] = []
    last = 0
    seen: dict[str, int] = {}
    for match in _PLACEHOLDER.finditer(pattern):
        out.append(pattern[last:match.start()])
        name = match.group(1)
        body = match.group(2) if match.group(2) is not None else r"-?\d+"
        seen[name] = seen.get(name, 0) + 1
        group = name if seen[name] == 1 else f"__{seen[name]}__{name}"
        out.append(f"(?P<{group}>{body})")
        last = match.end()
    out.append(pattern[last:])
    return re.compile("".join(out))


def placeholders(pattern: str) -> frozenset[str]:
    """The placeholder names of a capture pattern."""
    return frozenset(m.group(1) for m in _PLACEHOLDER.finditer(pattern))


def capture_values(match: re.Match[str]) -> dict[str, int | float | str] | None:
    """What each placeholder captured (numbers as numbers); None when a repeated one captured two values."""
    values: dict[str, int | float | str] = {}
    for group, text in match.groupdict().items():
        if text is None:
            continue                                # an optional part that was not printed
        repeat = _REPEAT.match(group)
        name = repeat.group(2) if repeat else group
        value = _number(text)
        if name in values and values[name] != value:
            return None
        values[name] = value
    return values


def _capture_pattern(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("capture", "expected a pattern with {name} placeholders, got {got}", {"got": repr(value)})
    names = [m.group(1) for m in _PLACEHOLDER.finditer(value)]
    if not names:
        raise PydanticCustomError(
            "capture", "the pattern {got} has no placeholder such as {pid} or {x}", {"got": repr(value)}
        )
    bad = sorted({n for n in names if _REPEAT.match(n)})
    if bad:
        raise PydanticCustomError("capture", "placeholder names may not look like {got}", {"got": repr(bad[0])})
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
    WithJsonSchema({"type": "string", "description": "a regex with {name} or {name:regex} placeholders; a "
                                                     "placeholder may appear twice (in alternatives), and "
                                                     "inside an optional group"}),
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


def _chosen(evidence: RunEvidence, role: str | None, stream: str, line: LineChoice) -> list[tuple[int, OutputLine]]:
    """The lines a capture looks at: those of `role` (all lines without one), or only its first or last."""
    owned = [(i, ln) for i, ln in enumerate(evidence.lines(stream)) if evidence.line_in_role(ln, role)]
    if line == "first":
        return owned[:1]
    if line == "last":
        return owned[-1:]
    return owned


def _hits(evidence: RunEvidence, pattern: str, role: str | None, stream: str, line: LineChoice = "all") -> list[_Hit]:
    regex = capture_regex(pattern)
    found = []
    for index, text_line in _chosen(evidence, role, stream, line):
        match = regex.search(line_text(text_line))
        if match:
            values = capture_values(match)
            if values is not None:
                found.append(_Hit(index, text_line, values))
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
    pattern: CapturePattern = Field(description="the line, as a regex with {pid}, {ppid} and/or {tid} placeholders "
                                                "(other placeholders are captured but not checked)")
    role: Role | None = Field(None, description="only lines written entirely by this role count")
    min: Count = Field(1, description="at least this many lines must match")
    stream: Stream = Field("stdout", description="the stream the lines are on")
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



class CaptureSpec(StrictModel):
    """Lines a name stands for in expressions, and the values their placeholders captured."""

    pattern: CapturePattern = Field(description="the line, as a regex with {name} or {name:regex} placeholders; a "
                                                "placeholder may appear in two alternatives ('pid={pid} tid={tid}|"
                                                "tid={tid} pid={pid}') or inside an optional group")
    role: Role | None = Field(None, description="only lines written entirely by one task of this role")
    stream: Stream = Field("stdout", description="the stream the lines are on")
    line: LineChoice = Field("all", description="all: every matching line; first or last: only the first or last "
                                                "line of the stream (written by `role`, if given), which must match")


@lru_cache(maxsize=512)
def _compiled(text: str, fields: tuple[tuple[str, frozenset[str]], ...]) -> Binding:
    return compile_expression(text, dict(fields))


def _error_text(err: ExprError, text: str) -> str:
    where = f" (at column {err.position + 1} of {text!r})" if 0 < err.position < len(text) else ""
    return f"{err.message}{where}"


# What a fact of the trace is said as: Fact.kind -> (clause of <fact>, params), see _fact_slot.
def _end_clause(task: Task) -> tuple[str, dict[str, Any]]:
    if task.stopped_by is not None:
        return "stopped", {"fact_pid": task.tid}
    if task.signal:
        return "killed", {"fact_pid": task.tid, "fact_signal": task.signal}
    if task.exit_code is not None:
        return "exited", {"fact_pid": task.tid, "fact_status": task.exit_code}
    return "running", {"fact_pid": task.tid}


def _fact_slot(fact: Fact | None, tasks: dict[int, Task]) -> tuple[str, dict[str, Any]]:
    """The <fact> clause that says what the trace showed, and its params."""
    if fact is None:
        return "none", {}
    pid = fact.task
    if fact.kind == "end" and pid in tasks:
        return _end_clause(tasks[pid])
    if fact.kind == "writer":
        return "writer", {"fact_pid": pid}
    if fact.kind == "thread":
        return "thread", {"fact_tid": pid}
    if fact.kind == "bytes_received":
        return "bytes_received", {"fact_pid": pid, "fact_bytes": fact.value}
    if fact.kind == "depth":
        return "depth", {"fact_pid": pid, "fact_depth": fact.value}
    if fact.kind == "root":
        return "root", {"fact_pid": pid}
    if fact.kind == "parent":
        return ("parent", {"fact_pid": pid, "fact_parent": fact.value}) if fact.value is not None else ("none", {})
    if fact.kind == "reaper":
        return ("reaper", {"fact_pid": pid, "fact_reaper": fact.value}) if fact.value is not None \
            else ("unreaped", {"fact_pid": pid})
    if fact.kind in ("children", "threads", "reaped", "procs", "received_from", "sent_to"):
        if not fact.value:
            return ({"children": "no_children", "threads": "no_threads", "reaped": "reaped_none",
                     "procs": "none", "received_from": "received_none", "sent_to": "sent_none"}[fact.kind],
                    {"fact_pid": pid} if pid is not None else {})
        return fact.kind, {"fact_list": list(fact.value), **({"fact_pid": pid} if pid is not None else {})}
    return "none", {}


class OutputValues(CheckBase):
    """Printed values satisfy expressions over what was printed and what the trace shows.

    E.g. `c.p == c.writer.pid`, `proc(st.c).exit_status == st.code`, `last(total.n) == 4 * 1000`.
    An expression that names a capture outside count/sum/last/... must hold on every line of it. The
    language (grader.checks.expr) is parsed when the assignment is loaded; nothing is `eval`'d.
    Placeholders named pid, ppid and tid are also checked as output.ids checks them.
    """

    kind: Literal["output.values"]
    captures: dict[str, CaptureSpec] = Field(description="name -> the lines it stands for in expressions")
    expect: list[str] = Field(description="expressions that must hold, e.g. 'proc(st.c).exit_status == st.code' "
                                          "(grammar: grader.checks.expr)")
    require: bool = Field(True, description="every capture must match at least one line")

    @model_validator(mode="after")
    def _expressions_refer_to_captures(self) -> OutputValues:
        if not self.expect:
            raise PydanticCustomError("expression", "give at least one comparison in expect", {})
        for number, text in enumerate(self.expect):
            try:
                self._binding(text)
            except ExprError as err:
                raise PydanticCustomError("expression", "expect[{i}]: {problem}",
                                          {"i": number, "problem": _error_text(err, text)}) from None
        return self

    def _binding(self, text: str) -> Binding:
        fields = tuple(sorted((name, placeholders(spec.pattern)) for name, spec in self.captures.items()))
        return _compiled(text, fields)

    def _rows(self, evidence: RunEvidence, name: str, hits: list[_Hit]) -> list[Row]:
        return [
            Row(name, h.index, line_text(h.line), dict(h.values), h.line.owner_process, h.line.owner,
                tuple(h.line.processes), h.line.unknown_bytes, evidence.thread_unproven(h.line) is not None)
            for h in hits
        ]

    def _missing(self, evidence: RunEvidence, name: str) -> CheckOutcome:
        spec = self.captures[name]
        frm = "role" if spec.role else "none"
        chosen = _chosen(evidence, spec.role, spec.stream, spec.line)
        if spec.line != "all" and chosen:
            index, line = chosen[0]
            return outcome(
                False, "values.not_chosen",
                {"pattern": quote(spec.pattern), "role": spec.role, "name": name, "chosen": index + 1,
                 "chosen_text": quote(line_text(line))},
                slots={"which": spec.line, "from": frm},
                expected=f"the {spec.line} line like {spec.pattern!r}", observed=line_text(line),
                evidence=[evidence.line_evidence(f"the {spec.line} line", chosen)],
            )
        everything = _hits(evidence, spec.pattern, None, spec.stream)
        unowned_slot, unowned_params = evidence.unowned([(h.index, h.line) for h in everything])
        return outcome(
            False, "values.none",
            {"pattern": quote(spec.pattern), "role": spec.role, "name": name, **unowned_params},
            slots={**unowned_slot, "from": frm},
            expected=f"a line like {spec.pattern!r}",
            observed="none",
        )

    def _failure(self, evidence: RunEvidence, text: str, failure: Failure, count: int,
                 hits: dict[str, list[_Hit]]) -> CheckOutcome:
        tasks = evidence.execution.tasks
        more_slot, more_params = more(count - 1)
        at: dict[str, Any] = {}
        if failure.rows:
            row = next(iter(failure.rows.values()))
            at = {"line": row.index + 1, "text": quote(row.text)}
        shown = [evidence.line_evidence(f"lines captured as {name}", [(h.index, h.line) for h in rows])
                 for name, rows in hits.items() if rows]
        if failure.nofact is not None:
            missing = failure.nofact
            if missing.template.startswith("ids.") or missing.template == "trace.none":
                params = {**missing.params, **more_params}
                slots = more_slot if missing.template.startswith("ids.") else {}
                return outcome(False, missing.template, params, slots=slots, expected=text,
                               observed="unverifiable", evidence=shown)
            if missing.template == "values.nothing":
                return outcome(False, "values.nothing", {"expect": text}, expected=text, observed="none")
            return outcome(False, missing.template, {**missing.params, **at, "expect": text},
                           slots={"at": "line" if at else "none"}, expected=text, observed="unverifiable",
                           evidence=shown)
        fact_clause, fact_params = _fact_slot(failure.fact, tasks)
        printed = ", ".join(failure.printed)
        fact_tasks = [failure.fact.task] if failure.fact is not None and failure.fact.task in tasks else []
        if fact_tasks:
            shown.append(evidence.task_evidence("what the trace shows", [tasks[t] for t in fact_tasks]))
        return outcome(
            False, "bind.bad",
            {"expect": failure.part, **at, "printed": printed, **fact_params, **more_params},
            slots={"at": "line" if at else "none", "printed": "some" if printed else "none",
                   "fact": fact_clause, **more_slot},
            expected=text,
            observed=printed or "false",
            evidence=shown,
        )

    def _unproven(self, evidence: RunEvidence, text: str, rows: list[Row],
                  hits: dict[str, list[_Hit]]) -> CheckOutcome:
        """Not applicable: every line the expression is about was written through a shared stdio buffer."""
        line = evidence.lines(self.captures[rows[0].capture].stream)[rows[0].index]
        shared = evidence.thread_unproven(line)
        assert shared is not None
        flusher_slot, flusher_params = shared.slot()
        return outcome(
            False, "ids.unproven",
            {"unproven": len(rows), "pattern": quote(self.captures[rows[0].capture].pattern),
             "buffer_pid": shared.pid, "buffer_writes": shared.writes, **flusher_params},
            slots=flusher_slot, expected=text, observed="writer thread unknown (shared stdio buffer)",
            evidence=[evidence.line_evidence(f"lines captured as {name}", [(h.index, h.line) for h in found])
                      for name, found in hits.items() if found],
            applicable=False,
        )

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        hits = {name: _hits(evidence, spec.pattern, spec.role, spec.stream, spec.line)
                for name, spec in self.captures.items()}
        if any(spec.role for spec in self.captures.values()) and not evidence.has_trace:
            return self.no_trace()
        if self.require:
            empty = [name for name, rows in hits.items() if not rows]
            if empty:
                return self._missing(evidence, empty[0])
        if evidence.has_trace:
            verdict = _verify_ids(evidence, [h for rows in hits.values() for h in rows])
            if verdict.problems:
                return _problem_outcome(verdict, expected="ids that match the trace")
        trace = TraceView(evidence.execution.tasks, evidence.processes, evidence.execution.root,
                          evidence.execution.flows)
        gather = {name: self._rows(evidence, name, rows) for name, rows in hits.items()}
        for text in self.expect:
            binding = self._binding(text)
            if not evidence.has_trace and _needs_trace(binding):
                return self.no_trace()
            judgement = judge(binding, trace, gather)
            if judgement.failures:
                return self._failure(evidence, text, judgement.failures[0], len(judgement.failures), hits)
            if judgement.judged == 0 and judgement.unproven:
                return self._unproven(evidence, text, list(judgement.unproven), hits)
            if judgement.judged == 0:
                return outcome(False, "values.nothing", {"expect": text}, expected=text, observed="none")
        return outcome(True, "values.ok", {"expect": "; ".join(self.expect)})


def _needs_trace(binding: Binding) -> bool:
    """Whether an expression reads the trace's model (not only printed values)."""
    return reads_trace(binding.tree)
