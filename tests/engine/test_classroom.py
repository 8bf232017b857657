"""docs/ci/github-classroom.yml's grading step, on the real engine.

The job of that workflow runs in a container with ptrace allowed; here a container made from the
sandbox image (root, SYS_PTRACE, no network, no Docker socket) stands for it, with the grader
installed from the bundled wheels (the runner would `pip install os-trace-grader`). The workflow's
own "Grade" step runs in a checkout-like folder; what it writes to $GITHUB_OUTPUT is decoded and
added up the way classroom-resources/autograding-grading-reporter does (sum of tests[].score over
max_score), and that "Points X/Y" equals `grader run`'s score with Docker.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from gradescope_like import GradescopeLike

from grader.api import grade_path
from grader.platforms.classroom import points_line
from grader.spec.loader import load_assignment

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = yaml.safe_load((ROOT / "docs" / "ci" / "github-classroom.yml").read_text())
ASSIGNMENT = ROOT / "assignments" / "fork-hello" / "assignment.yaml"
SPEC = load_assignment(ASSIGNMENT).for_variant("python")   # fork-hello's Python half (it has a C one too)
CASES = [("reference", str(SPEC.reference))] + [(Path(f.path).stem, f.path) for f in SPEC.faulty]
REPO = "/__w/homework/homework"


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _step(name: str) -> dict[str, Any]:
    steps = WORKFLOW["jobs"]["run-autograding-tests"]["steps"]
    step: dict[str, Any] = next(s for s in steps if s.get("name") == name)
    return step


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GradescopeLike, Path]]:
    question = tmp_path_factory.mktemp("classroom") / "q"
    done = subprocess.run([sys.executable, "-m", "grader.cli", "package", "prairielearn", str(ASSIGNMENT),
                           "-o", str(question)], capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    box = GradescopeLike()
    try:
        box.put("/opt/os-trace-grader", _tree(question / "image"))
        install = box.exec(["sh", "/opt/os-trace-grader/install.sh"])
        assert install.code == 0, install.stdout + install.stderr
        yield box, question
    finally:
        box.remove()


def _reporter(encoded: str) -> str:
    """What autograding-grading-reporter's NotifyClassroom posts for one runner."""
    results = json.loads(base64.b64decode(encoded))
    total = sum(test["score"] for test in results["tests"])
    return f"Points {total}/{results['max_score']}"


def test_the_workflow_has_the_shape_the_reporter_requires() -> None:
    assert WORKFLOW["name"] == "Autograding Tests"
    assert list(WORKFLOW["jobs"]) == ["run-autograding-tests"]
    reporter = _step("Autograding Reporter")
    assert reporter["uses"].startswith("classroom-resources/autograding-grading-reporter@")
    runner_id = reporter["with"]["runners"]
    assert reporter["env"] == {f"{runner_id.upper()}_RESULTS": f"${{{{ steps.{runner_id}.outputs.result }}}}"}
    assert _step("Grade")["id"] == runner_id
    install = _step("Install the grader and what it traces with")["run"]
    assert '"$GRADER_REQUIREMENT"' in install and WORKFLOW["env"]["GRADER_REQUIREMENT"] == "os-trace-grader"
    commands = " ".join(s.get("run", "") for s in WORKFLOW["jobs"]["run-autograding-tests"]["steps"])
    assert "install grader" not in commands and "install os-trace-grader" not in commands
    assert "SYS_PTRACE" in WORKFLOW["jobs"]["run-autograding-tests"]["container"]["options"]


@pytest.mark.parametrize(("label", "path"), CASES, ids=[label for label, _ in CASES])
def test_the_grade_step_reports_grader_runs_points(runner: tuple[GradescopeLike, Path], label: str,
                                                   path: str) -> None:
    box, question = runner
    source = ASSIGNMENT.parent / path
    expected = grade_path(ASSIGNMENT, source)                # `grader run`: Docker on this machine
    box.exec(["sh", "-c", f"rm -rf /__w /github; mkdir -p {REPO} /github"])
    box.put(f"{REPO}/.grader", _tree(question / "tests"))
    box.put(f"{REPO}/.github/workflows", {"classroom.yml": (ROOT / "docs/ci/github-classroom.yml").read_bytes()})
    box.put(REPO, {SPEC.files[0]: source.read_bytes()})
    env = {**WORKFLOW["env"], "GITHUB_OUTPUT": "/github/output"}
    done = box.exec(["sh", "-e", "-c", f"cd {REPO} && {_step('Grade')['run']}"], env=env)
    assert done.code == 0, done.stdout + done.stderr
    output = box.exec(["cat", "/github/output"]).stdout.strip()
    key, value = output.split("=", 1)
    assert key == "result"
    assert _reporter(value) == points_line(expected), (label, done.stdout)
    assert points_line(expected) in done.stdout.splitlines()
    print(f"\n{label}: {points_line(expected)}")
