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
ASSIGNMENTS = ("fork-hello", "pipe-message", "race-fix")


def _assignment(name: str) -> Path:
    return ROOT / "assignments" / name / "assignment.yaml"


def _solutions(name: str) -> list[tuple[str, str]]:
    spec = load_assignment(_assignment(name)).resolved_variants()[0]    # the Python variant of a merged one
    return [("reference", str(spec.reference))] + [(Path(f.path).stem, f.path) for f in spec.faulty]


CASES = [(name, label, path) for name in ASSIGNMENTS for label, path in _solutions(name)]
ASSIGNMENT = _assignment("fork-hello")
SPEC = load_assignment(ASSIGNMENT).for_variant("python")

_ZIPS: dict[str, Path] = {}


def _zip(name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if name not in _ZIPS:
        out = tmp_path_factory.mktemp(f"package-{name}") / "autograder.zip"
        done = subprocess.run([sys.executable, "-m", "grader.cli", "package", "gradescope", str(_assignment(name)),
                               "-o", str(out)], capture_output=True, text=True, check=False, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        print(f"\n{name}: autograder.zip {out.stat().st_size / 2**20:.1f} MiB; {done.stdout.strip()}")
        _ZIPS[name] = out
    return _ZIPS[name]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _zip("fork-hello", tmp_path_factory)


@pytest.fixture(scope="module")
def box(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GradescopeLike]:
    name = getattr(request, "param", "fork-hello")
    container = GradescopeLike()
    try:
        setup = container.install(_zip(name, tmp_path_factory))
        assert setup.code == 0, setup.stdout + setup.stderr
        print(f"{name}: setup.sh offline {setup.seconds:.1f} s")
        yield container
    finally:
        container.remove()


def test_the_zip_holds_no_solution_and_everything_to_install_offline(package: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
        assignment = yaml.safe_load(zf.read("assignment/assignment.yaml"))
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        for solution in [s for v in load_assignment(ASSIGNMENT).resolved_variants()
                         for s in (v.reference, *(f.path for f in v.faulty))]:
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


@pytest.mark.parametrize(("box", "label", "path"), CASES, indirect=["box"], scope="module",
                         ids=[f"{name}-{label}" for name, label, _ in CASES])
def test_run_autograder_scores_equal_grader_run(box: GradescopeLike, label: str, path: str) -> None:
    name = next(n for n, lab, p in CASES if p == path and lab == label)
    assignment = _assignment(name)
    spec = load_assignment(assignment).resolved_variants()[0]
    source = assignment.parent / path
    started = time.monotonic()
    expected = to_gradescope(grade_path(assignment, source))      # `grader run`: Docker on this machine
    docker_s = time.monotonic() - started
    done = box.submit({spec.files[0]: source.read_bytes()})
    results = box.results()
    assert "internal_error" not in results.get("extra_data", {}), results["output"]
    assert "limit tasks:" in done.stderr and "RLIMIT_NPROC" in done.stderr   # the staff log says what held
    assert _scores(results) == _scores(expected), (name, label, results["output"])
    assert done.code == 0, done.stdout + done.stderr
    print(f"{name} {label}: {results['score']:g}/{results['extra_data']['max_score']:g} "
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
