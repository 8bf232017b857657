"""The shipped assignment library, validated against the real Docker engine.

Every reference solution must score full marks in every repeat, and every faulty
solution must fail exactly the checks it declares. This is the same proof
`grader validate` gives a course's CI.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from grader.validate import ValidationRow, to_table, validate

pytestmark = [pytest.mark.engine, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted((ROOT / "assignments").glob("*/assignment.yaml"))


@pytest.fixture(scope="module")
def rows(docker_sandbox) -> dict[str, list[ValidationRow]]:
    started = time.monotonic()
    found: dict[str, list[ValidationRow]] = {}
    for row in validate(LIBRARY, sandbox=docker_sandbox, jobs=2):
        found.setdefault(Path(row.source).parent.name, []).append(row)
    elapsed = time.monotonic() - started
    print(f"\nvalidated {len(LIBRARY)} assignments in {elapsed:.0f} s")
    return found


def test_library_is_not_empty() -> None:
    assert len(LIBRARY) >= 13


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.parent.name)
def test_assignment_validates(rows: dict[str, list[ValidationRow]], path: Path) -> None:
    mine = rows[path.parent.name]
    assert [r.role for r in mine][:2] == ["schema", "reference"]
    assert all(r.ok for r in mine), "\n" + to_table(mine)
