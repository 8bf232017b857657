"""The issue-11 cases run on the real engine: each program's diagnoses name the facts it shows, and the
false sentences (zombie/orphan about tasks the grader stopped, a fork-buffer guess on a common prefix,
register dumps) do not appear. The same programs are recorded under tests/data/runs/diag_<case>.json.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from grader.diagnose import diagnose_run
from grader.grading import read_run
from grader.report.i18n import diagnosis_text
from grader.result import Diagnosis
from grader.trace.model import Execution

pytestmark = pytest.mark.engine

CASES_DIR = Path(__file__).resolve().parent.parent / "data" / "runs" / "diagnose_cases"


def _cases() -> ModuleType:
    spec = importlib.util.spec_from_file_location("diagnose_cases", CASES_DIR / "record.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kids(ex: Execution) -> list[int]:
    return sorted(t.tid for t in ex.processes() if t.tid != ex.root)


def _threads(ex: Execution) -> list[int]:
    return sorted(t.tid for t in ex.threads())


# case -> (the codes it must show, in order; the sentences that must be in them, from the run's own pids)
Expect = Callable[[Execution], list[str]]
EXPECTED: dict[str, tuple[list[str], Expect]] = {
    "pipe_relay_hang": (["pipe_write_end_open", "timeout"], lambda ex: [
        f"pid {ex.root} waits in wait4 for pid {_kids(ex)[1]}, which had not ended",
        f"pid {_kids(ex)[1]} reads a pipe", f"still open in pid {_kids(ex)[1]} itself and in pid {ex.root}",
        f"the grader stopped pid {ex.root}, {_kids(ex)[1]} at the time limit"]),
    "pause": (["timeout"], lambda ex: [f"pid {ex.root} waits in pause for a signal that never came"]),
    "cond_wait": (["timeout"], lambda ex: [
        f"pid {ex.root} waits in pthread_join for thread {_threads(ex)[0]}",
        f"thread {_threads(ex)[0]} of pid {ex.root} waits on a lock, condition variable or join (futex)"]),
    "join_forever": (["timeout"], lambda ex: [
        f"pid {ex.root} waits in pthread_join for thread {_threads(ex)[0]}",
        f"thread {_threads(ex)[0]} of pid {ex.root} waits on a lock, condition variable or join (futex)"]),
    "sleep": (["timeout"], lambda ex: [f"pid {ex.root} was sleeping (clock_nanosleep)"]),
    "poll": (["timeout"], lambda ex: [f"pid {ex.root} waits in poll for data on a pipe"]),
    "lost_sigchld": (["timeout", "zombie", "late_reap"], lambda ex: [
        f"pid {ex.root} waits in pause for a signal that never came", "4 child process(es)",
        f"their parent (pid {ex.root}) was still running"]),
    "orphan_init": (["orphan"], lambda ex: [f"(pid {_kids(ex)[0]}) outlived their parent (pid {ex.root})",
                                            "and init (pid 1) adopted them"]),
    "zombie_reaped": (["late_reap"], lambda ex: [f"(pid {_kids(ex)[0]}) were zombies for up to "]),
    "fork_buffer_pty": ([], lambda ex: []),
    "syntax_error": (["syntax_error"], lambda ex: ["SyntaxError: '(' was never closed\" at line 3"]),
    "crash_before_fork": (["exception"], lambda ex: [
        f"the program's first process (pid {ex.root}) stopped with an uncaught exception at main.py line 4 "
        "before it created any process or thread: \"KeyError: 'workers'\""]),
    "failed_execvp": (["failed_exec"], lambda ex: [
        f"pid {_kids(ex)[0]} could not run 'wcc': exec failed with ENOENT, no such program"]),
    "linger": (["linger"], lambda ex: [f"(pid {_kids(ex)[0]}) were still running",
                                       "what they had not yet printed was lost"]),
    "mp_hang": (["timeout"], lambda ex: [
        f"pid {ex.root} waits in wait4 for pid", "(a helper of the language runtime, not the program's own) waits "
        "in read on its pipe", "waits on a lock, condition variable or join (futex)"]),
}


def _text(diagnoses: list[Diagnosis]) -> str:
    return "\n".join("\n".join([d.message, *(line for e in d.evidence for line in e.lines)]) for d in diagnoses)


@pytest.fixture(scope="module")
def cases() -> ModuleType:
    return _cases()


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_case_on_the_real_engine(case: str, cases: ModuleType, docker_sandbox: object) -> None:
    record = cases.run_case(case, docker_sandbox)
    execution = read_run(record).execution
    diagnoses = diagnose_run(execution, record)
    codes, sentences = EXPECTED[case]
    assert [d.code for d in diagnoses] == codes, [d.message for d in diagnoses]
    text = _text(diagnoses)
    for sentence in sentences(execution):
        assert sentence in text, (sentence, text)
    if case == "zombie_reaped":  # the parent sleeps 0.3 s before its wait; a loaded machine starts the child late
        child = execution.tasks[_kids(execution)[0]]
        seconds = float(re.findall(r"zombies for up to ([0-9.]+) s", text)[0])
        assert child.end is not None and child.reaped_at is not None
        assert 0.05 < seconds < 1.5 and abs(seconds - (child.reaped_at - child.end)) < 0.002
    assert "None" not in text and not re.search(r"0x[0-9a-f]{4,}", text)
    for d in diagnoses:
        korean = diagnosis_text(d, "ko")
        assert korean.translated
        assert sorted(re.findall(r"\d+", d.message)) == sorted(re.findall(r"\d+", korean.text))


def test_grader_trace_exits_1_at_a_limit_and_names_the_call(tmp_path: Path, docker_sandbox: object) -> None:
    import shutil
    import subprocess
    import sys

    grader = Path(sys.executable).with_name("grader")
    shutil.copy(CASES_DIR / "pause.c", tmp_path / "main.c")
    hung = subprocess.run([str(grader), "trace", str(tmp_path), "--timeout", "1", "--build", "gcc -o main main.c",
                           "--", "./main"], check=False, capture_output=True, text=True, timeout=120)
    assert hung.returncode == 1, hung.stderr
    assert "stopped: the run hit its time limit (1000 ms)" in hung.stderr
    assert re.search(r"pid \d+ waits in pause for a signal that never came", hung.stdout), hung.stdout
    assert "nothing blocked" not in hung.stdout
    (tmp_path / "ok.py").write_text("print('hi')\n")
    fine = subprocess.run([str(grader), "trace", str(tmp_path), "--", "/usr/bin/python3", "ok.py"],
                          check=False, capture_output=True, text=True, timeout=120)
    assert fine.returncode == 0 and "At the end: every task had ended" in fine.stdout, fine.stderr


ASSIGNMENTS = Path(__file__).resolve().parent.parent.parent / "assignments"
# A faulty solution whose fault shows at run time -> the diagnosis its page must name first (its note says why).
MAIN_DIAGNOSIS: dict[tuple[str, str], str] = {
    ("crash-isolation", "faulty/threads.py"): "crash",           # os.abort() kills the whole process
    ("fork-copies-memory", "faulty/no_wait.py"): "orphan",
    ("fork-copies-memory", "faulty/big_buffer.py"): "oom",
    ("fork-hello", "faulty/no_wait.py"): "orphan",
    ("fork-hello", "faulty/print_before_fork.py"): "fork_buffer_duplicate",
    ("fork-hello", "faulty/printf_before_fork.c"): "fork_buffer_duplicate",
    ("fork-hello", "faulty/syntax_error.c"): "compile_error",
    ("fork-tree", "faulty/chain_no_base_case.py"): "fork_bomb",
    ("pipe-message", "faulty/write_end_open.c"): "pipe_write_end_open",
    ("pipe-message", "faulty/no_wait.c"): "zombie",
    ("pipe-message", "faulty/write_end_open.py"): "pipe_write_end_open",
    ("race-fix", "faulty/compile_error.c"): "compile_error",
}


def _main_diagnosis(result: object) -> Diagnosis | None:
    from grader.result import Result

    assert isinstance(result, Result)
    if result.diagnoses:
        return result.diagnoses[0]
    for test in result.tests:
        if test.status != "passed" and test.diagnoses:
            return test.diagnoses[0]
    return None


@pytest.mark.parametrize(("assignment", "faulty"), sorted(MAIN_DIAGNOSIS))
def test_faulty_solution_page_names_its_cause_first(assignment: str, faulty: str, docker_sandbox: object) -> None:
    from grader.api import grade_path
    from grader.spec.loader import load_assignment

    yaml = ASSIGNMENTS / assignment / "assignment.yaml"
    spec = load_assignment(yaml)
    (entry,) = [f for variant in spec.resolved_variants() for f in variant.faulty if str(f.path) == faulty]
    result = grade_path(yaml, yaml.parent / faulty, repeat=1, sandbox=docker_sandbox)
    main = _main_diagnosis(result)
    assert main is not None and main.code == MAIN_DIAGNOSIS[(assignment, faulty)], (entry.note, main)
    assert diagnosis_text(main, "ko").translated
