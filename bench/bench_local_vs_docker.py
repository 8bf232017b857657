"""Benchmark: the same traced run (fork x3) through DockerSandbox on this machine and LocalSandbox
inside a Gradescope-like container (tests/engine/gradescope_like.py), in sessions of 1 and 5
repeats; also the autograder zip's size and setup.sh's time offline.

Not a test. One measurement each. Run from the checkout: .venv/bin/python bench/bench_local_vs_docker.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "engine"))

from gradescope_like import GradescopeLike  # noqa: E402 - the test helper lives beside the tests

from grader.platforms.gradescope import build_package  # noqa: E402
from grader.sandbox.docker_sandbox import DockerSandbox  # noqa: E402
from grader.sandbox.records import Limits, RunRequest  # noqa: E402

FORK3 = """import os
for _ in range(2):
    if os.fork() == 0:
        print("hello os", flush=True)
        os._exit(0)
print("hello os", flush=True)
for _ in range(2):
    os.wait()
"""

IN_CONTAINER = """
import json, sys, time
sys.path.insert(0, "/autograder/source/pylib")
from pathlib import Path
from grader.sandbox.local import LocalSandbox
from grader.sandbox.records import Limits, RunRequest
started = time.monotonic(); sandbox = LocalSandbox(); out = {"init": time.monotonic() - started}
limits = Limits(timeout_ms=5000)
request = lambda n: [RunRequest(name="t", command=("python3", "fork3.py"), repeat=n)]
sandbox.run(Path("/srv/m"), request(1), limits=limits)
for n in (1, 5):
    started = time.monotonic(); result = sandbox.run(Path("/srv/m"), request(n), limits=limits)
    out[str(n)] = time.monotonic() - started
    assert all(r.exit_code == 0 for r in result.runs["t"]), result
print(json.dumps(out))
"""


def docker_times(folder: Path) -> dict[str, float]:
    sandbox, limits = DockerSandbox(), Limits(timeout_ms=5000)
    sandbox.run(folder, [RunRequest(name="t", command=("python3", "fork3.py"))], limits=limits)   # warm
    out: dict[str, float] = {}
    for n in (1, 5):
        started = time.monotonic()
        result = sandbox.run(folder, [RunRequest(name="t", command=("python3", "fork3.py"), repeat=n)], limits=limits)
        out[str(n)] = time.monotonic() - started
        assert all(r.exit_code == 0 for r in result.runs["t"]), result
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sub"
        folder.mkdir()
        (folder / "fork3.py").write_text(FORK3)
        docker = docker_times(folder)
        zip_path = Path(tmp) / "autograder.zip"
        build_package(ROOT / "assignments" / "fork-hello" / "assignment.yaml", zip_path)
        box = GradescopeLike()
        try:
            setup = box.install(zip_path)
            assert setup.code == 0, setup.stderr
            box.put("/srv/m", {"fork3.py": FORK3.encode()})
            done = box.exec(["python3", "-I", "-c", IN_CONTAINER])
            assert done.code == 0, done.stderr
            local = json.loads(done.stdout.strip().splitlines()[-1])
        finally:
            box.remove()
        size = zip_path.stat().st_size
    for name, t in (("docker", docker), ("local", local)):
        extra = (t["5"] - t["1"]) / 4
        print(f"{name:6}: session of 1 run {t['1']:.3f} s, of 5 runs {t['5']:.3f} s ({extra:.3f} s per extra run)")
    print(f"ratio local/docker, session of one run: {local['1'] / docker['1']:.2f}; LocalSandbox() {local['init']:.3f} s")
    print(f"autograder.zip {size / 2**20:.1f} MiB; setup.sh offline {setup.seconds:.2f} s")


if __name__ == "__main__":
    main()
