"""`grader package gradescope` end to end, on the real engine.

The zip is unpacked into /autograder/source of a Gradescope-like container (the sandbox image,
root, no network, no Docker socket, a grading container's capabilities), setup.sh runs offline,
then run_autograder grades the reference and each faulty solution of fork-hello with the local
backend. Every score in results.json equals what `grader run` gives on this machine with Docker.
"""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from gradescope_like import GradescopeLike

from grader.api import grade_path
from grader.report.gradescope import to_gradescope
from grader.spec.loader import load_assignment

pytestmark = pytest.mark.engine

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "fork-hello" / "assignment.yaml"
SPEC = load_assignment(ASSIGNMENT)
SOLUTIONS = [("reference", SPEC.reference)] + [(Path(f.path).stem, f.path) for f in SPEC.faulty]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package") / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "grader.cli", "package", "gradescope", str(ASSIGNMENT),
                           "-o", str(out)], capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    print(f"\nautograder.zip: {out.stat().st_size / 2**20:.1f} MiB; {done.stdout.strip()}")
    return out


@pytest.fixture(scope="module")
def box(package: Path) -> Iterator[GradescopeLike]:
    container = GradescopeLike()
    try:
        setup = container.install(package)
        assert setup.code == 0, setup.stdout + setup.stderr
        print(f"setup.sh offline: {setup.seconds:.1f} s")
        yield container
    finally:
        container.remove()


def test_the_zip_holds_no_solution_and_everything_to_install_offline(package: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
        assignment = yaml.safe_load(zf.read("assignment/assignment.yaml"))
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        for solution in [SPEC.reference, *(f.path for f in SPEC.faulty)]:
            source = (ASSIGNMENT.parent / str(solution)).read_bytes()
            assert not any(zf.read(n) == source for n in names if not n.startswith("wheels/")), solution
    assert {"setup.sh", "run_autograder", "install_wheels.py"} <= set(names)
    assert modes["setup.sh"] & 0o100 and modes["run_autograder"] & 0o100
    assert not any(n.startswith(("assignment/solution", "assignment/faulty")) for n in names)
    assert "reference" not in assignment and "faulty" not in assignment
    assert assignment["tests"] == yaml.safe_load(ASSIGNMENT.read_text())["tests"]
    assert any(n.startswith("wheels/os_trace_grader-") for n in names)
    assert any(n.startswith("wheels/pydantic_core-") for n in names)


def _scores(results: dict[str, Any]) -> tuple[float, list[tuple[str, float, str]]]:
    return results["score"], [(t["name"], t["score"], t["status"]) for t in results["tests"]]


@pytest.mark.parametrize(("label", "path"), SOLUTIONS, ids=[label for label, _ in SOLUTIONS])
def test_run_autograder_scores_equal_grader_run(box: GradescopeLike, label: str, path: str) -> None:
    source = ASSIGNMENT.parent / path
    started = time.monotonic()
    expected = to_gradescope(grade_path(ASSIGNMENT, source))      # `grader run`: Docker on this machine
    docker_s = time.monotonic() - started
    done = box.submit({SPEC.files[0]: source.read_bytes()})
    results = box.results()
    assert "internal_error" not in results.get("extra_data", {}), results["output"]
    assert done.code == 0, done.stdout + done.stderr
    assert "limit tasks:" in done.stderr and "RLIMIT_NPROC" in done.stderr   # the staff log says what held
    assert _scores(results) == _scores(expected), (label, results["output"])
    print(f"{label}: {results['score']:g}/{results['extra_data']['max_score']:g} "
          f"(docker {docker_s:.1f} s, local in the container {done.seconds:.1f} s)")


def test_a_corrupt_archive_is_the_students_error_in_plain_words(box: GradescopeLike) -> None:
    box.submit({"submission.zip": b"PK\x03\x04 this is not really a zip"})
    results = box.results()
    assert results["score"] == 0
    assert results["output"].startswith("Your submission could not be graded: ")
    assert "not a readable zip archive" in results["output"] or "damaged" in results["output"]
    assert "not your fault" not in results["output"] and "Internal error" not in results["output"]


def test_run_autograder_makes_the_autograder_root_only(box: GradescopeLike) -> None:
    # The student's program runs as another uid in this same container: the hidden tests and the
    # results must be out of its reach (test_local_backend checks a program is really refused).
    box.submit({SPEC.files[0]: (ASSIGNMENT.parent / str(SPEC.reference)).read_bytes()})
    modes = box.exec(["stat", "-c", "%a", "/autograder", "/autograder/source"]).stdout.split()
    assert modes == ["700", "700"]
