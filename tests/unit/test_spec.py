"""Assignment files: a valid file with every check kind, broken files naming file:line:field, the JSON Schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from grader.checks import CHECK_TYPES
from grader.errors import SpecError
from grader.spec import load_assignment, parse_assignment
from grader.spec.jsonschema import SCHEMA_PATH, assignment_json_schema

DATA = Path(__file__).parents[1] / "data" / "specs"
BROKEN = sorted((DATA / "broken").glob("*.yaml"))
VALID = DATA / "valid" / "every-check" / "assignment.yaml"


def _expectation(path: Path) -> tuple[int, str, str]:
    head = dict(re.findall(r"^# expect-(\w+): ?(.*)$", path.read_text(encoding="utf-8"), re.MULTILINE))
    return int(head["line"]), head["field"], head["message"]


def test_there_are_at_least_twenty_broken_files() -> None:
    assert len(BROKEN) >= 20


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_file_names_file_line_and_field(path: Path) -> None:
    line, field, fragment = _expectation(path)
    with pytest.raises(SpecError) as caught:
        load_assignment(path)
    where = f"{path}:{line}: {field}: " if field else f"{path}:{line}: "
    matching = [p for p in caught.value.problems if p.startswith(where)]
    assert matching, f"no problem starts with {where!r}: {caught.value.problems}"
    assert any(fragment in p for p in matching), caught.value.problems
    assert caught.value.exit_code == 2


def test_valid_file_uses_every_check_kind() -> None:
    assignment = load_assignment(VALID)
    kinds = {c.kind for t in assignment.tests for c in t.checks}
    assert kinds == set(CHECK_TYPES)


def test_limits_and_requests_are_derived_per_test() -> None:
    assignment = load_assignment(VALID.parent)
    limits = assignment.limits.to_limits()
    assert (limits.timeout_ms, limits.memory_bytes, limits.output_bytes, limits.pids) == (5000, 128 * 2**20, 65536, 64)
    first, second, _, fourth = assignment.requests()
    assert first.command == ("/usr/bin/python3", "hello.py") and first.repeat == 3 and first.stdout_mode == "pipe"
    assert second.repeat == 5 and second.stdout_mode == "pty" and second.stdin == b"3\n"
    assert fourth.command[-1] == "--ipc"
    assert all(r.repeat == 7 for r in assignment.requests(repeat=7))
    assert assignment.resolve(assignment.reference or "").is_file()
    assert assignment.max_score == 10


def test_shorthand_and_long_forms_are_the_same_check() -> None:
    short = "id: a\ntitle: t\nlanguage: c\nfiles: [a.c]\nrun: [./a]\ntests: [{name: x, checks: [{process.reaped: all}]}]"
    long = short.replace("{process.reaped: all}", "{process.reaped: {of: all}}")
    assert parse_assignment(short).tests[0].checks == parse_assignment(long).tests[0].checks


def test_every_problem_is_reported_at_once() -> None:
    text = VALID.read_text().replace("equals: 3, weight", "equals: many, weight").replace("repeat: 3", "repeat: -1")
    with pytest.raises(SpecError) as caught:
        parse_assignment(text, source="a.yaml", folder=VALID.parent)
    assert len(caught.value.problems) == 2
    assert caught.value.problems[0].startswith("a.yaml:10: repeat:")


def test_json_schema_file_is_current_and_describes_yaml_checks() -> None:
    schema = assignment_json_schema()
    assert json.loads(SCHEMA_PATH.read_text(encoding="utf-8")) == schema, "run grader.spec.jsonschema.write_json_schema()"
    variants = schema["$defs"]["TestSpec"]["properties"]["checks"]["items"]["oneOf"]
    assert {next(iter(v["properties"])) for v in variants} == set(CHECK_TYPES)
    assert "kind" not in schema["$defs"]["OutputCount"]["properties"]


def test_unreadable_file_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        load_assignment(tmp_path / "nope.yaml")


@pytest.mark.parametrize("path", sorted(Path(__file__).parents[2].glob("assignments/*/assignment.yaml")),
                         ids=lambda p: p.parent.name)
def test_shipped_assignments_load(path: Path) -> None:
    load_assignment(path)


def test_a_test_may_carry_its_korean_name() -> None:
    text = ("id: a\ntitle: t\ntitle_ko: 가\nlanguage: c\nfiles: [a.c]\nrun: [./a]\n"
            "tests: [{name: x, name_ko: 세 프로세스, checks: [{process.reaped: all}]}]")
    assignment = parse_assignment(text)
    assert assignment.title_ko == "가" and assignment.tests[0].name_ko == "세 프로세스"
