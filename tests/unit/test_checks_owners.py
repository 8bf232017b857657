"""A line is credited to a process only when that process wrote all of it (issue 18.1, 18.2).

`role` means one thing in every check about lines: the lines one task of the role wrote entirely.
"""

from __future__ import annotations

from exec_builder import ExecBuilder
from test_checks import check
from test_checks_vacuous import evidence_of

from grader.checks.base import RunEvidence
from grader.trace.model import OutputLine


def test_fragments_of_one_line_from_three_processes_count_for_none() -> None:
    run = evidence_of("fragments")              # parent: two whole lines; three children: 'hel', 'lo ', 'os\n'
    outcome = check("output.writers", pattern="^hello os$", distinct_processes=3).evaluate(run)
    assert not outcome.passed
    assert outcome.message == ("expected lines matching /^hello os$/ from 3 distinct processes, but they came "
                               "from 1: pid 14; line 3 was assembled from writes by pids 15, 16, 17, so it counts "
                               "for none of them")
    by_children = check("output.count", pattern="^hello os$", role="children", equals=1).evaluate(run)
    assert not by_children.passed and "found 0" in by_children.message
    assert any("mixed: pid 15 and pid 16 and pid 17" in line for e in outcome.evidence for line in e.lines)


def test_lines_the_parent_spliced_are_the_parents() -> None:
    run = evidence_of("splice_hello")           # parent splices all three lines, children write only '\n'
    outcome = check("output.writers", pattern="^hello os$", distinct_processes=3).evaluate(run)
    assert not outcome.passed
    assert outcome.message.endswith("but they came from 1: pid 14")


def _run(lines: list[OutputLine]) -> RunEvidence:
    b = ExecBuilder()
    c1, c2 = b.fork(100), b.fork(100)
    b.exit(c1)
    b.exit(c2)
    b.exit(100)
    evidence = b.evidence()
    return RunEvidence(evidence.execution, lines, [], evidence.record)


def _line(text: str, *writers: int, unknown: int = 0) -> OutputLine:
    return OutputLine(text=text.encode(), writers=list(writers), processes=list(writers), time=0.1,
                      unknown_bytes=unknown)


def test_a_line_from_two_processes_is_named_with_both() -> None:
    run = _run([_line("hello os", 101), _line("hello os", 101, 102), _line("hello os", 100)])
    outcome = check("output.writers", pattern="hello", distinct_processes=3).evaluate(run)
    assert not outcome.passed
    assert "line 2 was assembled from writes by pid 101 and pid 102, so it counts for neither" in outcome.message


def test_bytes_no_traced_call_wrote_make_a_line_nobodys() -> None:
    run = _run([_line("hello os", 100, unknown=8), _line("hello os", 101), _line("hello os", 102)])
    outcome = check("output.writers", pattern="hello", distinct_processes=3).evaluate(run)
    assert not outcome.passed
    assert "bytes of line 1 were written by no traced call, so it counts for no process" in outcome.message
    role = check("output.writers", pattern="hello", written_by="root").evaluate(run)
    assert not role.passed and "bytes of line 1 were written by no traced call" in role.message


def test_ids_on_a_mixed_or_unknown_line_fail_and_say_why() -> None:
    run = _run([_line("child 101 of 100", 101, 102), _line("child 102 of 100", 102, unknown=3)])
    outcome = check("output.ids", pattern="child {pid} of {ppid}", min=2).evaluate(run)
    assert not outcome.passed
    assert outcome.message == ("line 1 'child 101 of 100' was assembled from writes by pid 101 and pid 102, so "
                               "its ids cannot be tied to one process (and 1 more)")


def test_role_filters_lines_by_owner_everywhere() -> None:
    run = _run([_line("start", 101), _line("start", 100, 101), _line("done", 100)])
    # the mixed 'start' line is neither the root's nor a child's
    assert check("output.count", pattern="^start$", role="root", equals=0).evaluate(run).passed
    assert check("output.count", pattern="^start$", role="children", equals=1).evaluate(run).passed
    assert check("output.count", pattern="^start$", equals=2).evaluate(run).passed
    values = check("output.values", captures={"s": {"pattern": "^{word:start}$", "role": "root"}},
                   expect=["count(s) == 0"], require=False).evaluate(run)
    assert values.passed, values.message
    before = check("output.happens_before", before={"pattern": "^start", "role": "root"},
                   after={"pattern": "^done", "role": "root"}).evaluate(run)
    assert not before.passed
    assert before.message == ("no line /^start/ from root was printed; line 2 was assembled from writes by pid 100 "
                              "and pid 101, so it counts for neither")
    order = check("output.process_order", patterns=["^start", "^done"], require_all=False).evaluate(run)
    assert order.passed and order.params["count"] == 2


def test_writers_role_needs_the_role_to_have_written_a_line() -> None:
    run = _run([_line("parent got: x", 101)])
    outcome = check("output.writers", pattern="^parent got:", written_by="root").evaluate(run)
    assert not outcome.passed
    assert outcome.message == "expected at least 1 line(s) matching /^parent got:/ written by root, found 0"
    shared = check("output.writers", pattern="^parent got:", written_by="children", exclusive=False)
    assert shared.evaluate(_run([_line("parent got: x", 101), _line("parent got: y", 100)])).passed
