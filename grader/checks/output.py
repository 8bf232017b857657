"""Output checks: exact text, substrings, regexes, line counts, multisets and orders of lines."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from typing import ClassVar, Literal

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, line_text
from grader.checks.params import (
    Bounds,
    Regex,
    Role,
    Stream,
    StrictModel,
    compiled,
)

__all__ = [
    "LineSelector",
    "OutputContains",
    "OutputCount",
    "OutputExact",
    "OutputHappensBefore",
    "OutputOrdered",
    "OutputProcessOrder",
    "OutputRegex",
    "OutputUnordered",
]


def _quote(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


class OutputExact(CheckBase):
    """The whole stream equals `text` (trailing spaces and final newlines ignored unless strict)."""

    kind: Literal["output.exact"]
    text: str
    stream: Stream = "stdout"
    strict: bool = False
    shorthand: ClassVar[str | None] = "text"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if self.strict:
            raw = evidence.record.stdout if self.stream == "stdout" else evidence.record.stderr
            got_text = raw.decode("utf-8", errors="replace")
            ok = got_text == self.text
            return CheckOutcome(
                passed=ok,
                message="the output is exactly as expected" if ok else f"the {self.stream} differs from the expected text",
                expected=self.text,
                observed=got_text,
            )
        want = [s.rstrip() for s in self.text.rstrip("\n").split("\n")] if self.text.strip("\n") else []
        got = [s.rstrip() for s in evidence.texts(self.stream)]
        while got and got[-1] == "":
            got.pop()
        if want == got:
            return CheckOutcome(True, "the output is exactly as expected", expected=self.text, observed="\n".join(got))
        for i in range(max(len(want), len(got))):
            w = want[i] if i < len(want) else None
            g = got[i] if i < len(got) else None
            if w != g:
                break
        detail = (
            f"line {i + 1}: expected {_quote(w) if w is not None else 'no more lines'}, "
            f"got {_quote(g) if g is not None else 'no more lines'}"
        )
        lines = evidence.lines(self.stream)
        shown = [(j, lines[j]) for j in range(max(0, i - 2), min(len(lines), i + 3))]
        return CheckOutcome(
            passed=False,
            message=f"the {self.stream} differs from the expected text at {detail}",
            expected="\n".join(want),
            observed="\n".join(got),
            evidence=[evidence.line_evidence(f"{self.stream} around line {i + 1}", shown)],
            params={"line": i + 1},
        )


class OutputContains(CheckBase):
    """The stream contains `text` somewhere (or, with absent, nowhere)."""

    kind: Literal["output.contains"]
    text: str
    stream: Stream = "stdout"
    absent: bool = False
    shorthand: ClassVar[str | None] = "text"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        whole = "\n".join(evidence.texts(self.stream))
        found = self.text in whole
        if found != self.absent:
            what = "does not contain" if self.absent else "contains"
            return CheckOutcome(True, f"the {self.stream} {what} {_quote(self.text)}")
        if self.absent:
            hits = [(i, ln) for i, ln in enumerate(evidence.lines(self.stream)) if self.text in line_text(ln)]
            return CheckOutcome(
                False,
                f"the {self.stream} should not contain {_quote(self.text)}, but {len(hits)} line(s) do",
                expected=f"no {_quote(self.text)}",
                observed=f"{len(hits)} line(s)",
                evidence=[evidence.line_evidence("lines containing it", hits)] if hits else [],
            )
        return CheckOutcome(
            False,
            f"the {self.stream} does not contain {_quote(self.text)}",
            expected=_quote(self.text),
            observed=_quote(whole, 200) if whole else "no output",
        )


class OutputRegex(CheckBase):
    """A regular expression (multi-line mode) matches the stream (or, with absent, does not)."""

    kind: Literal["output.regex"]
    pattern: Regex
    stream: Stream = "stdout"
    absent: bool = False
    shorthand: ClassVar[str | None] = "pattern"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        import re

        whole = "\n".join(evidence.texts(self.stream))
        match = re.search(self.pattern, whole, re.MULTILINE)
        if (match is not None) != self.absent:
            verb = "does not match" if self.absent else "matches"
            return CheckOutcome(True, f"the {self.stream} {verb} /{self.pattern}/")
        if self.absent and match is not None:
            return CheckOutcome(
                False,
                f"/{self.pattern}/ should not match the {self.stream}, but it matched {_quote(match.group(0))}",
                expected="no match",
                observed=_quote(match.group(0)),
            )
        return CheckOutcome(
            False,
            f"no part of the {self.stream} matches /{self.pattern}/",
            expected=f"a match for /{self.pattern}/",
            observed=_quote(whole, 200) if whole else "no output",
        )


class OutputCount(Bounds, CheckBase):
    """The number of lines matching `pattern` is within bounds."""

    kind: Literal["output.count"]
    pattern: Regex
    stream: Stream = "stdout"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        hits = evidence.matching(self.pattern, self.stream)
        ok = self.holds(len(hits))
        want = f"{self.describe()} line(s) matching /{self.pattern}/"
        message = f"expected {want} on {self.stream}, found {len(hits)}"
        return CheckOutcome(
            passed=ok,
            message=message,
            expected=want,
            observed=f"{len(hits)} line(s)",
            evidence=[] if ok else [evidence.line_evidence("matching lines", hits)],
            params={"count": len(hits)},
        )


class OutputUnordered(CheckBase):
    """The stream's lines, in any order, are exactly this multiset (or contain it, with extra allowed)."""

    kind: Literal["output.unordered"]
    lines: list[str]
    stream: Stream = "stdout"
    allow_extra: bool = False
    shorthand: ClassVar[str | None] = "lines"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        want = Counter(s.rstrip() for s in self.lines)
        got = Counter(s.rstrip() for s in evidence.texts(self.stream))
        missing = want - got
        extra = Counter() if self.allow_extra else got - want
        if not missing and not extra:
            return CheckOutcome(True, f"the {self.stream} has the expected lines (in any order)")
        parts = []
        if missing:
            parts.append("missing " + ", ".join(f"{_quote(k)} x{n}" for k, n in missing.items()))
        if extra:
            parts.append("unexpected " + ", ".join(f"{_quote(k)} x{n}" for k, n in extra.items()))
        return CheckOutcome(
            False,
            f"the {self.stream}'s lines (in any order) differ: " + "; ".join(parts),
            expected="\n".join(sorted(want.elements())),
            observed="\n".join(sorted(got.elements())),
            params={"missing": sum(missing.values()), "extra": sum(extra.values())},
        )


class OutputOrdered(CheckBase):
    """Lines matching each pattern appear in this order (other lines may come between)."""

    kind: Literal["output.ordered"]
    patterns: list[Regex]
    stream: Stream = "stdout"
    shorthand: ClassVar[str | None] = "patterns"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        lines = evidence.lines(self.stream)
        position = 0
        for step, pattern in enumerate(self.patterns):
            regex = compiled(pattern)
            while position < len(lines) and not regex.search(line_text(lines[position])):
                position += 1
            if position >= len(lines):
                anywhere = [(i, ln) for i, ln in enumerate(lines) if regex.search(line_text(ln))]
                where = (
                    f"it appears only before the line matching /{self.patterns[step - 1]}/"
                    if anywhere and step > 0
                    else "no line matches it"
                )
                return CheckOutcome(
                    False,
                    f"expected a line matching /{pattern}/ after the previous steps; {where}",
                    expected=" then ".join(f"/{p}/" for p in self.patterns),
                    observed=f"{step} of {len(self.patterns)} step(s) in order",
                    evidence=[evidence.line_evidence("lines matching it", anywhere)] if anywhere else [],
                )
            position += 1
        return CheckOutcome(True, f"the {len(self.patterns)} lines appear in the expected order")


class OutputProcessOrder(CheckBase):
    """Each process prints its matching lines in the patterns' order; processes may interleave freely."""

    kind: Literal["output.process_order"]
    patterns: list[Regex]
    role: Role | None = None
    require_all: bool = True
    stream: Stream = "stdout"
    shorthand: ClassVar[str | None] = "patterns"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        regexes = [compiled(p) for p in self.patterns]
        per_process: dict[int, list[tuple[int, int]]] = {}
        for index, line in enumerate(evidence.lines(self.stream)):
            text = line_text(line)
            step = next((k for k, r in enumerate(regexes) if r.search(text)), None)
            if step is None or not evidence.line_in_role(line, self.role):
                continue
            for pid in dict.fromkeys(line.processes):
                per_process.setdefault(pid, []).append((index, step))
        if not per_process:
            return CheckOutcome(False, "no process printed any of the expected lines", observed="none")
        lines = evidence.lines(self.stream)
        for pid, seq in sorted(per_process.items()):
            for (i1, s1), (i2, s2) in pairwise(seq):
                if s2 < s1:
                    return CheckOutcome(
                        False,
                        f"pid {pid} printed a line matching /{self.patterns[s2]}/ after one matching "
                        f"/{self.patterns[s1]}/; each process must print them in the given order",
                        expected=" then ".join(f"/{p}/" for p in self.patterns),
                        observed=f"pid {pid}: line {i1 + 1} then line {i2 + 1}",
                        evidence=[evidence.line_evidence(f"lines of pid {pid}", [(i, lines[i]) for i, _ in seq])],
                    )
            if self.require_all:
                missing = [self.patterns[k] for k in range(len(regexes)) if k not in {s for _, s in seq}]
                if missing:
                    return CheckOutcome(
                        False,
                        f"pid {pid} never printed a line matching " + ", ".join(f"/{m}/" for m in missing),
                        expected="every step from every process",
                        observed=f"pid {pid} missed {len(missing)} step(s)",
                        evidence=[evidence.line_evidence(f"lines of pid {pid}", [(i, lines[i]) for i, _ in seq])],
                    )
        return CheckOutcome(True, f"each of {len(per_process)} process(es) printed its lines in order")


class LineSelector(StrictModel):
    """Lines matching a pattern, optionally only those written by a role."""

    pattern: Regex
    role: Role | None = None

    def describe(self) -> str:
        """E.g. '/^done/ from root'."""
        return f"/{self.pattern}/" + (f" from {self.role}" if self.role else "")


class OutputHappensBefore(CheckBase):
    """Every line chosen by `before` comes before every line chosen by `after` in the stream."""

    kind: Literal["output.happens_before"]
    before: LineSelector
    after: LineSelector
    stream: Stream = "stdout"
    require: bool = True

    @model_validator(mode="after")
    def _distinct(self) -> OutputHappensBefore:
        if self.before.pattern == self.after.pattern and self.before.role == self.after.role:
            raise PydanticCustomError("happens_before", "before and after select the same lines", {})
        return self

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if (self.before.role or self.after.role) and not evidence.has_trace:
            return self.no_trace()
        before = [(i, ln) for i, ln in evidence.matching(self.before.pattern, self.stream)
                  if evidence.line_in_role(ln, self.before.role)]
        after = [(i, ln) for i, ln in evidence.matching(self.after.pattern, self.stream)
                 if evidence.line_in_role(ln, self.after.role)]
        want = f"every line {self.before.describe()} before every line {self.after.describe()}"
        if not before or not after:
            missing = [d for d, got in ((self.before.describe(), before), (self.after.describe(), after)) if not got]
            return CheckOutcome(
                passed=not self.require,
                message=f"no line {' or '.join(missing)} was printed",
                expected=want,
                observed="missing lines",
            )
        last_before = max(before, key=lambda x: x[0])
        first_after = min(after, key=lambda x: x[0])
        if last_before[0] < first_after[0]:
            return CheckOutcome(True, want, expected=want)
        return CheckOutcome(
            False,
            f"line {first_after[0] + 1} ({line_text(first_after[1])!r}) matches {self.after.describe()} but comes "
            f"before line {last_before[0] + 1} ({line_text(last_before[1])!r}) which matches {self.before.describe()}",
            expected=want,
            observed=f"line {first_after[0] + 1} before line {last_before[0] + 1}",
            evidence=[evidence.line_evidence("lines out of order", sorted([first_after, last_before], key=lambda x: x[0]))],
        )
