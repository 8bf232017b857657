"""Runs' traces wait compressed until their run is graded: the same result, a fraction of the memory."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path

from grader.grading import PACK_TRACE_CHARS, PackedTraces, grade_runs
from grader.sandbox.records import RunRecord
from grader.spec.schema import TestSpec

RUNS = Path(__file__).resolve().parents[1] / "data" / "runs"


def recorded(name: str) -> RunRecord:
    """A run recorded in the real sandbox (multiprocessing's helper left blocked: a 1.5 MB trace)."""
    return RunRecord.from_json(json.loads((RUNS / f"{name}.json").read_text(encoding="utf-8")))


TEST = TestSpec.model_validate({
    "name": "one process, reaped", "points": 1,
    "checks": [{"kind": "process.count", "equals": 2}, {"kind": "process.reaped", "of": "all"},
               {"kind": "output.count", "pattern": "^hello", "equals": 1}],
})


def test_a_packed_trace_grades_the_same_and_is_dropped_after() -> None:
    plain = recorded("diag_mp_hang")
    assert len(plain.trace) > PACK_TRACE_CHARS
    text = plain.trace
    packed = [replace(plain, repeat_index=i) for i in range(2)]
    traces = PackedTraces(packed)
    assert all(r.trace == "" for r in packed)                  # waiting compressed, not as text
    assert all(len(b) < len(text) / 3 for b in traces._blobs.values())
    want = asdict(grade_runs(TEST, [plain, replace(plain, repeat_index=1)]))
    got = asdict(grade_runs(TEST, packed, traces=traces))
    assert got == want
    assert all(r.trace == "" for r in packed) and not traces._blobs     # each run's text dropped once graded
    assert plain.trace == text


def test_a_short_trace_is_left_as_it_is() -> None:
    record = recorded("diag_sleep")
    assert len(record.trace) <= PACK_TRACE_CHARS
    text = record.trace
    PackedTraces([record])
    assert record.trace == text


def test_the_sandbox_collects_a_big_log_packed_and_grading_reads_it_the_same(tmp_path: Path) -> None:
    """docker_sandbox._collect (shared by the local backend) packs a log over 1 MiB as it reads it,
    so a submission's capped logs never wait side by side as text; the verdicts do not change."""
    from grader.sandbox.docker_sandbox import PACK_TRACE_CHARS as COLLECT_PACK
    from grader.sandbox.docker_sandbox import _collect
    from grader.sandbox.records import Limits, RunRequest

    plain = recorded("diag_mp_hang")
    text = plain.trace + "\n".join(f"999 1.{i:06d} getpid() = 999" for i in range(40_000)) + "\n"
    assert len(text) > COLLECT_PACK
    data = plain.to_json()
    data.pop("trace")
    (tmp_path / "run-0-0.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "run-0-0.trace").write_text(text, encoding="utf-8")
    request = RunRequest(name=plain.name, command=tuple(plain.command))
    collected = _collect(tmp_path, [request], Limits(**asdict(plain.limits))).runs[plain.name][0]
    assert collected.trace == "" and 0 < len(collected.trace_packed) < len(text) // 5
    assert RunRecord.from_json(collected.to_json()).trace == text          # the JSON carries the text
    graded = grade_runs(TEST, [collected], traces=PackedTraces([collected]))
    expected = grade_runs(TEST, [replace(plain, trace=text)])
    assert [c.status for c in graded.checks] == [c.status for c in expected.checks]
    assert collected.trace == "" and collected.trace_packed == b""       # dropped once graded
