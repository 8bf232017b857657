"""Benchmark: what a binding costs per line, next to output.ids judging the same lines.

Not a test. Builds one hand-made run (a root with N children, each printing 'child <pid> of <ppid>', the
root reporting each child's exit status), then times, interleaved so load hits both sides alike:
  ids      output.ids   'child {pid} of {ppid}'                        (the pre-existing checker)
  values   output.values 'c.p == c.writer.pid and c.pp == c.writer.parent.pid'
  status   output.values 'proc(s.c).exit_status == s.code' over the root's report lines
Prints the medians and the ratios to ids. Run: .venv/bin/python bench/bench_bindings.py [--lines N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))
from exec_builder import ExecBuilder

from grader.checks import Check

ADAPTER: TypeAdapter[Any] = TypeAdapter(Check)


def run(children: int) -> Any:
    b = ExecBuilder()
    kids = [b.fork(100) for _ in range(children)]
    for kid in kids:
        b.say(kid, f"child {kid} of 100")
        b.exit(kid, kid % 7)
    for kid in kids:
        b.say(100, f"child {kid} exited with status {kid % 7}")
    b.exit(100)
    return b.evidence()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5000, help="children (each adds two lines); default 5000")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    evidence = run(args.lines)
    checks = {
        "ids": ADAPTER.validate_python({"kind": "output.ids", "pattern": "child {pid} of {ppid}"}),
        "values": ADAPTER.validate_python({"kind": "output.values",
                                           "captures": {"c": {"pattern": "^child {p} of {pp}$"}},
                                           "expect": ["c.p == c.writer.pid and c.pp == c.writer.parent.pid"]}),
        "status": ADAPTER.validate_python({"kind": "output.values",
                                           "captures": {"s": {"pattern": "^child {c} exited with status {code}$",
                                                              "role": "root"}},
                                           "expect": ["proc(s.c).exit_status == s.code"]}),
    }
    times: dict[str, list[float]] = {name: [] for name in checks}
    for _ in range(args.rounds):
        for name, check in checks.items():
            start = time.perf_counter()
            result = check.evaluate(evidence)
            times[name].append(time.perf_counter() - start)
            assert result.passed, (name, result.message)
    base = statistics.median(times["ids"])
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{name:7s} {median * 1000:8.1f} ms for {args.lines} lines  "
              f"({median / args.lines * 1e6:6.1f} us/line)  x{median / base:4.2f} of ids")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
