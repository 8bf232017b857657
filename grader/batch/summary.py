"""The class summary: statistics over every student's result, rendered as a self-contained index.html."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from grader.batch.gradebook import lms_rows, student_page, test_columns
from grader.batch.store import StoredResult
from grader.errors import EXIT_BELOW_FULL, EXIT_FULL_MARKS, EXIT_REFUSED
from grader.result import Diagnosis, Result

__all__ = [
    "ClassSummary",
    "DiagnosisRow",
    "HistogramBar",
    "RaceRow",
    "RateRow",
    "StudentRow",
    "render_index",
    "roster_view",
    "summarize",
]

_BINS = 10                 # 0-9%, 10-19%, ... 90-99%, then a bar of its own for full marks
_CHART_W = 600             # SVG user units
_CHART_H = 160
_SLOWEST = 10


@dataclass(slots=True)
class HistogramBar:
    """One bar of the score histogram, geometry in SVG user units."""

    label: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(slots=True)
class RateRow:
    """How many graded students passed a test or a check."""

    name: str
    test: str
    passed: int
    total: int
    flaky: int = 0
    kind: str = ""

    @property
    def percent(self) -> float:
        return 100.0 * self.passed / self.total if self.total else 0.0


@dataclass(slots=True)
class RaceRow:
    """A submission with a race: a check of one of its tests held in some runs and failed in others."""

    student: str
    href: str
    test: str
    check: str                        # the check's label or kind
    passed_runs: int
    total_runs: int
    failed_runs: list[int] = field(default_factory=list)   # 1-based
    name: str = ""                    # the student's display name, when known


@dataclass(slots=True)
class DiagnosisRow:
    code: str
    students: int
    example: str                      # one student's message (English)
    params: dict[str, Any] = field(default_factory=dict)  # its facts, for the message in another language


@dataclass(slots=True)
class StudentRow:
    student: str
    href: str
    score: float
    max_score: float
    status: str            # "full", "partial", "rejected", "error"; "missing": on the roster, no submission
    duration_ms: int
    message: str = ""
    name: str = ""         # the display name from the LMS download or the roster ("" when none is known)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


@dataclass(slots=True)
class ClassSummary:
    title: str
    title_ko: str | None
    assignment_id: str
    grader_version: str
    generated_at: str
    students: int
    graded: int
    full_marks: int
    rejected: int
    errors: int
    mean_percent: float
    median_percent: float
    chart_width: int = _CHART_W
    chart_height: int = _CHART_H
    histogram: list[HistogramBar] = field(default_factory=list)
    tests: list[RateRow] = field(default_factory=list)
    checks: list[RateRow] = field(default_factory=list)
    flaky: list[RateRow] = field(default_factory=list)
    racy: list[RaceRow] = field(default_factory=list)          # one row per racy check of a submission
    diagnoses: list[DiagnosisRow] = field(default_factory=list)
    slowest: list[StudentRow] = field(default_factory=list)
    rows: list[StudentRow] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)           # in the batch, but no result stored yet
    test_names_ko: dict[str, str] = field(default_factory=dict)  # test name -> its Korean name, when given
    absent: list[StudentRow] = field(default_factory=list)      # on the roster with no submission at all

    @property
    def exit_code(self) -> int:
        """3 when a submission was refused or its grading failed, else 1 when someone is below full
        marks (or has no submission, or no result yet), else 0 (grader.errors' scheme)."""
        if self.rejected or self.errors:
            return EXIT_REFUSED
        if self.full_marks < self.graded or self.absent or self.missing:
            return EXIT_BELOW_FULL
        return EXIT_FULL_MARKS


def _percent(result: Result) -> float:
    return 100.0 * result.score / result.max_score if result.max_score > 0 else 0.0


def _histogram(percents: Sequence[float]) -> list[HistogramBar]:
    counts = [0] * (_BINS + 1)
    for p in percents:
        index = _BINS if p >= 100.0 else max(0, min(_BINS - 1, int(p // (100 / _BINS))))
        counts[index] += 1
    labels = [f"{i * 10}–{i * 10 + 9}" for i in range(_BINS)] + ["100"]
    tallest = max(counts) or 1
    slot = _CHART_W / len(counts)
    plot_h = _CHART_H - 30  # room for the labels below and the counts above
    bars = []
    for i, (label, count) in enumerate(zip(labels, counts, strict=True)):
        height = plot_h * count / tallest
        bars.append(
            HistogramBar(label=label, count=count, x=i * slot + 2, y=_CHART_H - 18 - height, width=slot - 4, height=height)
        )
    return bars


def _status(stored: StoredResult) -> str:
    if stored.outcome == "rejected":
        return "rejected"
    if stored.outcome == "internal_error" or stored.result.error is not None:
        return "error"
    return "full" if stored.result.full_marks else "partial"


def summarize(
    stored: Sequence[StoredResult],
    *,
    missing: Sequence[str] = (),
    href: Callable[[str], str] = student_page,
    names: Mapping[str, str] | None = None,
    absent: Sequence[tuple[str, str]] = (),
) -> ClassSummary:
    """Everything index.html shows, computed from the stored results (no I/O).

    `names`: student id -> display name (LMS intake, roster); `absent`: (roster id, name) of each
    roster student with no submission, listed at 0 with the status "missing".
    """
    names = names or {}
    graded = [s for s in stored if _status(s) in ("full", "partial")]
    results = [s.result for s in graded]
    percents = [_percent(r) for r in results]
    first = results[0] if results else (stored[0].result if stored else None)

    maxima = Counter(r.max_score for r in results if r.max_score > 0)
    class_max = maxima.most_common(1)[0][0] if maxima else 0.0
    rows = [
        StudentRow(
            student=s.student,
            href=href(s.student),
            score=s.result.score,
            max_score=s.result.max_score if s.result.max_score > 0 else class_max,
            status=_status(s),
            duration_ms=s.result.duration_ms,
            message=s.result.error or "",
            name=names.get(s.student, ""),
        )
        for s in sorted(stored, key=lambda s: s.student)
    ]
    absent_rows = [StudentRow(student=ident, href="", score=0.0, max_score=class_max, status="missing",
                              duration_ms=0, name=name) for ident, name in absent]

    tests = {name: RateRow(name=name, test=name, passed=0, total=0) for name in test_columns(results)}
    checks: dict[tuple[str, str], RateRow] = {}
    diagnosis_students: Counter[str] = Counter()
    diagnosis_example: dict[str, Diagnosis] = {}
    names_ko: dict[str, str] = {}
    racy = [RaceRow(student=s.student, href=href(s.student), test=test.name, check=check.label or check.kind,
                    passed_runs=check.passed_runs, total_runs=check.total_runs,
                    failed_runs=[int(r) for r in check.params.get("failed_runs") or []],
                    name=names.get(s.student, ""))
            for s in sorted(graded, key=lambda s: s.student) for test in s.result.tests for check in test.checks
            if check.status == "flaky"]
    for result in results:
        codes: dict[str, Diagnosis] = {}
        for diagnosis in result.diagnoses:
            codes.setdefault(diagnosis.code, diagnosis)
        for test in result.tests:
            if getattr(test, "name_ko", None):
                names_ko.setdefault(test.name, str(getattr(test, "name_ko", "")))
            row = tests[test.name]
            row.total += 1
            row.passed += test.status == "passed"
            row.flaky += test.status == "flaky"
            for diagnosis in test.diagnoses:
                codes.setdefault(diagnosis.code, diagnosis)
            for check in test.checks:
                name = check.label or check.kind
                key = (test.name, name)
                if key not in checks:
                    checks[key] = RateRow(name=name, test=test.name, passed=0, total=0, kind=check.kind)
                crow = checks[key]
                crow.total += 1
                crow.passed += check.status == "passed"
                crow.flaky += check.status == "flaky" or 0 < check.passed_runs < check.total_runs
        for code, diagnosis in codes.items():
            diagnosis_students[code] += 1
            diagnosis_example.setdefault(code, diagnosis)

    slowest = sorted(rows, key=lambda r: (-r.duration_ms, r.student))[:_SLOWEST]
    return ClassSummary(
        title=first.assignment_title if first else "",
        title_ko=getattr(first, "assignment_title_ko", None) if first else None,
        assignment_id=first.assignment_id if first else "",
        grader_version=first.grader_version if first else "",
        generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        students=len(stored),
        graded=len(graded),
        full_marks=sum(1 for r in results if r.full_marks),
        rejected=sum(1 for s in stored if _status(s) == "rejected"),
        errors=sum(1 for s in stored if _status(s) == "error"),
        mean_percent=statistics.fmean(percents) if percents else 0.0,
        median_percent=statistics.median(percents) if percents else 0.0,
        histogram=_histogram(percents),
        tests=list(tests.values()),
        checks=list(checks.values()),
        flaky=sorted((c for c in checks.values() if c.flaky), key=lambda c: (-c.flaky, c.test, c.name)),
        racy=racy,
        diagnoses=[
            DiagnosisRow(code=code, students=n, example=diagnosis_example[code].message,
                         params=dict(diagnosis_example[code].params))
            for code, n in sorted(diagnosis_students.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        slowest=[r for r in slowest if r.duration_ms > 0],
        rows=rows,
        missing=list(missing),
        test_names_ko=names_ko,
        absent=absent_rows,
    )


def roster_view(stored: Sequence[StoredResult], manifest: Mapping[str, Any]) -> tuple[dict[str, str],
                                                                                      list[tuple[str, str]]]:
    """From a batch's lms.json: each student's display name (the roster's when matched, else the LMS's),
    and the (roster id, name) of every roster student with no submission, in roster order."""
    if not manifest:
        return {}, []
    rows, _warnings = lms_rows(stored, dict(manifest))      # the gradebook's own join: one truth for both
    names = {row.student: row.name for row in rows if row.student and row.name and row.name != row.student}
    absent = [(str(row.roster.get("__id__", "")), row.name) for row in rows if row.status == "missing"]
    return names, absent


def render_index(summary: ClassSummary, *, lang: str = "en") -> str:
    """index.html in `lang`: self-contained (inline CSS and SVG), no JavaScript."""
    from grader.report.html import render_class_index

    return render_class_index(summary, lang=lang)
