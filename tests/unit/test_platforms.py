"""Pure parts of the local backend and the Gradescope packager (the engine tests cover the rest)."""

from __future__ import annotations

import platform
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from grader.errors import UsageError
from grader.platforms.gradescope import INSTALL_WHEELS, strip_solutions
from grader.sandbox.local import _FORK_REFUSED
from grader.sandbox.select import make_sandbox

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted(ROOT.glob("assignments/*/assignment.yaml")), ids=lambda p: p.parent.name)
def test_strip_solutions_keeps_every_other_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    stripped = strip_solutions(text)
    data, kept = yaml.safe_load(text), yaml.safe_load(stripped)
    assert "reference" not in kept and "faulty" not in kept
    solutions = ("reference", "faulty")
    variants = {name: {k: v for k, v in spec.items() if k not in solutions}
                for name, spec in data.get("variants", {}).items()}      # each variant's stay home too
    assert kept == {k: v for k, v in data.items() if k not in solutions} | ({"variants": variants} if variants else {})
    assert set(stripped.splitlines()) <= set(text.splitlines())    # cut as text, nothing rewritten
    for faulty in [*data.get("faulty", []), *(f for v in data.get("variants", {}).values() for f in v["faulty"])]:
        assert faulty["path"] not in stripped


def test_strip_solutions_with_faulty_before_tests() -> None:
    text = "id: a\nfaulty:\n  - path: f/x.py\n    fails: [x]\n# a comment\ntests:\n  - name: t\nreference: s/y.py\n"
    assert yaml.safe_load(strip_solutions(text)) == {"id": "a", "tests": [{"name": "t"}]}


def _installer() -> ModuleType:
    module = ModuleType("install_wheels")
    exec(compile(INSTALL_WHEELS, "install_wheels.py", "exec"), module.__dict__)
    return module


def test_install_wheels_picks_this_pythons_wheel(tmp_path: Path) -> None:
    here = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    arch = platform.machine()
    other = "cp39" if here != "cp39" else "cp310"
    names = {
        f"pkg-1.0-{here}-{here}-manylinux_2_17_{arch}.manylinux2014_{arch}.whl": "right",
        f"pkg-1.0-{other}-{other}-manylinux_2_17_{arch}.manylinux2014_{arch}.whl": "wrong python",
        "pure-2.0-py3-none-any.whl": "pure",
        f"pkg-1.0-{here}-{here}-win_amd64.whl": "wrong platform",
    }
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for name, marker in names.items():
        with zipfile.ZipFile(wheels / name, "w") as zf:
            top = name.split("-")[0]
            zf.writestr(f"{top}/__init__.py", f"WHICH = {marker!r}\n")
    _installer().main(str(wheels), str(tmp_path / "lib"))
    assert (tmp_path / "lib" / "pkg" / "__init__.py").read_text() == "WHICH = 'right'\n"
    assert (tmp_path / "lib" / "pure" / "__init__.py").read_text() == "WHICH = 'pure'\n"


def test_install_wheels_refuses_when_nothing_fits(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    with zipfile.ZipFile(wheels / "pkg-1.0-cp27-cp27mu-manylinux1_x86_64.whl", "w") as zf:
        zf.writestr("pkg/__init__.py", "")
    with pytest.raises(SystemExit, match="no wheel"):
        _installer().main(str(wheels), str(tmp_path / "lib"))


@pytest.mark.parametrize(("line", "refused"), [
    ("95 1796174294.435098 <... clone resumed>, child_tidptr=0x7f6) = -1 EAGAIN (Resource temporarily unavailable)",
     True),
    ("9 1.0 clone(child_stack=NULL, flags=CLONE_CHILD_SETTID|SIGCHLD) = -1 EAGAIN (Resource temporarily unavailable)",
     True),
    ("9 1.0 vfork() = -1 EAGAIN (Resource temporarily unavailable)", True),
    ('9 1.0 read(3<pipe:[1]>, "clone(", 5) = -1 EAGAIN (Resource temporarily unavailable)', False),
    ("9 1.0 clone3({flags=CLONE_VM}, 88) = 12", False),
])
def test_a_refused_fork_is_read_from_the_trace(line: str, refused: bool) -> None:
    assert bool(_FORK_REFUSED.search(line)) is refused


def test_unknown_backend_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="choose one of auto, docker, local"):
        make_sandbox("podman")


def test_a_corrupt_archive_is_the_students_error(tmp_path: Path) -> None:
    from grader.platforms.gradescope import run_autograder

    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "work.zip").write_bytes(b"PK\x03\x04 not a zip at all")
    code = run_autograder(root=tmp_path, assignment=ROOT / "assignments" / "fork-hello" / "assignment.yaml",
                          make_sandbox=lambda: object(), log=lambda line: None)
    results = yaml.safe_load((tmp_path / "results" / "results.json").read_text())
    assert code == 1 and results["score"] == 0
    assert results["output"].startswith("Your submission could not be graded: 'work.zip'")
    assert "not your fault" not in results["output"]
    assert results["extra_data"] == {"submission_error": True}
