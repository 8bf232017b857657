"""The issue-11 cases, recorded in the real sandbox (tests/data/runs/diag_<case>.json): the sentences a
student reads name the right task, call and other end, in English and in Korean, and the false ones
(zombie/orphan for tasks the grader stopped, "exited with None", register dumps) are gone.

The programs are in tests/data/runs/diagnose_cases/; `record.py` there re-records them, and
tests/engine/test_diagnose_engine.py runs them on the real engine.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from trace_fixtures import load as load_trace

from grader.diagnose import attach, diagnose_run
from grader.grading import read_run
from grader.report.i18n import diagnosis_text, evidence_text
from grader.result import Diagnosis
from grader.sandbox.records import RunRecord
from grader.trace.describe import describe
from grader.trace.endstate import blocked_at_end
from grader.trace.model import Execution

RUNS = Path(__file__).resolve().parent.parent / "data" / "runs"
CASES = sorted(p.stem.removeprefix("diag_") for p in RUNS.glob("diag_*.json"))
HANGS = ["pipe_relay_hang", "pause", "cond_wait", "join_forever", "sleep", "poll", "lost_sigchld", "mp_hang"]


def _record(case: str) -> RunRecord:
    return RunRecord.from_json(json.loads((RUNS / f"diag_{case}.json").read_text()))


def _run(case: str) -> tuple[Execution, RunRecord, list[Diagnosis]]:
    record = _record(case)
    execution = read_run(record).execution
    return execution, record, diagnose_run(execution, record)


def _by_code(diagnoses: list[Diagnosis]) -> dict[str, Diagnosis]:
    return {d.code: d for d in diagnoses}


def _all_text(diagnoses: list[Diagnosis], lang: str = "en") -> str:
    parts = []
    for d in diagnoses:
        parts.append(diagnosis_text(d, lang).text)
        for e in d.evidence:
            shown = evidence_text(e, lang)
            parts.append(shown.label)
            parts.extend(shown.lines)
    return "\n".join(parts)


def _kids(execution: Execution) -> list[int]:
    return sorted(t.tid for t in execution.processes() if t.tid != execution.root)


def test_every_case_is_recorded() -> None:
    assert set(CASES) >= {*HANGS, "orphan_init", "zombie_reaped", "fork_buffer_pty", "syntax_error",
                          "crash_before_fork", "failed_execvp", "linger"}


@pytest.mark.parametrize("case", CASES)
def test_no_false_or_raw_words(case: str) -> None:
    execution, _record, diagnoses = _run(case)
    text = _all_text(diagnoses)
    assert "None" not in text and "exited with" not in text
    assert not re.search(r"0x[0-9a-f]{4,}", text), text          # no registers or raw arguments
    assert not re.search(r"was [A-Z] in |\bin \d{1,3} ", text), text   # no state letters, no syscall numbers
    stopped = {t.tid for t in execution.tasks.values() if t.stopped_by}
    for d in diagnoses:
        if d.code in ("zombie", "orphan"):
            assert not stopped & set(d.params["pids"]), (d.code, d.message)


@pytest.mark.parametrize("case", HANGS)
def test_a_hang_names_one_call_per_live_task(case: str) -> None:
    execution, record, diagnoses = _run(case)
    live = blocked_at_end(execution, record)
    assert live and len({b.tid for b in live}) == len(live) == len(record.final_tasks)
    timeout = _by_code(diagnoses)["timeout"]
    (what,) = [e for e in timeout.evidence if e.label == "what each task was doing when time ran out"]
    for b in live:
        assert any(f" {b.tid} " in f" {line} " for line in what.lines), (b.tid, what.lines)
    assert "stopped pid" in timeout.message and "at the time limit" in timeout.message
    assert "was inside the system call" not in timeout.message    # every call here has its own words


def test_pipe_relay_hang_reads_as_it_happened() -> None:
    """Issue 11, case 1: the parent waits in wait4 for the reader; the reader holds the write end itself."""
    execution, _record, diagnoses = _run("pipe_relay_hang")
    parent = execution.root
    _writer, reader = _kids(execution)
    assert [d.code for d in diagnoses] == ["pipe_write_end_open", "timeout"]
    timeout = _by_code(diagnoses)["timeout"]
    assert f"pid {parent} waits in wait4 for pid {reader}, which had not ended" in timeout.message
    assert re.search(rf"pid {reader} reads a pipe \(pipe:\[\d+\]\) whose write end is still open in "
                     rf"pid {reader} itself and in pid {parent}: .*close the write ends you do not use",
                     timeout.message)
    assert f"the grader stopped pid {parent}, {reader} at the time limit" in timeout.message
    hang = _by_code(diagnoses)["pipe_write_end_open"]
    assert hang.params["holder_pids"] == [parent, reader]
    assert hang.evidence[0].lines == [f"pid {parent} held the write end open as descriptor 4",
                                      f"pid {reader} held the write end open as descriptor 4"]
    assert "zombie" not in _all_text(diagnoses) and "orphan" not in _all_text(diagnoses)
    korean = diagnosis_text(timeout, "ko")
    assert korean.translated and "wait4" in korean.text and f"PID {reader} 자신과 PID {parent}" in korean.text


def test_pause_is_named_even_as_a_complete_line() -> None:
    execution, record, diagnoses = _run("pause")
    assert "pause() " in record.trace and "<unfinished" not in record.trace.split("pause()")[1][:40]
    assert f"pid {execution.root} waits in pause for a signal that never came" in diagnoses[0].message


def test_condition_variable_and_join() -> None:
    for case in ("cond_wait", "join_forever"):
        execution, _, diagnoses = _run(case)
        (thread,) = execution.threads(execution.root)
        message = _by_code(diagnoses)["timeout"].message
        assert f"pid {execution.root} waits in pthread_join for thread {thread.tid}, which never ended" in message
        assert (f"thread {thread.tid} of pid {execution.root} waits on a lock, condition variable or join (futex) "
                "that nobody released or signalled") in message


def test_sleep_and_poll() -> None:
    execution, _, diagnoses = _run("sleep")
    assert f"pid {execution.root} was sleeping (clock_nanosleep)" in diagnoses[0].message
    execution, _, diagnoses = _run("poll")
    assert re.search(rf"pid {execution.root} waits in poll for data on a pipe \(pipe:\[\d+\]\) whose write end is "
                     rf"still open in pid {execution.root} itself; none came", diagnoses[0].message)


def test_the_runtime_helper_is_named_as_such_and_given_no_advice() -> None:
    execution, _, diagnoses = _run("mp_hang")
    (tracker,) = [t.tid for t in execution.processes() if t.runtime_helper]
    (worker,) = [t.tid for t in execution.processes() if t.tid not in (execution.root, tracker)]
    assert [d.code for d in diagnoses] == ["timeout"]
    message = diagnoses[0].message
    assert f"pid {execution.root} waits in wait4 for pid {worker}, which had not ended" in message
    assert f"pid {tracker} (a helper of the language runtime, not the program's own) waits in read on its pipe" in message
    assert f"pid {worker} waits on a lock, condition variable or join (futex)" in message
    assert "close the write ends" not in message


def test_lost_sigchld_pause_loop_leaves_true_zombies() -> None:
    """CS:APP fork14: the parent pauses forever; the children it never reaped really were zombies."""
    execution, _, diagnoses = _run("lost_sigchld")
    found = _by_code(diagnoses)
    assert f"pid {execution.root} waits in pause for a signal that never came" in found["timeout"].message
    kids = _kids(execution)
    reaped = [t.tid for t in execution.processes() if t.reaped_by == execution.root]
    zombie = found["zombie"]
    assert zombie.params["pids"] == [k for k in kids if k not in reaped] and len(zombie.params["pids"]) == 4
    assert zombie.params["parents"] == [execution.root]
    assert f"the grader stopped pid {execution.root} at the time limit" in found["timeout"].message


def test_orphan_is_adopted_by_init_not_a_zombie() -> None:
    execution, _, diagnoses = _run("orphan_init")
    (child,) = _kids(execution)
    assert [d.code for d in diagnoses] == ["orphan"]
    assert f"(pid {child}) outlived their parent (pid {execution.root})" in diagnoses[0].message
    assert "and init (pid 1) adopted them" in diagnoses[0].message


def test_zombie_reaped_after_a_while_is_not_never_waited_for() -> None:
    execution, _, diagnoses = _run("zombie_reaped")
    (child,) = _kids(execution)
    assert "zombie" not in _by_code(diagnoses)
    late = _by_code(diagnoses)["late_reap"]
    assert late.params["pids"] == [child] and 0.25 <= late.params["seconds"] <= 0.6
    assert attach(diagnoses, []) == []                              # not a fault unless a check says so
    assert [d.code for d in attach(diagnoses, ["process.no_zombies"])] == ["late_reap"]


def test_fork_buffer_not_claimed_for_a_common_prefix_on_a_pty() -> None:
    _execution, record, diagnoses = _run("fork_buffer_pty")
    assert record.stdout_mode == "pty" and b"I am child" in record.stdout and b"I am parent" in record.stdout
    assert "fork_buffer_duplicate" not in _by_code(diagnoses)


def test_fork_buffer_found_when_the_line_was_printed_before_fork() -> None:
    fixture = load_trace("print_before_fork_py")
    execution = fixture.parse()
    record = RunRecord(name="t", repeat_index=0, command=["python3"], stdout=fixture.stdout)
    (found,) = [d for d in diagnose_run(execution, record) if d.code == "fork_buffer_duplicate"]
    child = next(t.tid for t in execution.processes() if t.tid != execution.root)
    assert found.params["text"] == repr("before fork\n")
    assert f"pid {execution.root} and its child pid {child} both began" in found.message


def test_syntax_error_is_named_first() -> None:
    _, _, diagnoses = _run("syntax_error")
    assert diagnoses[0].code == "syntax_error"
    assert diagnoses[0].message == ("Python could not read main.py: \"SyntaxError: '(' was never closed\" at line 3, "
                                    "so none of the program ran.")


def test_crash_before_fork_is_named_first() -> None:
    execution, _, diagnoses = _run("crash_before_fork")
    assert diagnoses[0].code == "exception"
    assert diagnoses[0].message == (
        f"the program's first process (pid {execution.root}) stopped with an uncaught exception at main.py line 4 "
        "before it created any process or thread: \"KeyError: 'workers'\"")
    assert "exit_status" not in _by_code(diagnoses)


def test_failed_execvp_is_explained() -> None:
    execution, _, diagnoses = _run("failed_execvp")
    (child,) = _kids(execution)
    failed = _by_code(diagnoses)["failed_exec"]
    assert failed.message.startswith(f"pid {child} could not run 'wcc': exec failed with ENOENT, no such program")
    assert any("/usr/bin/wcc" in line for line in failed.evidence[0].lines)


def test_linger_says_what_was_lost() -> None:
    execution, record, diagnoses = _run("linger")
    (child,) = _kids(execution)
    assert record.stopped_for == "linger"
    linger = _by_code(diagnoses)["linger"]
    assert f"(pid {child}) were still running" in linger.message and "had not yet printed was lost" in linger.message
    assert linger.evidence[0].lines == [f"pid {child} was sleeping (clock_nanosleep)"]
    assert "orphan" not in _by_code(diagnoses) and "zombie" not in _by_code(diagnoses)


@pytest.mark.parametrize("case", CASES)
def test_korean_carries_the_same_facts(case: str) -> None:
    _, _, diagnoses = _run(case)
    for d in diagnoses:
        english, korean = diagnosis_text(d, "en"), diagnosis_text(d, "ko")
        assert korean.translated, (d.code, korean.text)
        assert re.search("[\uac00-\ud7a3]", korean.text), korean.text
        assert sorted(re.findall(r"\d+", english.text)) == sorted(re.findall(r"\d+", korean.text)), (
            english.text, korean.text)
        for e in d.evidence:
            shown = evidence_text(e, "ko")
            for en_line, ko_line in zip(e.lines, shown.lines):
                assert sorted(re.findall(r"\d+", en_line)) == sorted(re.findall(r"\d+", ko_line))


@pytest.mark.parametrize("case", HANGS)
def test_grader_trace_names_each_blocked_call(case: str) -> None:
    execution, record, _ = _run(case)
    text = describe(execution, record)
    assert "At the end (the run hit its time limit" in text and "nothing blocked" not in text
    for b in blocked_at_end(execution, record):
        assert f"pid {b.tid} " in text or f"thread {b.tid} " in text
