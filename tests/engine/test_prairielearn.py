"""PrairieLearn external grading end to end, on the real engine.

`grader package prairielearn` writes a question folder; its image/ recipe is installed into a
PrairieLearn-like container (the sandbox image, root, no network, no Docker socket, a grading
container's capabilities: the same container test_gradescope_package.py uses) exactly as the
Dockerfile's RUN would, offline. Then /grade is laid out as PrairieLearn does (tests/, student/,
data/data.json) and the info.json entrypoint runs. Every score in /grade/results/results.json
equals `grader run`'s (Docker, this machine) as a fraction of the maximum.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradescope_like import GradescopeLike

from grader.api import grade_path
from grader.spec.loader import load_assignment

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "fork-hello" / "assignment.yaml"
SPEC = load_assignment(ASSIGNMENT).for_variant("python")   # fork-hello's Python half (it has a C one too)
CASES = [("reference", str(SPEC.reference))] + [(Path(f.path).stem, f.path) for f in SPEC.faulty]


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


class PrairieLearnLike:
    """The grading container: the question's image installed, /grade laid out per job.

    `host_settings=True` makes it the way PrairieLearn's grader host does (apps/grader-host/src/
    index.ts: createContainer with NetworkDisabled, IpcMode private, core ulimit 0 and no CapAdd,
    so Docker's default capabilities, without SYS_PTRACE); otherwise it is the Gradescope-like
    container (SYS_PTRACE added)."""

    def __init__(self, question: Path, *, host_settings: bool = False) -> None:
        if host_settings:
            import docker
            from grader.sandbox.image import image_tag

            self.box = GradescopeLike.__new__(GradescopeLike)
            self.box.client = docker.from_env()
            self.box.container = self.box.client.containers.run(
                image_tag(), ["sleep", "3600"], detach=True, network_disabled=True, ipc_mode="private",
                ulimits=[docker.types.Ulimit(name="core", soft=0, hard=0)],
                labels={"grader.test.gradescope-like": "prairielearn-host"})
        else:
            self.box = GradescopeLike()
        self.question = question
        self.info = json.loads((question / "info.json").read_text())
        self.box.put("/opt/os-trace-grader", _tree(question / "image"))
        self.install = self.box.exec(["sh", "/opt/os-trace-grader/install.sh"])

    def grade(self, student: dict[str, bytes], *, layout: str = "tests") -> tuple[dict[str, Any], str]:
        self.box.exec(["sh", "-c", "rm -rf /grade; mkdir -p /grade/student /grade/data"])
        tests = _tree(self.question / "tests")
        if layout == "tests":
            self.box.put("/grade/tests", tests)
        elif layout == "serverFilesCourse":
            self.box.put("/grade/serverFilesCourse/os-grader/fork-hello", tests)
        if student:
            self.box.put("/grade/student", student)
        data = {"params": {}, "correct_answers": {}, "submitted_answers": {}, "format_errors": {},
                "partial_scores": {}, "score": 0, "feedback": {}, "variant_seed": 1, "options": {},
                "raw_submitted_answers": {}, "editable": False, "panel": "question", "extensions": {}}
        self.box.put("/grade/data", {"data.json": json.dumps(data).encode()})
        entrypoint = self.info["externalGradingOptions"]["entrypoint"]
        # The grader host runs `Entrypoint: entrypoint.split(' ')` and reads results.json only
        # after exit code 0 (apps/grader-host/src/index.ts).
        done = self.box.exec(entrypoint.split(" "))
        assert done.code == 0, done.stdout + done.stderr
        out = self.box.exec(["cat", "/grade/results/results.json"])
        assert out.code == 0, done.stdout + done.stderr
        results: dict[str, Any] = json.loads(out.stdout)
        return results, done.stderr

    def remove(self) -> None:
        self.box.remove()


@pytest.fixture(scope="module")
def question(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pl") / "fork-hello"
    done = subprocess.run([sys.executable, "-m", "grader.cli", "package", "prairielearn", str(ASSIGNMENT),
                           "-o", str(out), "--timeout", "90"], capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def pl(question: Path) -> Iterator[PrairieLearnLike]:
    container = PrairieLearnLike(question)
    try:
        assert container.install.code == 0, container.install.stdout + container.install.stderr
        print(f"\ninstall.sh offline {container.install.seconds:.1f} s")
        yield container
    finally:
        container.remove()


def test_the_question_folder_is_what_prairielearn_reads(question: Path) -> None:
    info = json.loads((question / "info.json").read_text())
    options = info["externalGradingOptions"]
    assert info["gradingMethod"] == "External" and options["enabled"] is True
    assert options["entrypoint"].startswith("/usr/local/bin/grader prairielearn")
    assert options["timeout"] == 90 and options["image"]
    assert "<pl-file-upload" in (question / "question.html").read_text()
    assert SPEC.files[0] in (question / "question.html").read_text()
    shipped = _tree(question / "tests")
    for solution in [SPEC.reference, *(f.path for f in SPEC.faulty)]:
        source = (ASSIGNMENT.parent / str(solution)).read_bytes()
        assert source not in shipped.values(), solution
    assert "reference" not in shipped["assignment.yaml"].decode()
    recipe = (question / "image" / "Dockerfile").read_text()
    assert "install.sh" in recipe and "FROM " in recipe
    packages = (ROOT / "grader" / "sandbox" / "packages.txt").read_text()
    assert (question / "image" / "packages.txt").read_text() == packages
    assert any(p.name.startswith("os_trace_grader-") for p in (question / "image" / "wheels").iterdir())


@pytest.mark.parametrize(("label", "path"), CASES, ids=[label for label, _ in CASES])
def test_results_json_scores_equal_grader_run(pl: PrairieLearnLike, label: str, path: str) -> None:
    source = ASSIGNMENT.parent / path
    expected = grade_path(ASSIGNMENT, source)                 # `grader run`: Docker on this machine
    results, log = pl.grade({SPEC.files[0]: source.read_bytes()})
    assert results["gradable"] is True, results
    assert "Internal error" not in json.dumps(results)
    assert results["score"] == pytest.approx(expected.score / expected.max_score), (label, results["message"])
    assert [(t["name"], t["points"], t["max_points"]) for t in results["tests"]] == [
        (t.name, t.score, t.max_score) for t in expected.tests]
    assert 0.0 <= results["score"] <= 1.0
    assert "sandbox: LocalSandbox" in log
    print(f"{label}: {results['score']:.3f} ({expected.score:g}/{expected.max_score:g})")


def test_the_serverfilescourse_layout_grades_the_same(pl: PrairieLearnLike) -> None:
    source = ASSIGNMENT.parent / str(SPEC.reference)
    results, log = pl.grade({SPEC.files[0]: source.read_bytes()}, layout="serverFilesCourse")
    assert results["gradable"] is True and results["score"] == 1.0, results
    assert "/grade/serverFilesCourse/os-grader/fork-hello/assignment.yaml" in log


def test_a_corrupt_archive_is_graded_zero_as_the_students_error(pl: PrairieLearnLike) -> None:
    results, _ = pl.grade({"submission.zip": b"PK\x03\x04 this is not really a zip"})
    assert results["gradable"] is True and results["score"] == 0
    assert results["message"].startswith("Your submission could not be graded: ")
    assert "not your fault" not in results["message"]


def test_no_files_is_graded_zero_and_a_missing_assignment_is_the_graders_failure(pl: PrairieLearnLike) -> None:
    results, _ = pl.grade({})
    assert results["gradable"] is True and results["score"] == 0
    assert "no files were submitted" in results["message"]
    source = ASSIGNMENT.parent / str(SPEC.reference)
    results, _ = pl.grade({SPEC.files[0]: source.read_bytes()}, layout="none")
    assert results["gradable"] is False, results
    assert "not your fault" in results["message"]


def test_grade_is_root_only_while_the_program_runs(pl: PrairieLearnLike) -> None:
    pl.grade({SPEC.files[0]: (ASSIGNMENT.parent / str(SPEC.reference)).read_bytes()})
    assert pl.box.exec(["stat", "-c", "%a", "/grade"]).stdout.split() == ["700"]


def test_with_the_grader_hosts_own_capabilities_the_refusal_is_the_graders_and_says_why(question: Path) -> None:
    # Found here: PrairieLearn's grader host adds no capability, and strace cannot follow the
    # program once it runs as another uid without SYS_PTRACE. The student is not charged an
    # attempt (gradable: false) and the staff read the reason.
    host = PrairieLearnLike(question, host_settings=True)
    try:
        assert host.install.code == 0, host.install.stderr
        results, _ = host.grade({"hello.py": (ASSIGNMENT.parent / "solution" / "hello.py").read_bytes()})
    finally:
        host.remove()
    # (LocalSandbox(tracer="attach") would trace here; it is experimental and never chosen by itself.)
    assert results["gradable"] is False
    assert "not your fault" in results["message"]
    assert "SYS_PTRACE" in results["format_errors"][0]
