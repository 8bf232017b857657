"""The whole assignment library validated with the `local` sandbox inside a Gradescope-like container.

The container is what Gradescope gives (root, no Docker socket, no network, the grading capabilities),
with the grader installed from an autograder zip by its setup.sh, offline. `grader validate` there must
give the table Docker gives. Docker's table for this library is all `ok`, row for row: that is what
tests/engine/test_library.py proves on the engine, so it is not validated twice here. One assignment per
case, so xdist spreads them; each worker's container is made once for its cases.

Where this container cannot enforce a limit an assignment relies on, the row may differ only in the
checks that limit decides, and only while the sandbox and that solution's graded result say how the limit
was (not) in force (listed in NEEDS below; in a container with a writable cgroup v2 the same rows must be
`ok`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradescope_like import GradescopeLike

from grader.platforms.gradescope import build_package
from grader.result import Result
from grader.validate import validate_assignment

pytestmark = [pytest.mark.engine, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "assignments").glob("*/assignment.yaml"))

# (assignment folder, solution) -> (the limit it needs, what limits_in_force says when it is not in force,
# the checks whose verdict that limit decides).
NEEDS: dict[tuple[str, str], tuple[str, str, set[str]]] = {
    # 80 MiB table + 80 MiB temporary + 80 MiB of copy-on-write copies exceed 128 MiB only counted together,
    # as a cgroup does; RLIMIT_DATA counts each process alone (128 MiB + 16 tasks x 8 MiB of stacks each).
    ("fork-copies-memory", "faulty/big_buffer.py"): (
        "memory", "RLIMIT_DATA", {"resource.memory", "output.exact", "output.happens_before"}),
}

# Runs in the container with the grader the zip installed: the rows as data, and the limits in force.
DRIVER = """
import json, sys
sys.path.insert(0, "/autograder/source/pylib")
from pathlib import Path
from grader.api import grade_path
from grader.sandbox.local import LocalSandbox
from grader.spec.loader import load_assignment
from grader.validate import to_table, validate

path = Path(sys.argv[1])
sandbox = LocalSandbox()
rows = validate([path], sandbox=sandbox)
# What the graded result itself says about the limits, for the solutions that need one (once each).
graded = {name: grade_path(path, path.parent / name, sandbox=sandbox, repeat=1).limits_in_force
          for name in sys.argv[2:]}
print(json.dumps({
    "table": to_table(rows),
    "graded": graded,
    "limits": sandbox.limits_in_force(load_assignment(path).limits.to_limits()),
    "rows": [{"role": r.role, "solution": r.solution, "ok": r.ok, "detail": r.detail,
              "problems": [{"check": c.check, "kind": c.kind, "expected": c.expected, "status": c.status}
                           for c in r.problems]} for r in rows],
}))
"""


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GradescopeLike]:
    zip_path = tmp_path_factory.mktemp("package") / "autograder.zip"
    build_package(ROOT / "assignments" / "fork-hello" / "assignment.yaml", zip_path)
    container = GradescopeLike()
    try:
        setup = container.install(zip_path)
        assert setup.code == 0, setup.stdout + setup.stderr
        files: dict[str, bytes] = {}
        for path in (ROOT / "assignments").rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                files[path.relative_to(ROOT / "assignments").as_posix()] = path.read_bytes()
        container.put("/srv/library", files)
        yield container
    finally:
        container.remove()


def validate_locally(box: GradescopeLike, name: str) -> dict[str, Any]:
    needing = [solution for folder, solution in NEEDS if folder == name]
    done = box.exec(["python3", "-I", "-c", DRIVER, f"/srv/library/{name}/assignment.yaml", *needing])
    assert done.code == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


def rows_of(path: Path) -> list[tuple[str, str]]:
    """(role, solution) of each row `validate` gives this file, from a grader that runs nothing."""

    def nothing(*args: Any, **kwargs: Any) -> Result:
        return Result(assignment_id="", assignment_title="", submission="", score=0.0, max_score=0.0)

    return [(r.role, r.solution) for r in validate_assignment(path, sandbox=None, grade=nothing)]  # type: ignore[arg-type]


def test_the_library_is_all_here() -> None:
    assert len(LIBRARY) >= 13


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.parent.name)
def test_local_validates_the_assignment_as_docker_does(box: GradescopeLike, path: Path) -> None:
    name = path.parent.name
    data = validate_locally(box, name)
    rows = data["rows"]
    # Every row Docker's table has, in its order (the rows validate makes for this file, nothing run).
    assert [(r["role"], r["solution"]) for r in rows] == rows_of(path), data["table"]
    for row in rows:
        need = NEEDS.get((name, row["solution"]))
        if row["ok"]:
            continue
        assert need is not None, f"{name} {row['solution']} differs from Docker's table:\n{data['table']}"
        limit, weaker, decided = need
        # Only where this container does not enforce the limit as Docker does, and says so: the sandbox, and
        # the graded result of that solution (Result.limits_in_force, kept with it and in its JSON).
        assert weaker in data["limits"][limit], data["limits"]
        assert weaker in data["graded"][row["solution"]][limit], data["graded"]
        # And only in the checks that limit decides: declared failures that came out passed, nothing else.
        for problem in row["problems"]:
            assert problem["kind"] in decided and (problem["expected"], problem["status"]) == ("fail", "passed"), (
                row, data["table"])
    for (folder, solution), (limit, weaker, _decided) in NEEDS.items():
        if folder == name and weaker not in data["limits"][limit]:
            # Where the limit is in force, the exception does not apply.
            assert all(r["ok"] for r in rows if r["solution"] == solution), data["table"]


# zombie-orphan's reference, its daemon printing its parent as it sees it (which changes its last line, so
# not every check passes): graded by the local sandbox, and the feedback pages' marks on the orphan (the
# process tree), in English and Korean.
ORPHAN_DRIVER = """
import json, os, re, sys
sys.path.insert(0, "/autograder/source/pylib")
from pathlib import Path
from grader.api import grade_path
from grader.report.html import render_html
from grader.sandbox.local import LocalSandbox

sandbox = LocalSandbox()
folder = Path("/var/tmp/grader-local/orphan")
folder.mkdir(parents=True, exist_ok=True)
source = Path("/srv/library/zombie-orphan/solution/daemon.py").read_text(encoding="utf-8")
(folder / "daemon.py").write_text(source.replace('print("daemon done", flush=True)',
                                                 'print(f"daemon done, ppid {os.getppid()}", flush=True)'))
result = grade_path(Path("/srv/library/zombie-orphan/assignment.yaml"), folder, sandbox=sandbox, repeat=1)
marks = {lang: sorted(set(re.findall(r'class="mark-orphan">([^<]*)</tspan>', render_html(result, lang=lang))))
         for lang in ("en", "ko")}
print(json.dumps({"grader": os.getpid(), "marks": marks,
                  "stdout": [r.stdout.decode() for t in result.tests for r in t.runs]}))
"""


def test_an_orphan_is_said_to_be_adopted_by_the_grader_not_init(box: GradescopeLike) -> None:
    done = box.exec(["python3", "-I", "-c", ORPHAN_DRIVER])
    assert done.code == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads(done.stdout.strip().splitlines()[-1])
    grader = data["grader"]
    assert grader != 1
    # The daemon's own getppid(): the grader's process (a subreaper) adopted it, not the container's pid 1.
    assert any(f"daemon done, ppid {grader}\n" in out for out in data["stdout"]), data["stdout"]
    assert data["marks"] == {"en": [f"orphan (adopted by the grader, a subreaper, PID {grader})"],
                             "ko": [f"고아 프로세스 (새 부모: 서브리퍼인 채점기 PID {grader})"]}, data
