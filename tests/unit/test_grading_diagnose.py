"""Diagnoses read from hand-built Executions and run flags, merged over repeats and attached to failed checks."""

from __future__ import annotations

from exec_builder import ExecBuilder

from grader.diagnose import attach, diagnose_build, diagnose_run, merge_diagnoses
from grader.sandbox.records import BuildRecord


def _codes(b: ExecBuilder, **flags: object) -> list[str]:
    evidence = b.evidence(**flags)
    return [d.code for d in diagnose_run(evidence.execution, evidence.record)]


def test_crash_names_signal_and_sender() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.kill(c, "SIGSEGV")
    evidence = b.evidence()
    (crash,) = diagnose_run(evidence.execution, evidence.record)
    assert crash.code == "crash" and f"pid {c} was killed by SIGSEGV" in crash.message


def test_orphan_oom_and_output_limit() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.exit(100)
    b.orphan(c)
    assert _codes(b, oom_killed=True, output_limit_hit=True) == ["oom", "output_limit", "orphan"]


def test_clean_run_has_no_diagnoses() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.say(c, "hi")
    b.exit(c)
    b.exit(100)
    assert _codes(b) == []


def test_merge_counts_runs_and_attach_keeps_only_relevant_kinds() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.exit(c, reaped=False)
    evidence = b.evidence()
    once = diagnose_run(evidence.execution, evidence.record)
    merged = merge_diagnoses([once, [], once])
    assert merged[0].params["runs"] == 2 and "seen in 2 of 3 runs" in merged[0].message
    attached = attach(merged, ["output.count", "process.reaped"])
    assert attached[0].explains == ["process.reaped"]


def test_build_diagnosis_only_when_the_build_failed() -> None:
    assert diagnose_build(BuildRecord(command=["gcc"], exit_code=0, output=b"", wall_ms=1)) is None
    timed = diagnose_build(BuildRecord(command=["gcc", "x.c"], exit_code=None, output=b"", wall_ms=1, timed_out=True))
    assert timed is not None and "timed out" in timed.message
