"""Bindings of printed values to trace facts (output.values + grader.checks.expr): each form passes on a
run where the printed value is what the trace shows, and fails, naming both, where it is not.

Runs are real recorded traces (tests/data/traces/<scenario>) where one exists, with a "lying" copy made by
changing only the printed text (the trace, writers and attribution stay as recorded); the others are
hand-built with ExecBuilder.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from exec_builder import ExecBuilder
from hypothesis import given, settings
from hypothesis import strategies as st
from test_checks import check
from test_checks_vacuous import evidence_of
from trace_fixtures import load

from grader.checks.base import CheckOutcome, RunEvidence
from grader.checks.captures import capture_regex, capture_values
from grader.checks.expr import ExprError, compile_expression, parse
from grader.checks.messages import render
from grader.errors import SpecError
from grader.sandbox.records import RunRecord
from grader.spec.loader import load_assignment
from grader.trace import output_lines


def recorded(name: str, lie: dict[str, str] | None = None) -> RunEvidence:
    """A recorded run; `lie` replaces printed text (old -> new) without touching the trace or the writers."""
    fixture = load(name)
    execution = fixture.parse()
    lines = output_lines(execution, fixture.stdout, stream="stdout")
    if lie:
        swapped = []
        for line in lines:
            text = line.text.decode()
            for old, new in lie.items():
                text = text.replace(old, new)
            swapped.append(replace(line, text=text.encode()))
        lines = swapped
    record = RunRecord(name=name, repeat_index=0, command=["prog"], stdout=fixture.stdout, stderr=b"",
                       exit_code=0, signal=None, wall_ms=10)
    return RunEvidence(execution, lines, [], record)


def values(captures: dict[str, Any], *expect: str, **extra: Any) -> Any:
    return check("output.values", captures=captures, expect=list(expect), **extra)


def korean_has_same_numbers(outcome: CheckOutcome) -> None:
    assert outcome.template is not None
    korean = render(outcome.template, outcome.params, "ko")
    assert re.search("[\uac00-\ud7a3]", korean), korean
    assert sorted(re.findall(r"\d+", korean)) == sorted(re.findall(r"\d+", outcome.message)), (outcome.message, korean)


# ----------------------------------------------------------------------------- the writer and its parent
CHAIN = {"c": {"pattern": "^depth {depth} pid {p} ppid {pp}$"}}


def test_the_writer_and_its_parent_on_a_recorded_chain() -> None:
    subject = values(CHAIN, "c.p == c.writer.pid", "c.pp == c.writer.parent.pid or c.writer == root",
                     "c.writer == root or c.pp == c.writer.parent.pid",
                     "count(c) == 4")
    ok = subject.evaluate(recorded("fork_chain_py"))
    assert ok.passed, ok.message


def test_a_made_up_parent_pid_fails_naming_the_real_parent() -> None:
    outcome = values(CHAIN, "c.writer == root or c.pp == c.writer.parent.pid").evaluate(
        recorded("fork_chain_py", {"pid 19 ppid 18": "pid 19 ppid 17"}))
    assert not outcome.passed
    assert outcome.message == ("line 2 'depth 2 pid 19 ppid 17': c.writer == root or c.pp == c.writer.parent.pid "
                               "does not hold with c.pp = 17, but the trace shows the parent of pid 19 is pid 18")
    korean_has_same_numbers(outcome)


def test_a_pid_printed_by_another_process_fails_naming_the_writer() -> None:
    outcome = values(CHAIN, "c.p == c.writer.pid").evaluate(recorded("fork_chain_py", {"pid 20 ": "pid 19 "}))
    assert not outcome.passed
    assert outcome.message.endswith("with c.p = 19, but the trace shows the line was written by pid 20")


def test_the_root_has_no_parent_in_the_run() -> None:
    outcome = values(CHAIN, "c.pp == c.writer.parent.pid").evaluate(recorded("fork_chain_py"))
    assert not outcome.passed and outcome.template.startswith("bind.noparent")
    assert outcome.message == ("line 4 'depth 0 pid 17 ppid 13': c.pp == c.writer.parent.pid needs the parent of "
                               "pid 17, but pid 17 was started from outside the traced run")
    korean_has_same_numbers(outcome)


# ----------------------------------------------------------------------------- children, exit status, signal
def waited(statuses: list[int], printed: list[int] | None = None, *, stranger: bool = False) -> RunEvidence:
    """The root forks len(statuses) children, waits for each and prints 'child <pid> exited with status <s>'."""
    b = ExecBuilder()
    kids = [b.fork(100) for _ in statuses]
    for kid, status in zip(kids, statuses, strict=True):
        b.exit(kid, status)
    for i, kid in enumerate(kids):
        shown = printed[i] if printed else statuses[i]
        b.say(100, f"child {kid + 50 if stranger and i == 0 else kid} exited with status {shown}")
    b.exit(100)
    return b.evidence()


STATUS = {"st": {"pattern": "^child {c} exited with status {code}$", "role": "root"}}
STATUS_EXPECT = ("st.c in st.writer.children.pid", "proc(st.c).exit_status == st.code", "count(st) == 2")


def test_a_parent_reports_each_childs_real_exit_status() -> None:
    ok = values(STATUS, *STATUS_EXPECT).evaluate(waited([0, 3]))
    assert ok.passed, ok.message


def test_a_wrong_exit_status_names_what_the_trace_shows() -> None:
    outcome = values(STATUS, *STATUS_EXPECT).evaluate(waited([0, 3], [3, 3]))
    assert not outcome.passed
    assert outcome.message == ("line 1 'child 101 exited with status 3': proc(st.c).exit_status == st.code does "
                               "not hold with st.c = 101, st.code = 3, but the trace shows pid 101 exited with "
                               "status 0")
    korean_has_same_numbers(outcome)
    assert any("pid 101" in line for e in outcome.evidence for line in e.lines)


def test_a_pid_that_is_not_a_child_fails_listing_the_children() -> None:
    outcome = values(STATUS, *STATUS_EXPECT).evaluate(waited([0, 3], stranger=True))
    assert not outcome.passed
    assert outcome.message == ("line 1 'child 151 exited with status 0': st.c in st.writer.children.pid does not "
                               "hold with st.c = 151, but the trace shows the child processes of pid 100 are pids "
                               "101, 102")


def test_a_pid_the_run_never_had_is_named() -> None:
    outcome = values(STATUS, "proc(st.c).exit_status == st.code").evaluate(waited([0, 3], stranger=True))
    assert not outcome.passed
    assert outcome.message == ("line 1 'child 151 exited with status 0': proc(st.c).exit_status == st.code names "
                               "pid 151, but the trace has no process 151")
    korean_has_same_numbers(outcome)


def test_a_signal_number_printed_by_a_recorded_c_parent() -> None:
    killed = {"k": {"pattern": "^child killed by signal {sig}$", "role": "root"}}
    subject = values(killed, "k.sig == k.writer.children[0].signo", "root.children[0].signal == 'SIGSEGV'")
    ok = subject.evaluate(recorded("segv_c"))
    assert ok.passed, ok.message
    outcome = subject.evaluate(recorded("segv_c", {"signal 11": "signal 9"}))
    assert not outcome.passed
    assert re.fullmatch(r"line 1 'child killed by signal 9': k.sig == k.writer.children\[0\].signo does not hold "
                        r"with k.sig = 9, but the trace shows pid \d+ was killed by SIGSEGV", outcome.message)
    korean_has_same_numbers(outcome)


def test_a_python_parent_reports_sigterm() -> None:
    caught = {"k": {"pattern": "^child signalled {flag:True|False} {sig}$", "role": "root"}}
    subject = values(caught, "k.flag == 'True'", "k.sig == k.writer.reaped[0].signo")
    assert subject.evaluate(recorded("kill_child_py")).passed
    assert not subject.evaluate(recorded("kill_child_py", {"True 15": "True 9"})).passed


def test_multiprocessing_exitcode_is_minus_the_signal() -> None:
    b = ExecBuilder()
    ok_child, crash = b.fork(100), b.fork(100)
    b.exit(ok_child, 0)
    b.kill(crash, "SIGABRT")
    b.say(100, f"worker {ok_child}: {0}", f"worker {crash}: {-6}")
    b.exit(100)
    caps = {"w": {"pattern": "^worker {p}: {code}$", "role": "root"}}
    assert values(caps, "proc(w.p).py_exitcode == w.code").evaluate(b.evidence()).passed
    outcome = values(caps, "proc(w.p).exit_status == w.code").evaluate(b.evidence())
    assert not outcome.passed and outcome.message.endswith(f"but the trace shows pid {crash} was killed by SIGABRT")


# ----------------------------------------------------------------------------- the first process, any process
def my_parent(printed: int | None = None) -> RunEvidence:
    b = ExecBuilder()
    kid = b.fork(100)
    b.say(kid, f"my parent is {printed or 100} (the first process)")
    b.exit(kid)
    b.exit(100)
    return b.evidence()


def test_my_parent_is_the_first_process() -> None:
    caps = {"m": {"pattern": r"^my parent is {pp} \(the first process\)$"}}
    subject = values(caps, "m.pp == root.pid", "m.pp in procs.pid")
    assert subject.evaluate(my_parent()).passed
    outcome = subject.evaluate(my_parent(99))
    assert not outcome.passed
    assert outcome.message.endswith("with m.pp = 99, but the trace shows the first process is pid 100")
    procs = values(caps, "m.pp in procs.pid").evaluate(my_parent(99))
    assert procs.message.endswith("with m.pp = 99, but the trace shows the run's processes are pids 100, 101")


# ----------------------------------------------------------------------------- reap order, line order
def reaper(first: int, second: int, *, swap: bool = False) -> RunEvidence:
    b = ExecBuilder()
    a, c = b.fork(100), b.fork(100)
    for kid in (c, a) if swap else (a, c):
        b.exit(kid)
    b.say(100, f"reaped {first if first else a} then {second if second else c}")
    b.exit(100)
    return b.evidence()


def test_reap_order_is_the_order_the_trace_shows() -> None:
    caps = {"r": {"pattern": "^reaped {a} then {b}$", "role": "root"}}
    subject = values(caps, "[r.a, r.b] == r.writer.reaped.pid", "[r.a, r.b] == reaped_by(root).pid")
    assert subject.evaluate(reaper(0, 0)).passed
    outcome = subject.evaluate(reaper(0, 0, swap=True))
    assert not outcome.passed
    assert outcome.message == ("line 1 'reaped 101 then 102': [r.a, r.b] == r.writer.reaped.pid does not hold "
                               "with r.a = 101, r.b = 102, but the trace shows pid 100 waited for pids 102, 101, "
                               "in that order")
    korean_has_same_numbers(outcome)


def test_line_order_between_two_captures() -> None:
    b = ExecBuilder()
    kid = b.fork(100)
    b.say(kid, "start 1")
    b.say(100, "stop 1")
    b.exit(kid)
    b.exit(100)
    caps = {"s": {"pattern": "^start {n}$"}, "e": {"pattern": "^stop {n}$"}}
    assert values(caps, "s.line < e.line", "s.n == e.n").evaluate(b.evidence()).passed
    outcome = values(caps, "e.line < s.line").evaluate(b.evidence())
    assert not outcome.passed
    assert outcome.message == "line 2 'stop 1': e.line < s.line does not hold with e.line = 2, s.line = 1"


# ----------------------------------------------------------------------------- arithmetic, aggregates
def total(n: int) -> RunEvidence:
    b = ExecBuilder()
    b.say(100, f"total={n}")
    b.exit(100)
    return b.evidence()


def test_arithmetic_in_an_expectation() -> None:
    caps = {"total": {"pattern": "^total={n}$"}}
    subject = values(caps, "last(total.n) == 4 * 100000", "total.n // 1000 % 10 == 0", "-total.n < 0")
    assert subject.evaluate(total(400000)).passed
    outcome = subject.evaluate(total(399999))
    assert not outcome.passed
    assert outcome.message == ("last(total.n) == 4 * 100000 does not hold with last(total.n) = 399999, "
                               "4 * 100000 = 400000")
    korean_has_same_numbers(outcome)


def test_the_old_syntax_still_means_what_it_meant() -> None:
    b = ExecBuilder()
    kids = [b.fork(100) for _ in range(3)]
    for kid in kids:
        b.say(kid, f"child x=1 pid={kid}")
        b.exit(kid)
    b.say(100, "total=3")
    b.exit(100)
    caps = {"child": {"pattern": "child x={x} pid={p}", "role": "children"}, "t": {"pattern": "total={n}"}}
    subject = values(caps, "child.x == 1", "count(child) >= 2", "last(t.n) == 3", "distinct(child.p) == 3",
                     "sum(child.x) == last(t.n)", "min(child.p) < max(child.p)", "first(child.x) == 1")
    assert subject.evaluate(b.evidence()).passed
    assert not values(caps, "distinct(child.p) == 1").evaluate(b.evidence()).passed


# ----------------------------------------------------------------------------- repeated and optional placeholders
def test_a_placeholder_may_appear_in_either_order() -> None:
    pattern = "^(?:pid={pid} tid={tid}|tid={tid} pid={pid})$"
    regex = capture_regex(pattern)
    for text in ("pid=5 tid=7", "tid=7 pid=5"):
        match = regex.search(text)
        assert match is not None and capture_values(match) == {"pid": 5, "tid": 7}
    same = capture_regex("^{x} and {x}$")
    assert capture_values(same.search("3 and 3")) == {"x": 3}   # type: ignore[arg-type]
    assert capture_values(same.search("3 and 4")) is None        # type: ignore[arg-type]
    b = ExecBuilder()
    t = b.thread(100)
    b.say(100, "pid=100 tid=100")
    b.say(t, f"tid={t} pid=100")
    caps = {"ids": {"pattern": pattern}}
    subject = values(caps, "ids.pid == ids.writer.pid", "ids.tid == ids.thread.tid", "count(ids) == 2")
    ok = subject.evaluate(b.evidence())
    assert ok.passed, ok.message
    b.say(t, "tid=100 pid=100")   # placeholders named pid/ppid/tid are also checked as output.ids checks them
    outcome = values(caps, "ids.tid == ids.thread.tid").evaluate(b.evidence())
    assert not outcome.passed and outcome.message.endswith(f"says tid 100, but it was written by thread {t}")
    other = values({"ids": {"pattern": "^(?:pid={p} tid={t}|tid={t} pid={p})$"}}, "ids.t == ids.thread.tid")
    outcome = other.evaluate(b.evidence())
    assert not outcome.passed and outcome.message.endswith(f"but the trace shows the line was written by thread {t}")


def test_an_optional_placeholder_is_judged_where_it_was_printed() -> None:
    b = ExecBuilder()
    kid = b.fork(100)
    b.exit(kid, 4)
    b.say(100, f"child {kid} started", f"child {kid} ended with {4}")
    b.exit(100)
    caps = {"c": {"pattern": "^child {p} (?:started|ended with {code})$", "role": "root"}}
    subject = values(caps, "proc(c.p).exit_status == c.code", "count(c) == 2", "count(c.code) == 1")
    assert subject.evaluate(b.evidence()).passed
    nothing = values({"c": {"pattern": "^child {p} (?:started|ended with {code})$", "role": "root"}},
                     "c.code == 9").evaluate(_started_only())
    assert not nothing.passed and nothing.template == "values.nothing"


def _started_only() -> RunEvidence:
    b = ExecBuilder()
    kid = b.fork(100)
    b.say(100, f"child {kid} started")
    b.exit(kid)
    b.exit(100)
    return b.evidence()


# ----------------------------------------------------------------------------- the last line of a role
def finale(last: str) -> RunEvidence:
    b = ExecBuilder()
    kid = b.fork(100)
    b.say(100, "all 2 done" if last != "all 2 done" else "starting")
    b.say(kid, "working")
    b.exit(kid)
    b.say(100, last)
    b.exit(100)
    return b.evidence()


def test_the_last_line_of_a_role() -> None:
    caps = {"end": {"pattern": "^all {n} done$", "role": "root", "line": "last"}}
    subject = values(caps, "end.n == len(procs)", "count(end) == 1")
    assert subject.evaluate(finale("all 2 done")).passed
    outcome = subject.evaluate(finale("bye"))
    assert not outcome.passed
    assert outcome.message == "the last line from root is line 3 'bye', not a line like '^all {n} done$' (end)"
    korean_has_same_numbers(outcome)
    first = values({"s": {"pattern": "^all {n} done$", "role": "root", "line": "first"}}, "s.n == 2")
    assert first.evaluate(finale("bye")).passed


# ----------------------------------------------------------------------------- lines no one process wrote
def test_a_mixed_line_cannot_be_bound_to_a_writer() -> None:
    b = ExecBuilder()
    kid = b.fork(100)
    b.write(100, f"child {kid} ")
    b.write(kid, "exited\n")
    b.exit(kid)
    b.exit(100)
    evidence = b.evidence()
    lines = [replace(evidence.stdout[0], text=f"child {kid} exited".encode(), writers=[100, kid],
                     processes=[100, kid])]
    mixed = RunEvidence(evidence.execution, lines, [], evidence.record)
    outcome = values({"c": {"pattern": "^child {p} exited$"}}, "c.p in c.writer.children.pid").evaluate(mixed)
    assert not outcome.passed and outcome.template.startswith("ids.mixed2")
    assert f"by pid 100 and pid {kid}" in outcome.message


# ----------------------------------------------------------------------------- load-time errors
@pytest.mark.parametrize(("text", "message"), [
    ("st.c = 1", "unexpected character '=' (use '==' to compare)"),
    ("st.writr.pid == 1", "did you mean 'writer'?"),
    ("proces(st.c) == 1", "did you mean 'proc'?"),
    ("root.exit_stat == 0", "did you mean 'exit_status'?"),
    ("st.c < 1 < 2", "comparisons do not chain"),
    ("st.c", "not a condition"),
    ("st.writer == 1", "compare its .pid"),
    ("d.x == 1", "no capture named 'd'"),
    ("writer.pid == 1", "'writer' alone needs the expression to be about one capture"),
    ("st.c == 'x", "no closing '"),
    ("st.c / 2 == 1", "use '//' for integer division"),
    ("proc(st.writer) == 1", "proc() takes a task id"),
])
def test_a_typo_is_a_load_error(text: str, message: str) -> None:
    with pytest.raises(ExprError) as caught:
        compile_expression(text, {"st": frozenset({"c", "code"})})
    assert message in caught.value.message


def test_a_typo_in_an_assignment_names_file_line_and_field(tmp_path: Path) -> None:
    spec = tmp_path / "assignment.yaml"
    spec.write_text(
        "id: t\ntitle: t\nlanguage: python\nfiles: [a.py]\nrun: [python3, a.py]\ntests:\n"
        "  - name: t\n    points: 1\n    checks:\n      - output.values:\n"
        "          captures: {st: {pattern: '^child {c} exited with status {code}$', role: root}}\n"
        "          expect: ['proc(st.c).exit_stats == st.code']\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_assignment(spec)
    text = str(caught.value)
    assert "assignment.yaml:1" in text and "output.values" in text
    assert "did you mean 'exit_status'?" in text


def test_the_grammar_owns_its_parse_no_eval() -> None:
    with pytest.raises(ExprError, match="unexpected '\\('"):
        parse("__import__('os').system('x') == 0")      # no method calls in the grammar
    with pytest.raises(ExprError, match="unknown function '__import__'"):
        compile_expression("__import__('os') == 0", {})
    with pytest.raises(ExprError, match="a process has no '__class__'"):
        compile_expression("root.__class__ == 1", {})


# ----------------------------------------------------------------------------- bounds
def many(n: int) -> RunEvidence:
    b = ExecBuilder()
    for i in range(n):
        b.say(100, f"item {i}")
    b.exit(100)
    return b.evidence()


def test_a_total_inside_a_per_line_expression_is_computed_once() -> None:
    subject = values({"i": {"pattern": "^item {n}$"}}, "i.n < count(i) and i.n == i.line - 1")
    assert subject.evaluate(many(20000)).passed


def test_pairs_beyond_the_bound_are_refused_not_judged_in_part() -> None:
    caps = {"a": {"pattern": "^item {n}$"}, "b": {"pattern": "^item {n}$"}}
    outcome = values(caps, "a.line <= b.line or a.n > b.n").evaluate(many(400))
    assert not outcome.passed and outcome.template == "bind.too_many+at.none"
    assert outcome.message == ("a.line <= b.line or a.n > b.n would be judged on more than 100000 lines or pairs "
                               "of lines; the assignment must name fewer")
    korean_has_same_numbers(outcome)


def test_depth_is_counted_from_the_first_process() -> None:
    caps = {"c": {"pattern": "^depth {d} pid {p} ppid {pp}$"}}
    assert values(caps, "c.d == c.writer.depth", "root.depth == 0").evaluate(recorded("fork_chain_py")).passed
    outcome = values(caps, "c.d == c.writer.depth").evaluate(recorded("fork_chain_py", {"depth 2 ": "depth 1 "}))
    assert not outcome.passed
    assert outcome.message == ("line 2 'depth 1 pid 19 ppid 18': c.d == c.writer.depth does not hold with c.d = 1, "
                               "but the trace shows pid 19 is at depth 2 of the process tree (the first process "
                               "is at depth 0)")
    korean_has_same_numbers(outcome)


# ----------------------------------------------------------------------------- untrusted text, no trace
TOKENS = [*"ab.()[]'\"=<>!+-*/%,0123456789_ ", "and ", " or ", "not ", " in ", "proc", "c", "root", "writer"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_any_text_parses_or_is_an_expression_error(text: str) -> None:
    try:
        compile_expression(text, {"c": frozenset({"a", "b"})})
    except ExprError as err:
        assert err.message and 0 <= err.position <= len(text)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=6))
def test_any_printed_line_is_judged_without_an_internal_error(printed: list[str]) -> None:
    b = ExecBuilder()
    kid = b.fork(100)
    for text in printed:
        b.say(kid, "v " + text.replace("\n", " "))
    b.exit(kid)
    b.exit(100)
    caps = {"c": {"pattern": "^v {x:.*}$"}}
    for expect in ("c.x == c.writer.pid", "proc(c.x).exit_status == 0", "c.x * 2 > len(c.text) or c.x in procs.pid",
                   "count(c) >= 0 and sorted(c.x) == sorted(c.x)"):
        outcome = values(caps, expect, require=False).evaluate(b.evidence())
        assert outcome.template is not None and outcome.message


def test_without_a_trace_printed_values_are_still_compared_and_trace_facts_are_not_guessed() -> None:
    evidence = total(400000)
    bare = RunEvidence(type(evidence.execution)(), [], [], evidence.record)
    caps = {"total": {"pattern": "^total={n}$"}}
    assert values(caps, "last(total.n) == 4 * 100000").evaluate(bare).passed
    outcome = values(caps, "total.n == len(procs)").evaluate(bare)
    assert not outcome.passed and outcome.template == "trace.none"


def test_happens_before_with_the_last_line_of_a_role() -> None:
    subject = check("output.happens_before", before={"pattern": "^working$", "role": "children"},
                    after={"pattern": "^all 2 done$", "role": "root", "line": "last"})
    ok = subject.evaluate(finale("all 2 done"))
    assert ok.passed, ok.message
    assert ok.message == ("every line /^working$/ from children came before every line /^all 2 done$/ (the last "
                          "line from root)")
    early = subject.evaluate(finale("bye"))   # 'all 2 done' was printed, but first, not last
    assert not early.passed
    assert early.message == "the last line from root is line 3 'bye', which does not match /^all 2 done$/"
    korean_has_same_numbers(early)
    plain = check("output.happens_before", before={"pattern": "^working$", "role": "children"},
                  after={"pattern": "^all 2 done$", "role": "root"})
    assert not plain.evaluate(finale("bye")).passed   # without line: last it is the early line that counts


def test_a_thread_binding_on_a_shared_stdio_buffer_is_not_applicable_not_failed() -> None:
    evidence = evidence_of("threads_stdio")   # a real sandbox record: threads printing through one buffer
    caps = {"t": {"pattern": "^thread pid={p} tid={t}$"}}
    unproven = values(caps, "t.t == t.thread.tid").evaluate(evidence)
    assert not unproven.passed and not unproven.applicable
    assert unproven.message.startswith("the tid on 3 line(s) like '^thread pid={p} tid={t}$' could not be checked")
    assert values(caps, "t.p == t.writer.pid").evaluate(evidence).passed   # the process is still known


# ----------------------------------------------------------------------------- who sent the bytes a process read
def test_the_bytes_a_process_reports_came_from_the_process_the_trace_shows() -> None:
    caps = {"got": {"pattern": "^child got {n} bytes: .*$"}}
    subject = values(caps, "got.writer.received_from == [got.writer.parent]", "root.sent_to == [got.writer]",
                     "got.n == got.writer.bytes_received")
    ok = subject.evaluate(recorded("pipe_eof_py"))
    assert ok.passed, ok.message
    alone = values(caps, "len(root.received_from) == 1").evaluate(recorded("pipe_eof_py"))
    assert not alone.passed
    assert re.fullmatch(r"len\(root.received_from\) == 1 does not hold with len\(root.received_from\) = 0, but the "
                        r"trace shows pid \d+ read no bytes another process wrote", alone.message), alone.message
    korean_has_same_numbers(alone)
    lie = values(caps, "got.n == got.writer.bytes_received").evaluate(recorded("pipe_eof_py", {"got 15": "got 16"}))
    assert not lie.passed
    assert re.fullmatch(r"line 1 \"child got 16 bytes: .*\": got.n == got.writer.bytes_received does not hold with "
                        r"got.n = 16, but the trace shows pid \d+ read 15 byte\(s\) that other processes wrote",
                        lie.message), lie.message
    korean_has_same_numbers(lie)
    c_parent = values({"r": {"pattern": "^parent read {n} bytes: .*$", "role": "root"}},
                      "r.writer.received_from.pid == r.writer.children.pid").evaluate(recorded("pipe_c"))
    assert c_parent.passed, c_parent.message
