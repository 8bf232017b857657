"""Output checks: exact text, substrings, regexes, line counts, multisets and orders of lines."""

from __future__ import annotations

import bisect
from collections import Counter
from itertools import pairwise
from typing import ClassVar, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, SubjectCheck, line_text, outcome
from grader.checks.messages import quote
from grader.checks.params import (
    Bounds,
    Regex,
    Role,
    Stream,
    StrictModel,
    compiled,
)
from grader.trace.model import OutputLine

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


def _quote(text: str, limit: int = 60) -> str:
    return quote(text, limit)


class OutputExact(CheckBase):
    """The whole stream equals `text` (trailing spaces and final newlines ignored unless strict)."""

    kind: Literal["output.exact"]
    text: str = Field(description="the expected text of the whole stream")
    stream: Stream = Field(default="stdout", description="the stream judged: stdout or stderr")
    strict: bool = Field(default=False, description="compare byte for byte: trailing spaces and final newlines count")
    shorthand: ClassVar[str | None] = "text"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if self.strict:
            raw = evidence.record.stdout if self.stream == "stdout" else evidence.record.stderr
            got_text = raw.decode("utf-8", errors="replace")
            ok = got_text == self.text
            return outcome(ok, "exact.ok" if ok else "exact.strict_bad", {"stream": self.stream},
                           expected=self.text, observed=got_text)
        want = [s.rstrip() for s in self.text.rstrip("\n").split("\n")] if self.text.strip("\n") else []
        got = [s.rstrip() for s in evidence.texts(self.stream)]
        while got and got[-1] == "":
            got.pop()
        if want == got:
            return outcome(True, "exact.ok", expected=self.text, observed="\n".join(got))
        i = 0
        for i in range(max(len(want), len(got))):
            w = want[i] if i < len(want) else None
            g = got[i] if i < len(got) else None
            if w != g:
                break
        params: dict[str, object] = {"stream": self.stream, "line": i + 1}
        if w is None:
            key = "exact.line_long"
        elif g is None:
            key = "exact.line_short"
        else:
            key = "exact.line"
        if w is not None:
            params["want"] = _quote(w)
        if g is not None:
            params["got"] = _quote(g)
        lines = evidence.lines(self.stream)
        shown = [(j, lines[j]) for j in range(max(0, i - 2), min(len(lines), i + 3))]
        return outcome(
            False, key, params,
            expected="\n".join(want),
            observed="\n".join(got),
            evidence=[evidence.line_evidence(f"{self.stream} around line {i + 1}", shown)],
        )


def _lines_where_found(texts: list[str], text: str) -> list[int]:
    """The indexes of the lines (each with its newline) where an occurrence of `text` starts."""
    whole = "".join(texts)
    starts: list[int] = []
    at = 0
    for text_of_line in texts:
        starts.append(at)
        at += len(text_of_line)
    found: list[int] = []
    i = whole.find(text) if texts else -1
    while 0 <= i < len(whole):
        line = bisect.bisect_right(starts, i) - 1
        if not found or found[-1] != line:
            found.append(line)
        i = whole.find(text, i + 1)
    return found


class OutputContains(CheckBase):
    """The stream contains `text` somewhere (or, with absent, nowhere)."""

    kind: Literal["output.contains"]
    text: str = Field(description="the text to look for: plain text, not a regular expression; it may span lines")
    stream: Stream = Field(default="stdout", description="the stream judged: stdout or stderr")
    absent: bool = Field(default=False, description="require instead that the text appears nowhere")
    shorthand: ClassVar[str | None] = "text"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        # each line with the newline the program ended it with: a text ending in "\n" matches a last line
        # printed with one, and not one printed without
        lines = evidence.lines(self.stream)
        texts = [line_text(ln) + ("\n" if ln.complete else "") for ln in lines]
        whole = "".join(texts)
        found = self.text in whole
        params = {"stream": self.stream, "text": _quote(self.text)}
        if found != self.absent:
            return outcome(True, "contains.absent_ok" if self.absent else "contains.ok", params)
        if self.absent:
            hits = [(i, lines[i]) for i in _lines_where_found(texts, self.text)]
            return outcome(
                False, "contains.absent_bad", {**params, "count": len(hits), "line": hits[0][0] + 1 if hits else 0},
                expected=f"no {_quote(self.text)}",
                observed=f"{len(hits)} line(s)",
                evidence=[evidence.line_evidence("lines containing it", hits)] if hits else [],
            )
        return outcome(
            False, "contains.bad" if whole else "contains.empty", params,
            expected=_quote(self.text),
            observed=_quote(whole, 200) if whole else "no output",
        )


class OutputRegex(CheckBase):
    """A regular expression (multi-line mode) matches the stream (or, with absent, does not)."""

    kind: Literal["output.regex"]
    pattern: Regex = Field(
        description="a regular expression searched in the whole stream, multi-line (^ and $ match at each line)")
    stream: Stream = Field(default="stdout", description="the stream judged: stdout or stderr")
    absent: bool = Field(default=False, description="require instead that it matches nowhere")
    shorthand: ClassVar[str | None] = "pattern"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        import re

        whole = "\n".join(evidence.texts(self.stream))
        match = re.search(self.pattern, whole, re.MULTILINE)
        params = {"stream": self.stream, "pattern": self.pattern}
        if (match is not None) != self.absent:
            return outcome(True, "regex.absent_ok" if self.absent else "regex.ok", params)
        if self.absent and match is not None:
            return outcome(False, "regex.absent_bad", {**params, "text": _quote(match.group(0))},
                           expected="no match", observed=_quote(match.group(0)))
        return outcome(
            False, "regex.bad" if whole else "regex.empty", params,
            expected=f"a match for /{self.pattern}/",
            observed=_quote(whole, 200) if whole else "no output",
        )


class OutputCount(Bounds, CheckBase):
    """The number of lines matching `pattern` (written by `role`, if given) is within bounds.

    With `role`, a line counts only when one task of the role wrote all of it: a line assembled from
    several processes' writes, or holding bytes no traced call wrote, counts for no role.
    """

    kind: Literal["output.count"]
    pattern: Regex = Field(description="a regular expression; the lines it matches (anywhere in the line) are counted")
    role: Role | None = Field(
        default=None, description="count only the lines written entirely by this role (see Roles)")
    stream: Stream = Field(default="stdout", description="the stream judged: stdout or stderr")

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if self.role is not None and not evidence.has_trace:
            return self.no_trace()
        matching = evidence.matching(self.pattern, self.stream)
        hits = [(i, ln) for i, ln in matching if evidence.line_in_role(ln, self.role)]
        ok = self.holds(len(hits))
        slots, params = self.bounds_slot()
        params.update(pattern=self.pattern, stream=self.stream, count=len(hits), role=self.role)
        if not ok and self.role is not None:
            unowned_slot, unowned_params = evidence.unowned(matching)
            slots, params = {**slots, **unowned_slot}, {**params, **unowned_params}
        elif not ok:
            slots["unowned"] = "none"
        if self.role is not None:
            key = "count.role_ok" if ok else "count.role_bad"
        else:
            key = "count.lines_ok" if ok else "count.lines_bad"
        want = f"{self.describe()} line(s) matching /{self.pattern}/" + (f" from {self.role}" if self.role else "")
        return outcome(
            ok, key, params, slots=slots,
            expected=want,
            observed=f"{len(hits)} line(s)",
            evidence=[] if ok else [evidence.line_evidence("matching lines", matching)],
        )


class OutputUnordered(CheckBase):
    """The stream's lines, in any order, are exactly this multiset (or contain it, with extra allowed)."""

    kind: Literal["output.unordered"]
    lines: list[str] = Field(
        description="the expected lines, as many times as each must appear (trailing spaces ignored)")
    stream: Stream = Field(default="stdout", description="the stream judged: stdout or stderr")
    allow_extra: bool = Field(default=False, description="other lines may appear as well")
    shorthand: ClassVar[str | None] = "lines"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        want = Counter(s.rstrip() for s in self.lines)
        got = Counter(s.rstrip() for s in evidence.texts(self.stream))
        missing = want - got
        extra: Counter[str] = Counter() if self.allow_extra else got - want
        params: dict[str, object] = {"stream": self.stream}
        if not missing and not extra:
            return outcome(True, "unordered.ok", params)
        params.update(missing=sum(missing.values()), extra=sum(extra.values()))
        if missing:
            params["first_missing"] = _quote(next(iter(missing)))
        if extra:
            params["first_extra"] = _quote(next(iter(extra)))
        key = "unordered.bad" if missing and extra else ("unordered.missing" if missing else "unordered.extra")
        return outcome(
            False, key, params,
            expected="\n".join(sorted(want.elements())),
            observed="\n".join(sorted(got.elements())),
        )


class OutputOrdered(CheckBase):
    """Lines matching each pattern appear in this order (other lines may come between)."""

    kind: Literal["output.ordered"]
    patterns: list[Regex] = Field(
        description="regular expressions; a line matching each must come after a line matching the one before it")
    stream: Stream = Field(default="stdout", description="the stream judged: stdout or stderr")
    shorthand: ClassVar[str | None] = "patterns"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        lines = evidence.lines(self.stream)
        position = 0
        previous: int | None = None
        for step, pattern in enumerate(self.patterns):
            regex = compiled(pattern)
            while position < len(lines) and not regex.search(line_text(lines[position])):
                position += 1
            if position >= len(lines):
                anywhere = [(i, ln) for i, ln in enumerate(lines) if regex.search(line_text(ln))]
                params: dict[str, object] = {"pattern": pattern, "step": step + 1, "steps": len(self.patterns)}
                if previous is not None:
                    params.update(previous=self.patterns[step - 1], early=previous + 1,
                                  early_text=_quote(line_text(lines[previous])))
                if anywhere and previous is not None:
                    late = anywhere[-1][0]
                    key = "ordered.before"
                    params.update(late=late + 1, late_text=_quote(line_text(lines[late])))
                elif previous is not None:
                    key = "ordered.missing_after"
                else:
                    key = "ordered.missing"
                return outcome(
                    False, key, params,
                    expected=" then ".join(f"/{p}/" for p in self.patterns),
                    observed=f"{step} of {len(self.patterns)} step(s) in order",
                    evidence=[evidence.line_evidence("lines matching it", anywhere)] if anywhere else [],
                )
            previous = position
            position += 1
        return outcome(True, "ordered.ok", {"count": len(self.patterns)})


class OutputProcessOrder(SubjectCheck):
    """Each process prints its matching lines in the patterns' order; processes may interleave freely.

    A line belongs to the one process that wrote all of it; a mixed line belongs to none.
    """

    kind: Literal["output.process_order"]
    patterns: list[Regex] = Field(description="regular expressions, in the order each process must print its lines")
    role: Role | None = Field(
        default=None, description="consider only the lines written entirely by this role (see Roles)")
    require_all: bool = Field(
        default=True, description="every process that printed one of the lines must print a line for each pattern")
    stream: Stream = Field(default="stdout", description="the stream judged: stdout or stderr")
    shorthand: ClassVar[str | None] = "patterns"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        regexes = [compiled(p) for p in self.patterns]
        per_process: dict[int, list[tuple[int, int]]] = {}
        stepped: list[tuple[int, OutputLine]] = []
        lines = evidence.lines(self.stream)
        for index, line in enumerate(lines):
            text = line_text(line)
            step = next((k for k, r in enumerate(regexes) if r.search(text)), None)
            if step is None:
                continue
            stepped.append((index, line))
            if line.owner_process is None or not evidence.line_in_role(line, self.role):
                continue
            per_process.setdefault(line.owner_process, []).append((index, step))
        if not per_process:
            unowned_slot, unowned_params = evidence.unowned(stepped)
            return self.nothing(evidence, "porder.none", unowned_params, slots=unowned_slot)
        for pid, seq in sorted(per_process.items()):
            shown = [evidence.line_evidence(f"lines of pid {pid}", [(i, lines[i]) for i, _ in seq])]
            for (i1, s1), (i2, s2) in pairwise(seq):
                if s2 < s1:
                    return outcome(
                        False, "porder.bad",
                        {"pid": pid, "late": i2 + 1, "late_text": _quote(line_text(lines[i2])),
                         "late_pattern": self.patterns[s2], "early": i1 + 1,
                         "early_text": _quote(line_text(lines[i1])), "early_pattern": self.patterns[s1]},
                        expected=" then ".join(f"/{p}/" for p in self.patterns),
                        observed=f"pid {pid}: line {i1 + 1} then line {i2 + 1}",
                        evidence=shown,
                    )
            if self.require_all:
                missing = [self.patterns[k] for k in range(len(regexes)) if k not in {s for _, s in seq}]
                if missing:
                    return outcome(
                        False, "porder.missing", {"pid": pid, "pattern": missing[0], "missing": len(missing)},
                        expected="every step from every process",
                        observed=f"pid {pid} missed {len(missing)} step(s)",
                        evidence=shown,
                    )
        return outcome(True, "porder.ok", {"count": len(per_process)})


class LineSelector(StrictModel):
    """Lines matching a pattern, optionally only those written (entirely) by a role."""

    pattern: Regex = Field(description="a regular expression; the lines it matches (anywhere in the line)")
    role: Role | None = Field(default=None, description="only the lines written entirely by this role (see Roles)")
    line: Literal["all", "first", "last"] = Field(
        default="all", description="all: every matching line; first or last: only the first or last line of the "
                                   "stream (written by `role`, if given), which must match")

    def describe(self) -> str:
        """E.g. '/^done/ from root', '/^done/ (the last line from root)'."""
        if self.line != "all":
            return f"/{self.pattern}/ (the {self.line} line" + (f" from {self.role})" if self.role else ")")
        return f"/{self.pattern}/" + (f" from {self.role}" if self.role else "")

    def slot(self) -> str:
        """The <before_from>/<after_from> clause that says which lines it selects."""
        if self.line == "all":
            return "role" if self.role else "none"
        return f"{self.line}_role" if self.role else self.line

    def chosen(self, evidence: RunEvidence, stream: str) -> tuple[list[tuple[int, OutputLine]],
                                                                   tuple[int, OutputLine] | None]:
        """The lines it selects, and (with line: first|last) the line that was looked at, matching or not."""
        if self.line == "all":
            return ([(i, ln) for i, ln in evidence.matching(self.pattern, stream)
                     if evidence.line_in_role(ln, self.role)], None)
        owned = [(i, ln) for i, ln in enumerate(evidence.lines(stream)) if evidence.line_in_role(ln, self.role)]
        if not owned:
            return [], None
        looked = owned[0] if self.line == "first" else owned[-1]
        return ([looked] if compiled(self.pattern).search(line_text(looked[1])) else []), looked


class OutputHappensBefore(CheckBase):
    """Every line chosen by `before` comes before every line chosen by `after` in the stream."""

    kind: Literal["output.happens_before"]
    before: LineSelector = Field(description="the lines that must come first: {pattern, role, line}")
    after: LineSelector = Field(
        description="the lines that must all come after every `before` line: {pattern, role, line}")
    stream: Stream = Field(default="stdout", description="the stream judged: stdout or stderr")
    require: bool = Field(
        default=True, description="fail when either side matches no line (false: nothing to order passes)")

    @model_validator(mode="after")
    def _distinct(self) -> OutputHappensBefore:
        if (self.before.pattern, self.before.role, self.before.line) == \
                (self.after.pattern, self.after.role, self.after.line):
            raise PydanticCustomError("happens_before", "before and after select the same lines", {})
        return self

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if (self.before.role or self.after.role) and not evidence.has_trace:
            return self.no_trace()
        chosen: list[list[tuple[int, OutputLine]]] = []
        for selector in (self.before, self.after):
            hits, looked = selector.chosen(evidence, self.stream)
            if not hits and looked is not None:
                return outcome(
                    not self.require, "before.not_chosen",
                    {"pattern": selector.pattern, "role": selector.role, "chosen": looked[0] + 1,
                     "chosen_text": _quote(line_text(looked[1]))},
                    slots={"which": selector.line, "from": "role" if selector.role else "none"},
                    expected=f"every line {self.before.describe()} before every line {self.after.describe()}",
                    observed=line_text(looked[1]),
                    evidence=[evidence.line_evidence(f"the {selector.line} line", [looked])],
                )
            if not hits:
                matching = evidence.matching(selector.pattern, self.stream)
                unowned_slot, unowned_params = (
                    evidence.unowned(matching) if selector.role else ({"unowned": "none"}, {}))
                return outcome(
                    not self.require, "before.missing",
                    {"pattern": selector.pattern, "role": selector.role, **unowned_params},
                    slots={**unowned_slot, "from": "role" if selector.role else "none"},
                    expected=f"every line {self.before.describe()} before every line {self.after.describe()}",
                    observed="missing lines",
                )
            chosen.append(hits)
        before, after = chosen
        params: dict[str, object] = {"before": self.before.pattern, "before_role": self.before.role,
                                     "after": self.after.pattern, "after_role": self.after.role}
        slots = {"before_from": self.before.slot(), "after_from": self.after.slot()}
        want = f"every line {self.before.describe()} before every line {self.after.describe()}"
        last_before = max(before, key=lambda x: x[0])
        first_after = min(after, key=lambda x: x[0])
        if last_before[0] < first_after[0]:
            return outcome(True, "before.ok", params, slots=slots, expected=want)
        params.update(late=first_after[0] + 1, late_text=_quote(line_text(first_after[1])),
                      early=last_before[0] + 1, early_text=_quote(line_text(last_before[1])))
        return outcome(
            False, "before.bad", params, slots=slots,
            expected=want,
            observed=f"line {first_after[0] + 1} before line {last_before[0] + 1}",
            evidence=[evidence.line_evidence("lines out of order", sorted([first_after, last_before], key=lambda x: x[0]))],
        )
