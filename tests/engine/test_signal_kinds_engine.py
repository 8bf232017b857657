"""Issue 14 on the real engine: the signal, process-group, session and file-contents kinds judge programs run
in the sandbox now (the grader's own STRACE_ARGS), and the harness's copy of a file the program wrote is the
one it left, read without following links, after every process of the run had ended."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from grader.checks import Check
from grader.checks.base import RunEvidence
from grader.grading import read_run
from grader.sandbox.records import Limits, RunRecord, RunRequest

pytestmark = pytest.mark.engine

TRACES = Path(__file__).resolve().parent.parent / "data" / "traces"
PROGRAMS = ["signals_py", "signals_wrong_py", "signals_nohandler_py", "signals_group_py", "daemon_py"]
ADAPTER: TypeAdapter[Any] = TypeAdapter(Check)

FILES = r'''
import os, sys, time
what = sys.argv[1]
if what == "plain":
    with open("out/result.txt", "w") as fh:
        fh.write("total 3\n")
elif what == "link":
    os.symlink("/grader/plan.json", "out/result.txt")   # the harness's root-only plan, through a link
elif what == "dirlink":
    os.unlink("out/.keep")
    os.rmdir("out")
    os.symlink("/grader", "out")                        # a linked directory on the way
elif what == "fifo":
    os.mkfifo("out/result.txt")
elif what == "big":
    with open("out/result.txt", "wb") as fh:
        fh.write(b"a" * (3 << 20) + b"\nend\n")
elif what == "late":
    # the parent ends at once; a child it left rewrites the file while the run lingers
    with open("out/result.txt", "w") as fh:
        fh.write("first\n")
    if os.fork() == 0:
        time.sleep(0.4)
        with open("out/result.txt", "w") as fh:
            fh.write("second\n")
        os._exit(0)
'''


def judge(evidence: RunEvidence, kind: str, **params: Any) -> tuple[bool, str]:
    out = ADAPTER.validate_python({"kind": kind, **params}).evaluate(evidence)
    return out.passed, out.message


@pytest.fixture(scope="module")
def runs(docker_sandbox, tmp_path_factory) -> dict[str, RunEvidence]:
    sub = tmp_path_factory.mktemp("signals")
    for name in PROGRAMS:
        shutil.copy(TRACES / name / "program.py", sub / f"{name}.py")
    (sub / "files.py").write_text(FILES, encoding="utf-8")
    (sub / "out").mkdir()
    (sub / "out" / ".keep").write_text("", encoding="utf-8")
    requests = [RunRequest(name=n, command=("python3", f"{n}.py"), collect=("daemon.log",)) for n in PROGRAMS]
    requests += [RunRequest(name=f"files-{w}", command=("python3", "files.py", w), collect=("out/result.txt",))
                 for w in ("plain", "link", "dirlink", "fifo", "big", "late")]
    result = docker_sandbox.run(sub, requests, limits=Limits(timeout_ms=6000))
    assert result.internal_error is None, result.internal_error
    out: dict[str, RunEvidence] = {}
    for request in requests:
        [record] = result.runs[request.name]
        assert record.internal_error is None and record.stopped_for is None, (request.name, record.stderr)
        assert record.exit_code == (None if request.name == "signals_nohandler_py" else 0), (request.name,
                                                                                              record.stderr)
        out[request.name] = read_run(record)
    return out


def record(evidence: RunEvidence) -> RunRecord:
    return evidence.record


def test_counted_signals_pass_and_wrong_ones_fail(runs) -> None:
    ok, bad = runs["signals_py"], runs["signals_wrong_py"]
    for params in ({"from": "children", "to": "root", "signal": "SIGUSR1", "equals": 2},):
        assert judge(ok, "signal.sent", **params)[0]
        assert not judge(bad, "signal.sent", **params)[0]
    assert judge(ok, "signal.delivered", role="root", signal="USR1", equals=2, **{"from": "children"})[0]
    passed, message = judge(bad, "signal.delivered", role="root", signal="SIGUSR2", equals=1)
    assert not passed and "SIG_IGN" in message


def test_handler_checks_tell_the_programs_apart(runs) -> None:
    assert judge(runs["signals_py"], "signal.handler", role="root", signal="SIGUSR1", before="fork")[0]
    assert not judge(runs["signals_wrong_py"], "signal.handler", role="root", signal="SIGUSR1", before="fork")[0]
    passed, message = judge(runs["signals_nohandler_py"], "signal.handler", role="root", signal=10)
    assert not passed and "default action killed it" in message
    assert record(runs["signals_nohandler_py"]).signal == "SIGUSR1"   # the sandbox saw the same death
    # Python's own SIGINT handler is never the program's
    assert not judge(runs["signals_py"], "signal.handler", role="root", signal="SIGINT", before="anytime")[0]


def test_groups_and_a_group_kill(runs) -> None:
    assert judge(runs["signals_py"], "process.group", role="children", same_as="root")[0]
    assert judge(runs["signals_py"], "process.group", role="root", leader=True)[0]
    group = runs["signals_group_py"]
    assert not judge(group, "process.group", role="children", same_as="root")[0]
    assert judge(group, "process.group", role="child[1]", leader=True)[0]
    assert judge(group, "signal.sent", **{"from": "root", "to": "child[0]", "signal": "SIGTERM",
                                          "target": "group", "equals": 1})[0]
    assert not judge(group, "signal.sent", **{"from": "root", "to": "child[1]", "signal": "SIGTERM",
                                              "target": "group", "min": 1})[0]


def test_the_double_fork_daemon_and_its_log(runs) -> None:
    daemon = runs["daemon_py"]
    assert judge(daemon, "process.session", role="child[0]", daemon=True)[0]
    assert not judge(runs["signals_py"], "process.session", role="children")[0]
    passed, message = judge(daemon, "file.contents", path="daemon.log", regex=r"^daemon started in session \d+$",
                            writer="descendants")
    assert passed, message
    assert not judge(daemon, "file.contents", path="daemon.log", contains="x", writer="root")[0]
    passed, message = judge(runs["signals_py"], "file.contents", path="daemon.log", contains="daemon")
    assert not passed and "left no file daemon.log" in message


def test_the_copy_is_a_regular_file_never_read_through_a_link(runs) -> None:
    plain = record(runs["files-plain"]).files
    assert [(f.path, f.status, f.data) for f in plain] == [("out/result.txt", "ok", b"total 3\n")]
    assert [f.status for f in record(runs["files-link"]).files] == ["symlink"]
    assert all(f.data == b"" for f in record(runs["files-link"]).files)
    assert [f.status for f in record(runs["files-dirlink"]).files] == ["symlink"]
    assert all(f.data == b"" for f in record(runs["files-dirlink"]).files)
    assert [f.status for f in record(runs["files-fifo"]).files] == ["not_regular"]
    passed, message = judge(runs["files-link"], "file.contents", path="out/result.txt", contains="uid")
    assert not passed and "symbolic link" in message


def test_the_copy_is_capped_and_taken_after_every_process_ended(runs) -> None:
    [big] = record(runs["files-big"]).files
    assert big.truncated and len(big.data) == 1 << 20 and big.size == (3 << 20) + 5
    passed, message = judge(runs["files-big"], "file.contents", path="out/result.txt", contains="end")
    assert not passed and "only its first 1048576 of 3145733 bytes were read" in message
    [late] = record(runs["files-late"]).files
    assert late.data == b"second\n"   # the lingering child's rewrite, not what the parent left
    passed, _ = judge(runs["files-late"], "file.contents", path="out/result.txt", exact="second\n",
                      writer="descendants")
    assert not passed   # both the parent and the child wrote it: not descendants alone
    assert judge(runs["files-late"], "file.contents", path="out/result.txt", exact="second\n")[0]


# ----- the local backend runs the same harness: the copy is made there too -----

LOCAL_DRIVER = """
import json, sys
sys.path.insert(0, "/autograder/source/pylib")
from pathlib import Path
from grader.sandbox.local import LocalSandbox
from grader.sandbox.records import Limits, RunRequest
result = LocalSandbox().run(Path("/srv/programs"), [RunRequest(name=w, command=("python3", "files.py", w),
                            collect=("out/result.txt",)) for w in sys.argv[1:]], limits=Limits(timeout_ms=5000))
print(json.dumps({"error": result.internal_error, "files": {name: [[f.path, f.status, f.data.decode()]
                  for f in records[0].files] for name, records in result.runs.items()}}))
"""


def test_the_local_backend_copies_the_same_way(tmp_path: Path) -> None:
    import json

    from gradescope_like import GradescopeLike

    from grader.platforms.gradescope import build_package

    package = tmp_path / "autograder.zip"
    build_package(Path(__file__).resolve().parents[2] / "assignments" / "signals" / "assignment.yaml", package)
    box = GradescopeLike()
    try:
        assert box.install(package).code == 0
        box.put("/srv/programs", {"files.py": FILES.encode(), "out/.keep": b""})
        done = box.exec(["python3", "-I", "-c", LOCAL_DRIVER, "plain", "link", "late"])
        assert done.code == 0, done.stdout + done.stderr
        data = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        box.remove()
    assert data["error"] is None
    assert data["files"] == {"plain": [["out/result.txt", "ok", "total 3\n"]],
                             "link": [["out/result.txt", "symlink", ""]],
                             "late": [["out/result.txt", "ok", "second\n"]]}


def test_a_c_program_queues_real_time_signals(docker_sandbox, tmp_path: Path) -> None:
    shutil.copy(TRACES / "signals_rt_c" / "program.c", tmp_path / "rt.c")
    result = docker_sandbox.run(tmp_path, [RunRequest(name="rt", command=("./rt",), repeat=2)],
                                limits=Limits(timeout_ms=5000), build=["gcc", "-O0", "-o", "rt", "rt.c"])
    assert result.internal_error is None and result.build is not None and result.build.ok, result.build
    for rec in result.runs["rt"]:
        assert rec.exit_code == 0 and rec.stdout == b"received 2 total 3\n", rec.stderr
        evidence = read_run(rec)
        assert not evidence.execution.unparsed
        assert judge(evidence, "signal.handler", role="root", signal="SIGRTMIN+1")[0]
        assert judge(evidence, "signal.delivered", role="root", signal="SIGRTMIN+1", equals=2,
                     **{"from": "children"})[0]
        assert judge(evidence, "signal.sent", **{"from": "children", "to": "root", "signal": "SIGRTMIN+1",
                                                 "target": "process", "equals": 2})[0]


def test_a_death_by_a_real_time_signal_is_named_as_the_trace_names_it(docker_sandbox, tmp_path: Path) -> None:
    # Python's signal.Signals refuses 35..63; the harness once built the record with it. The run's signal
    # and the trace's must be one name: strace calls signal 32 + n "SIGRT_n".
    (tmp_path / "rt.py").write_text("import os\nos.kill(os.getpid(), 35)\n", encoding="utf-8")
    result = docker_sandbox.run(tmp_path, [RunRequest(name="rt", command=("python3", "rt.py"))],
                                limits=Limits(timeout_ms=6000))
    [run] = result.runs["rt"]
    assert run.internal_error is None, run.internal_error
    assert run.exit_code is None and run.signal == "SIGRT_3"
    assert "SIGRT_3" in run.trace_text()


def test_signal_names_follow_strace() -> None:
    from grader.sandbox.harness import signal_name

    assert [signal_name(n) for n in (9, 11, 32, 34, 35, 64)] == \
        ["SIGKILL", "SIGSEGV", "SIGRT_0", "SIGRT_2", "SIGRT_3", "SIGRT_32"]
    assert signal_name(99) == "SIG99"
