"""Grading end to end with ReplaySandbox: runs served from JSON recordings, traces replaced by built Executions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from exec_builder import ExecBuilder

import grader.grading
from grader.checks.base import RunEvidence
from grader.grading import grade
from grader.result import Result
from grader.sandbox.base import SandboxResult
from grader.sandbox.records import BuildRecord, Limits, RunRecord
from grader.sandbox.replay import ReplaySandbox, load_recording, save_recording
from grader.spec import parse_assignment
from grader.trace.model import Channel, Execution

ASSIGNMENT = """
id: fork-hello
title: Fork into three processes
language: python
files: [hello.py]
run: [python3, hello.py]
limits: {timeout: 5s, pids: 64}
repeat: 3
tests:
  - name: hello os is printed three times
    points: 2
    checks:
      - output.count: {pattern: '^hello os$', equals: 3}
      - process.count: 3
  - name: the parent waits
    points: 1
    own_runs: true     # these tests feed each test its own recorded runs
    checks:
      - process.reaped: all
"""
NAMES = ("hello os is printed three times", "the parent waits")


def good(b: ExecBuilder) -> None:
    kids = [b.fork(100), b.fork(100)]
    for pid in (*kids, 100):
        b.say(pid, "hello os")
    for k in kids:
        b.exit(k)
    b.exit(100)


def no_wait(b: ExecBuilder) -> None:
    kids = [b.fork(100), b.fork(100)]
    for pid in (*kids, 100):
        b.say(pid, "hello os")
    for k in kids:
        b.exit(k, reaped=False)
    b.exit(100)


def buffered(b: ExecBuilder) -> None:
    """print('hello os') before fork without flush: the child flushes the parent's copy too."""
    kids = [b.fork(100), b.fork(100)]
    for pid in kids:
        b.write(pid, "hello os\nhello os\nchild\n")
    b.write(100, "hello os\nhello os\nparent\n")
    for k in kids:
        b.exit(k)
    b.exit(100)


def hang(b: ExecBuilder) -> None:
    kid = b.fork(100)
    b.block(100, "read", "3, ", channel=Channel(kind="pipe", ident="pipe:[9]"), holders=[100])
    b.block(kid, "wait4", "-1, ")


def bomb(b: ExecBuilder) -> None:
    for _ in range(5):
        b.fork(100)
    b.execution.failed_forks.append((100, 0.5, "EAGAIN"))


SCENARIOS: dict[str, Callable[[ExecBuilder], None]] = {
    "good": good, "no_wait": no_wait, "buffered": buffered, "hang": hang, "bomb": bomb,
}


@pytest.fixture(autouse=True)
def built_traces(monkeypatch: pytest.MonkeyPatch) -> None:
    """A record's `trace` names a scenario; read_run builds its Execution instead of parsing strace text."""

    def read_run(record: RunRecord) -> RunEvidence:
        if record.trace == "broken":
            raise ValueError("unparseable trace")
        if record.trace not in SCENARIOS:  # e.g. a program that never started: an empty trace
            return RunEvidence(Execution(), [], [], record)
        b = ExecBuilder()
        SCENARIOS[record.trace](b)
        evidence = b.evidence()
        return RunEvidence(evidence.execution, evidence.stdout, evidence.stderr, record)

    monkeypatch.setattr(grader.grading, "read_run", read_run)


def record(scenario: str, index: int = 0, **flags: object) -> RunRecord:
    """A RunRecord for a scenario, with the stdout its tasks wrote."""
    b = ExecBuilder()
    if scenario in SCENARIOS:
        SCENARIOS[scenario](b)
    base = b.record(trace=scenario, **flags)
    base.repeat_index = index
    return base


def sandbox_for(tmp_path: Path, runs: dict[str, list[str]], **extra: object) -> ReplaySandbox:
    """A ReplaySandbox reading a JSON recording written with RunRecord.to_json."""
    result = SandboxResult(runs={name: [record(s, i) for i, s in enumerate(seq)] for name, seq in runs.items()},
                           **extra)  # type: ignore[arg-type]
    path = save_recording(result, tmp_path / "recording.json")
    return ReplaySandbox(path)


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    folder = tmp_path / "student1"
    folder.mkdir()
    (folder / "hello.py").write_text("import os\n")
    return folder


def test_correct_submission_gets_full_marks(tmp_path: Path, submission: Path) -> None:
    sandbox = sandbox_for(tmp_path, {NAMES[0]: ["good"] * 3, NAMES[1]: ["good"] * 3})
    result = grade(parse_assignment(ASSIGNMENT), submission, sandbox, label="s1")
    assert (result.score, result.max_score, result.full_marks) == (3.0, 3.0, True)
    assert [t.status for t in result.tests] == ["passed", "passed"]
    assert len(result.tests[0].runs) == 3 and result.tests[0].runs[0].execution is not None
    call = sandbox.calls[0]
    assert call.requests[0].command == ("/usr/bin/python3", "hello.py") and call.requests[0].repeat == 3
    assert call.limits == Limits(timeout_ms=5000, pids=64) and call.build is None
    assert Result.from_json(result.to_json()).score == 3.0


def test_flaky_output_is_reported_with_counts_and_buffer_diagnosis(tmp_path: Path, submission: Path) -> None:
    sandbox = sandbox_for(tmp_path, {NAMES[0]: ["good", "buffered", "good"], NAMES[1]: ["good"]})
    result = grade(parse_assignment(ASSIGNMENT), submission, sandbox)
    test = result.tests[0]
    count = test.checks[0]
    assert test.status == "flaky" and count.status == "flaky"
    assert (count.passed_runs, count.total_runs) == (2, 3)
    assert test.score == 1.0  # process.count passed in all runs: half the points
    assert [d.code for d in test.diagnoses] == ["fork_buffer_duplicate"]
    assert test.diagnoses[0].explains == ["output.count"] and "pipe" in test.diagnoses[0].message
    assert count.explained_by == ["fork_buffer_duplicate"]


def test_buffer_guess_is_not_shown_when_output_checks_pass(tmp_path: Path, submission: Path) -> None:
    result = grade(parse_assignment(ASSIGNMENT), submission,
                   sandbox_for(tmp_path, {NAMES[0]: ["good"], NAMES[1]: ["good"]}))
    assert all(not t.diagnoses for t in result.tests)


def test_zombies_fail_the_reaping_check_and_are_diagnosed(tmp_path: Path, submission: Path) -> None:
    sandbox = sandbox_for(tmp_path, {NAMES[0]: ["no_wait"], NAMES[1]: ["no_wait"]})
    result = grade(parse_assignment(ASSIGNMENT), submission, sandbox, repeat=1)
    waits = result.tests[1]
    assert waits.status == "failed" and waits.score == 0
    zombie = next(d for d in waits.diagnoses if d.code == "zombie")
    assert zombie.explains == ["process.reaped"] and "never waited" in zombie.message
    assert sandbox.calls[0].requests[0].repeat == 1


def test_missing_files_score_zero_without_running(tmp_path: Path) -> None:
    folder = tmp_path / "student2"
    folder.mkdir()
    (folder / "Hello.py").write_text("")
    sandbox = ReplaySandbox(SandboxResult())
    result = grade(parse_assignment(ASSIGNMENT), folder, sandbox)
    assert result.score == 0 and result.max_score == 3 and not sandbox.calls
    assert result.diagnoses[0].code == "missing_files" and "'Hello.py'" in result.diagnoses[0].message
    assert all(t.status == "failed" and t.message for t in result.tests)


def test_compile_error_shows_the_compilers_message(tmp_path: Path, submission: Path) -> None:
    assignment = parse_assignment(ASSIGNMENT.replace("language: python", "language: c\nbuild: [gcc, hello.c]"))
    build = BuildRecord(command=["gcc", "hello.c"], exit_code=1, wall_ms=10,
                        output=b"hello.c:3:5: error: expected ';' before 'return'\n")
    sandbox = ReplaySandbox(load_recording(save_recording(SandboxResult(build=build), tmp_path / "r.json")))
    result = grade(assignment, submission, sandbox)
    assert result.score == 0 and result.build_output == build.output
    assert result.diagnoses[0].code == "compile_error" and "expected ';'" in result.diagnoses[0].message
    assert sandbox.calls[0].build == ["gcc", "hello.c"]


def test_timeout_names_blocking_calls_and_the_open_write_end(tmp_path: Path, submission: Path) -> None:
    runs = SandboxResult(runs={
        NAMES[0]: [record("hang", timed_out=True)],
        NAMES[1]: [record("hang", timed_out=True, final_tasks=[{"tid": 7, "state": "S", "wchan": "pipe_read"}])],
    })
    result = grade(parse_assignment(ASSIGNMENT), submission, ReplaySandbox(runs))
    codes = [d.code for d in result.tests[1].diagnoses]
    assert codes[:2] == ["pipe_write_end_open", "timeout"]
    pipe, timeout = result.tests[1].diagnoses[:2]
    assert "pid 101 waits in wait4 for a child process to end" in timeout.message
    assert "pid 100 reads a pipe (pipe:[9]) whose write end is still open in pid 100 itself" in timeout.message
    assert "pid 7" not in timeout.message      # an old snapshot without call names says too little to name it
    assert "in pid 100 itself" in pipe.message and pipe.explains == ["process.reaped"]


def test_fork_bomb_and_start_failure_are_diagnosed(tmp_path: Path, submission: Path) -> None:
    runs = SandboxResult(runs={
        NAMES[0]: [record("bomb", pids_limit_hit=True)],
        NAMES[1]: [record("missing", start_failed="python4: not found")],
    })
    result = grade(parse_assignment(ASSIGNMENT), submission, ReplaySandbox(runs))
    assert result.tests[0].diagnoses[0].code == "fork_bomb" and "EAGAIN" in result.tests[0].diagnoses[0].message
    start = result.tests[1]
    assert start.status == "failed" and start.diagnoses[0].code == "start_failed"
    assert "python4: not found" in start.diagnoses[0].message and start.diagnoses[0].explains == ["process.reaped"]


def test_unreadable_trace_and_missing_recording_are_errors_not_exceptions(tmp_path: Path, submission: Path) -> None:
    sandbox = sandbox_for(tmp_path, {NAMES[0]: ["broken"]})
    result = grade(parse_assignment(ASSIGNMENT), submission, sandbox)
    assert result.tests[0].status == "error" and "unparseable trace" in (result.tests[0].message or "")
    assert result.tests[1].status == "error" and "no recording" in (result.tests[1].message or "")
    assert result.score == 0


def test_replay_folder_of_recordings_is_keyed_by_submission_name(tmp_path: Path, submission: Path) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    save_recording(SandboxResult(runs={NAMES[0]: [record("good")], NAMES[1]: [record("good")]}),
                   folder / f"{submission.name}.json")
    assert grade(parse_assignment(ASSIGNMENT), submission, ReplaySandbox(folder)).full_marks
    other = tmp_path / "other"
    other.mkdir()
    (other / "hello.py").write_text("")
    assert grade(parse_assignment(ASSIGNMENT), other, ReplaySandbox(folder)).error
