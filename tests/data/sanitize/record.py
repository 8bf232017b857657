"""Records tests/data/sanitize/recorded.json from the real sandbox: each program's sanitizer log as the
harness read it, the trace lines that name the log directory, and the exit code.

    .venv/bin/python tests/data/sanitize/record.py
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from grader.sandbox.docker_sandbox import DockerSandbox
from grader.sandbox.records import Limits, RunRequest
from grader.sanitize import build_command

HERE = Path(__file__).resolve().parent
PROGRAMS = {"address": ["heap-overflow", "use-after-free", "double-free", "stack-overflow", "global-overflow",
                        "null-pointer", "leak", "tamper", "cpp-overflow"],
            "undefined": ["signed-overflow", "shift", "tamper"]}


def main() -> None:
    sandbox = DockerSandbox()
    recorded: dict[str, dict] = {}
    for kind, names in PROGRAMS.items():
        stem = "mem" if kind == "address" else "ub"
        for name in names:
            source = next((HERE / kind / name).glob(f"{stem}.c*"))
            compiler = "g++" if source.suffix == ".cpp" else "gcc"
            with tempfile.TemporaryDirectory() as folder:
                shutil.copy(source, folder)
                request = RunRequest(name="t", command=(f"./{stem}",), sanitize=kind)  # type: ignore[arg-type]
                build = build_command([compiler, "-O0", "-Wall", "-o", stem, source.name], kind)  # type: ignore[arg-type]
                result = sandbox.run(Path(folder), [request], limits=Limits(), build=build)
            run = result.runs["t"][0]
            sanitizer = run.sanitizer or {}
            log_dir = str(sanitizer.get("log_dir") or "")
            recorded[f"{kind}/{name}"] = {
                "sanitizer": sanitizer, "exit_code": run.exit_code,
                "trace_lines": [line for line in run.trace_text().splitlines() if log_dir and log_dir in line]}
            print(kind, name, run.exit_code, [f["size"] for f in sanitizer.get("files") or []])
    (HERE / "recorded.json").write_text(json.dumps(recorded, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
