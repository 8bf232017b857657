"""A list of pids in a sentence names ten and counts the rest, in English and in Korean; the facts keep all."""

from __future__ import annotations

from exec_builder import ExecBuilder
from test_checks import check

from grader.checks.messages import param_text as check_param_text
from grader.diagnose import diagnose_run
from grader.report.i18n import diagnosis_text
from grader.result import MAX_LISTED, Message, param_text


def test_a_long_list_is_cut_at_ten_items_and_counted() -> None:
    assert param_text(list(range(12, 3012))) == "12, 13, 14, 15, 16, 17, 18, 19, 20, 21 … and 2990 more"
    assert param_text(list(range(MAX_LISTED))) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9"
    assert check_param_text(list(range(12, 3012))) == "12, 13, 14, 15, 16, 17, 18, 19, 20, 21 … and 2990 more"
    assert Message("pid {pids}", {"pids": [1, 2]}).english == "pid 1, 2"


def orphans(count: int) -> ExecBuilder:
    """The root forks `count` children and exits first: every child is adopted by pid 1."""
    b = ExecBuilder()
    kids = [b.fork(100) for _ in range(count)]
    b.exit(100)
    for kid in kids:
        b.orphan(kid)
        b.exit(kid, reaped=False)
    return b


def test_a_diagnosis_of_3000_orphans_names_ten_in_both_languages() -> None:
    b = orphans(3000)
    diagnoses = diagnose_run(b.execution, b.record())
    orphan = next(d for d in diagnoses if d.code == "orphan")
    assert len(orphan.params["pids"]) == 3000                        # the facts keep every pid
    assert "… and 2990 more" in orphan.message and len(orphan.message) < 600
    korean = diagnosis_text(orphan, "ko")
    assert korean.translated and "외 2990개" in korean.text and len(korean.text) < 600
    assert "and 2990 more" not in korean.text


def test_a_check_message_over_3000_processes_stays_short() -> None:
    b = orphans(3000)
    for kind, params in (("process.no_orphans", {}), ("process.count", {"equals": 3}),
                         ("process.reaped", {"of": "all"})):
        outcome = check(kind, **params).evaluate(b.evidence())
        assert not outcome.passed and len(outcome.message) < 600, (kind, outcome.message)
