"""Grading through the broker, side by side in one run: throughput with 1 and 2 workers, and the broker's
overhead per job against grading in-process (`grader batch` without --broker).

Starts a private redis-server on loopback (tests/services.py), makes a class of N small, distinct Python
submissions (no two alike, so the workers' result cache serves none of them), and grades it four ways:
    in-process -j 1        one grading at a time, in the batch's own process
    broker, 1 worker       one `grader worker --concurrency 1`
    broker, 2 workers      two of them (both on this machine)
    in-process -j 2        two at a time in-process (what two workers are compared with)
Prints wall times, submissions per second, the 2-worker/1-worker throughput ratio and the broker's
overhead per job ((broker 1 worker - in-process -j 1) / N). This machine is shared and noisy: read the
ratios, not the absolute times.

Usage:
    .venv/bin/python bench/bench_distributed.py            # 40 submissions
    .venv/bin/python bench/bench_distributed.py --count 100
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from services import redis_server  # noqa: E402

ASSIGNMENT = """\
id: bench-hello
title: Bench hello
language: python
files: [hello.py]
run: [python3, hello.py]
limits: {timeout: 10s}
repeat: 1
tests:
  - name: prints hello once
    points: 1
    checks:
      - output.count: {pattern: '^hello$', equals: 1}
"""


def _class(folder: Path, count: int) -> Path:
    for index in range(count):
        student = folder / f"s{index:03d}"
        student.mkdir(parents=True)
        (student / "hello.py").write_text(f"# student {index}\nprint('hello')\n", encoding="utf-8")
    return folder


def _batch(spec: Path, submissions: Path, out: Path, *extra: str) -> float:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "grader.cli", "-q", "batch", str(spec), str(submissions),
                           "--out", str(out), *extra], capture_output=True, text=True, cwd=ROOT)
    elapsed = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"grader batch failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed


@contextlib.contextmanager
def _workers(url: str, count: int, folder: Path):
    procs = []
    env = {**os.environ, "GRADER_BROKER": url}
    for index in range(count):
        log = (folder / f"worker-{count}-{index}.log").open("wb")
        procs.append(subprocess.Popen([sys.executable, "-m", "grader.cli", "worker", "--concurrency", "1"],
                                      stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                                      start_new_session=True))
    try:
        deadline = time.monotonic() + 90
        while True:
            listed = subprocess.run([sys.executable, "-m", "grader.cli", "workers", "--json", "--broker", url],
                                    capture_output=True, text=True, cwd=ROOT)
            if len(listed.stdout.splitlines()) >= count:
                break
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not start; see " + str(folder))
            time.sleep(0.5)
        yield
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=40, help="submissions in the class (default 40)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp, redis_server() as redis:
        folder = Path(tmp)
        (folder / "assignment").mkdir()
        spec = folder / "assignment" / "assignment.yaml"
        spec.write_text(ASSIGNMENT, encoding="utf-8")
        submissions = _class(folder / "class", args.count)
        times: dict[str, float] = {}
        times["in-process -j 1"] = _batch(spec, submissions, folder / "out-local-1", "-j", "1")
        for count in (1, 2):
            # a fresh broker database per setting: no result from the previous one is reused
            subprocess.run(["redis-cli", "-p", str(redis.port), "-a", redis.password, "--no-auth-warning",
                            "flushall"], check=True, capture_output=True)
            with _workers(redis.url, count, folder):
                times[f"broker, {count} worker{'s' if count > 1 else ''}"] = _batch(
                    spec, submissions, folder / f"out-broker-{count}", "--broker", redis.url)
        times["in-process -j 2"] = _batch(spec, submissions, folder / "out-local-2", "-j", "2")
        shutil.rmtree(folder / "class", ignore_errors=True)
    n = args.count
    print(f"\n{n} submissions, one run each way")
    print(f"{'setting':<22} {'wall s':>8} {'per s':>8}")
    for name, seconds in times.items():
        print(f"{name:<22} {seconds:>8.1f} {n / seconds:>8.2f}")
    one, two = times["broker, 1 worker"], times["broker, 2 workers"]
    print(f"\nthroughput, 2 workers / 1 worker: {one / two:.2f}x")
    print(f"broker overhead per job (1 worker vs in-process -j 1): "
          f"{1000 * (one - times['in-process -j 1']) / n:+.0f} ms ({one / times['in-process -j 1']:.2f}x)")
    print(f"2 workers vs in-process -j 2: {two / times['in-process -j 2']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
