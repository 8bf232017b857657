"""Grading: variant, pitfalls, required files, sandbox runs, trace parsing, checks per run, aggregation, score.

Tests whose run configuration is the same (command, stdin, stdout mode, repeat, isolation, limits) are
one RunGroup: the sandbox runs the program `repeat` times for all of them, each run is parsed once, and
every test of the group checks those runs (TestResult.run_id names the group). A test with
`own_runs: true` is a group of its own.
"""

from __future__ import annotations

import copy
import secrets
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import grader
from grader.checks.base import CheckOutcome, RunEvidence
from grader.diagnose import (
    attach,
    diagnose_build,
    diagnose_missing_files,
    diagnose_run,
    explained_by,
    merge_diagnoses,
)
from grader.errors import GraderError, InfrastructureError
from grader.result import Diagnosis, Result, RunSummary, TestResult
from grader.sandbox.base import Sandbox, SandboxResult
from grader.sandbox.records import Limits, RunRecord, RunRequest
from grader.scoring import RacePolicy, aggregate_check, overall_status, score_checks, total_score
from grader.spec.schema import Assignment, TestSpec
from grader.trace.model import Execution

__all__ = ["PackedTraces", "RunGroup", "grade", "grade_group", "grade_runs", "missing_files", "read_run",
           "run_groups"]


def read_run(record: RunRecord) -> RunEvidence:
    """Parse a run's trace and attribute its output lines: what the checks read."""
    from grader.trace import (  # the parser stage; imported here to keep spec light
        output_lines,
        parse_trace,
    )

    record.unpack_trace()
    if not record.trace.strip():
        execution = Execution(trace_truncated=record.trace_truncated)
        return RunEvidence(execution, [], [], record)
    execution = parse_trace(
        record.trace,
        stdout_channel=record.stdout_channel,
        stderr_channel=record.stderr_channel,
        truncated=record.trace_truncated,
        stopped_for=record.stopped_for,
        final_tasks=record.final_tasks,
        keep_output=record.limits.output_bytes + 65536,
        adopter=record.adopter,
    )
    stdout = output_lines(execution, record.stdout, stream="stdout")
    stderr = output_lines(execution, record.stderr, stream="stderr")
    return RunEvidence(execution, stdout, stderr, record)


def missing_files(assignment: Assignment, submission_dir: Path) -> tuple[list[str], list[str]]:
    """(required files absent from the submission, files it does have)."""
    present = sorted(
        str(p.relative_to(submission_dir)) for p in submission_dir.rglob("*") if p.is_file()
    ) if submission_dir.is_dir() else []
    missing = [f for f in assignment.files if not (submission_dir / f).is_file()]
    return missing, present


def _summary(record: RunRecord, execution: Execution | None) -> RunSummary:
    return RunSummary(
        index=record.repeat_index,
        exit_code=record.exit_code,
        signal=record.signal,
        wall_ms=record.wall_ms,
        timed_out=record.timed_out,
        oom_killed=record.oom_killed,
        pids_limit_hit=record.pids_limit_hit,
        output_limit_hit=record.output_limit_hit,
        stdout=record.stdout,
        stderr=record.stderr,
        stdout_truncated=record.stdout_truncated,
        execution=execution.to_json() if execution is not None else None,
        perturbation=record.perturbation,
    )


# A trace longer than this waits for its run's turn compressed: a run's log may be 16 MiB of text
# (limits.trace), and all of a submission's runs come back from the sandbox at once.
PACK_TRACE_CHARS = 256 * 1024


class PackedTraces:
    """The runs' traces held zlib-compressed until each run is graded, then dropped.

    strace text compresses about tenfold, so a submission's six capped logs cost ~10 MiB while
    they wait instead of ~100 MiB, and only the run being graded has its text (and its model) in memory.
    """

    def __init__(self, records: list[RunRecord]) -> None:
        self._blobs: dict[int, bytes] = {}
        for record in records:
            if record.trace_packed:             # packed by the sandbox as it collected the logs
                self._blobs[id(record)] = record.trace_packed
                record.trace_packed = b""
            elif len(record.trace) > PACK_TRACE_CHARS:
                self._blobs[id(record)] = zlib.compress(record.trace.encode("utf-8", "surrogatepass"), 1)
                record.trace = ""

    @contextmanager
    def unpacked(self, record: RunRecord) -> Iterator[RunRecord]:
        """`record` with its trace back as text while the block runs; the text is dropped after."""
        blob = self._blobs.pop(id(record), None)
        if blob is None:
            yield record
            return
        record.trace = zlib.decompress(blob).decode("utf-8", "surrogatepass")
        del blob
        try:
            yield record
        finally:
            record.trace = ""


@dataclass
class _Tally:
    """Per-check outcomes and grader errors, gathered run by run."""

    outcomes: list[tuple[int, CheckOutcome]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RunGroup:
    """Tests that check the same runs: one sandbox request (named after the first test) for all of them."""

    run_id: str                      # "r1", "r2", ... in the order of the tests
    request: RunRequest
    tests: tuple[int, ...]           # indices into the assignment's tests


def _configuration(request: RunRequest, limits: Limits) -> tuple[object, ...]:
    """What makes two tests' runs interchangeable: everything the sandbox is told except the name."""
    return (replace(request, name=""), limits)


def run_groups(assignment: Assignment, *, repeat: int | None = None, share: bool = True) -> list[RunGroup]:
    """The assignment's tests grouped by run configuration, in the order of their first tests.

    share=False (or `own_runs: true` on a test) gives a test a group of its own.
    """
    limits = assignment.limits.to_limits()
    keyed: dict[object, list[int]] = {}
    requests: dict[object, RunRequest] = {}
    for index, test in enumerate(assignment.tests):
        request = assignment.request_for(test, repeat=repeat)
        key: object = _configuration(request, limits) if share and not test.own_runs else ("own", index)
        keyed.setdefault(key, []).append(index)
        requests.setdefault(key, request)
    return [RunGroup(run_id=f"r{number}", request=requests[key], tests=tuple(indices))
            for number, (key, indices) in enumerate(keyed.items(), start=1)]


def grade_runs(test: TestSpec, records: list[RunRecord], *, traces: PackedTraces | None = None) -> TestResult:
    """Evaluate one test's checks on each of its runs and aggregate them into a TestResult."""
    return grade_group([test], records, traces=traces)[0]


def grade_group(tests: Sequence[TestSpec], records: list[RunRecord], *, traces: PackedTraces | None = None,
                run_id: str = "", race: RacePolicy = "fail") -> list[TestResult]:
    """Evaluate the checks of tests that share runs on each run, and aggregate them per test.

    Each run is parsed once for all the tests. traces: where the records' traces wait compressed (grade()
    packs them); each run's text and model live only while that run is graded.
    """
    tallies = [[_Tally() for _ in test.checks] for test in tests]
    per_run_diagnoses: list[list[Diagnosis]] = []
    summaries: list[RunSummary] = []
    run_errors: list[str] = []
    for record in records:
        if record.internal_error:
            run_errors.append(f"run {record.repeat_index + 1}: {record.internal_error}")
            summaries.append(_summary(record, None))
            continue
        with traces.unpacked(record) if traces is not None else nullcontext(record):
            try:
                evidence = read_run(record)
            except Exception as err:  # noqa: BLE001 - the parser's bug must not become the student's failure
                run_errors.append(f"run {record.repeat_index + 1}: could not read the trace: {err!r}")
                summaries.append(_summary(record, None))
                continue
            summaries.append(_summary(record, evidence.execution))
            per_run_diagnoses.append(diagnose_run(evidence.execution, record))
            for test, test_tallies in zip(tests, tallies):
                for check, tally in zip(test.checks, test_tallies):
                    try:
                        tally.outcomes.append((record.repeat_index, check.evaluate(evidence)))
                    except Exception as err:  # noqa: BLE001 - a check's bug is reported as the grader's, never the student's
                        tally.errors.append(f"{type(err).__name__}: {err}")
            del evidence
    results: list[TestResult] = []
    for number, (test, test_tallies) in enumerate(zip(tests, tallies)):
        # merge_diagnoses and attach fill in each test's own counts and links: each test gets its copy.
        diagnoses = per_run_diagnoses if number == len(tests) - 1 else copy.deepcopy(per_run_diagnoses)
        results.append(_aggregate(test, test_tallies, diagnoses, summaries, run_errors, run_id, race))
    return results


def _aggregate(test: TestSpec, tallies: list[_Tally], per_run_diagnoses: list[list[Diagnosis]],
               summaries: list[RunSummary], run_errors: list[str], run_id: str,
               race: RacePolicy = "fail") -> TestResult:
    """One test's TestResult from its checks' tallies over the runs it checked."""
    result = TestResult(name=test.name, status="error", score=0.0, max_score=test.points,
                        visibility=test.visibility, runs=list(summaries), run_id=run_id)
    if not per_run_diagnoses:
        result.message = "the test could not be run: " + ("; ".join(run_errors) or "the sandbox returned no runs")
        return result
    result.checks = [aggregate_check(c, t.outcomes, errors=t.errors) for c, t in zip(test.checks, tallies)]
    result.score = score_checks(result.checks, test.points, all_or_nothing=test.all_or_nothing, race=race)
    result.status = overall_status(result.checks)
    if run_errors:
        result.message = f"{len(run_errors)} run(s) could not be used: " + "; ".join(run_errors)
    failed = [c for c in result.checks if c.status in ("failed", "flaky")]
    result.diagnoses = attach(merge_diagnoses(per_run_diagnoses), failed)
    for verdict in result.checks:
        verdict.explained_by = explained_by(result.diagnoses, verdict)
    return result


def _not_run(assignment: Assignment, why: str, status: str = "failed") -> list[TestResult]:
    return [
        TestResult(name=t.name, status=status, score=0.0, max_score=t.points,  # type: ignore[arg-type]
                   visibility=t.visibility, message=why)
        for t in assignment.tests
    ]


def grade(
    assignment: Assignment,
    submission_dir: Path,
    sandbox: Sandbox,
    *,
    repeat: int | None = None,
    label: str = "",
    variant: str | None = None,
    share_runs: bool = True,
    perturb_seed: int | None = None,
) -> Result:
    """Grade one submission folder. A student's failure is a result; only the infrastructure raises.

    variant: which of the assignment's variants grades it (default: the one whose files it has; an
    unknown name raises UsageError). share_runs=False runs every test on its own (for comparisons).
    perturb_seed: the base seed of the schedule perturbation (default: a fresh random one; each run's
    RunSummary.perturbation names the seed it had, so a run is reproduced from it).
    """
    from grader.pitfalls import find_pitfalls
    from grader.submission import choose_variant

    started = time.monotonic()
    present = _present(submission_dir)
    choice = choose_variant(assignment, present, explicit=variant)
    assignment = choice.assignment
    result = Result(
        assignment_id=assignment.id,
        assignment_title=assignment.title,
        assignment_title_ko=assignment.title_ko,
        submission=label or submission_dir.name,
        score=0.0,
        max_score=assignment.max_score,
        grader_version=grader.__version__,
        assignment_hash=assignment.content_hash,
        graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        variant=assignment.variant,
    )

    def done() -> Result:
        for spec_test, test_result in zip(assignment.tests, result.tests, strict=False):
            test_result.name_ko = spec_test.name_ko
        result.score, result.max_score = total_score(result.tests)
        result.duration_ms = round((time.monotonic() - started) * 1000)
        return result

    if choice.problem is not None:
        result.variant = None
        result.diagnoses.append(choice.problem)
        result.tests = _not_run(assignment, "not run: " + choice.problem.message)
        return done()

    try:
        result.warnings = find_pitfalls(assignment, submission_dir, present)
    except Exception:  # noqa: BLE001 - a warning is advice: its bug must not cost the student a grade
        result.warnings = []
    missing, present = missing_files(assignment, submission_dir)
    if missing:
        diagnosis = diagnose_missing_files(missing, present)
        result.diagnoses.append(diagnosis)
        result.tests = _not_run(assignment, "not run: " + diagnosis.message)
        return done()

    groups = run_groups(assignment, repeat=repeat, share=share_runs)
    # Each group's repeats get seeds of their own (repeat i: seed + 1000 * group + i), recorded on every run.
    seed = secrets.randbelow(2**31) if perturb_seed is None else perturb_seed
    groups = [replace(g, request=replace(g.request, perturb_seed=seed + 1000 * number))
              for number, g in enumerate(groups)]
    try:
        outcome: SandboxResult = sandbox.run(
            submission_dir,
            [group.request for group in groups],
            limits=assignment.limits.to_limits(),
            build=assignment.build_command,
        )
    except InfrastructureError:
        raise
    except GraderError as err:
        result.error = f"the sandbox failed: {err}"
        result.tests = _not_run(assignment, result.error, "error")
        return done()
    result.limits_in_force = dict(outcome.limits_in_force)

    if outcome.build is not None:
        result.build_output = outcome.build.output
        compile_error = diagnose_build(outcome.build)
        if compile_error is not None:
            result.diagnoses.append(compile_error)
            result.tests = _not_run(assignment, "not run: " + compile_error.message)
            return done()

    traces = PackedTraces([r for runs in outcome.runs.values() for r in runs])
    graded: dict[int, TestResult] = {}
    for group in groups:
        records = outcome.runs.get(group.request.name, [])
        tests = [assignment.tests[i] for i in group.tests]
        try:
            group_results = grade_group(tests, records, traces=traces, run_id=group.run_id, race=assignment.race)
        except Exception as err:  # noqa: BLE001 - an internal failure becomes a result that says so
            group_results = [TestResult(name=t.name, status="error", score=0.0, max_score=t.points,
                                        visibility=t.visibility, run_id=group.run_id,
                                        message=f"the grader failed on this test: {err!r}") for t in tests]
        for index, test_result in zip(group.tests, group_results):
            if test_result.status == "error" and not records and outcome.internal_error:
                test_result.message = f"the test could not be run: {outcome.internal_error}"
            graded[index] = test_result
    result.tests = [graded[i] for i in range(len(assignment.tests))]
    if outcome.internal_error and all(t.status == "error" for t in result.tests):
        result.error = outcome.internal_error
    return done()


def _present(submission_dir: Path) -> list[str]:
    """The submission's files as relative POSIX paths (symbolic links left out: intake never makes them)."""
    if not submission_dir.is_dir():
        return []
    return sorted(p.relative_to(submission_dir).as_posix() for p in submission_dir.rglob("*")
                  if p.is_file() and not p.is_symlink())
