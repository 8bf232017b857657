"""Record one run in the real sandbox as a RunRecord JSON: record.py NAME PROGRAM [pipe|pty].

PROGRAM is a .py (run as /usr/bin/python3 main.py) or a .c (built with gcc -O0 -pthread).
Writes NAME.json next to this file (RunRecord.to_json() plus the program's text), for check tests.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from grader.sandbox.docker_sandbox import DockerSandbox
from grader.sandbox.records import Limits, RunRequest

HERE = Path(__file__).resolve().parent


def main() -> None:
    name, program = sys.argv[1], Path(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) > 3 else "pipe"
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
        result = DockerSandbox().run(sub, [RunRequest(name=name, command=command, stdout_mode=mode)],  # type: ignore[arg-type]
                                     limits=Limits(timeout_ms=3000), build=build)
        [record] = result.runs[name]
        out = record.to_json()
        out["program"] = program.read_text()
        (HERE / f"{name}.json").write_text(json.dumps(out, indent=1) + "\n")
        print(name, "exit", record.exit_code, "trace lines", record.trace_text().count("\n"))


if __name__ == "__main__":
    main()
