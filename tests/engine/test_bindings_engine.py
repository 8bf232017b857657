"""Bindings on the real engine: real programs print pids, statuses and signals; output.values checks them
against the kernel's trace, passing the honest program and failing the one that prints made-up values."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from grader.checks import Check
from grader.checks.base import RunEvidence
from grader.grading import read_run
from grader.sandbox.records import Limits, RunRequest

pytestmark = pytest.mark.engine

ADAPTER: TypeAdapter[object] = TypeAdapter(Check)

# The parent forks three children (exit 0, exit 3, SIGSEGV), waits for each with waitpid, and reports
# each one's pid and fate; with "lie" it adds one to every status it prints.
WAITER_C = r"""
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int lie = argc > 1 && strcmp(argv[1], "lie") == 0;
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            if (i == 2) { volatile int *p = NULL; *p = 1; }
            _exit(i == 1 ? 3 : 0);
        }
    }
    for (int i = 0; i < 3; i++) {
        int status;
        waitpid(kids[i], &status, 0);
        if (WIFSIGNALED(status))
            printf("child %d killed by signal %d\n", kids[i], WTERMSIG(status) + lie);
        else
            printf("child %d exited with status %d\n", kids[i], WEXITSTATUS(status) + lie);
        fflush(stdout);
    }
    printf("reaped %d then %d then %d\n", lie ? kids[1] : kids[0], lie ? kids[0] : kids[1], kids[2]);
    return 0;
}
"""
CHILD_PARENT_PY = """
import os, sys
pid = os.fork()
if pid == 0:
    shown = os.getpid() if sys.argv[1:] == ["lie"] else os.getppid()
    print(f"my parent is {shown}", flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""
# Threads write their ids with one write() each, half of them in the other order; "lie" prints
# threading.get_ident() (not the kernel's tid).
THREAD_IDS_PY = """
import os, sys, threading
lie = sys.argv[1:] == ["lie"]
def work(i):
    tid = threading.get_ident() if lie else threading.get_native_id()
    pid = os.getpid()
    line = f"pid={pid} tid={tid}" if i % 2 == 0 else f"tid={tid} pid={pid}"
    os.write(1, (line + "\\n").encode())
threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""

WAITER = {
    "kind": "output.values",
    "captures": {
        "exited": {"pattern": "^child {c} exited with status {code}$", "role": "root"},
        "killed": {"pattern": "^child {c} killed by signal {sig}$", "role": "root"},
        "order": {"pattern": "^reaped {a} then {b} then {z}$", "role": "root", "line": "last"},
    },
    "expect": [
        "exited.c in exited.writer.children.pid",
        "proc(exited.c).exit_status == exited.code",
        "proc(killed.c).signo == killed.sig and proc(killed.c).signal == 'SIGSEGV'",
        "[order.a, order.b, order.z] == order.writer.reaped.pid",
        "count(exited) + count(killed) == len(root.children)",
    ],
}
PARENT = {
    "kind": "output.values",
    "captures": {"m": {"pattern": "^my parent is {pp}$", "role": "children"}},
    "expect": ["m.pp == m.writer.parent.pid", "m.pp == root.pid"],
}
THREAD_IDS = {
    "kind": "output.values",
    "captures": {"ids": {"pattern": "^(?:pid={p} tid={t}|tid={t} pid={p})$", "role": "threads"}},
    "expect": ["ids.p == ids.writer.pid", "ids.t == ids.thread.tid", "count(ids) == 4", "distinct(ids.t) == 4"],
}


@pytest.fixture(scope="module")
def runs(docker_sandbox, tmp_path_factory) -> dict[str, RunEvidence]:
    folder = tmp_path_factory.mktemp("bindings")
    (folder / "waiter.c").write_text(WAITER_C)
    (folder / "parent.py").write_text(CHILD_PARENT_PY)
    (folder / "threads.py").write_text(THREAD_IDS_PY)
    requests = [RunRequest(name="waiter", command=("./waiter",)),
                RunRequest(name="waiter_lie", command=("./waiter", "lie"))]
    for name in ("parent", "threads"):
        requests.append(RunRequest(name=name, command=("/usr/bin/python3", f"{name}.py")))
        requests.append(RunRequest(name=f"{name}_lie", command=("/usr/bin/python3", f"{name}.py", "lie")))
    result = docker_sandbox.run(folder, requests, limits=Limits(timeout_ms=5000),
                                build=["gcc", "-O0", "-o", "waiter", "waiter.c"])
    assert result.internal_error is None, result.internal_error
    assert result.build is not None and result.build.ok, result.build
    return {name: read_run(result.runs[name][0]) for name in result.runs}


def judge(spec: dict[str, object], evidence: RunEvidence):  # type: ignore[no-untyped-def]
    return ADAPTER.validate_python(spec).evaluate(evidence)  # type: ignore[attr-defined]


def test_a_parent_reporting_each_childs_pid_status_and_reap_order(runs) -> None:
    ok = judge(WAITER, runs["waiter"])
    assert ok.passed, (ok.message, runs["waiter"].record.stdout)
    bad = judge(WAITER, runs["waiter_lie"])
    assert not bad.passed
    kids = [t.tid for t in runs["waiter_lie"].execution.processes() if t.tid != runs["waiter_lie"].execution.root]
    first = min(kids)
    assert bad.message == (f"line 1 'child {first} exited with status 1': proc(exited.c).exit_status == exited.code "
                           f"does not hold with exited.c = {first}, exited.code = 1, but the trace shows pid {first} "
                           "exited with status 0 (and 1 more)")


def test_a_lying_signal_and_reap_order_are_caught(runs) -> None:
    evidence = runs["waiter_lie"]
    signal = {**WAITER, "expect": [WAITER["expect"][2]]}  # type: ignore[index]
    outcome = judge(signal, evidence)
    assert not outcome.passed and "killed by SIGSEGV" in outcome.message and "killed.sig = 12" in outcome.message
    order = {**WAITER, "expect": [WAITER["expect"][3]]}  # type: ignore[index]
    outcome = judge(order, evidence)
    assert not outcome.passed and "waited for pids" in outcome.message and "in that order" in outcome.message


def test_a_child_printing_its_parents_pid(runs) -> None:
    ok = judge(PARENT, runs["parent"])
    assert ok.passed, ok.message
    bad = judge(PARENT, runs["parent_lie"])
    assert not bad.passed
    root = runs["parent_lie"].execution.root
    assert bad.message.endswith(f"but the trace shows the parent of pid {bad.params['fact_pid']} is pid {root}")


def test_pid_and_tid_in_either_order(runs) -> None:
    ok = judge(THREAD_IDS, runs["threads"])
    assert ok.passed, (ok.message, runs["threads"].record.stdout)
    texts = runs["threads"].texts()
    assert any(t.startswith("pid=") for t in texts) and any(t.startswith("tid=") for t in texts)
    bad = judge(THREAD_IDS, runs["threads_lie"])
    assert not bad.passed and "but the trace shows the line was written by thread" in bad.message
