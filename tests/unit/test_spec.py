"""Assignment files: a valid file with every check kind, broken files naming file:line:field and the fix, the JSON Schema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from grader.checks import CHECK_TYPES
from grader.checks.params import format_duration, format_size, parse_duration_ms, parse_signal, parse_size_bytes
from grader.errors import SpecError
from grader.spec import LimitsSpec, load_assignment, parse_assignment
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


# ----- what an author gets told: each load error keeps file, line and field, and says the fix

BASE = "id: a\ntitle: t\nlanguage: c\nfiles: [a.c]\nrun: [./a]\n{top}tests:\n  - name: x\n    checks:\n{checks}"


def _problems(checks: str, top: str = "") -> list[str]:
    with pytest.raises(SpecError) as caught:
        parse_assignment(BASE.format(top=top, checks=checks), source="a.yaml")
    return caught.value.problems


@pytest.mark.parametrize(("checks", "top", "where", "fix"), [
    # a bare number for a duration is refused: 10000 would be 10000 seconds to one author, 10 s to another
    ("      - process.reaped: all\n", "limits: {timeout: 10000}\n", "a.yaml:6: limits.timeout:",
     "write '10000ms' (= 10s) or '10000s'"),
    ("      - resource.time: 2\n", "", "a.yaml:9: tests[0].checks[0].resource.time.max:", "write '2s' or '2ms'"),
    ("      - resource.time: 5 sec\n", "", "a.yaml:9: tests[0].checks[0].resource.time.max:", "write '5s'"),
    ("      - process.reaped: all\n", "limits: {memory: 256}\n", "a.yaml:6: limits.memory:",
     "a bare number is bytes: write '256MiB'"),
    ("      - process.reaped: all\n", "limits: {output: 64kib}\n", "a.yaml:6: limits.output:", "write '64KiB'"),
    # a check item that is not `kind: {parameters}`
    ("      - process.no_zombies\n", "", "a.yaml:9: tests[0].checks[0]:", "write `- process.no_zombies: {}`"),
    ("      - output.count\n", "", "a.yaml:9: tests[0].checks[0]:", "write `- output.count: {pattern: ...}`"),
    ("      - process.no_zombis\n", "", "a.yaml:9: tests[0].checks[0]:", "did you mean 'process.no_zombies'?"),
    ("      - {kind: output.count, pattern: x, equals: 2}\n", "", "a.yaml:9: tests[0].checks[0]:",
     "write the kind as the key: `- output.count: {pattern: x, equals: 2}`"),
    ("      - output.count:{pattern: x}\n", "", "a.yaml:9:", "put a space after the colon"),
    ("      - output.writers: '^x'\n", "", "a.yaml:9: tests[0].checks[0].output.writers:",
     "write `- output.writers: {pattern: ...}`"),
    # the old asserting `role` of output.writers says what to write instead
    ("      - output.writers: {pattern: '^done', role: root}\n", "", "a.yaml:9: tests[0].checks[0].output.writers:",
     "write `written_by: root` instead of `role: root`"),
    # nearest choices
    ("      - output.contains: {text: x, stream: sdout}\n", "", "a.yaml:9: tests[0].checks[0].output.contains.stream:",
     "did you mean 'stdout'?"),
    ("      - process.exit_code: {role: parent}\n", "", "a.yaml:9: tests[0].checks[0].process.exit_code.role:",
     "did you mean 'root'?"),
    ("      - process.killed: {role: child1}\n", "", "a.yaml:9: tests[0].checks[0].process.killed.role:",
     "write 'child[1]'"),
    ("      - process.reaped: chidlren\n", "", "a.yaml:9: tests[0].checks[0].process.reaped.of:",
     "did you mean 'children'?"),
    ("      - process.killed: {signal: SIGSEGF}\n", "", "a.yaml:9: tests[0].checks[0].process.killed.signal:",
     "did you mean 'SIGSEGV'?"),
    ("      - process.killed: {signal: 99}\n", "", "a.yaml:9: tests[0].checks[0].process.killed.signal:",
     "its Linux number from 1 to 64"),
    ("      - output.count: {pattern: x, equals: 1, rol: root}\n", "",
     "a.yaml:9: tests[0].checks[0].output.count.rol:", "did you mean 'role'?"),
])
def test_a_load_error_names_the_place_and_the_fix(checks: str, top: str, where: str, fix: str) -> None:
    problems = _problems(checks, top)
    assert any(p.startswith(where) and fix in p for p in problems), problems


def test_durations_are_read_with_their_units_only() -> None:
    text = BASE.format(top="limits: {timeout: 1500ms}\n", checks="      - resource.time: {max: 2m}\n")
    assignment = parse_assignment(text)
    assert assignment.limits.to_limits().timeout_ms == 1500
    assert assignment.tests[0].checks[0].max == 120_000    # type: ignore[union-attr]
    assert LimitsSpec().to_limits().timeout_ms == 10_000    # the default, written '10s'


@pytest.mark.parametrize("written", [11, "11", "SIGSEGV", "SEGV", "segv", "sigsegv"])
def test_a_signal_is_a_name_or_its_number(written: object) -> None:
    text = BASE.format(top="", checks=f"      - process.killed: {{signal: {written}}}\n")
    assert parse_assignment(text).tests[0].checks[0].signal == "SIGSEGV"    # type: ignore[union-attr]


def test_signal_aliases_become_the_name_the_trace_shows() -> None:
    assert [parse_signal(v) for v in (6, "SIGIOT", "abrt", 9, "kill", 15)] == [
        "SIGABRT", "SIGABRT", "SIGABRT", "SIGKILL", "SIGKILL", "SIGTERM"]
    # real-time signals by the name strace prints (signal 32 + n is SIGRT_n; C's SIGRTMIN is 34)
    assert [parse_signal(v) for v in (35, "SIGRTMIN+1", "rtmin+1", "SIGRT_3", "SIGRTMAX", 32)] == [
        "SIGRT_3", "SIGRT_3", "SIGRT_3", "SIGRT_3", "SIGRT_32", "SIGRT_0"]
    for bad in (0, 65, True, "SIGFOO", "", "SIGRTMAX+1", 1.5):
        with pytest.raises(ValueError):
            parse_signal(bad)


def test_output_writers_written_by_is_the_asserting_form() -> None:
    text = BASE.format(top="", checks="      - output.writers: {pattern: '^done', written_by: root}\n")
    check = parse_assignment(text).tests[0].checks[0]
    assert check.written_by == "root" and "role" not in type(check).model_fields    # type: ignore[union-attr]


def test_the_json_schema_shows_durations_and_sizes_with_units() -> None:
    limits = assignment_json_schema()["$defs"]["LimitsSpec"]["properties"]
    assert limits["timeout"]["default"] == "10s" and limits["timeout"]["type"] == "string"
    assert (limits["memory"]["default"], limits["output"]["default"]) == ("256MiB", "64KiB")
    assert all(prop.get("description") for prop in limits.values())


def test_units_round_trip() -> None:
    assert [format_duration(v) for v in (10_000, 1500, 120_000, 90_000)] == ["10s", "1500ms", "2m", "90s"]
    assert [format_size(v) for v in (256 * 2**20, 65536, 1000, 2**30)] == ["256MiB", "64KiB", "1000B", "1GiB"]
    for ms in (1, 999, 1000, 59_999, 60_000, 3_600_000):
        assert parse_duration_ms(format_duration(ms)) == ms
    for size in (1, 1023, 1024, 5 * 2**20, 3 * 2**30):
        assert parse_size_bytes(format_size(size)) == size


def test_a_key_yaml_would_read_as_a_boolean_is_the_word_written() -> None:
    problems = _problems("      - process.reaped: all\n", "limits: {on: 5s, yes: 1}\n")
    assert any("limits.on: unknown key 'on'" in p for p in problems), problems
    assert any("limits.yes: unknown key 'yes'" in p for p in problems), problems
