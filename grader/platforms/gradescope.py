"""Gradescope: the autograder zip (`grader package gradescope`) and the entry point that runs in it.

Gradescope builds an image from the zip once (running setup.sh as root), then for every
submission starts a fresh container of it with no Docker engine, puts the files in
/autograder/submission, runs /autograder/run_autograder and reads
/autograder/results/results.json. So the zip carries everything grading needs, with no
network at build time for the grader itself:

    setup.sh              apt installs only what is missing (python3, strace, gcc, util-linux);
                          then unpacks the bundled wheels into /autograder/source/pylib with
                          install_wheels.py (a wheel is a zip: no pip needed, none of PEP 668's
                          refusals on Ubuntu 24.04) and writes the `grader` launcher
    run_autograder        `grader gradescope --sandbox local`: the local backend in this container
    install_wheels.py     picks, per distribution, the wheel built for this python and machine
    wheels/               this project's wheel and its dependencies' wheels, for each python version
    assignment/           the assignment file with its `reference:` and `faulty:` entries taken
                          out, and the assignment's other files except the reference and faulty
                          solutions (never shipped)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grader.errors import GraderError, SubmissionError, UsageError

__all__ = ["PackageInfo", "build_package", "run_autograder", "student_error_results", "strip_solutions"]

PYTHON_VERSIONS = ("3.10", "3.11", "3.12", "3.13")
PLATFORMS = ("manylinux2014_{arch}", "manylinux_2_17_{arch}", "manylinux_2_28_{arch}", "linux_{arch}")
SOURCE = "/autograder/source"

SETUP_SH = """#!/bin/sh
# Gradescope runs this once, as root, when it builds the autograder image.
# Everything the grader needs is in this zip: apt is used only for what the base image lacks.
set -eu
SRC={source}
MIN_PY={min_py}

need=""
command -v strace >/dev/null 2>&1 || need="$need strace"
command -v gcc >/dev/null 2>&1 || need="$need gcc libc6-dev"
command -v setpriv >/dev/null 2>&1 && command -v ipcrm >/dev/null 2>&1 || need="$need util-linux"
command -v python3 >/dev/null 2>&1 || need="$need python3"

pick_python() {{
  for py in python3 python3.13 python3.12 python3.11 python3.10; do
    path=$(command -v "$py" 2>/dev/null) || continue
    if "$path" -c "import sys; sys.exit(0 if sys.version_info[:2] >= tuple(map(int, '$MIN_PY'.split('.'))) else 1)"; then
      echo "$path"; return 0
    fi
  done
  return 1
}}

if [ -n "$need" ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need
fi
if ! PY=$(pick_python); then
  # Ubuntu 22.04's python3 is 3.10: bring a newer one from the distribution.
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "python$MIN_PY"
  PY=$(pick_python) || {{ echo "setup.sh: no python >= $MIN_PY available" >&2; exit 1; }}
fi

rm -rf "$SRC/pylib"
"$PY" -I "$SRC/install_wheels.py" "$SRC/wheels" "$SRC/pylib"
cat > /usr/local/bin/grader <<EOF
#!$PY -I
import sys
sys.path.insert(0, "$SRC/pylib")
from grader.cli import main
main()
EOF
chmod 755 /usr/local/bin/grader
chmod 700 "$SRC"
grader --version
"""

RUN_AUTOGRADER = """#!/bin/sh
# Gradescope runs this for every submission, as root, in a fresh container of the image.
# The student's program runs as an unprivileged user: /autograder (this zip, the hidden
# tests, results) is made root-only first so that program cannot read it.
chmod 700 /autograder {source} 2>/dev/null
exec /usr/local/bin/grader gradescope --sandbox local --root /autograder \\
  --assignment {source}/assignment/{assignment_file}
"""

# Standard library only: runs with the image's python before the grader is installed.
INSTALL_WHEELS = r'''"""Unpack, per distribution, the one wheel made for this python and machine into a folder."""
import platform
import re
import sys
import zipfile
from pathlib import Path

WHEEL = re.compile(r"^(?P<name>[^-]+)-(?P<ver>[^-]+)(-\d[^-]*)?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$")


def score(py, abi, plat):
    """Higher is better; None when the wheel cannot run here."""
    major, minor = sys.version_info[:2]
    arch = platform.machine()
    plats = plat.split(".")
    if not any(p == "any" or (p.endswith("_" + arch) and ("linux" in p)) for p in plats):
        return None
    pys = py.split(".")
    here = f"cp{major}{minor}"
    if here in pys and abi in (here, "abi3", "none"):
        return 3
    if abi == "abi3":
        versions = [int(p[3:]) for p in pys if p.startswith("cp3") and p[3:].isdigit()]
        if versions and max(versions) <= minor:
            return 2
    if abi == "none" and any(p in ("py3", f"py{major}{minor}", "py2.py3") for p in pys):
        return 1
    return None


def main(wheels, target):
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    best = {}
    for wheel in sorted(Path(wheels).glob("*.whl")):
        m = WHEEL.match(wheel.name)
        if not m:
            continue
        s = score(m["py"], m["abi"], m["plat"])
        if s is None:
            continue
        name = m["name"].lower().replace("-", "_")
        if name not in best or s > best[name][0]:
            best[name] = (s, wheel)
    if not best:
        sys.exit(f"install_wheels: no wheel in {wheels} fits python {sys.version.split()[0]}")
    for _s, wheel in best.values():
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(target)
        for data in target.glob("*.data"):
            for kind in ("purelib", "platlib"):
                for item in (data / kind).glob("*") if (data / kind).is_dir() else []:
                    item.rename(target / item.name)
        print(f"installed {wheel.name}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
'''


@dataclass(slots=True)
class PackageInfo:
    """What `build_package` wrote."""

    path: Path
    size_bytes: int
    python_versions: list[str]
    wheels: list[str]
    assignment_files: list[str]


def project_root() -> Path:
    """The checkout this grader runs from (the wheel is built from it)."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise UsageError("`grader package` builds the grader's wheel from its source checkout, and none was found "
                         f"next to {Path(__file__).resolve().parents[1]}",
                         hint="run it from a clone of the grader's repository (pip install -e .)")
    return root


def strip_solutions(text: str) -> str:
    """The assignment file without its `reference:` and `faulty:` entries (their paths are not shipped).

    Top-level keys are cut as text so line numbers in error messages and every other byte stay
    the author's; the result is checked to parse to the same data less those two keys."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise UsageError("the assignment file is not a mapping")
    out: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        top = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if top:
            skipping = top.group(1) in ("reference", "faulty")
        elif line.strip() and not line[0].isspace() and not line.startswith("#"):
            skipping = False
        if not skipping:
            out.append(line)
    stripped = "".join(out)
    expected = {k: v for k, v in data.items() if k not in ("reference", "faulty")}
    if yaml.safe_load(stripped) != expected:
        stripped = yaml.safe_dump(expected, sort_keys=False, allow_unicode=True)
    return stripped


def _assignment_files(assignment_path: Path) -> tuple[str, list[tuple[Path, str]]]:
    """The stripped assignment text and (source, name in the zip) of every other file that may go in."""
    from grader.spec.loader import load_assignment

    spec = load_assignment(assignment_path)
    folder = assignment_path.resolve().parent
    excluded = [folder / p for p in ([spec.reference] if spec.reference else [])] + [
        folder / f.path for f in spec.faulty]
    excluded = [p.resolve() for p in excluded]
    files: list[tuple[Path, str]] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.resolve() == assignment_path.resolve():
            continue
        real = path.resolve()
        if any(real == ex or ex in real.parents for ex in excluded):
            continue
        rel = path.relative_to(folder)
        if rel.parts[0] in ("solution", "solutions", "faulty") or "__pycache__" in rel.parts:
            continue   # the folders that hold known solutions stay home whole
        files.append((path, rel.as_posix()))
    return strip_solutions(assignment_path.read_text(encoding="utf-8")), files


def _requires(wheel: Path) -> tuple[list[str], str]:
    """The wheel's Requires-Dist (without extras) and Requires-Python."""
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        text = zf.read(meta).decode("utf-8")
    requires = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Requires-Dist:")]
    requires = [r for r in requires if "extra ==" not in r]
    python = next((line.split(":", 1)[1].strip() for line in text.splitlines()
                   if line.startswith("Requires-Python:")), ">=3")
    return requires, python


def _min_python(spec: str) -> tuple[int, int]:
    m = re.search(r">=\s*(\d+)\.(\d+)", spec)
    return (int(m.group(1)), int(m.group(2))) if m else (3, 8)


def _pip(args: Sequence[str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise GraderError(f"pip {args[0]} failed: " + " | ".join(tail))


def build_package(assignment_path: Path, out: Path, *, python_versions: Sequence[str] | None = None,
                  arch: str = "x86_64") -> PackageInfo:
    """Write Gradescope's autograder zip for one assignment."""
    assignment_path = Path(assignment_path)
    if assignment_path.is_dir():
        assignment_path = assignment_path / "assignment.yaml"
    if not assignment_path.is_file():
        raise UsageError(f"assignment file {str(assignment_path)!r} does not exist")
    text, files = _assignment_files(assignment_path)
    with tempfile.TemporaryDirectory(prefix="grader-package-") as tmp:
        wheels = Path(tmp) / "wheels"
        _pip(["wheel", "--no-deps", "--quiet", "-w", str(wheels), str(project_root())])
        own = next(wheels.glob("*.whl"))
        requires, requires_python = _requires(own)
        floor = _min_python(requires_python)
        versions = [v for v in (python_versions or PYTHON_VERSIONS)
                    if tuple(int(x) for x in v.split(".")) >= floor]
        if not versions:
            raise UsageError(f"the grader needs python {requires_python}: none of {list(python_versions or [])} fits")
        for version in versions:
            platform_args = [a for p in PLATFORMS for a in ("--platform", p.format(arch=arch))]
            _pip(["download", "--quiet", "--only-binary=:all:", "--python-version", version,
                  "--implementation", "cp", *platform_args, "-d", str(wheels), *requires])
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        name = assignment_path.name
        min_py = ".".join(str(x) for x in floor)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            _add(zf, "setup.sh", SETUP_SH.format(source=SOURCE, min_py=min_py), executable=True)
            _add(zf, "run_autograder", RUN_AUTOGRADER.format(source=SOURCE, assignment_file=name), executable=True)
            _add(zf, "install_wheels.py", INSTALL_WHEELS)
            _add(zf, f"assignment/{name}", text)
            for source, rel in files:
                zf.write(source, f"assignment/{rel}")
            wheel_names = sorted(p.name for p in wheels.glob("*.whl"))
            for wheel_name in wheel_names:
                zf.write(wheels / wheel_name, f"wheels/{wheel_name}")
    return PackageInfo(path=out, size_bytes=out.stat().st_size, python_versions=versions, wheels=wheel_names,
                       assignment_files=[name, *(rel for _s, rel in files)])


def _add(zf: zipfile.ZipFile, name: str, text: str, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    zf.writestr(info, text)


# ----- inside Gradescope's container -----

def student_error_results(message: str) -> dict[str, Any]:
    """results.json for a submission the grader refused: the student's to fix, said plainly."""
    return {
        "score": 0.0,
        "output": f"Your submission could not be graded: {message}\n\n"
                  "Fix the files you upload and submit again.",
        "output_format": "text",
        "stdout_visibility": "hidden",
        "extra_data": {"submission_error": True},
        "tests": [],
    }


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _submitted(folder: Path) -> Path:
    """What the student handed in: the folder, or the one archive it holds (Gradescope unpacks
    zips itself, not tarballs; a broken archive must be refused as the student's, in words)."""
    from grader.submission import is_archive

    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_file() and is_archive(entries[0]):
        return entries[0]
    return folder


def run_autograder(*, root: Path, assignment: Path, make_sandbox: Callable[[], Any],
                   log: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> int:
    """Grade root/submission and write root/results/results.json, whatever happens.

    A refused submission (unreadable archive, unsafe paths) is the student's error, with its
    plain message; anything else that stops grading is the grader's, and says so.
    Returns 0 when graded, 1 otherwise."""
    from grader.api import grade_path
    from grader.report.gradescope import internal_error_results, to_gradescope

    results = root / "results" / "results.json"
    submission = root / "submission"
    try:
        if not submission.is_dir():
            raise SubmissionError(f"no submission folder at {str(submission)!r}")
        target = _submitted(submission)
        sandbox = make_sandbox()
        describe = getattr(sandbox, "limits_in_force", None)
        if describe is not None:
            log(f"sandbox: {type(sandbox).__name__} ({getattr(sandbox, 'evidence', '')})")
        result = grade_path(assignment, target, sandbox=sandbox)
        if describe is not None:
            from grader.spec.loader import load_assignment

            for name, how in describe(load_assignment(assignment).limits.to_limits()).items():
                log(f"  limit {name}: {how}")
        data = to_gradescope(result)
        json.dumps(data)
    except SubmissionError as exc:
        log(f"submission refused: {exc.message}")
        _write(results, student_error_results(exc.message))
        return 1
    except Exception as exc:  # noqa: BLE001 - any failure must still leave a results.json
        traceback.print_exc()
        _write(results, internal_error_results(exc))
        return 1
    _write(results, data)
    return 0 if result.error is None else 1


def unpack(zip_path: Path, dest: Path) -> None:
    """Unpack an autograder zip keeping the executable bits (as Gradescope does)."""
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            target = dest / info.filename
            zf.extract(info, dest)
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                target.chmod(mode)


