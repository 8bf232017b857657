"""docs/checks.md: generated from the schema, current, complete, and every example in it loads."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import ClassVar, Literal

import pytest
from click.testing import CliRunner
from pydantic import Field

from grader.checks import CHECK_TYPES
from grader.checks.base import CheckBase, CheckOutcome, RunEvidence
from grader.checks.messages import TEMPLATES
from grader.spec import parse_assignment
from grader.spec.reference import (
    ASSIGNMENT_EXAMPLE,
    REGENERATE,
    check_examples,
    example_assignment,
    failure_templates,
    missing,
    render_reference,
    template_sentence,
)

DOC = Path(__file__).parents[2] / "docs" / "checks.md"


@pytest.fixture(scope="module")
def reference() -> str:
    return render_reference()


def test_the_reference_is_current(reference: str) -> None:
    written = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    if written != reference:
        diff = list(difflib.unified_diff(written.splitlines(), reference.splitlines(), "docs/checks.md",
                                         "generated", lineterm="", n=1))
        shown = "\n".join(diff[:40]) + (f"\n... and {len(diff) - 40} more diff lines" if len(diff) > 40 else "")
        pytest.fail(f"docs/checks.md is stale: run `{REGENERATE}`\n{shown}", pytrace=False)


def test_nothing_the_reference_needs_is_missing() -> None:
    assert missing() == [], "\n".join(missing())


@pytest.mark.parametrize(("kind", "item"), check_examples(), ids=[f"{k}-{i}" for i, (k, _) in
                                                                  enumerate(check_examples())])
def test_every_example_loads_through_the_real_loader(kind: str, item: str, reference: str) -> None:
    assignment = parse_assignment(example_assignment(item), source=f"example of {kind}")
    assert [c.kind for c in assignment.tests[0].checks] == [kind]
    assert item in reference


def test_the_whole_assignment_example_loads(tmp_path: Path) -> None:
    (tmp_path / "solution").mkdir()
    (tmp_path / "faulty" / "no_wait").mkdir(parents=True)
    assignment = parse_assignment(ASSIGNMENT_EXAMPLE, source="example", folder=tmp_path)
    assert assignment.limits.to_limits().timeout_ms == 5000 and len(assignment.tests[0].checks) == 4


def test_every_kind_has_a_section_with_the_messages_it_can_fail_with(reference: str) -> None:
    doc = reference
    for kind, cls in CHECK_TYPES.items():
        assert f"### `{kind}`" in doc, kind
        keys = failure_templates(cls)
        assert keys, f"{kind}: no failure message found in its code"
        for key in keys:
            assert f"- {template_sentence(key)}\n" in doc


def test_messages_built_from_two_constants_are_found() -> None:
    assert {"killed.few", "killed.few_any"} <= set(failure_templates(CHECK_TYPES["process.killed"]))
    assert {"flow.none", "flow.none_over", "flow.few_over"} <= set(failure_templates(CHECK_TYPES["ipc.flow"]))
    # no passing sentence is listed as a failure, and templates are only those of the kind's own code
    assert not {"zombies.ok", "reaped.ok"} & set(failure_templates(CHECK_TYPES["process.no_zombies"]))
    assert not any(k.startswith("flow.") for k in failure_templates(CHECK_TYPES["process.reaped"]))
    assert all(k in TEMPLATES for cls in CHECK_TYPES.values() for k in failure_templates(cls))


def test_a_sentence_fills_each_slot_with_its_simplest_clause() -> None:
    assert template_sentence("reaped.never") == "pid {pid} was never waited for by its parent pid {parent}"
    assert template_sentence("count.bad") == "expected exactly {eq} process(es), the program ran {count}"


def test_defaults_are_shown_with_their_units(reference: str) -> None:
    doc = reference
    assert "| `timeout` | duration | `10s` |" in doc
    assert "| `memory` | size (at least 4MiB) | `256MiB` |" in doc
    assert "| `output` | size | `64KiB` |" in doc


class _Undocumented(CheckBase):
    kind: Literal["test.undocumented"]
    size: int = 3
    said: int = Field(default=1, description="documented")

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        raise NotImplementedError


class _Documented(CheckBase):
    """A kind added later, with an example of its own."""

    kind: Literal["test.documented"]
    examples: ClassVar[tuple[str, ...]] = ("- test.documented: {}",)

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        raise NotImplementedError


def test_a_kind_added_later_appears_and_what_it_lacks_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    _Undocumented.__doc__ = None
    monkeypatch.setitem(CHECK_TYPES, "test.undocumented", _Undocumented)
    monkeypatch.setitem(CHECK_TYPES, "test.documented", _Documented)
    problems = missing()
    assert any("test.undocumented" in p and "no docstring" in p for p in problems), problems
    assert any("test.undocumented" in p and "no example" in p for p in problems), problems
    assert any("test.undocumented" in p and "'size' has no description" in p for p in problems), problems
    assert not any("'said'" in p or "test.documented" in p for p in problems), problems
    assert all(REGENERATE in p for p in problems)
    doc = render_reference()
    assert "### `test.undocumented`" in doc and "### `test.documented`" in doc
    assert "- test.documented: {}" in doc


def test_grader_docs_checks_writes_the_reference(tmp_path: Path) -> None:
    from grader.cli import cli

    out = tmp_path / "checks.md"
    result = CliRunner().invoke(cli, ["docs", "checks", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == render_reference()
    shown = CliRunner().invoke(cli, ["docs", "checks"])
    assert shown.exit_code == 0 and shown.output == render_reference()
