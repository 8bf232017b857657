"""How often known-racy programs are caught at `repeat: 5`, with and without schedule perturbation, side by side.

For each program in tests/data/race/ (an unlocked C counter, a Python read-modify-write counter, a
check-then-act on shared seat flags, a lost wakeup on a condition variable), grades its racy version
N times with `perturb: off` and N times with perturbation on, and its fixed version N times with
perturbation on and N times off, on the real Docker sandbox. Prints per program:
    detected      gradings where the racy version did not pass every run (its race cost it the test)
    named racy    of those, gradings where it passed in some runs and failed in others (the verdict
                  says "your program has a race: it passed in k of n runs")
    false fail    gradings where the fixed version did not pass every run (must be 0)
    cost          mean wall time of one run of the fixed version, perturbed / unperturbed

Usage:
    .venv/bin/python bench/bench_race_detection.py                 # 50 gradings per program and setting
    .venv/bin/python bench/bench_race_detection.py --gradings 10 --level heavy --programs c-counter
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "tests" / "data" / "race"
sys.path.insert(0, str(ROOT))

from grader.grading import grade  # noqa: E402
from grader.result import Result  # noqa: E402
from grader.sandbox.docker_sandbox import DockerSandbox  # noqa: E402
from grader.spec.loader import load_assignment  # noqa: E402


def _grade(sandbox: DockerSandbox, assignment_path: Path, solution: Path, level: str, seed: int) -> Result:
    assignment = load_assignment(assignment_path).model_copy(update={"perturb": level})
    with tempfile.TemporaryDirectory() as folder:
        if solution.is_dir():
            shutil.copytree(solution, folder, dirs_exist_ok=True)
        else:
            shutil.copy(solution, folder)
        return grade(assignment, Path(folder), sandbox, perturb_seed=seed)


def _run_line(run) -> str:
    p = run.perturbation or {}
    threads = [t for t in (run.execution or {}).get("tasks", []) if t.get("kind") == "thread"]
    spans = " ".join(f"{t.get('start', 0) * 1000:.1f}-{(t.get('end') or 0) * 1000:.1f}ms" for t in threads)
    return (f"seed {p.get('seed')} {p.get('placement', 'free')} cpus={p.get('applied_cpus')} "
            f"ticker={p.get('ticker_us')}us wall={run.wall_ms}ms threads {spans}")


def _solution(program: Path, kind: str) -> Path:
    return next(p for p in sorted((program / kind).iterdir()) if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gradings", type=int, default=50, help="gradings per program and setting (default 50)")
    parser.add_argument("--level", default="light", choices=["light", "heavy"], help="perturbation level (light)")
    parser.add_argument("--programs", nargs="*", default=None, help="programs under tests/data/race (default all)")
    parser.add_argument("--seed", type=int, default=1, help="base seed: grading i uses seed*100000 + i*100")
    args = parser.parse_args(argv)
    names = args.programs or sorted(p.name for p in PROGRAMS.iterdir()
                                    if (p / "assignment.yaml").is_file() and (p / "racy").is_dir()
                                    and (p / "fixed").is_dir())
    sandbox = DockerSandbox()
    rows = []
    started = time.monotonic()
    for name in names:
        program = PROGRAMS / name
        spec = program / "assignment.yaml"
        tally: dict[str, list[Result]] = {}
        for kind, level in (("racy", "off"), ("racy", args.level), ("fixed", args.level), ("fixed", "off")):
            tally[f"{kind}/{level}"] = [
                _grade(sandbox, spec, _solution(program, kind), level, args.seed * 100000 + i * 100)
                for i in range(args.gradings)]
            if kind == "racy" and level != "off":   # what each run of a missed race had, to see why
                for result in tally[f"{kind}/{level}"]:
                    if result.tests[0].status == "passed":
                        print(f"  missed ({kind}, perturb={level}): "
                              + "; ".join(_run_line(run) for run in result.tests[0].runs), file=sys.stderr)
            print(f"  {name} {kind} perturb={level}: {args.gradings} gradings done "
                  f"({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)

        def detected(results: list[Result]) -> int:
            return sum(1 for r in results if r.tests[0].status != "passed")

        def named(results: list[Result]) -> int:
            return sum(1 for r in results if r.tests[0].status == "flaky")

        def run_ms(results: list[Result]) -> float:
            walls = [run.wall_ms for r in results for run in r.tests[0].runs]
            return statistics.mean(walls) if walls else 0.0

        off, on = tally["racy/off"], tally[f"racy/{args.level}"]
        fixed_on, fixed_off = tally[f"fixed/{args.level}"], tally["fixed/off"]
        rows.append((name, detected(off), named(off), detected(on), named(on), detected(fixed_on),
                     detected(fixed_off), run_ms(fixed_off), run_ms(fixed_on)))
        print(f"  {name}: {rows[-1][1:]}", file=sys.stderr, flush=True)
    n = args.gradings
    print(f"\nrace detection at repeat 5, {n} gradings per cell, perturbation level {args.level} "
          f"({time.monotonic() - started:.0f} s)")
    header = (f"{'program':<20} {'detected off':>13} {'named off':>10} {'detected on':>12} {'named on':>9} "
              f"{'false fail on':>14} {'false fail off':>15} {'run ms off':>11} {'run ms on':>10} {'cost':>6}")
    print(header)
    print("-" * len(header))
    for name, d_off, n_off, d_on, n_on, ff_on, ff_off, ms_off, ms_on in rows:
        cost = ms_on / ms_off if ms_off else float("nan")
        print(f"{name:<20} {d_off:>5}/{n} {100 * d_off / n:>4.0f}% {n_off:>6}/{n} {d_on:>5}/{n} {100 * d_on / n:>3.0f}% "
              f"{n_on:>5}/{n} {ff_on:>10}/{n} {ff_off:>11}/{n} {ms_off:>11.0f} {ms_on:>10.0f} {cost:>5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
