"""Record one trace fixture through the real sandbox (DockerSandbox, the grader's own STRACE_ARGS).

    .venv/bin/python tests/data/traces/record_sandbox.py SCENARIO_DIR [timeout_ms] [--old-y]

SCENARIO_DIR holds program.py (run as /usr/bin/python3 program.py) or program.c (built with
gcc -O0 -pthread). Writes trace.log (gzipped as trace.log.gz when over 256 KiB), stdout, stderr
and meta.json next to it, in the format tests/unit/trace_fixtures.py loads. `--old-y` records with
the older `-y` decoding (descriptors named by path or `socket:[inode]` only) instead of the
socket-decoding options STRACE_ARGS now uses, for fixtures that must show both forms.
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path

import grader.sandbox.docker_sandbox as docker_sandbox
from grader.sandbox.records import Limits, RunRequest
from grader.sandbox.tracing import STRACE_ARGS


def _old_y(args: list[str]) -> list[str]:
    return ["-y" if a.startswith("--decode-fds") or a == "-yy" else a for a in args]


def main() -> None:
    argv = [a for a in sys.argv[1:] if not a.startswith("--")]
    old = "--old-y" in sys.argv
    scenario = Path(argv[0]).resolve()
    timeout_ms = int(argv[1]) if len(argv) > 1 else 5000
    strace_args = _old_y(STRACE_ARGS) if old else list(STRACE_ARGS)
    docker_sandbox.STRACE_ARGS = strace_args  # type: ignore[misc]  # the plan reads this module global
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp) / "sub"
        sub.mkdir()
        build = None
        if (scenario / "program.c").exists():
            shutil.copy(scenario / "program.c", sub / "program.c")
            build = ["gcc", "-O0", "-pthread", "-o", "prog", "program.c"]
            command: tuple[str, ...] = ("/work/prog",)
        else:
            shutil.copy(scenario / "program.py", sub / "program.py")
            command = ("/usr/bin/python3", "program.py")
        result = docker_sandbox.DockerSandbox().run(
            sub, [RunRequest(name=scenario.name, command=command)],
            limits=Limits(timeout_ms=timeout_ms), build=build)
    if result.build is not None and not result.build.ok:
        raise SystemExit(result.build.output.decode("utf-8", "replace"))
    [record] = result.runs[scenario.name]
    data = record.trace_text().encode("utf-8", "surrogateescape")
    for stale in ("trace.log", "trace.log.gz"):
        (scenario / stale).unlink(missing_ok=True)
    if len(data) > 256 * 1024:
        (scenario / "trace.log.gz").write_bytes(gzip.compress(data, mtime=0))
    else:
        (scenario / "trace.log").write_bytes(data)
    (scenario / "stdout").write_bytes(record.stdout)
    (scenario / "stderr").write_bytes(record.stderr)
    meta = {"stdout_channel": record.stdout_channel, "stderr_channel": record.stderr_channel,
            "command": " ".join(command), "timeout": timeout_ms / 1000,
            "strace_args": " ".join(a for a in strace_args if not a.startswith("trace=")),
            "exit_code": record.exit_code, "stopped_for": record.stopped_for}
    (scenario / "meta.json").write_text(json.dumps(meta) + "\n")
    print(scenario.name, "exit", record.exit_code, "stopped_for", record.stopped_for,
          "lines", record.trace_text().count("\n"), "stdout", record.stdout[:200])


if __name__ == "__main__":
    main()
