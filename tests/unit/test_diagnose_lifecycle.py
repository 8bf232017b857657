"""Diagnoses on the lifecycle runs recorded in the real sandbox (tests/data/runs/lifecycle, record.py there):
a diagnosis speaks only for a failed check whose kind it explains, and never calls a cause a fault where
no check of the test asserts against it (a double-fork daemon's orphan); who adopted an orphan is named
as the trace shows it (init is pid 1; a traced adopter is a subreaper). Also output.contains with a
trailing newline, and the task fields of `grader trace --json`, on recorded runs.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from test_checks import check

from grader.checks.base import RunEvidence
from grader.diagnose import attach, diagnose_run, merge_diagnoses
from grader.grading import grade_runs, read_run
from grader.report.gradescope import process_tree_lines
from grader.report.i18n import diagnosis_text, evidence_text
from grader.result import Diagnosis
from grader.sandbox.records import RunRecord
from grader.spec.loader import load_assignment
from grader.trace.describe import describe

RUNS = Path(__file__).resolve().parents[1] / "data" / "runs"
ROOT = Path(__file__).resolve().parents[2]
ADVICE = "The parent should wait for its children before it ends."


def record(path: Path) -> RunRecord:
    fields = {f.name for f in dataclasses.fields(RunRecord)}
    data = json.loads(path.read_text(encoding="utf-8"))
    return RunRecord.from_json({k: v for k, v in data.items() if k in fields})


def run(name: str) -> RunEvidence:
    """A lifecycle run recorded in the real sandbox (tests/data/runs/lifecycle/NAME.json)."""
    return read_run(record(RUNS / "lifecycle" / f"{name}.json"))


def orphan_of(name: str) -> Diagnosis:
    ev = run(name)
    (orphan,) = [d for d in diagnose_run(ev.execution, ev.record) if d.code == "orphan"]
    return orphan


def korean(d: Diagnosis) -> str:
    shown = diagnosis_text(d, "ko")
    assert shown.translated and re.search("[\uac00-\ud7a3]", shown.text), shown.text
    return shown.text


# ----------------------------------------------------------------------------- which checks a diagnosis speaks for


def test_an_orphan_explains_nothing_where_no_failed_check_is_about_it() -> None:
    # double_fork.py: the daemon (pid 22) outlives its parent pid 21 on purpose
    assert attach([orphan_of("double_fork_py")], []) == []
    assert attach([orphan_of("double_fork_py")], ["process.zombie", "process.tree"]) == []


def test_an_orphan_is_a_fault_only_under_a_failed_no_orphans_check() -> None:
    (fault,) = attach([orphan_of("double_fork_py")], ["process.no_orphans", "output.happens_before"])
    assert fault.explains == ["output.happens_before", "process.no_orphans"]
    assert fault.message == ("1 process(es) (pid 22) outlived their parent (pid 21): it ended while they were still "
                             "running, and init (pid 1) adopted them. They were orphans, not zombies. " + ADVICE)
    assert "부모 프로세스는 끝나기 전에 자식 프로세스를 기다려야 합니다" in korean(fault)


def test_an_orphan_that_explains_another_check_is_told_as_a_fact() -> None:
    (fact,) = attach([orphan_of("double_fork_py")], ["output.happens_before", "process.reaped"])
    assert fact.explains == ["output.happens_before", "process.reaped"]
    assert fact.message == ("1 process(es) (pid 22) outlived their parent (pid 21): it ended while they were still "
                            "running, and init (pid 1) adopted them. They were orphans, not zombies.")
    assert "wait" not in fact.message and "기다려야" not in korean(fact)
    assert "init 프로세스(PID 1)" in korean(fact)
    lines = [line for e in fact.evidence for line in e.lines]
    assert "pid 22 wrote 1 line(s) to stdout after its parent pid 21 had ended" in lines   # 'daemon done'
    ko_lines = [line for e in fact.evidence for line in evidence_text(e, "ko").lines]
    assert "PID 22는 부모 프로세스 PID 21가 끝난 뒤 표준 출력에 1줄을 썼습니다" in ko_lines


def test_the_fact_form_keeps_the_runs_it_was_seen_in() -> None:
    once = orphan_of("double_fork_py")
    (merged,) = merge_diagnoses([[once], [], [orphan_of("double_fork_py")]])
    (fact,) = attach([merged], ["output.happens_before"])
    assert fact.message.endswith("They were orphans, not zombies. (seen in 2 of 3 runs)")
    assert korean(fact).endswith("(3번 실행 중 2번 나타남)")


def test_zombie_orphan_pages_never_tell_a_double_fork_to_wait_for_the_daemon() -> None:
    # Every test of zombie-orphan on the recorded double fork: the first test fails (the middle child is
    # reaped at once, not held as a zombie), and before, the orphan was attached to it with the advice.
    assignment = load_assignment(ROOT / "assignments" / "zombie-orphan" / "assignment.yaml")
    results = [grade_runs(test, [record(RUNS / "lifecycle" / "double_fork_py.json")]) for test in assignment.tests]
    assert results[0].status == "failed"
    for result in results:
        for d in result.diagnoses:
            assert d.explains, (result.name, d.code)
            assert "wait for its children" not in d.message and "init (pid 20)" not in d.message
            assert "기다려야" not in korean(d) or d.code != "orphan"
        assert "orphan" not in [d.code for d in result.diagnoses]


def test_a_diagnosis_speaks_only_for_a_failed_check_about_its_own_tasks() -> None:
    # middle_not_reaped.py (zombie-orphan's faulty solution): child[0] (pid 22) is a zombie for 0.5 s on
    # purpose, then reaped; the middle child (pid 23) is never reaped; the daemon (pid 24) is an orphan.
    # Test 2's process.reaped and process.no_zombies fail for pid 23 alone: before, the orphan and the
    # late reap of pid 22 ("Wait for a child soon after it ends", against test 1) were named as their cause.
    assignment = load_assignment(ROOT / "assignments" / "zombie-orphan" / "assignment.yaml")
    runs = [record(RUNS / "lifecycle" / "middle_not_reaped_py.json")]
    first, double, ordered = (grade_runs(test, runs) for test in assignment.tests)
    assert first.status == "passed" and ordered.status == "passed"
    assert [c.kind for c in double.checks if c.status == "failed"] == ["process.reaped", "process.no_zombies"]
    (zombie,) = double.diagnoses
    assert zombie.code == "zombie" and zombie.params["pids"] == [23]
    assert zombie.explains == ["process.no_zombies", "process.reaped"]
    assert [c.explained_by for c in double.checks if c.status == "failed"] == [["zombie"], ["zombie"]]
    assert "좀비" in korean(zombie)


def test_a_subreapers_orphan_is_adopted_by_the_subreaper_not_init() -> None:
    # subreaper.py: the root (pid 20) is a child subreaper; its grandchild pid 22 is orphaned and adopted by it
    (fact,) = attach([orphan_of("subreaper_py")], ["process.reaped"])
    assert fact.message == ("1 process(es) (pid 22) outlived their parent (pid 21): it ended while they were still "
                            "running, and the subreaper pid 20 adopted them. They were orphans, not zombies.")
    assert "init" not in fact.message and "init" not in korean(fact)
    assert "서브리퍼(subreaper) PID 20" in korean(fact)
    lines = [line for e in fact.evidence for line in e.lines]
    assert lines == ["pid 22: its parent pid 21 ended at 0.032 s while it was still running; pid 20 adopted it; "
                     "it ended with exit status 0"]          # it printed nothing after its parent ended


def test_describe_and_the_gradescope_tree_name_the_adopter() -> None:
    sub, init = run("subreaper_py"), run("double_fork_py")
    assert "ORPHAN (adopted by its subreaper, pid 20)" in describe(sub.execution, sub.record)
    assert "ORPHAN (adopted by init, pid 1)" in describe(init.execution, init.record)
    assert any(line.endswith("pid 22: exit 0, reaped by 20, orphan, adopted by pid 20")
               for line in process_tree_lines(sub.execution.to_json()))
    assert any(line.endswith("pid 22: exit 0, orphan, adopted by init (pid 1)")
               for line in process_tree_lines(init.execution.to_json()))


# ----------------------------------------------------------------------------- output.contains and the last newline


def test_a_trailing_newline_matches_a_last_line_printed_with_one() -> None:
    ev = run("double_fork_py")                               # stdout "parent done\ndaemon done\n"
    assert ev.record.stdout.endswith(b"daemon done\n")
    assert check("output.contains", text="daemon done\n").evaluate(ev).passed
    assert check("output.contains", text="parent done\ndaemon done\n").evaluate(ev).passed
    assert not check("output.contains", text="daemon done\n\n").evaluate(ev).passed
    gone = check("output.contains", text="daemon done\n", absent=True).evaluate(ev)
    assert not gone.passed
    assert gone.message == "the stdout should not contain 'daemon done\\n', but 1 line(s) do, first line 2"


def test_a_trailing_newline_does_not_match_a_last_line_printed_without_one() -> None:
    ev = read_run(record(RUNS / "last_line_open_py.json"))  # stdout "child line\nparent done" (no newline)
    assert ev.record.stdout == b"child line\nparent done"
    missing = check("output.contains", text="parent done\n").evaluate(ev)
    assert not missing.passed and missing.message == "the stdout does not contain 'parent done\\n'"
    assert check("output.contains", text="parent done").evaluate(ev).passed
    assert check("output.contains", text="child line\n").evaluate(ev).passed
    assert check("output.contains", text="child line\nparent done").evaluate(ev).passed
    assert check("output.contains", text="parent done\n", absent=True).evaluate(ev).passed


# ----------------------------------------------------------------------------- the task model in JSON


def test_the_json_model_carries_how_each_task_ended_itself() -> None:
    for name in ("exit_in_thread_py", "threads_joined_c", "double_fork_py"):
        ex = run(name).execution
        tasks = {t["pid"]: t for t in json.loads(json.dumps(ex.to_json()))["tasks"]}
        assert tasks.keys() == ex.tasks.keys()
        for tid, task in ex.tasks.items():
            assert (tasks[tid]["exit_call"], tasks[tid]["exit_call_at"], tasks[tid]["clear_tid_word"]) == \
                (task.exit_call, task.exit_call_at, task.clear_tid_word), (name, tid)
    threads = run("threads_joined_c").execution.threads()
    assert threads and all(t.clear_tid_word is not None and t.exit_call == "exit" for t in threads)


def test_a_cause_is_linked_only_to_the_failed_checks_it_explains() -> None:
    # Two checks of one kind: a zombie of pid 7 explains the failure that names pid 7, not the one that
    # names pid 9, and never a check that passed.
    from grader.diagnose import explained_by
    from grader.result import CheckResult, Diagnosis, Evidence

    zombie = Diagnosis(code="zombie", message="pid 7 was never reaped", explains=["process.reaped"],
                       evidence=[Evidence(label="zombie", tasks=[7], run=0)])
    about_7 = CheckResult(kind="process.reaped", status="failed", message="pid 7 not reaped",
                          evidence=[Evidence(label="x", tasks=[7], run=0)])
    about_9 = CheckResult(kind="process.reaped", status="failed", message="pid 9 not reaped",
                          evidence=[Evidence(label="x", tasks=[9], run=0)])
    passed = CheckResult(kind="process.reaped", status="passed", message="every child reaped")
    assert explained_by([zombie], about_7) == ["zombie"]
    assert explained_by([zombie], about_9) == []
    assert explained_by([zombie], passed) == []
