"""PrairieLearn external grading: the entry point that runs in the grading container
(`grader prairielearn`) and an example question folder (`grader package prairielearn`).

PrairieLearn's docs/externalGrading.md ("The Grading Process", "Grading results") fix the layout:
the question's tests/ folder is copied to /grade/tests, the files listed in
`externalGradingOptions.serverFilesCourse` to /grade/serverFilesCourse, the student's files to
/grade/student, the question's `data` to /grade/data/data.json; the entrypoint must create
/grade/results and write results.json there (at most 1 MB):

    gradable   false only when the input could not be graded: the attempt is not counted
    score      0.0 - 1.0, required when gradable
    message    shown above the tests; `output` likewise
    tests[]    name, description, points, max_points, message, output

`<pl-external-grader-results>` renders `message` and `output` through ansi2html (which escapes
HTML) and `name`/`description` through mustache's escaping, so everything here is plain text;
control characters (ANSI colours included) are taken out so a program cannot restyle the page.

`gradable: false` costs the student nothing and awards nothing. It is kept for the grader's own
failure; a submission the student can fix (a missing file, a broken archive) is graded 0 with
the reason in plain words, as on Gradescope.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import traceback
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
    submitted_target,
)
from grader.report.excerpt import clean_text, make_excerpt
from grader.result import Result, TestResult

__all__ = ["MAX_RESULTS_BYTES", "PrairieLearnPackage", "build_question", "find_assignment", "grader_error_results",
           "file_names_attribute", "run_prairielearn", "student_error_results", "to_prairielearn", "write_results"]

MAX_RESULTS_BYTES = 1_000_000       # PrairieLearn's limit on results.json
MAX_OUTPUT_CHARS = 30_000
IMAGE_SOURCE = "/opt/os-trace-grader"    # where the image recipe copies the wheels
ENTRYPOINT = "/usr/local/bin/grader prairielearn --sandbox local"


def _text(value: object) -> str:
    """Plain text safe for results.json: no control characters, valid UTF-8 (no lone surrogates)."""
    if value is None:
        return ""
    text = clean_text(str(value))[0]
    return text.encode("utf-8", "replace").decode("utf-8")


def _cap(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... output cut at {limit} characters ...]"


def _fraction(score: float, max_score: float) -> float:
    if not max_score or max_score <= 0:
        return 0.0
    return min(1.0, max(0.0, float(score) / float(max_score)))


def _test_entry(test: TestResult) -> dict[str, Any]:
    from grader.report.gradescope import _test_output

    from grader.report.race import race_in_test

    status = {"passed": "Passed", "failed": "Failed", "flaky": "Your program has a race: passed in some runs only",
              "error": "Could not run"}
    race = race_in_test(test)
    if race is not None and race.total and race.failed_runs and test.visibility == "visible":
        status["flaky"] = (f"Your program has a race: passed in {race.passed} of {race.total} runs, failed in "
                           f"run(s) {', '.join(str(r) for r in race.failed_runs)}")
    # PrairieLearn shows every test it is given: a hidden test keeps its name and points only.
    output = _test_output(test) if test.visibility == "visible" else "The details of this test are hidden."
    return {
        "name": _text(test.name),
        "points": max(0.0, float(test.score)),
        "max_points": max(0.0, float(test.max_score)),
        "message": status.get(test.status, _text(test.status)),
        "output": _cap(_text(output)),
    }


def to_prairielearn(result: Result) -> dict[str, Any]:
    """results.json for a graded submission."""
    lines = [f"{_text(result.assignment_title)}: {result.score:g} / {result.max_score:g} points"]
    if result.error:
        lines.append(f"The grader itself failed: {_text(result.error)}. This is not your fault; "
                     "please tell your teaching staff.")
    lines.extend(f"Why: {_text(d.message)}" for d in result.diagnoses)
    data: dict[str, Any] = {
        "gradable": True,
        "score": _fraction(result.score, result.max_score),
        "message": _cap("\n".join(lines)),
        "tests": [_test_entry(test) for test in result.tests],
    }
    if result.build_output:
        data["output"] = _cap(_text("Compiler output:\n" + make_excerpt(result.build_output).text))
    return data


def student_error_results(message: str) -> dict[str, Any]:
    """A submission the student must fix: graded, score 0, the reason in plain words."""
    return {
        "gradable": True,
        "score": 0.0,
        "message": f"Your submission could not be graded: {_text(message)}\n\nFix your files and submit again.",
        "tests": [],
    }


def grader_error_results(error: BaseException | str) -> dict[str, Any]:
    """The grader's own failure: not gradable (PrairieLearn then counts no attempt)."""
    reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    message = ("The autograder failed while grading this submission. This is not your fault; "
               "please tell your teaching staff.")
    return {"gradable": False, "message": message, "format_errors": [f"Internal error: {_cap(_text(reason), 2000)}"],
            "tests": []}


def _fit(data: dict[str, Any]) -> str:
    """JSON text of `data` within PrairieLearn's 1 MB, cutting test outputs first if needed."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    limit = MAX_OUTPUT_CHARS
    while len(text.encode("utf-8")) > MAX_RESULTS_BYTES and limit > 200:
        limit //= 2
        for test in data.get("tests", []):
            test["output"] = _cap(test.get("output", ""), limit)
        for key in ("message", "output"):
            if isinstance(data.get(key), str):
                data[key] = _cap(data[key], limit)
        text = json.dumps(data, indent=2, ensure_ascii=False)
    return text


def write_results(path: Path, data: dict[str, Any]) -> None:
    """Write results.json (creating /grade/results, which PrairieLearn does not make)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(_fit(data), encoding="utf-8")
    os.replace(tmp, path)


def find_assignment(root: Path, data: dict[str, Any] | None = None) -> Path:
    """The assignment file: data.json's params.grader_assignment (relative to root), else
    root/tests/assignment.yaml, else the one assignment.yaml under root/serverFilesCourse."""
    params = (data or {}).get("params") if isinstance(data, dict) else None
    named = params.get("grader_assignment") if isinstance(params, dict) else None
    if isinstance(named, str) and named:
        path = (root / named).resolve()
        if root.resolve() not in path.parents:
            raise UsageError(f"params.grader_assignment {named!r} is outside {str(root)!r}")
        return path
    direct = root / "tests" / "assignment.yaml"
    if direct.is_file():
        return direct
    shared = root / "serverFilesCourse"
    found = sorted(shared.rglob("assignment.yaml")) if shared.is_dir() else []
    if len(found) == 1:
        return found[0]
    if found:
        raise UsageError(f"{len(found)} assignment files under {str(shared)!r}: name one with "
                         "params.grader_assignment in the question's data or with --assignment")
    raise UsageError(f"no assignment file: neither {str(direct)!r} nor one under {str(shared)!r}")


def _read_data(root: Path) -> dict[str, Any]:
    path = root / "data" / "data.json"
    if not path.is_file():
        return {}
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def run_prairielearn(*, root: Path, assignment: Path | None, make_sandbox: Callable[[Path], Any],
                     log: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> int:
    """Grade root/student and write root/results/results.json, whatever happens.

    Returns 0 whenever results.json was written: PrairieLearn's grader host reads results.json
    only when the entrypoint exits 0 (apps/grader-host/src/index.ts: `succeeded = !timedOut &&
    ExitCode === 0`); otherwise the student sees only "Grading failed" and none of our words."""
    from grader.api import grade_path

    results = root / "results" / "results.json"
    try:
        if os.geteuid() == 0:
            # The program runs as an unprivileged uid in this container: keep the tests out of its reach.
            root.chmod(0o700)
        data = _read_data(root)
        assignment = assignment or find_assignment(root, data)
        student = root / "student"
        if not student.is_dir() or not any(p for p in student.iterdir() if not p.name.startswith(".")):
            raise SubmissionError("no files were submitted")
        sandbox = make_sandbox(assignment)
        log(f"sandbox: {type(sandbox).__name__} ({getattr(sandbox, 'evidence', '')}); assignment {assignment}")
        with tempfile.TemporaryDirectory(prefix="grader-pl-") as tmp:
            # Only the student's own files: PrairieLearn may leave other entries beside them.
            target = submitted_target(student)
            if target == student:
                target = Path(tmp) / "student"
                shutil.copytree(student, target, symlinks=True)
            result = grade_path(assignment, target, sandbox=sandbox)
        describe = getattr(sandbox, "limits_in_force", None)
        if describe is not None:
            from grader.spec.loader import load_assignment

            for name, how in describe(load_assignment(assignment).limits.to_limits()).items():
                log(f"  limit {name}: {how}")
        out = to_prairielearn(result)
    except SubmissionError as exc:
        log(f"submission refused: {exc.message}")
        write_results(results, student_error_results(exc.message))
        return 0
    except Exception as exc:  # noqa: BLE001 - any failure must still leave a results.json
        traceback.print_exc()
        write_results(results, grader_error_results(exc))
        return 0
    write_results(results, out)
    return 0


# ----- the example question folder -----

QUESTION_HTML = """<pl-question-panel>
  <p>{title}</p>
  <p>Upload {files}. Your program is run and traced: the grader checks the processes it
  creates, how they talk and how they end.</p>
</pl-question-panel>

<pl-file-upload file-names="{file_names}"></pl-file-upload>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""

DOCKERFILE = """# The grading image for PrairieLearn: the sandbox image's packages ({packages_file}) and this
# grader installed from the bundled wheels (no network needed for the grader itself).
# Build and push it where PrairieLearn can pull it (see README.md):
#   docker build -t YOUR_ORG/os-trace-grader-pl image/ && docker push YOUR_ORG/os-trace-grader-pl
FROM {base}
COPY . {source}
RUN sh {source}/install.sh
"""

INSTALL_SH = """#!/bin/sh
# Runs once, as root, when the grading image is built (the Dockerfile's RUN).
set -eu
SRC={source}
need=""
for pkg in $(grep -v '^#' "$SRC/packages.txt"); do
  dpkg -s "$pkg" >/dev/null 2>&1 || need="$need $pkg"
done
if [ -n "$need" ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $need
  rm -rf /var/lib/apt/lists/*
fi
PY=$(command -v python3)
"$PY" -c "import sys; sys.exit(0 if sys.version_info[:2] >= ({min_major}, {min_minor}) else 1)" || {{
  echo "install.sh: $PY is older than {min_py}: choose a base image with a newer python3" >&2; exit 1; }}
{install_and_launch}"""

README = """# {title}: a PrairieLearn question graded by os-trace-grader

Copy this folder to `questions/` of your course repository. `tests/` holds the assignment
(its hidden tests included; no reference or faulty solution). PrairieLearn copies it to
`/grade/tests` and the student's upload to `/grade/student`; the entrypoint
`{entrypoint}` writes `/grade/results/results.json`.

`image/` is the recipe of the grading image: build it from this folder and push it to a
registry PrairieLearn can pull from, then put its name in `info.json`'s
`externalGradingOptions.image` (it says `{image}` now):

    docker build -t {image} image/
    docker push {image}

The grading container must allow ptrace (strace traces the student's program as another
uid); if PrairieLearn's grading host refuses it, results.json says so as the grader's failure.

To share one grader between questions, put the assignment folder under
`serverFilesCourse/<name>/` instead, list `"<name>/"` in `externalGradingOptions.serverFilesCourse`
and, when several assignments are listed, set `params.grader_assignment` (for example
`serverFilesCourse/<name>/assignment.yaml`) in the question's server.py.
"""


@dataclass(slots=True)
class PrairieLearnPackage:
    """What `build_question` wrote."""

    path: Path
    python_versions: list[str]
    wheels: list[str]
    assignment_files: list[str]


def _packages_txt() -> str:
    return (Path(__file__).resolve().parents[1] / "sandbox" / "packages.txt").read_text(encoding="utf-8")


def build_question(assignment_path: Path, out: Path, *, image: str = "YOUR_ORG/os-trace-grader-pl",
                   base: str = "debian:bookworm-slim", timeout: int = 120,
                   python_versions: Sequence[str] | None = None, arch: str = "x86_64") -> PrairieLearnPackage:
    """Write an example PrairieLearn question folder for one assignment."""
    from grader.spec.loader import load_assignment

    assignment_path = Path(assignment_path)
    if assignment_path.is_dir():
        assignment_path = assignment_path / "assignment.yaml"
    if not assignment_path.is_file():
        raise UsageError(f"assignment file {str(assignment_path)!r} does not exist")
    if not 1 <= timeout <= 600:
        raise UsageError("PrairieLearn's external grading timeout is 1 to 600 seconds")
    spec = load_assignment(assignment_path)
    text, files = assignment_files(assignment_path)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{str(out)!r} exists and is not empty", hint="choose a new folder with -o")
    tests = out / "tests"
    image_dir = out / "image"
    tests.mkdir(parents=True, exist_ok=True)
    image_dir.mkdir(parents=True, exist_ok=True)
    (tests / assignment_path.name).write_text(text, encoding="utf-8")
    for source, rel in files:
        (tests / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, tests / rel)
    versions, floor = bundle_wheels(image_dir / "wheels", python_versions=python_versions, arch=arch)
    min_py = ".".join(str(x) for x in floor)
    (image_dir / "install_wheels.py").write_text(INSTALL_WHEELS, encoding="utf-8")
    (image_dir / "packages.txt").write_text(_packages_txt(), encoding="utf-8")
    install = image_dir / "install.sh"
    install.write_text(INSTALL_SH.format(source=IMAGE_SOURCE, min_py=min_py, install_and_launch=INSTALL_AND_LAUNCH, min_major=floor[0],
                                         min_minor=floor[1]), encoding="utf-8")
    install.chmod(0o755)
    (image_dir / "Dockerfile").write_text(DOCKERFILE.format(base=base, source=IMAGE_SOURCE,
                                                            packages_file="packages.txt"), encoding="utf-8")
    title = spec.title
    info = {
        "uuid": _uuid_for(spec.id),
        "title": title,
        "topic": "Processes",
        "tags": ["os-trace-grader", spec.id],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": image,
            "entrypoint": ENTRYPOINT,
            "timeout": timeout,
        },
    }
    (out / "info.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    import html

    names = ", ".join(f"<code>{html.escape(f)}</code>" for f in spec.all_files)
    (out / "question.html").write_text(QUESTION_HTML.format(title=html.escape(title), files=names,
                                                            file_names=html.escape(file_names_attribute(spec.all_files))),
                                       encoding="utf-8")
    (out / "README.md").write_text(README.format(title=title, entrypoint=ENTRYPOINT, image=image), encoding="utf-8")
    return PrairieLearnPackage(path=out, python_versions=versions,
                               wheels=sorted(p.name for p in (image_dir / "wheels").glob("*.whl")),
                               assignment_files=[assignment_path.name, *(rel for _s, rel in files)])


def file_names_attribute(files: Sequence[str]) -> str:
    """pl-file-upload's `file-names`: comma-separated, a comma in a name escaped with a backslash
    (elements/pl-file-upload/pl-file-upload.py reads it with csv, escapechar "\\")."""
    return ", ".join(name.replace("\\", "\\\\").replace(",", "\\,") for name in files)


def _uuid_for(assignment_id: str) -> str:
    """A stable question uuid per assignment id (PrairieLearn requires one per question)."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"os-trace-grader:prairielearn:{assignment_id}"))
