"""ThreadSanitizer builds under the `local` sandbox, inside a Gradescope-like container on the real engine.

The same cases tests/engine/test_race_engine.py runs on Docker (tests/data/race/tsan): the report is read
from a root-only log directory under /hooks that the program can neither list nor read, a program that
truncates its own report is caught from the trace, and nothing of the log is left after the session.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradescope_like import GradescopeLike

from grader.platforms.gradescope import build_package

pytestmark = [pytest.mark.engine, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
TSAN = ROOT / "tests" / "data" / "race" / "tsan"

# Grades one tsan case with the local sandbox; prints what the tests look at as JSON.
DRIVER = """
import json, os, shutil, stat, sys
sys.path.insert(0, "/autograder/source/pylib")
from pathlib import Path
from grader.grading import grade
from grader.sandbox.local import LocalSandbox
from grader.spec.loader import load_assignment

sandbox = LocalSandbox()
case = sys.argv[1]
folder = Path("/var/tmp/grader-local") / f"sub-{case}"
folder.mkdir(parents=True, exist_ok=True)
shutil.copy(f"/srv/tsan/{case}/share.c", folder)
result = grade(load_assignment(Path("/srv/tsan/assignment.yaml")), folder, sandbox)
test = result.tests[0]
hooks = os.stat("/hooks")
print(json.dumps({
    "checks": {c.kind: {"status": c.status, "message": c.message, "problems": c.params.get("problems", [])}
               for c in test.checks},
    "stdout": [run.stdout.decode("utf-8", "replace") for run in test.runs],
    "memory": result.limits_in_force.get("memory", ""),
    "hooks_left": sorted(os.listdir("/hooks")),
    "hooks_mode": oct(stat.S_IMODE(hooks.st_mode)), "hooks_uid": hooks.st_uid,
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
        container.put("/srv/tsan", {p.relative_to(TSAN).as_posix(): p.read_bytes()
                                    for p in TSAN.rglob("*") if p.is_file()})
        yield container
    finally:
        container.remove()


def graded(box: GradescopeLike, case: str) -> dict[str, Any]:
    done = box.exec(["python3", "-I", "-c", DRIVER, case])
    assert done.code == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return data


def test_a_race_is_reported_from_the_log_and_the_log_is_gone_after(box: GradescopeLike) -> None:
    data = graded(box, "racy")
    verdict = data["checks"]["race.none"]
    assert verdict["status"] == "failed", verdict
    assert "data race on the variable 'done': thread T1 (tid " in verdict["message"]
    # Each run's log directory is removed once read, the rest of /hooks when the session ends.
    assert data["hooks_left"] == []
    assert (data["hooks_mode"], data["hooks_uid"]) == ("0o755", 0)
    # This container has no writable cgroup v2, and RLIMIT_DATA would refuse the sanitizer's shadow memory.
    assert data["memory"].startswith("not enforced (no writable cgroup v2, and the thread sanitizer"), data["memory"]


def test_a_clean_program_passes(box: GradescopeLike) -> None:
    data = graded(box, "clean")
    assert {k: v["status"] for k, v in data["checks"].items()} == {"race.none": "passed",
                                                                    "output.contains": "passed"}, data


def test_the_program_cannot_list_its_log_and_erasing_its_report_is_caught(box: GradescopeLike) -> None:
    data = graded(box, "tamper")
    stdout = data["stdout"][0]
    assert "list: Permission denied" in stdout, stdout   # the log directory cannot be read by the program
    assert "truncate: ok" in stdout, stdout               # it did truncate its own report file...
    verdict = data["checks"]["race.none"]
    assert verdict["status"] == "failed"                  # ...and the trace shows it: no verdict from that log
    # The truncating open is named (among what else the trace shows the program did to the log).
    assert any(p.startswith("a second open of report.") for p in verdict["problems"]), verdict
    assert data["hooks_left"] == []


# A perturbed Python run: the harness writes its start-up hook to /hooks; the program tries to write there.
PROBE = """
import os, stat
info = os.stat("/hooks")
print("hooks", oct(stat.S_IMODE(info.st_mode)), info.st_uid)
try:
    open("/hooks/sitecustomize.py", "a").close()
    print("hook writable")
except OSError as exc:
    print("hook not writable", exc.errno)
"""

HOOK_DRIVER = """
import json, os, sys
sys.path.insert(0, "/autograder/source/pylib")
from pathlib import Path
from grader.sandbox.local import LocalSandbox
from grader.sandbox.records import Limits, RunRequest

sandbox = LocalSandbox()
folder = Path("/var/tmp/grader-local/probe")
folder.mkdir(parents=True, exist_ok=True)
(folder / "probe.py").write_text(sys.argv[1], encoding="utf-8")
request = RunRequest(name="probe", command=("/usr/bin/python3", "probe.py"), repeat=2, perturb="heavy",
                     perturb_seed=77)
runs = sandbox.run(folder, [request], limits=Limits()).runs["probe"]
print(json.dumps({"stdout": [r.stdout.decode() for r in runs],
                  "applied": [bool(r.perturbation and r.perturbation["applied_switch_interval"]) for r in runs],
                  "tickers": [[r.perturbation["applied_tickers"], r.perturbation["applied_cpus"]] for r in runs],
                  "hooks_left": sorted(os.listdir("/hooks"))}))
"""


def test_hooks_is_made_root_only_again_and_emptied_after_the_session(box: GradescopeLike) -> None:
    # An empty, world-writable /hooks (left by anything): the sandbox makes it root-only again.
    assert box.exec(["sh", "-c", "mkdir -p /hooks && chmod 777 /hooks"]).code == 0
    done = box.exec(["python3", "-I", "-c", HOOK_DRIVER, PROBE])
    assert done.code == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads(done.stdout.strip().splitlines()[-1])
    assert data["applied"] == [True, True], data
    # Both repeats (seeds 77, 78 at heavy) are pinned to two CPUs, with a preemption ticker on each.
    assert [count for count, _ in data["tickers"]] == [len(cpus or [0, 0]) for _, cpus in data["tickers"]], data
    assert all(count >= 1 for count, _ in data["tickers"]), data
    for stdout in data["stdout"]:
        assert stdout.splitlines() == ["hooks 0o755 0", "hook not writable 13"], data
    assert data["hooks_left"] == []                   # the start-up hook is gone with the session



def test_a_hooks_folder_the_sandbox_cannot_make_root_s_is_refused(box: GradescopeLike) -> None:
    # Owned by the student's uid (unpacked by the engine: this container has no CAP_CHOWN to undo it).
    assert box.exec(["rm", "-rf", "/hooks"]).code == 0
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("hooks")
        info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, 0o755, 1000, 1000
        tar.addfile(info)
    box.container.put_archive("/", buf.getvalue())
    try:
        assert box.exec(["stat", "-c", "%u", "/hooks"]).stdout.strip() == "1000"
        done = box.exec(["python3", "-I", "-c", HOOK_DRIVER, PROBE])
        assert done.code != 0, done.stdout
        assert "/hooks is owned by uid 1000 and cannot be made root's" in done.stderr, done.stderr[-2000:]
    finally:
        box.exec(["rm", "-rf", "/hooks"])
