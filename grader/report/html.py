"""The student's feedback page: one self-contained HTML file, in English or Korean."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from grader import __version__
from grader.errors import UsageError
from grader.report.excerpt import Excerpt, clean_text, make_excerpt
from grader.report.i18n import (
    Localized,
    check_language,
    diagnosis_text,
    evidence_text,
    localize_check,
    translations,
)
from grader.report.layout import (
    TimelineLayout,
    TreeLayout,
    layout_timeline,
    layout_tree,
)
from grader.result import (
    CheckResult,
    Diagnosis,
    Evidence,
    Result,
    RunSummary,
    TestResult,
)

__all__ = [
    "Audience",
    "render_html",
    "write_html",
]

Audience = Literal["student", "staff"]
AUDIENCES: tuple[str, ...] = ("student", "staff")
MAX_EVIDENCE_LINES = 40


# ---------------------------------------------------------------- view model


@dataclass(slots=True)
class EvidenceView:
    label: str
    lines: list[str]
    more: int                       # lines left out
    tasks: list[int]
    run: int | None


@dataclass(slots=True)
class DiagnosisView:
    code: str
    message: Localized
    original: str | None            # the English message, shown under a translation
    evidence: list[EvidenceView]
    explains: list[str]


@dataclass(slots=True)
class CheckView:
    kind: str
    label: str | None
    status: str
    message: Localized
    original: str | None            # the English message, shown under a translation
    expected: str | None
    observed: str | None
    hint: str | None
    score: float
    max_score: float
    passed_runs: int
    total_runs: int
    evidence: list[EvidenceView]


@dataclass(slots=True)
class RunView:
    index: int
    exit_code: int | None
    signal: str | None
    wall_ms: int
    timed_out: bool
    oom_killed: bool
    pids_limit_hit: bool
    output_limit_hit: bool
    stdout: Excerpt
    stderr: Excerpt
    tree: TreeLayout | None
    timeline: TimelineLayout | None
    trace_truncated: bool
    runtime_helpers: int            # IPC objects made by the language runtime, not the student


@dataclass(slots=True)
class TestView:
    number: int
    anchor: str
    name: str
    status: str
    score: float
    max_score: float
    hidden: bool                    # reduced to name and score for this audience
    visibility: str
    message: str | None
    checks: list[CheckView]
    diagnoses: list[DiagnosisView]
    runs: list[RunView]             # every run's summary (no pictures)
    shown_run: RunView | None       # the run whose tree, timeline and output are shown
    total_runs: int


@dataclass(slots=True)
class PageView:
    lang: str
    audience: str
    assignment_id: str
    assignment_title: str
    submission: str
    score: float
    max_score: float
    percent: float
    full_marks: bool
    error: str | None
    diagnoses: list[DiagnosisView]
    build_output: Excerpt | None
    tests: list[TestView]
    counts: dict[str, int] = field(default_factory=dict)
    grader_version: str = ""
    graded_at: str = ""
    submission_hash: str = ""


def _text(value: str | None) -> str | None:
    return None if value is None else clean_text(value)[0]


def _evidence(items: list[Evidence]) -> list[EvidenceView]:
    views = []
    for item in items:
        lines = [clean_text(line)[0] for line in item.lines[:MAX_EVIDENCE_LINES]]
        views.append(EvidenceView(label=clean_text(item.label)[0], lines=lines,
                                  more=max(len(item.lines) - MAX_EVIDENCE_LINES, 0),
                                  tasks=list(item.tasks), run=item.run))
    return views


def _diagnosis(diagnosis: Diagnosis, lang: str) -> DiagnosisView:
    # One template, rendered in the reader's language with the same facts: no English original under it.
    return DiagnosisView(
        code=diagnosis.code,
        message=diagnosis_text(diagnosis, lang),
        original=None,
        evidence=_evidence([evidence_text(e, lang) for e in diagnosis.evidence]),
        explains=list(diagnosis.explains),
    )


def _check(check: CheckResult, lang: str) -> CheckView:
    hint = check.hint
    if lang != "en":
        hint = getattr(check, f"hint_{lang}", None) or hint
    return CheckView(
        kind=check.kind,
        label=_text(check.label),
        status=check.status,
        message=localize_check(check.kind, check.status, check.params, check.message, lang),
        original=clean_text(check.message)[0] if lang != "en" else None,
        expected=_text(check.expected),
        observed=_text(check.observed),
        hint=_text(hint),
        score=check.score,
        max_score=check.max_score,
        passed_runs=check.passed_runs,
        total_runs=check.total_runs,
        evidence=_evidence(check.evidence),
    )


def _run(run: RunSummary, *, pictures: bool) -> RunView:
    execution: dict[str, Any] | None = run.execution if pictures else None
    has_tasks = bool(execution and execution.get("tasks"))
    return RunView(
        index=run.index,
        exit_code=run.exit_code,
        signal=_text(run.signal),
        wall_ms=run.wall_ms,
        timed_out=run.timed_out,
        oom_killed=run.oom_killed,
        pids_limit_hit=run.pids_limit_hit,
        output_limit_hit=run.output_limit_hit,
        stdout=make_excerpt(run.stdout, cut_by_sandbox=run.stdout_truncated) if pictures else make_excerpt(b""),
        stderr=make_excerpt(run.stderr) if pictures else make_excerpt(b""),
        tree=layout_tree(execution) if execution and has_tasks else None,
        timeline=layout_timeline(execution) if execution and has_tasks else None,
        trace_truncated=bool(execution and execution.get("trace_truncated")),
        runtime_helpers=sum(1 for o in (execution or {}).get("ipc") or [] if o.get("runtime_helper")),
    )


def _shown_run(test: TestResult) -> RunSummary | None:
    """The run a failed check points at, else the first failing-looking run, else the first."""
    if not test.runs:
        return None
    by_index = {run.index: run for run in test.runs}
    for check in test.checks:
        if check.status in ("failed", "flaky", "error"):
            for item in check.evidence:
                if item.run is not None and item.run in by_index:
                    return by_index[item.run]
    for run in test.runs:
        if run.timed_out or run.signal or (run.exit_code not in (0, None)):
            return run
    return test.runs[0]


def _test(number: int, test: TestResult, lang: str, hidden: bool) -> TestView:
    shown = _shown_run(test)
    return TestView(
        number=number,
        anchor=f"test-{number}",
        name=clean_text(test.name)[0],
        status=test.status,
        score=test.score,
        max_score=test.max_score,
        hidden=hidden,
        visibility=test.visibility,
        message=_text(test.message),
        checks=[_check(c, lang) for c in test.checks],
        diagnoses=[_diagnosis(d, lang) for d in test.diagnoses],
        runs=[_run(r, pictures=False) for r in test.runs],
        shown_run=_run(shown, pictures=True) if shown else None,
        total_runs=len(test.runs),
    )


def _reduced(test: TestResult, audience: str, after_due_date: bool) -> bool:
    """Whether `Result.for_student` cut this test down to its name and score."""
    if audience != "student":
        return False
    return test.visibility == "hidden" or (test.visibility == "after_due_date" and not after_due_date)


def _page(result: Result, lang: str, audience: str, after_due_date: bool) -> PageView:
    shown = result.for_student(after_due_date=after_due_date) if audience == "student" else result
    tests = [_test(i + 1, t, lang, _reduced(t, audience, after_due_date)) for i, t in enumerate(shown.tests)]
    counts: dict[str, int] = {"passed": 0, "failed": 0, "flaky": 0, "error": 0, "hidden": 0}
    for view in tests:
        key = "hidden" if view.hidden else view.status
        counts[key] = counts.get(key, 0) + 1
    percent = 100.0 * result.score / result.max_score if result.max_score > 0 else 0.0
    return PageView(
        lang=lang,
        audience=audience,
        assignment_id=clean_text(result.assignment_id)[0],
        assignment_title=clean_text(result.assignment_title)[0],
        submission=clean_text(result.submission)[0],
        score=result.score,
        max_score=result.max_score,
        percent=max(0.0, min(percent, 100.0)),
        full_marks=result.full_marks,
        error=_text(result.error),
        diagnoses=[_diagnosis(d, lang) for d in result.diagnoses],
        build_output=make_excerpt(result.build_output) if result.build_output else None,
        tests=tests,
        counts=counts,
        grader_version=clean_text(result.grader_version or __version__)[0],
        graded_at=clean_text(result.graded_at)[0],
        submission_hash=clean_text(result.submission_hash)[0],
    )


# ---------------------------------------------------------------- rendering


def _points(value: float) -> str:
    return f"{value:g}" if value == round(value, 2) else f"{value:.2f}"


@cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("grader.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["points"] = _points
    env.filters["num"] = lambda value: f"{value:.1f}"
    return env


def render_html(result: Result, *, lang: str = "en", audience: str = "student",
                after_due_date: bool = False) -> str:
    """The feedback page for `result` as one HTML document (no scripts, no network)."""
    check_language(lang)
    if audience not in AUDIENCES:
        raise UsageError(f"unknown audience {audience!r}", hint=f"choose one of {', '.join(AUDIENCES)}")
    page = _page(result, lang, audience, after_due_date)
    template = _environment(lang).get_template("report.html.j2")
    return template.render(page=page)


def write_html(result: Result, path: Path | str, *, lang: str = "en", audience: str = "student",
               after_due_date: bool = False) -> Path:
    """Render the page and write it to `path` (UTF-8); returns the path."""
    target = Path(path)
    html = render_html(result, lang=lang, audience=audience, after_due_date=after_due_date)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(target)
    return target
