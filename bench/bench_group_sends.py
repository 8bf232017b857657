"""Benchmark: naming the recipients of signals sent to a process group, sweep against a scan per send.

Not a test. Builds one hand-made trace (a root that leads its group, forks N children into it, then
sends SIGUSR1 to the group K times: a fork bomb's killpg loop at the model's signal cap), parses it
with the grader (grader.trace.signals' sweep over time), and times, interleaved so load hits both
sides alike, the scan it replaced: for each send, every process's group looked up at that moment.
Checks both give the same recipients, prints the medians and the ratio.
Run: .venv/bin/python bench/bench_group_sends.py [--processes N] [--sends K]
"""

from __future__ import annotations

import argparse
import statistics
import time

from grader.trace import parse_trace
from grader.trace.model import Execution
from grader.trace.signals import _at, _histories

FORK = "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f)"


def trace(processes: int, sends: int) -> str:
    lines = ["10 1.000000 setpgid(0, 0) = 0"]
    t = 1.0
    for i in range(processes):
        t += 1e-5
        lines.append(f"10 {t:.6f} {FORK} = {100 + i}")
    for _ in range(sends):
        t += 1e-5
        lines.append(f"10 {t:.6f} kill(-10, SIGUSR1) = 0")
    return "\n".join(lines)


def scan(ex: Execution) -> list[list[int]]:
    """The old way: for each group send, every process, its group looked up at that moment."""
    histories = _histories(ex)
    out = []
    for sent in ex.signals:
        if not sent.to_group:
            continue
        out.append(sorted(
            t.tid for t in ex.processes()
            if t.start <= sent.time and (t.end is None or t.end >= sent.time)
            and (m := _at(histories.get(t.tid, []), sent.time)) is not None and m.pgid == sent.group))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=3000)
    parser.add_argument("--sends", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    text = trace(args.processes, args.sends)
    sweep_s: list[float] = []
    scan_s: list[float] = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        ex = parse_trace(text)
        sweep_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        scanned = scan(ex)
        scan_s.append(time.perf_counter() - start)
        assert scanned == [s.recipients for s in ex.signals if s.to_group], "the two ways disagree"
    sweep, old = statistics.median(sweep_s), statistics.median(scan_s)
    print(f"{args.processes} processes, {args.sends} group sends, median of {args.repeat}")
    print(f"  parse with the sweep (whole parse) {sweep:8.3f} s")
    print(f"  the scan per send (recipients only) {old:8.3f} s")
    print(f"  scan / whole parse: {old / sweep:.1f}x")


if __name__ == "__main__":
    main()
