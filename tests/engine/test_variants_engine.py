"""Variants, shared runs and pitfall warnings against the real Docker engine.

The merged fork-hello is graded with its Python and its C reference; tests with one run configuration
are counted to have cost `repeat` runs, not tests x repeat; and what each pitfall warning claims is
shown to happen in the sandbox image (and its list of standard-library names is the image's own).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from grader.api import grade_path
from grader.grading import grade
from grader.pitfalls import STDLIB_GENERATOR, STDLIB_PYTHON, STDLIB_SHADOWABLE, find_pitfalls
from grader.sandbox.base import SandboxResult
from grader.sandbox.records import Limits, RunRecord, RunRequest
from grader.spec import load_assignment

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
FORK_HELLO = ROOT / "assignments" / "fork-hello"


class CountingSandbox:
    """The real sandbox, counting what it was asked for and the runs it handed back."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests: list[RunRequest] = []
        self.records = 0

    def run(self, submission: Path, requests: Sequence[RunRequest], *, limits: Limits,
            build: Sequence[str] | None = None) -> SandboxResult:
        self.requests.extend(requests)
        out: SandboxResult = self.inner.run(submission, requests, limits=limits, build=build)
        self.records += sum(len(records) for records in out.runs.values())
        return out


@pytest.mark.parametrize(("solution", "variant"), [("hello.py", "python"), ("hello.c", "c")])
def test_merged_fork_hello_grades_either_language_from_its_files(solution: str, variant: str,
                                                                  docker_sandbox: object) -> None:
    counting = CountingSandbox(docker_sandbox)
    result = grade_path(FORK_HELLO / "assignment.yaml", FORK_HELLO / "solution" / solution, repeat=2,
                        sandbox=counting)
    assert result.variant == variant and result.full_marks, [(t.name, t.status, t.message) for t in result.tests]
    assert not result.warnings
    # Tests 1 and 2 run the program the same way (a pipe): one request; the terminal test is its own.
    assert [(r.stdout_mode, r.repeat) for r in counting.requests] == [("pipe", 2), ("pty", 2)]
    assert counting.records == 4 and [t.run_id for t in result.tests] == ["r1", "r1", "r2"]
    assert (variant == "c") == (result.build_output is not None)


THREE_TESTS = """
id: three-tests
title: Three tests of one run
repeat: 3
limits: {timeout: 5s, memory: 128MiB, pids: 32}
tests:
  - name: hello os three times
    checks:
      - output.count: {pattern: '^hello os$', equals: 3}
  - name: three processes
    checks:
      - process.count: 3
  - name: every child waited for
    checks:
      - process.reaped: all
variants:
  python:
    language: python
    files: [hello.py]
    run: [python3, hello.py]
  c:
    language: c
    files: [hello.c]
    build: [gcc, -Wall, -o, hello, hello.c]
    run: [./hello]
"""


@pytest.mark.parametrize("solution", ["hello.py", "hello.c"])
def test_three_tests_of_one_configuration_cost_repeat_runs(tmp_path: Path, solution: str,
                                                           docker_sandbox: object) -> None:
    (tmp_path / "assignment.yaml").write_text(THREE_TESTS)
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(FORK_HELLO / "solution" / solution, submission / solution)
    counting = CountingSandbox(docker_sandbox)
    result = grade(load_assignment(tmp_path / "assignment.yaml"), submission, counting)
    assert result.full_marks, [(t.name, t.status, t.message) for t in result.tests]
    assert len(counting.requests) == 1 and counting.records == 3          # not 3 tests x 3 repeats = 9
    assert [t.run_id for t in result.tests] == ["r1"] * 3 and all(len(t.runs) == 3 for t in result.tests)
    # Every test shows the same three runs.
    assert len({tuple(r.wall_ms for r in t.runs) for t in result.tests}) == 1
    counting_apart = CountingSandbox(docker_sandbox)
    apart = grade(load_assignment(tmp_path / "assignment.yaml"), submission, counting_apart, share_runs=False)
    assert apart.full_marks and len(counting_apart.requests) == 3 and counting_apart.records == 9


def _run(sandbox: Any, folder: Path, *commands: tuple[str, ...]) -> list[RunRecord]:
    requests = [RunRequest(name=f"r{i}", command=c, trace=False) for i, c in enumerate(commands)]
    out = sandbox.run(folder, requests, limits=Limits(timeout_ms=10_000))
    assert out.internal_error is None, out.internal_error
    return [out.runs[r.name][0] for r in requests]


def test_the_stdlib_list_is_the_sandbox_images_own(tmp_path: Path, docker_sandbox: object) -> None:
    (tmp_path / "names.py").write_text(STDLIB_GENERATOR)
    (record,) = _run(docker_sandbox, tmp_path, ("/usr/bin/python3", "names.py"))
    version, *names = record.stdout.decode().split()
    assert version == STDLIB_PYTHON, "the image's python changed: run `python -m grader.pitfalls stdlib`"
    assert frozenset(names) == STDLIB_SHADOWABLE, "run `python -m grader.pitfalls stdlib` and update the list"


def test_what_the_warnings_claim_happens_in_the_sandbox(tmp_path: Path, docker_sandbox: object) -> None:
    """queue.py is loaded by multiprocessing; a top-level process under spawn stops with RuntimeError;
    a CRLF #! line makes running the file directly fail with "No such file or directory"."""
    (tmp_path / "hello.py").write_text("import multiprocessing as mp\nq = mp.Queue()\nprint('made a queue')\n")
    (tmp_path / "queue.py").write_text("print('the submitted queue.py was loaded')\n")
    (tmp_path / "spawn.py").write_text(
        "import multiprocessing as mp\nctx = mp.get_context('spawn')\n"
        "p = ctx.Process(target=print)\np.start()\np.join()\n")
    (tmp_path / "run.sh").write_bytes(b"#!/bin/sh\r\necho hi\r\n")
    (tmp_path / "run.sh").chmod(0o755)
    assignment = load_assignment(FORK_HELLO / "assignment.yaml").for_variant("python")
    codes = sorted(w.code for w in find_pitfalls(assignment, tmp_path))
    assert codes == ["crlf_shebang", "stdlib_shadow"]
    guard = [w for w in find_pitfalls(assignment.model_copy(update={"run": ["python3", "spawn.py"]}), tmp_path)
             if w.code == "main_guard"]
    assert guard and guard[0].params["line"] == 3
    shadowed, spawned, direct, kernel = _run(
        docker_sandbox, tmp_path, ("/usr/bin/python3", "hello.py"), ("/usr/bin/python3", "spawn.py"),
        ("/bin/sh", "-c", "chmod +x run.sh; ./run.sh"),
        ("/usr/bin/python3", "-c", "import os; os.execv('./run.sh', ['run.sh'])"))
    assert b"the submitted queue.py was loaded" in shadowed.stdout
    assert b"RuntimeError" in spawned.stderr and b"bootstrapping phase" in spawned.stderr
    assert direct.exit_code != 0 and b"hi" not in direct.stdout, direct.stderr
    # The kernel's own word: the program the #! line names (with its "\r") does not exist.
    assert b"FileNotFoundError: [Errno 2] No such file or directory" in kernel.stderr, kernel.stderr
