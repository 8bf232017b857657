"""Benchmark: sandbox overhead vs a bare `docker run`, traced vs untraced, parse speed.

Not a test. Prints ratios measured side by side in one run (interleaved, so load
on this shared machine hits both sides alike). Run: python3 bench/bench_sandbox.py
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

FORK64 = textwrap.dedent("""
    import os
    kids = []
    for i in range(64):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)
    print("done")
""")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()

    from grader.sandbox.docker_sandbox import DockerSandbox
    from grader.sandbox.records import Limits, RunRequest

    sandbox = DockerSandbox()
    client = sandbox.engine._client  # the bench measures the SDK directly for the bare baseline
    work = Path(tempfile.mkdtemp(prefix="grader-bench-"))
    (work / "trivial.py").write_text("print('hi')\n")
    (work / "fork64.py").write_text(FORK64)
    limits = Limits()

    def bare() -> None:
        client.containers.run(sandbox.image, ["/usr/bin/python3", "-c", "print('hi')"], remove=True,
                              network_mode="none")

    def ours(repeat: int = 1) -> None:
        result = sandbox.run(work, [RunRequest(name="t", command=("python3", "trivial.py"), repeat=repeat)],
                             limits=limits)
        assert len(result.runs["t"]) == repeat and result.runs["t"][0].stdout == b"hi\n"

    def in_one(command: str, trace: bool, repeat: int) -> list[int]:
        result = sandbox.run(work, [RunRequest(name="t", command=("python3", command), repeat=repeat,
                                               trace=trace)], limits=limits)
        return [r.wall_ms for r in result.runs["t"]]

    bare()
    ours()  # warm caches
    bare_s, ours_s, ours5_s = [], [], []
    for _ in range(args.rounds):
        bare_s.append(timed(bare))
        ours_s.append(timed(ours))
        ours5_s.append(timed(lambda: ours(5)) / 5)
    b, o, o5 = statistics.median(bare_s), statistics.median(ours_s), statistics.median(ours5_s)
    print(f"bare docker run --rm (python3 -c print):      {b * 1000:7.0f} ms")
    print(f"sandbox, 1 run per container (traced):        {o * 1000:7.0f} ms   ratio {o / b:.2f}x")
    print(f"sandbox, per run with 5 runs per container:   {o5 * 1000:7.0f} ms   ratio {o5 / b:.2f}x  (target <= 1.25x)")

    traced, untraced = [], []
    for _ in range(args.rounds):
        traced += in_one("fork64.py", True, 3)
        untraced += in_one("fork64.py", False, 3)
    t, u = statistics.median(traced), statistics.median(untraced)
    print(f"fork 64 children, untraced:                   {u:7.0f} ms")
    print(f"fork 64 children, under strace -f:            {t:7.0f} ms   ratio {t / u:.2f}x  (target <= 1.5x)")

    try:
        from grader.trace import parse_trace
    except ImportError:
        return
    result = sandbox.run(work, [RunRequest(name="t", command=("python3", "fork64.py"))], limits=limits)
    sample = result.runs["t"][0].trace.splitlines()
    lines = (sample * (100_000 // len(sample) + 1))[:100_000]
    text = "\n".join(lines) + "\n"
    parse_trace(text)
    seconds = min(timed(lambda: parse_trace(text)) for _ in range(3))
    print(f"parse 100,000 trace lines:                    {seconds * 1000:7.0f} ms   "
          f"{100_000 / seconds:,.0f} lines/s  (target < 1 s)")


if __name__ == "__main__":
    main()
