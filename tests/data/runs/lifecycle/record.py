"""Record one lifecycle fixture in the real sandbox as a RunRecord JSON (the check tests' recorded runs).

    .venv/bin/python tests/data/runs/lifecycle/record.py NAME PROGRAM [timeout_ms] [--trace-futex]

PROGRAM is a .py (run as /usr/bin/python3 main.py) or a .c (built with gcc -O0 -pthread). Writes
NAME.json next to this file: RunRecord.to_json() plus the program's text. `--trace-futex` adds futex
to the traced calls (the grader's own STRACE_ARGS leave it out), to record what a pthread_join's wait
looks like in a trace.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import grader.sandbox.docker_sandbox as docker_sandbox
from grader.sandbox.records import Limits, RunRequest
from grader.sandbox.tracing import STRACE_ARGS

HERE = Path(__file__).resolve().parent


def main() -> None:
    argv = [a for a in sys.argv[1:] if not a.startswith("--")]
    name, program = argv[0], Path(argv[1])
    timeout_ms = int(argv[2]) if len(argv) > 2 else 3000
    if "--trace-futex" in sys.argv:
        args = [a + ",futex" if a.startswith("trace=") else a for a in STRACE_ARGS]
        docker_sandbox.STRACE_ARGS = args  # type: ignore[misc]  # the plan reads this module global
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp) / "sub"
        sub.mkdir()
        build = None
        if program.suffix == ".c":
            shutil.copy(program, sub / "main.c")
            build = ["gcc", "-O0", "-pthread", "-o", "main", "main.c"]
            command: tuple[str, ...] = ("./main",)
        else:
            shutil.copy(program, sub / "main.py")
            command = ("/usr/bin/python3", "main.py")
        result = docker_sandbox.DockerSandbox().run(sub, [RunRequest(name=name, command=command)],
                                                    limits=Limits(timeout_ms=timeout_ms), build=build)
        [record] = result.runs[name]
        out = record.to_json()
        out["program"] = program.read_text()
        (HERE / f"{name}.json").write_text(json.dumps(out, indent=1) + "\n")
        print(name, "stopped_for", record.stopped_for, "exit", record.exit_code,
              "lines", record.trace_text().count("\n"))


if __name__ == "__main__":
    main()
