"""Benchmark: grading with runs shared between tests of one run configuration vs every test on its own.

Not a test. Two figures, each measured side by side in one run (per solution or per assignment file,
the two modes alternate which goes first, so load on this shared machine hits both alike):

1. the library's faulty solutions that hang (a run stopped at its time limit): grading time with
   sharing off (before: tests x repeat runs) and on (after: groups x repeat runs);
2. `grader validate` of the whole library (every variant's reference and faulty solutions), off and on.

Run: .venv/bin/python bench/bench_run_sharing.py [--only fork-hello pipe-message ...] [--repeat N]
It needs the Docker engine and the sandbox image. The hanging solutions are found in the validate
pass (sharing on); --skip-validate finds them with a quick pass of repeat 1 instead.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Solution:
    source: Path             # the assignment file
    variant: str | None
    path: str                # the faulty solution, relative to the assignment's folder

    @property
    def label(self) -> str:
        return f"{self.source.parent.name}/{self.path}" + (f" ({self.variant})" if self.variant else "")


def _hung(result: Any) -> bool:
    return any(run.timed_out for test in result.tests for run in test.runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="assignment folders to use (default: the whole library)")
    parser.add_argument("--repeat", type=int, default=None, help="override every assignment's repeat")
    parser.add_argument("--skip-validate", action="store_true", help="only the hanging solutions")
    args = parser.parse_args()

    from grader.api import default_sandbox
    from grader.grading import grade
    from grader.spec.loader import load_assignment
    from grader.validate import stage_submission, validate_assignment

    library = sorted((ROOT / "assignments").glob("*/assignment.yaml"))
    if args.only:
        library = [p for p in library if p.parent.name in set(args.only)]
    sandbox = default_sandbox()
    hanging: list[Solution] = []

    def watching(source: Path) -> Callable[..., Any]:
        """grade() with sharing on, noting each faulty solution that hung."""
        def graded(assignment: Any, folder: Path, box: Any, *, repeat: int | None, label: str) -> Any:
            result = grade(assignment, folder, box, repeat=repeat, label=label)
            faulty = {Path(f.path).name: f.path for f in assignment.faulty}
            if label in faulty and _hung(result):
                hanging.append(Solution(source, assignment.variant, faulty[label]))
            return result
        return graded

    validate_seconds = {"off": 0.0, "on": 0.0}
    if not args.skip_validate:
        print(f"validate, {len(library)} assignment file(s), sharing off vs on:")
        for index, path in enumerate(library):
            order = ("off", "on") if index % 2 == 0 else ("on", "off")
            took: dict[str, float] = {}
            for mode in order:
                grader_fn = functools.partial(grade, share_runs=False) if mode == "off" else watching(path)
                start = time.perf_counter()
                rows = validate_assignment(path, sandbox=sandbox, repeat=args.repeat, grade=grader_fn)
                took[mode] = time.perf_counter() - start
                validate_seconds[mode] += took[mode]
                bad = [r.solution for r in rows if not r.ok]
                if bad:
                    print(f"  note: {path.parent.name} with sharing {mode}: not ok: {', '.join(bad)}")
            print(f"  {path.parent.name:28s} off {took['off']:6.1f} s   on {took['on']:6.1f} s   "
                  f"ratio {took['off'] / max(took['on'], 1e-9):5.2f}")
    else:
        for path in library:
            spec = load_assignment(path)
            for variant in spec.resolved_variants():
                for faulty in variant.faulty:
                    with tempfile.TemporaryDirectory() as tmp:
                        folder = stage_submission(variant, variant.resolve(faulty.path), Path(tmp) / "s")
                        if _hung(grade(variant, folder, sandbox, repeat=1, label=Path(faulty.path).name)):
                            hanging.append(Solution(path, variant.variant, faulty.path))

    print(f"\nfaulty solutions that hang: {len(hanging)}")
    hang_seconds = {"off": 0.0, "on": 0.0}
    for index, solution in enumerate(hanging):
        spec = load_assignment(solution.source)
        variant = spec.for_variant(solution.variant) if solution.variant else spec
        took = {}
        runs = {}
        for mode in (("off", "on") if index % 2 == 0 else ("on", "off")):
            with tempfile.TemporaryDirectory() as tmp:
                folder = stage_submission(variant, variant.resolve(solution.path), Path(tmp) / "s")
                start = time.perf_counter()
                result = grade(variant, folder, sandbox, repeat=args.repeat, share_runs=(mode == "on"))
                took[mode] = time.perf_counter() - start
            runs[mode] = len({(t.run_id, r.index) for t in result.tests for r in t.runs})
            hang_seconds[mode] += took[mode]
        print(f"  {solution.label:52s} off {took['off']:6.1f} s ({runs['off']:2d} runs)   "
              f"on {took['on']:6.1f} s ({runs['on']:2d} runs)   ratio {took['off'] / max(took['on'], 1e-9):5.2f}")

    print()
    if hanging:
        print(f"hanging faulty solutions: off {hang_seconds['off']:.1f} s, on {hang_seconds['on']:.1f} s, "
              f"ratio off/on {hang_seconds['off'] / max(hang_seconds['on'], 1e-9):.2f}")
    if not args.skip_validate:
        print(f"validate the library:     off {validate_seconds['off']:.1f} s, on {validate_seconds['on']:.1f} s, "
              f"ratio off/on {validate_seconds['off'] / max(validate_seconds['on'], 1e-9):.2f}")


if __name__ == "__main__":
    main()
