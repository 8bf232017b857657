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
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import SubmissionError, UsageError
from grader.platforms.bundle import (
    INSTALL_AND_LAUNCH,
    INSTALL_WHEELS,
    assignment_files,
    bundle_wheels,
    strip_solutions,
    submitted_target,
    write_json,
)

__all__ = ["PackageInfo", "build_package", "run_autograder", "student_error_results", "strip_solutions"]

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
  # python3 is older than $MIN_PY (22.04's 3.10 is enough; 20.04's 3.8 is not): bring a newer one from the distribution.
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "python$MIN_PY"
  PY=$(pick_python) || {{ echo "setup.sh: no python >= $MIN_PY available" >&2; exit 1; }}
fi

{install_and_launch}"""

RUN_AUTOGRADER = """#!/bin/sh
# Gradescope runs this for every submission, as root, in a fresh container of the image.
# The student's program runs as an unprivileged user: /autograder (this zip, the hidden
# tests, results) is made root-only first so that program cannot read it.
chmod 700 /autograder {source} 2>/dev/null
exec /usr/local/bin/grader gradescope --sandbox local --root /autograder \\
  --assignment {source}/assignment/{assignment_file}
"""

@dataclass(slots=True)
class PackageInfo:
    """What `build_package` wrote."""

    path: Path
    size_bytes: int
    python_versions: list[str]
    wheels: list[str]
    assignment_files: list[str]


def build_package(assignment_path: Path, out: Path, *, python_versions: Sequence[str] | None = None,
                  arch: str = "x86_64") -> PackageInfo:
    """Write Gradescope's autograder zip for one assignment."""
    assignment_path = Path(assignment_path)
    if assignment_path.is_dir():
        assignment_path = assignment_path / "assignment.yaml"
    if not assignment_path.is_file():
        raise UsageError(f"assignment file {str(assignment_path)!r} does not exist")
    text, files = assignment_files(assignment_path)
    with tempfile.TemporaryDirectory(prefix="grader-package-") as tmp:
        wheels = Path(tmp) / "wheels"
        versions, floor = bundle_wheels(wheels, python_versions=python_versions, arch=arch)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        name = assignment_path.name
        min_py = ".".join(str(x) for x in floor)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            _add(zf, "setup.sh", SETUP_SH.format(source=SOURCE, min_py=min_py, install_and_launch=INSTALL_AND_LAUNCH), executable=True)
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
        target = submitted_target(submission)
        sandbox = make_sandbox()
        describe = getattr(sandbox, "limits_in_force", None)
        if describe is not None:
            log(f"sandbox: {type(sandbox).__name__} ({getattr(sandbox, 'evidence', '')})")
        result = grade_path(assignment, target, sandbox=sandbox)
        in_force: dict[str, str] = {}
        if describe is not None:
            from grader.spec.loader import load_assignment

            in_force = describe(load_assignment(assignment).limits.to_limits())
            for name, how in in_force.items():
                log(f"  limit {name}: {how}")
        data = to_gradescope(result)
        if in_force:
            # Which limits held, and how, where this container could not give all of Docker's (a cgroup of
            # its own, a network namespace, CAP_SYS_PTRACE): kept with the result for the staff.
            data.setdefault("extra_data", {})["limits_in_force"] = in_force
        json.dumps(data)
    except SubmissionError as exc:
        log(f"submission refused: {exc.message}")
        write_json(results, student_error_results(exc.message))
        return 1
    except Exception as exc:  # noqa: BLE001 - any failure must still leave a results.json
        traceback.print_exc()
        write_json(results, internal_error_results(exc))
        return 1
    write_json(results, data)
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


