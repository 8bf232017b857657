"""Every check message is one template id with typed params; English and Korean carry the same facts."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
import test_checks
import test_checks_trace
from exec_builder import ExecBuilder
from test_checks import check
from test_checks_vacuous import evidence_of

from grader.checks.base import CheckOutcome
from grader.checks.messages import CHECK_TEMPLATES, CLAUSES, FLAT, catalog, fields_of, render, template_id

CASES = test_checks.CASES + test_checks_trace.CASES
EXTRA: list[tuple[str, dict[str, Any], str]] = [
    ("process.reaped", {}, "syntax_error"),
    ("process.no_zombies", {}, "zombie_left"),
    ("process.no_orphans", {}, "orphan_sleeper"),
    ("output.writers", {"pattern": "^hello os$", "distinct_processes": 3}, "fragments"),
    ("output.count", {"pattern": "^hello os$", "role": "children", "equals": 3}, "fragments"),
    ("thread.work", {"pattern": "^thread ", "min": 3}, "threads_stdio"),
    ("output.ids", {"pattern": "^thread pid={pid} tid={tid}$", "min": 3}, "threads_stdio"),
    ("ipc.flow", {"from": "root", "to": "children", "mechanism": "file"}, "file_exchange"),
]


def _numbers(text: str) -> Counter[str]:
    return Counter(re.findall(r"\d+(?:\.\d+)?", text))


def _outcomes() -> list[tuple[str, CheckOutcome]]:
    out = []
    for kind, params, good, bad in CASES:
        subject = check(kind, **params)
        out.append((kind, subject.evaluate(good())))
        out.append((kind, subject.evaluate(bad())))
    for kind, params, name in EXTRA:
        out.append((kind, check(kind, **params).evaluate(evidence_of(name))))
    return out


OUTCOMES = _outcomes()


@pytest.mark.parametrize(("kind", "outcome"), OUTCOMES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(OUTCOMES)])
def test_english_and_korean_carry_the_same_numbers(kind: str, outcome: CheckOutcome) -> None:
    assert outcome.template is not None and outcome.params["template"] == outcome.template, kind
    assert outcome.message == render(outcome.template, outcome.params, "en")
    korean = render(outcome.template, outcome.params, "ko")
    assert re.search("[\uac00-\ud7a3]", korean), korean
    assert _numbers(korean) == _numbers(outcome.message), (outcome.message, korean)


def test_every_flat_template_has_a_korean_sentence_with_the_same_fields() -> None:
    for key, english in FLAT.items():
        korean = catalog("ko").gettext(english)
        assert korean != english, key
        assert sorted(set(fields_of(korean))) == sorted(set(fields_of(english))), key
        assert "<" not in korean and ">" not in korean, key
    assert all(CHECK_TEMPLATES[key] == (text,) for key, text in FLAT.items())


def test_the_korean_catalog_uses_the_course_terms() -> None:
    korean = catalog("ko")
    text = " ".join(korean.gettext(t) for t in FLAT.values())
    for term in ("프로세스", "스레드", "자식 프로세스", "부모 프로세스", "좀비", "고아 프로세스", "파이프"):
        assert term in text, term


def test_slots_are_filled_by_name_and_unknown_slots_refused() -> None:
    assert template_id("reaped.never", more="some") == "reaped.never+more.some"
    assert template_id("reaped.never") == "reaped.never+more.none"
    with pytest.raises(KeyError):
        template_id("reaped.ok", more="some")
    with pytest.raises(KeyError):
        template_id("reaped.never", more="lots")
    assert all("<" not in text for text in FLAT.values())
    assert set(CLAUSES["more"]) == {"none", "some"}


def test_no_message_says_not_run() -> None:
    assert not [key for key, text in FLAT.items() if "not run" in text]


def test_ordered_says_which_line_came_first() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.say(c, "child start")
    b.say(c, "child done")
    b.say(100, "parent start")
    b.exit(c)
    b.exit(100)
    outcome = check("output.ordered", patterns=["^parent start", "^child done"]).evaluate(b.evidence())
    assert outcome.message == ("line 2 'child done' (/^child done/) came before line 3 'parent start' "
                               "(/^parent start/); they must appear the other way round")
    missing = check("output.ordered", patterns=["^parent start", "^bye"]).evaluate(b.evidence())
    assert missing.message == "no line matching /^bye/ comes after line 3 'parent start' (/^parent start/)"


def test_each_failed_check_names_the_facts() -> None:
    b = ExecBuilder()
    c1, c2 = b.fork(100), b.fork(100)
    b.exit(c1, reaped=False)
    b.exit(c2, reaped=False)
    b.exit(100)
    run = b.evidence()
    assert check("process.reaped").evaluate(run).message == \
        f"pid {c1} was never waited for by its parent pid 100 (and 1 more)"
    assert check("process.count", equals=2).evaluate(run).message == "expected exactly 2 process(es), the program ran 3"
    assert check("process.children", min=3).evaluate(run).message == \
        "expected pid 100 (root) to have at least 3 child process(es), it had 2"
