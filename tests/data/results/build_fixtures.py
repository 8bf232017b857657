"""Writes the stored Result fixtures in this folder (run: python3 tests/data/results/build_fixtures.py).

The JSON files are committed; this script records how they were made. Executions are
built with the real Execution model so their JSON has exactly `Execution.to_json()`'s shape.
"""

from __future__ import annotations

import json
from pathlib import Path

from grader.result import (
    CheckResult,
    Diagnosis,
    Evidence,
    Result,
    RunSummary,
    TestResult,
)
from grader.trace.model import (
    Blocked,
    Channel,
    Exec,
    Execution,
    Flow,
    IpcObject,
    Signal,
    Task,
    Transfer,
)

HERE = Path(__file__).resolve().parent
STDOUT = Channel(kind="stdout", ident="pipe:[40101]")
STDERR = Channel(kind="stderr", ident="pipe:[40102]")
PY = "/usr/bin/python3.11"


def _common(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "assignment_id": "fork-hello",
        "assignment_title": "Fork into three processes",
        "grader_version": "0.1.0",
        "assignment_hash": "a3f1c09e5b7d2e4f",
        "graded_at": "2025-03-14T09:26:53Z",
        "duration_ms": 4210,
    }
    base.update(overrides)
    return base


def _write(ex: Execution, time: float, tid: int, data: bytes, channel: Channel = STDOUT) -> None:
    ex.writes.append(Transfer(time=time, tid=tid, syscall="write", fd=1 if channel is STDOUT else 2,
                              channel=channel, data=data, size=len(data)))


# ---------------------------------------------------------------- fork-hello with four processes


def fork_four(jitter: float = 0.0, hello: bytes = b"hello os\n") -> Execution:
    """fork(); fork(); print(...) -- four processes; 8 ends before its child 10 (orphan, zombie)."""
    j = jitter
    ex = Execution(root=7, duration=0.0421 + j)
    ex.tasks[7] = Task(tid=7, tgid=7, kind="process", creator=None, ppid=1, created_by=None, start=0.0,
                       end=0.0408 + j, exit_code=0, execs=[Exec(0.0004, PY, ["python3", "hello.py"])])
    ex.tasks[8] = Task(tid=8, tgid=8, kind="process", creator=7, ppid=7, created_by="clone",
                       clone_flags=["CLONE_CHILD_SETTID", "CLONE_CHILD_CLEARTID", "SIGCHLD"],
                       start=0.0312 + j, end=0.0351 + j, exit_code=0, reaped_by=7, reaped_at=0.0353 + j)
    ex.tasks[9] = Task(tid=9, tgid=9, kind="process", creator=7, ppid=7, created_by="clone",
                       start=0.0318 + j, end=0.0362 + j, exit_code=0, reaped_by=7, reaped_at=0.0366 + j)
    ex.tasks[10] = Task(tid=10, tgid=10, kind="process", creator=8, ppid=8, created_by="clone",
                        start=0.0321 + j, end=0.0395 + j, exit_code=0, reaped_by=1, reaped_at=0.0399 + j,
                        reparented_to=1, orphan=True, zombie=True)
    _write(ex, 0.0335 + j, 7, hello)
    _write(ex, 0.0341 + j, 8, hello)
    _write(ex, 0.0349 + j, 9, hello)
    _write(ex, 0.0388 + j, 10, hello)
    ex.signals.append(Signal(time=0.0352 + j, signal="SIGCHLD", sender=None, target=7, delivered_to=7))
    return ex


def fork_hello_result(*, hostile: bool = False) -> Result:
    hello = b"hello os\n"
    stdout = hello * 4
    extra_runs_stdout = [stdout] * 5
    executions = [fork_four(0.0002 * i) for i in range(5)]
    stderr = b""
    submission = "2021-12345 (kim.minji)"
    observed_line = "hello os"
    if hostile:
        submission = "<b>2021-99999</b><script>alert(1)</script>"
        nasty = (
            b"hello os\n"
            b"<script>document.title='PWNED-SCRIPT';document.body.setAttribute('data-pwned','1')</script>\n"
            b"<img src=x onerror=\"document.title='PWNED-IMG'\">\n"
            b"\x1b[31mred text\x1b[0m and \x1b[1;32mbold green\x1b[0m\n"
            b"\x1b]0;evil window title\x07after the OSC\n"
            b"bad bytes: \xff\xfe\xc3\x28 end\n"
            b"bell\x07 nul\x00 backspace\x08 bidi \xe2\x80\xaeevil\xe2\x80\xac\n"
            b"</pre></svg></title><h1>not a heading</h1>\n"
        )
        stdout = nasty + hello * 3
        extra_runs_stdout = [stdout] * 5
        executions = []
        for i in range(5):
            ex = fork_four(0.0002 * i)
            ex.writes[0] = Transfer(time=ex.writes[0].time, tid=7, syscall="write", fd=1, channel=STDOUT,
                                    data=nasty, size=len(nasty))
            ex.tasks[7].execs = [Exec(0.0004, PY, ["python3", "<svg onload=alert(1)>.py"])]
            executions.append(ex)
        stderr = (b"Traceback (most recent call last):\n  File \"hello.py\", line 9, in <module>\n"
                  b"\x1b[1;31mValueError\x1b[0m: <img src=x onerror=alert(1)>\n")
        observed_line = "<script>alert(1)</script>"

    runs = [
        RunSummary(index=i, exit_code=0, signal=None, wall_ms=61 + 3 * i, stdout=extra_runs_stdout[i],
                   stderr=stderr, execution=executions[i].to_json())
        for i in range(5)
    ]
    stdout_evidence = Evidence(
        label="lines matching '^hello os$' and the process that wrote each",
        lines=["pid 7: hello os", "pid 8: hello os", "pid 9: hello os", "pid 10: hello os"]
        + ([f"pid 7: {observed_line}", "pid 7: <img src=x onerror=alert(1)>"] if hostile else []),
        tasks=[7, 8, 9, 10],
        run=0,
    )
    tree_evidence = Evidence(
        label="process tree (pid, parent)",
        lines=["7  python3 hello.py", "├─ 8", "│  └─ 10", "└─ 9"],
        tasks=[7, 8, 9, 10],
        run=0,
    )
    test1 = TestResult(
        name="hello os is printed three times, once by each process",
        status="failed",
        score=0.0,
        max_score=2.0,
        checks=[
            CheckResult(
                kind="output.count", status="failed", weight=1.0, score=0.0, max_score=0.67,
                message="expected exactly 3 line(s) matching /^hello os$/ on stdout, found 4",
                expected="exactly 3 line(s) matching /^hello os$/", observed="4 line(s)", passed_runs=0,
                total_runs=5, params={"count": 4},
                hint="Each fork() call doubles the processes that run the code after it. "
                     "Count how many processes reach the print.",
                evidence=[stdout_evidence],
            ),
            CheckResult(
                kind="process.count", status="failed", weight=1.0, score=0.0, max_score=0.67,
                message="expected exactly 3 process(es), the program ran 4", expected="exactly 3",
                observed="4", passed_runs=0, total_runs=5, params={"count": 4},
                hint="Only the parent should call fork() the second time: check the value fork() returns.",
                evidence=[tree_evidence],
                label="exactly three processes",
            ),
            CheckResult(
                kind="output.writers", status="failed", weight=1.0, score=0.0, max_score=0.66,
                message="expected lines matching /^hello os$/ from 3 distinct processes, but they came from 4: "
                        "pid 7, pid 8, pid 9, pid 10",
                expected="3 processes", observed="4 processes", passed_runs=0, total_runs=5,
                params={"processes": [7, 8, 9, 10]},
                evidence=[stdout_evidence],
            ),
        ],
        runs=runs,
    )
    test2 = TestResult(
        name="the parent waits for its children",
        status="failed",
        score=0.0,
        max_score=1.0,
        checks=[
            CheckResult(
                kind="process.reaped", status="failed", score=0.0, max_score=1.0,
                message="1 child process(es) were not waited for by their parent: pid 10 (parent pid 8)",
                expected="every child waited for by its parent (wait/waitpid/join)",
                observed="1 of 3 not reaped by their parent", passed_runs=0, total_runs=5, params={"unreaped": 1},
                hint="Call os.wait() (or waitpid) in every process that created a child, once per child.",
                evidence=[Evidence(label="exits and waits", run=0, tasks=[8, 10],
                                   lines=["8 exited at 35.1 ms without calling wait()",
                                          "10 exited at 39.5 ms; reaped by 1 (init) at 39.9 ms"])],
            ),
        ],
        diagnoses=[
            Diagnosis(code="orphan", message="1 process(es) (pid 10) were still running when their parent exited, "
                      "so they were re-parented to init (orphans): anything they print after that comes after the "
                      "parent's last line, and getppid() returns the new parent. The parent should wait for its "
                      "children before exiting.", params={"pids": [10], "count": 1},
                      explains=["process.reaped"],
                      evidence=[Evidence(label="parent ended first", lines=["8 ended at 35.1 ms",
                                                                            "10 ended at 39.5 ms"], tasks=[8, 10],
                                         run=0)]),
            Diagnosis(code="zombie", message="1 child process(es) (pid 10) ended but their parent (pid 8) never "
                      "waited for them, so each stayed a zombie until the parent itself ended. Call "
                      "wait()/waitpid() (or join()) for every child.",
                      params={"pids": [10], "parents": [8], "count": 1},
                      explains=["process.reaped"]),
        ],
        runs=runs[:2],
    )
    test3 = TestResult(
        name="the parent prints its last line after every child",
        status="flaky",
        score=0.5,
        max_score=1.0,
        checks=[
            CheckResult(
                kind="output.happens_before", status="flaky", score=0.5, max_score=1.0,
                message="the parent's last line came before a child's line (run 2)",
                expected="parent's last line after every child's lines",
                observed="run 2: parent line 1, child 9 line 3", passed_runs=3, total_runs=5,
                hint="Wait for the children before printing the final line.",
                evidence=[Evidence(label="order in run 2", run=1, tasks=[7, 9],
                                   lines=["1  pid 7: hello os", "2  pid 8: hello os", "3  pid 9: hello os"])],
            ),
        ],
        runs=runs[:5],
    )
    test4 = TestResult(
        name="hidden: output survives a pipe (no duplicated buffers)",
        status="failed",
        score=0.0,
        max_score=1.0,
        visibility="hidden",
        checks=[CheckResult(kind="output.count", status="failed", message="secret detail the student must not see",
                            expected="3", observed="4", hint="SECRET-HINT")],
        diagnoses=[Diagnosis(code="fork_buffer_duplicate", message="SECRET-DIAGNOSIS")],
        runs=runs[:1],
    )
    tests = [test1, test2, test3, test4]
    if hostile:
        flood = b"".join(b"progress %04d \x1b[2K\r" % i + b"x" * 60 + b"\n" for i in range(450))
        tests.append(TestResult(
            name="<i>progress</i> log stays under the output limit",
            status="failed", score=0.0, max_score=0.0,
            checks=[CheckResult(kind="output.lines", status="failed", message="The output had 450 lines; at most "
                                "100 were expected.", expected="<= 100 lines", observed="450 lines",
                                passed_runs=0, total_runs=1)],
            runs=[RunSummary(index=0, exit_code=0, signal=None, wall_ms=130, stdout=flood, stdout_truncated=True,
                             output_limit_hit=True)],
        ))
    return Result(
        **_common(
            submission=submission,
            score=0.5,
            max_score=5.0,
            tests=tests,
            submission_hash="9c2e7a41d0b35f6e8a1c",
        ),  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------- 64 tasks


def sixty_four_tasks() -> Execution:
    """A pool: root with 3 helper threads, 12 workers with 3 threads each, 6 of them fork 2 children."""
    ex = Execution(root=7, duration=0.820)
    ex.tasks[7] = Task(tid=7, tgid=7, kind="process", creator=None, ppid=1, created_by=None, start=0.0, end=0.81,
                       exit_code=0, execs=[Exec(0.0004, PY, ["python3", "pool_with_a_rather_long_name.py"])])
    tid = 8
    for k in range(3):
        ex.tasks[tid] = Task(tid=tid, tgid=7, kind="thread", creator=7, ppid=1, created_by="clone3",
                             start=0.05 + 0.001 * k, end=0.80, exit_code=0)
        tid += 1
    workers = []
    for w in range(12):
        pid = tid
        tid += 1
        start = 0.06 + 0.01 * w
        ex.tasks[pid] = Task(tid=pid, tgid=pid, kind="process", creator=7, ppid=7, created_by="clone", start=start,
                             end=0.6 + 0.01 * w, exit_code=0 if w != 5 else None,
                             signal="SIGSEGV" if w == 5 else None, core_dumped=w == 5,
                             reaped_by=7, reaped_at=0.61 + 0.01 * w)
        workers.append(pid)
        ipc = f"pipe:[{50000 + w}]"
        ex.ipc.append(IpcObject(kind="pipe", ident=ipc, created_by=7, created_at=start - 0.001, users=[7, pid],
                                runtime_helper=w == 0))
        ex.flows.append(Flow(kind="pipe", channel=ipc, writer=7, reader=pid, nbytes=64,
                             first_time=start + 0.004, sample=b"task %d" % w))
        ex.flows.append(Flow(kind="pipe", channel=ipc, writer=pid, reader=7, nbytes=16,
                             first_time=start + 0.3, sample=b"done %d" % w))
        for k in range(3):
            ex.tasks[tid] = Task(tid=tid, tgid=pid, kind="thread", creator=pid, ppid=7, created_by="clone3",
                                 start=start + 0.01 + 0.002 * k, end=start + 0.4, exit_code=0)
            _write(ex, start + 0.1 + 0.01 * k, tid, b"worker %d thread %d done\n" % (w, k))
            tid += 1
    for w in range(6):
        parent = workers[w]
        for c in range(2):
            start = 0.2 + 0.02 * w + 0.005 * c
            ex.tasks[tid] = Task(tid=tid, tgid=tid, kind="process", creator=parent, ppid=parent, created_by="fork",
                                 start=start, end=start + 0.05, exit_code=0 if c == 0 else 3,
                                 reaped_by=parent, reaped_at=start + 0.06)
            _write(ex, start + 0.01, tid, b"grandchild of %d\n" % parent)
            tid += 1
    ex.signals.append(Signal(time=0.66, signal="SIGTERM", sender=7, target=workers[11], delivered_to=workers[11]))
    assert len(ex.tasks) == 64, len(ex.tasks)
    return ex


def sixty_four_result() -> Result:
    ex = sixty_four_tasks()
    stdout = b"".join(w.data for w in sorted(ex.writes, key=lambda w: w.time))
    run = RunSummary(index=0, exit_code=0, signal=None, wall_ms=912, stdout=stdout, execution=ex.to_json())
    return Result(
        **_common(
            assignment_id="worker-pool",
            assignment_title="A pool of worker processes with threads",
            submission="2021-54321",
            score=3.0,
            max_score=4.0,
            submission_hash="77aa01be93c2",
            tests=[
                TestResult(
                    name="twelve workers, each with three threads",
                    status="failed",
                    score=3.0,
                    max_score=4.0,
                    checks=[
                        CheckResult(kind="process.count", status="passed",
                                    message="expected exactly 25 process(es), the program ran 25",
                                    expected="exactly 25", observed="25", params={"count": 25}, score=2.0, max_score=2.0, passed_runs=1,
                                    total_runs=1),
                        CheckResult(kind="thread.count", status="passed",
                                    message="12 process(es) in workers started exactly 3 thread(s)",
                                    expected="exactly 3", observed="3", params={"count": 3}, score=1.0, max_score=1.0, passed_runs=1,
                                    total_runs=1),
                        CheckResult(kind="process.exit_code", status="failed",
                                    message="Worker 31 was killed by SIGSEGV.", expected="0",
                                    observed="SIGSEGV", score=0.0, max_score=1.0, passed_runs=0, total_runs=1,
                                    params={"pid": 31}),
                    ],
                    diagnoses=[Diagnosis(code="crash", message="Process 31 was killed by the signal SIGSEGV.",
                                         params={"pid": 31, "signal": "SIGSEGV"})],
                    runs=[run],
                )
            ],
        ),  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------- a pipe that never sees EOF


def pipe_hang_result() -> Result:
    ex = Execution(root=7, duration=5.004)
    pipe = Channel(kind="pipe", ident="pipe:[61234]")
    ex.tasks[7] = Task(tid=7, tgid=7, kind="process", creator=None, ppid=1, created_by=None, start=0.0, end=5.003,
                       signal="SIGKILL", execs=[Exec(0.0004, PY, ["python3", "pipe.py"])])
    ex.tasks[8] = Task(tid=8, tgid=8, kind="process", creator=7, ppid=7, created_by="clone", start=0.0301,
                       end=5.003, signal="SIGKILL")
    ex.ipc.append(IpcObject(kind="pipe", ident="pipe:[61234]", created_by=7, created_at=0.0299, users=[7, 8]))
    ex.writes.append(Transfer(time=0.0311, tid=7, syscall="write", fd=4, channel=pipe, data=b"12 34 56\n", size=9))
    ex.reads.append(Transfer(time=0.0315, tid=8, syscall="read", fd=3, channel=pipe, data=b"12 34 56\n", size=9))
    ex.flows.append(Flow(kind="pipe", channel="pipe:[61234]", writer=7, reader=8, nbytes=9, first_time=0.0311,
                         sample=b"12 34 56\n"))
    _write(ex, 0.0320, 8, b"child: got 12 34 56\n")
    ex.blocked.append(Blocked(tid=8, syscall="read", args="3<pipe:[61234]>, ", since=0.0322, channel=pipe,
                              holders=[7, 8]))
    ex.blocked.append(Blocked(tid=7, syscall="wait4", args="-1, ", since=0.0313))
    ex.signals.append(Signal(time=5.002, signal="SIGKILL", sender=None, target=7, delivered_to=7))
    run = RunSummary(index=0, exit_code=None, signal="SIGKILL", wall_ms=5004, timed_out=True,
                     stdout=b"child: got 12 34 56\n", execution=ex.to_json())
    return Result(
        **_common(
            assignment_id="pipe-sum",
            assignment_title="Send numbers through a pipe",
            submission="2021-11111",
            score=0.0,
            max_score=2.0,
            submission_hash="e01d55c0",
            tests=[
                TestResult(
                    name="the child sums the numbers and exits",
                    status="failed",
                    score=0.0,
                    max_score=2.0,
                    checks=[CheckResult(kind="process.exit_code", status="failed", message="Expected exit status 0, "
                                        "got SIGKILL (stopped at the time limit).", expected="0",
                                        observed="killed by SIGKILL", passed_runs=0, total_runs=1, max_score=2.0)],
                    diagnoses=[
                        Diagnosis(code="timeout", message="the program did not finish within 5000 ms and was killed; "
                                  "what each task was doing at the end is below",
                                  params={"timeout_ms": 5000, "tasks": 2}, explains=["process.exit_code"],
                                  evidence=[Evidence(label="what each task was doing at the end", tasks=[7, 8],
                                                     lines=["7: wait4(-1, ...) since 31.3 ms",
                                                            "8: read(3<pipe:[61234]>, ...) since 32.2 ms"])]),
                        Diagnosis(code="pipe_write_end_open",
                                  message="Process 8 waited forever to read from pipe:[61234]: process 7, 8 still "
                                          "held its write end open, so it never saw end-of-file.",
                                  params={"pid": 8, "channel": "pipe:[61234]", "holders": [7, 8], "syscall": "read"},
                                  explains=["process.exit_code"]),
                    ],
                    runs=[run],
                )
            ],
        ),  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------- a C submission that does not compile


def compile_error_result() -> Result:
    build = (b"hello.c: In function \xe2\x80\x98main\xe2\x80\x99:\n"
             b"hello.c:7:5: \x1b[01;31m\x1b[Kerror: \x1b[m\x1b[K\xe2\x80\x98pid_t\xe2\x80\x99 undeclared\n"
             b"    7 |     pid_t p = fork()\n      |     ^~~~~\n")
    return Result(
        **_common(
            assignment_id="fork-hello-c",
            assignment_title="Fork into three processes (C)",
            submission="2021-22222",
            score=0.0,
            max_score=3.0,
            build_output=build,
            diagnoses=[Diagnosis(code="compile_error", message="The program did not compile; see the compiler's "
                                 "messages below.")],
            tests=[
                TestResult(name="hello os is printed three times", status="error", score=0.0, max_score=2.0,
                           message="The program did not compile."),
                TestResult(name="the parent waits for its children", status="error", score=0.0, max_score=1.0,
                           message="The program did not compile.", visibility="after_due_date"),
            ],
        ),  # type: ignore[arg-type]
    )


FIXTURES = {
    "fork_hello_four_processes.json": lambda: fork_hello_result(),
    "fork_hello_hostile_output.json": lambda: fork_hello_result(hostile=True),
    "worker_pool_64_tasks.json": sixty_four_result,
    "pipe_write_end_open_timeout.json": pipe_hang_result,
    "compile_error.json": compile_error_result,
}


def main() -> None:
    for name, build in FIXTURES.items():
        result = build()
        (HERE / name).write_text(json.dumps(result.to_json(), indent=1, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
        print(HERE / name)


if __name__ == "__main__":
    main()
