"""The student's feedback page: one self-contained HTML file, in English or Korean."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from grader import __version__
from grader.errors import UsageError
from grader.report.excerpt import Excerpt, clean_text, make_excerpt, shorten
from grader.report.i18n import (
    N_,
    Localized,
    check_language,
    diagnosis_text,
    evidence_text,
    localize_check,
    localize_diagnosis,
    translations,
)
from grader.report.race import race_of, race_sentence
from grader.report.race_diagram import RaceDiagram, race_diagrams
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
    "render_class_index",
    "render_html",
    "write_html",
]

Audience = Literal["student", "staff"]
AUDIENCES: tuple[str, ...] = ("student", "staff")
MAX_EVIDENCE_LINES = 40
MAX_EVIDENCE_TASKS = 30   # task ids listed under one piece of evidence
MAX_MESSAGE_CHARS = 800   # a check's or diagnosis's sentence on the page (its evidence has the rest)

# Evidence labels as checks and diagnoses write them (English), and their Korean templates.
# A label that matches none stays English. {placeholders} take what the label said there.
LABEL_TEMPLATES: tuple[str, ...] = (
    N_("zombies"),
    N_("orphans"),
    N_("the same bytes written by parent and child"),
    N_("blocked read"),
    N_("failed forks"),
    N_("what each task was doing when time ran out"),
    N_("killed process"),
    N_("compiler output"),
    N_("files in the submission"),
    N_("IPC objects in the trace (runtime helpers' excluded)"),
    N_("data that crossed between processes"),
    N_("process tree observed"),
    N_("process tree expected"),
    N_("lines containing it"),
    N_("lines matching it"),
    N_("lines out of order"),
    N_("lines with printed ids"),
    N_("matching lines"),
    N_("processes in the trace"),
    N_("processes"),
    N_("threads"),
    N_("children"),
    N_("descendants"),
    N_("children of pid {pid}"),
    N_("lines of pid {pid}"),
    N_("threads of pid {pid}"),
    N_("lines matching /{pattern}/"),
    N_("{stream} around line {line}"),
    N_("lines not from {role}"),
    N_("processes in {role}"),
    N_("{role} with lifetimes"),
    N_("signals sent and delivered"),
    N_("signal handlers and deliveries"),
    N_("process groups and sessions"),
    N_("{path} as the program left it"),
    N_("the accesses that raced (ThreadSanitizer)"),
    N_("what the program did to the sanitizer's log"),
)
# The words a label's {role} or {stream} can be, translated on their own.
LABEL_WORDS: dict[str, str] = {
    "root": N_("the first process"),
    "children": N_("children"),
    "descendants": N_("descendants"),
    "threads": N_("threads"),
    "processes": N_("processes"),
    "stdout": N_("standard output"),
    "stderr": N_("standard error"),
}


def _label_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
    return re.compile(f"^{regex}$")


_LABEL_PATTERNS = tuple((_label_pattern(t), t) for t in LABEL_TEMPLATES)


# ---------------------------------------------------------------- view model


@dataclass(slots=True)
class EvidenceView:
    label: str
    lines: list[str]
    more: int                       # lines left out
    tasks: list[int]
    run: int | None
    tasks_more: int = 0             # task ids left out


@dataclass(slots=True)
class DiagnosisView:
    code: str
    message: Localized
    original: str | None            # the English message, shown under a translation
    evidence: list[EvidenceView]
    explains: list[str]
    anchor: str = ""                # the box's id on the page
    key: tuple[str, str] = ("", "") # (code, English message): the same cause told once


@dataclass(slots=True)
class DiagnosisRef:
    """A cause already explained elsewhere on the page: a link to its box, not a second box."""

    anchor: str
    where: int | None               # the test number it is under, None: at the top of the page
    message: str


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
    race: Localized | None = None   # held in some runs and not others: "your program has a race: ..."
    race_run: int | None = None     # the failed run (1-based) whose message `message` is, for a race


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
    partial: bool                   # the model was bounded ("summarized"): the pictures show part of the run
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
    diagnoses: list[DiagnosisView]  # only for a test that did not pass; each cause once per page
    runs: list[RunView]             # every run's summary (no pictures)
    shown_run: RunView | None       # the run whose tree, timeline and output are shown
    total_runs: int
    diagnosis_refs: list[DiagnosisRef] = field(default_factory=list)
    not_run_above: bool = False     # did not run because of a cause told at the top of the page
    run_id: str = ""                # the runs it checked (tests with one run configuration share them)
    shares_runs_with: list[int] = field(default_factory=list)  # numbers of the other tests that checked them
    races: list[RaceDiagram] = field(default_factory=list)  # data races ThreadSanitizer found, drawn


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
    variant: str | None = None      # the assignment's variant that was graded (python, c, ...)
    warnings: list[DiagnosisView] = field(default_factory=list)  # pitfalls seen in the files before any run


def _text(value: str | None) -> str | None:
    return None if value is None else clean_text(value)[0]


def _label(label: str, lang: str) -> str:
    """An evidence label in the reader's language when it matches a known template."""
    text = clean_text(label)[0]
    if lang == "en":
        return text
    catalog = translations(lang)
    for pattern, template in _LABEL_PATTERNS:
        found = pattern.match(text)
        if found is None:
            continue
        translated = catalog.gettext(template)
        if translated == template:
            break                   # not in the catalog: do not mix languages
        words = {name: catalog.gettext(LABEL_WORDS[value]) if value in LABEL_WORDS else shorten(value, 60)
                 for name, value in found.groupdict().items()}
        try:
            return translated.format(**words)
        except (KeyError, IndexError, ValueError):
            break
    return text


def _evidence(items: list[Evidence], lang: str) -> list[EvidenceView]:
    views = []
    for item in items:
        lines = [shorten(clean_text(line)[0], 400) for line in item.lines[:MAX_EVIDENCE_LINES]]
        views.append(EvidenceView(label=_label(item.label, lang), lines=lines,
                                  more=max(len(item.lines) - MAX_EVIDENCE_LINES, 0),
                                  tasks=list(item.tasks[:MAX_EVIDENCE_TASKS]), run=item.run,
                                  tasks_more=max(len(item.tasks) - MAX_EVIDENCE_TASKS, 0)))
    return views


def _cut_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` cut at a word (or list item) boundary before `limit`, marked with an ellipsis: never half a pid."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for sep in (", ", " "):
        at = head.rfind(sep)
        if at > limit // 2:
            return head[:at] + (", \u2026" if sep == ", " else " \u2026")
    return head[: limit - 1] + "\u2026"


def _cut(message: Localized) -> Localized:
    return Localized(_cut_text(message.text), message.translated)


def _diagnosis(diagnosis: Diagnosis, lang: str) -> DiagnosisView:
    # One template, rendered in the reader's language with the same facts: no English original under it.
    message = diagnosis_text(diagnosis, lang)
    return DiagnosisView(
        code=diagnosis.code,
        message=_cut(message),
        original=None,
        evidence=_evidence([evidence_text(e, lang) for e in diagnosis.evidence], lang),
        explains=list(diagnosis.explains),
        key=(diagnosis.code, diagnosis.message),
    )


def _check(check: CheckResult, lang: str) -> CheckView:
    hint = check.hint
    if lang != "en":
        hint = getattr(check, f"hint_{lang}", None) or hint
    race = race_of(check)
    # A race's message is the failed run's own, under the race sentence (not the sentence twice).
    english = race.detail if race else check.message
    return CheckView(
        kind=check.kind,
        label=_text(check.label),
        status=check.status,
        message=_cut(localize_check(check.kind, check.status, check.params, english, lang)),
        original=_cut_text(clean_text(english)[0]) if lang != "en" else None,
        expected=_text(check.expected),
        observed=_text(check.observed),
        hint=_text(hint),
        score=check.score,
        max_score=check.max_score,
        passed_runs=check.passed_runs,
        total_runs=check.total_runs,
        evidence=_evidence([evidence_text(e, lang) for e in check.evidence], lang),
        race=race_sentence(race, lang) if race else None,
        race_run=race.shown_run if race else None,
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
        partial=bool(execution and any(v for v in (execution.get("summarized") or {}).values())),
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


# What grading writes before a test's reason; the page already says "This test could not run:".
_NOT_RUN_PREFIXES = ("not run: ", "the test could not be run: ")


def _localized_name(english: str, korean: str | None, lang: str) -> str:
    return clean_text(korean if lang == "ko" and korean else english)[0]


def _test(number: int, test: TestResult, lang: str, hidden: bool, told: dict[tuple[str, str], DiagnosisRef],
          page_messages: set[str]) -> TestView:
    """One test's view; `told` holds the causes already explained on the page (updated here)."""
    shown = _shown_run(test)
    message = test.message
    not_run_above = False
    for prefix in _NOT_RUN_PREFIXES:
        if message is not None and message.startswith(prefix):
            message = message[len(prefix):]
            # "not run: <the compile error>" under every test repeats the box at the top of the page.
            not_run_above = message in page_messages
    diagnoses: list[DiagnosisView] = []
    refs: list[DiagnosisRef] = []
    if test.status != "passed":
        for diagnosis in test.diagnoses:
            view = _diagnosis(diagnosis, lang)
            if view.key in told:
                if told[view.key] not in refs:
                    refs.append(told[view.key])
                continue
            view.anchor = f"why-{number}-{len(diagnoses) + 1}"
            told[view.key] = DiagnosisRef(anchor=view.anchor, where=number,
                                          message=shorten(view.message.text, 160))
            diagnoses.append(view)
    return TestView(
        number=number,
        anchor=f"test-{number}",
        name=_localized_name(test.name, getattr(test, "name_ko", None), lang),
        status=test.status,
        score=test.score,
        max_score=test.max_score,
        hidden=hidden,
        visibility=test.visibility,
        message=None if not_run_above else _text(message),
        checks=[_check(c, lang) for c in test.checks],
        diagnoses=diagnoses,
        runs=[_run(r, pictures=False) for r in test.runs],
        shown_run=_run(shown, pictures=True) if shown else None,
        total_runs=len(test.runs),
        diagnosis_refs=refs,
        not_run_above=not_run_above,
        races=[diagram for c in test.checks for diagram in race_diagrams(c, lang)],
    )


def _reduced(test: TestResult, audience: str, after_due_date: bool) -> bool:
    """Whether `Result.for_student` cut this test down to its name and score."""
    if audience != "student":
        return False
    return test.visibility == "hidden" or (test.visibility == "after_due_date" and not after_due_date)


def _page(result: Result, lang: str, audience: str, after_due_date: bool) -> PageView:
    shown = result.for_student(after_due_date=after_due_date) if audience == "student" else result
    top = [_diagnosis(d, lang) for d in result.diagnoses]
    told: dict[tuple[str, str], DiagnosisRef] = {}
    for index, box in enumerate(top):
        box.anchor = f"why-0-{index + 1}"
        told.setdefault(box.key, DiagnosisRef(anchor=box.anchor, where=None,
                                              message=shorten(box.message.text, 160)))
    page_messages = {d.message for d in result.diagnoses}
    tests = [_test(i + 1, t, lang, _reduced(t, audience, after_due_date), told, page_messages)
             for i, t in enumerate(shown.tests)]
    for view, test in zip(tests, shown.tests):
        view.run_id = test.run_id
        view.shares_runs_with = [other.number for other, t in zip(tests, shown.tests)
                                 if test.run_id and t.run_id == test.run_id and other is not view]
    warnings = [_diagnosis(w, lang) for w in result.warnings]
    for index, box in enumerate(warnings):
        box.anchor = f"warning-{index + 1}"
    counts: dict[str, int] = {"passed": 0, "failed": 0, "flaky": 0, "error": 0, "hidden": 0}
    for view in tests:
        key = "hidden" if view.hidden else view.status
        counts[key] = counts.get(key, 0) + 1
    percent = 100.0 * result.score / result.max_score if result.max_score > 0 else 0.0
    return PageView(
        lang=lang,
        audience=audience,
        assignment_id=clean_text(result.assignment_id)[0],
        assignment_title=_localized_name(result.assignment_title, getattr(result, "assignment_title_ko", None),
                                         lang),
        submission=clean_text(result.submission)[0],
        score=result.score,
        max_score=result.max_score,
        percent=max(0.0, min(percent, 100.0)),
        full_marks=result.full_marks,
        error=_text(result.error),
        diagnoses=top,
        build_output=make_excerpt(result.build_output) if result.build_output else None,
        tests=tests,
        counts=counts,
        grader_version=clean_text(result.grader_version or __version__)[0],
        graded_at=clean_text(result.graded_at)[0],
        submission_hash=clean_text(result.submission_hash)[0],
        variant=clean_text(result.variant)[0] if result.variant else None,
        warnings=warnings,
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


def render_class_index(summary: Any, *, lang: str = "en") -> str:
    """A batch's index.html (a grader.batch.summary.ClassSummary) in `lang`, no scripts."""
    check_language(lang)
    title = summary.title_ko if lang == "ko" and summary.title_ko else summary.title
    names = dict(summary.test_names_ko) if lang == "ko" else {}
    examples = {row.code: _cut(localize_diagnosis(row.code, row.params, row.example, lang)).text
                for row in summary.diagnoses}
    shown = dataclasses.replace(summary, title=title)
    template = _environment(lang).get_template("class_index.html.j2")
    return template.render(s=shown, lang=lang, names=names, examples=examples)


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
