"""`grader run` stays under 200 MiB of memory whatever the program does, on the real engine.

The hostile corpus's own programs (one-byte writes from three processes, a 3000-generation chain,
10k threads, 1.8 MB argv, a chain deeper than Python's recursion limit) are graded by a `grader run`
subprocess against assignments with generous limits (60 s, 16 MiB of output, 64 tasks; the
one-byte writer three times over, so six 16 MiB traces come back from the sandbox), and the
child's peak resident memory (wait4's ru_maxrss) is asserted. The 3000-process chain's summary,
which names pids, must stay a few KB.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.engine

REPO = Path(__file__).resolve().parents[2]
HOSTILE = REPO / "tests" / "hostile"
GRADER = Path(sys.executable).with_name("grader")
PEAK_MIB = 200
GENEROUS = "limits: {timeout: 60s, memory: 256MiB, pids: 64, output: 16MiB"


def _assignment(tmp: Path, language: str) -> Path:
    """The hostile corpus's assignment for `language` with generous limits (the traces reach their cap)."""
    src = HOSTILE / "assignments" / language
    text = (src / "assignment.yaml").read_text(encoding="utf-8")
    loose, count = re.subn(r"limits: \{timeout: [^,]+, memory: [^,]+, pids: [^,]+, output: [^,]+", GENEROUS, text)
    assert count == 1, "the hostile assignment's limits line changed: update this test"
    dest = tmp / f"assignment-{language}"
    dest.mkdir()
    (dest / "assignment.yaml").write_text(loose, encoding="utf-8")
    (dest / "solution").symlink_to(src / "solution")
    return dest


def _grader_run(tmp: Path, assignment: Path, case: str, *extra: str) -> tuple[int, float, str]:
    """(exit status, peak RSS in MiB, stdout) of one `grader run` of a hostile case's submission."""
    out = tmp / f"{case}.stdout"
    with out.open("wb") as stdout:
        proc = subprocess.Popen(
            [str(GRADER), "run", str(assignment), str(HOSTILE / "cases" / case / "submission"),
             "--json", str(tmp / f"{case}.json"), "--html", str(tmp / f"{case}.html"), *extra],
            stdout=stdout, stderr=subprocess.DEVNULL, cwd=tmp)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024, out.read_text(encoding="utf-8")


CASES = [
    ("47-one-byte-writes", "py", ("--repeat", "3")),
    ("46-deep-chain", "py", ()),
    ("48-huge-argv", "py", ()),
    ("60-chain-3000-c", "c", ()),
    ("61-ten-thousand-threads-c", "c", ()),
]


@pytest.mark.parametrize(("case", "language", "extra"), CASES, ids=[c[0] for c in CASES])
def test_grader_run_peak_memory_stays_under_200_mib(tmp_path: Path, case: str, language: str,
                                                    extra: tuple[str, ...]) -> None:
    status, peak, summary = _grader_run(tmp_path, _assignment(tmp_path, language), case, *extra)
    assert status == 1, summary            # graded (and failed), not a usage or internal error
    assert "internal error" not in summary and "Traceback" not in summary
    assert peak < PEAK_MIB, f"grader run of {case} peaked at {peak:.0f} MiB"
    assert (tmp_path / f"{case}.json").stat().st_size > 0 and (tmp_path / f"{case}.html").stat().st_size > 0
    if case in ("60-chain-3000-c", "46-deep-chain"):
        # thousands of processes: every sentence names ten pids and counts the rest
        assert len(summary.encode()) < 8 * 1024, f"the summary is {len(summary.encode())} bytes"
        assert re.search(r"… and \d+ more", summary)
