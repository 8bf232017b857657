"""Benchmark: grade a generated class of fork-hello submissions with `grader batch`.

Not a test. Prints, from one run on this machine: total time for the class at -j2,
efficiency from -j1 to -j2, per-test overhead versus a bare `docker run` of the
same program, and the grader's peak RSS at 50 vs 200 submissions.
Run: python3 bench/bench_batch.py [--students 200]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ASSIGNMENT = HERE / "batch-assignment" / "assignment.yaml"
SOURCES = [ROOT / "assignments/fork-hello/solution/hello.py"] * 3 + sorted(
    (ROOT / "assignments/fork-hello/faulty").glob("*.py"))


def make_class(folder: Path, students: int, *, only_correct: bool = False) -> Path:
    """Students cycle through 3 correct and 4 faulty fork-hello programs (or only correct ones)."""
    folder.mkdir(parents=True)
    for i in range(students):
        student = folder / f"s{i:04d}"
        student.mkdir()
        source = SOURCES[0] if only_correct else SOURCES[i % len(SOURCES)]
        # A comment makes each submission's content (hash) its own, like a real class.
        (student / "hello.py").write_text(source.read_text() + f"\n# student {i}\n")
    return folder


def batch(submissions: Path, jobs: int) -> tuple[float, int]:
    """Run `grader batch` in a child process; return (seconds, peak RSS of the grader in KiB)."""
    out = Path(tempfile.mkdtemp(prefix="grader-bench-out-"))
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, "-m", "grader.cli", "batch", str(ASSIGNMENT), str(submissions),
                    "--out", str(out), "-j", str(jobs)], check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    shutil.rmtree(out, ignore_errors=True)
    return seconds, max(peak, before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--small", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grader-bench-class-"))
    big = make_class(work / "big", args.students)
    small = make_class(work / "small", args.small)

    # RSS first (each in a fresh child; RUSAGE_CHILDREN's max is over all children so far, so small first).
    t_small, rss_small = batch(small, 2)
    t_big, rss_big = batch(big, 2)
    t_small_j1, _ = batch(small, 1)
    t_big_j4, _ = batch(big, 4)
    correct = make_class(work / "correct", args.students, only_correct=True)
    t_correct, _ = batch(correct, 2)
    runs_per_sub = 5 * 3
    print(f"class of {args.students} at -j2:            {t_big:7.1f} s   (target <= 90 s)")
    print(f"class of {args.students} at -j4:            {t_big_j4:7.1f} s   (waiting on Docker overlaps)")
    print(f"class of {args.students}, all correct, -j2: {t_correct:7.1f} s   (no sleeping or orphaned children)")
    print(f"class of {args.small} at -j1 / -j2:          {t_small_j1:7.1f} s / {t_small:.1f} s   "
          f"efficiency {t_small_j1 / (2 * t_small):.2f}  (target >= 0.8)")
    print(f"grader peak RSS at {args.small} / {args.students}:       {rss_small / 1024:7.1f} MiB / {rss_big / 1024:.1f} MiB  (target: flat)")

    from grader.sandbox.docker_sandbox import DockerSandbox

    sandbox = DockerSandbox()
    client = sandbox.engine._client
    hello = ROOT / "assignments/fork-hello/solution/hello.py"
    bare = []
    for _ in range(5):
        start = time.perf_counter()
        client.containers.run(sandbox.image, ["/usr/bin/python3", "-c", hello.read_text()], remove=True,
                              network_mode="none")
        bare.append(time.perf_counter() - start)
    per_test = t_small_j1 / (args.small * runs_per_sub)
    b = statistics.median(bare)
    print(f"per test run (j1, incl. checks) vs bare docker run: {per_test * 1000:5.0f} ms vs {b * 1000:.0f} ms   "
          f"ratio {per_test / b:.2f}x  (target <= 1.25x)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
