"""signal.sent, signal.delivered, signal.handler, process.group, process.session and file.contents: each passes
and fails on recorded traces (tests/data/traces/*), with the sentence a student reads in English and Korean."""

from __future__ import annotations

import pytest
from test_checks import check
from trace_fixtures import load

from grader.checks.base import CheckOutcome, RunEvidence
from grader.checks.messages import render
from grader.grading import read_run
from grader.sandbox.records import CollectedFile, RunRecord
from grader.spec.loader import parse_assignment


def run_of(name: str, files: list[CollectedFile] | None = None) -> RunEvidence:
    fx = load(name)
    record = RunRecord(name=name, repeat_index=0, command=fx.meta["command"].split(), stdout=fx.stdout,
                       trace=fx.text, stdout_channel=fx.meta.get("stdout_channel"),
                       stderr_channel=fx.meta.get("stderr_channel"), files=files or [])
    return read_run(record)


def judged(evidence: RunEvidence, kind: str, **params: object) -> CheckOutcome:
    out = check(kind, **params).evaluate(evidence)
    assert out.template is not None
    korean = render(out.template, out.params, "ko")
    assert korean != out.message, f"{out.template} has no Korean"   # every sentence is in the catalog
    return out


# ----- signal.sent -----

def test_sent_counts_each_childs_kill_to_the_parent() -> None:
    ok = judged(run_of("signals_py"), "signal.sent", **{"from": "children", "to": "root", "signal": "USR1",
                                                        "equals": 2})
    assert ok.passed and "children sent SIGUSR1 to root 2 time(s)" in ok.message


def test_sent_fails_when_a_child_sends_another_signal() -> None:
    bad = judged(run_of("signals_wrong_py"), "signal.sent", **{"from": "children", "to": "root", "signal": 10,
                                                              "equals": 2})
    assert not bad.passed and bad.message.endswith("the trace shows 1")


def test_sent_to_a_group_is_counted_for_its_members_only() -> None:
    ev = run_of("signals_group_py")
    ok = judged(ev, "signal.sent", **{"from": "root", "to": "child[0]", "signal": "SIGTERM", "target": "group",
                                      "equals": 1})
    assert ok.passed, ok.message
    # child[1] had left the group: the killpg did not reach it, only the plain kill did
    bad = judged(ev, "signal.sent", **{"from": "root", "to": "child[1]", "signal": "SIGTERM", "target": "group",
                                       "min": 1})
    assert not bad.passed
    assert "went to a single process, which this check does not count" in bad.message
    single = judged(ev, "signal.sent", **{"from": "root", "to": "child[1]", "signal": "SIGTERM",
                                          "target": "process", "equals": 1})
    assert single.passed


def test_sent_names_a_send_that_went_elsewhere() -> None:
    bad = judged(run_of("signals_py"), "signal.sent", **{"from": "children", "to": "child[0]", "signal": "USR1",
                                                        "min": 1})
    assert not bad.passed and "sent it to pid" in bad.message and "instead" in bad.message


# ----- signal.delivered -----

def test_delivered_counts_and_names_the_sender_role() -> None:
    ev = run_of("signals_py")
    assert judged(ev, "signal.delivered", role="root", signal="SIGUSR1", equals=2, **{"from": "children"}).passed
    bad = judged(ev, "signal.delivered", role="root", signal="SIGUSR1", equals=2, **{"from": "child[1]"})
    assert not bad.passed and "1 more came from other senders" in bad.message


def test_delivered_leaves_out_ignored_signals_and_says_so() -> None:
    bad = judged(run_of("signals_wrong_py"), "signal.delivered", role="root", signal="SIGUSR2", equals=1)
    assert not bad.passed
    assert "arrived while it ignored the signal (SIG_IGN)" in bad.message


def test_delivered_says_when_signals_sent_were_merged_or_lost() -> None:
    # two kills of a standard signal, one delivery: the second was sent while the first was pending
    from grader.trace import parse_trace

    text = "\n".join([
        '10 1.000000 rt_sigaction(SIGUSR1, {sa_handler=0x401000, sa_mask=[], sa_flags=SA_RESTORER, '
        'sa_restorer=0x7f}, NULL, 8) = 0',
        '10 1.000100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, '
        'child_tidptr=0x7f) = 11',
        '11 1.000200 kill(10, SIGUSR1) = 0',
        '11 1.000210 kill(10, SIGUSR1) = 0',
        '10 1.000300 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=11, si_uid=1000} ---',
        '11 1.000400 +++ exited with 0 +++',
        '10 1.000500 +++ exited with 0 +++',
    ])
    record = RunRecord(name="x", repeat_index=0, command=["./a"], trace=text)
    ev = RunEvidence(parse_trace(text), [], [], record)
    bad = judged(ev, "signal.delivered", role="root", signal="SIGUSR1", equals=2)
    assert not bad.passed and "2 were sent to it" in bad.message and "merged" in bad.message


# ----- signal.handler -----

def test_handler_in_place_at_every_delivery_passes() -> None:
    ok = judged(run_of("signals_py"), "signal.handler", role="root", signal="SIGUSR1")
    assert ok.passed and "each of the 2 time(s)" in ok.message


def test_no_handler_fails_and_says_the_default_action_killed_it() -> None:
    bad = judged(run_of("signals_nohandler_py"), "signal.handler", role="root", signal="SIGUSR1")
    assert not bad.passed
    assert "while it had no handler for it; the signal's default action killed it" in bad.message


def test_handler_after_the_first_fork_fails_before_fork_but_passes_before_delivery() -> None:
    ev = run_of("signals_wrong_py")
    assert judged(ev, "signal.handler", role="root", signal="SIGUSR1").passed
    late = judged(ev, "signal.handler", role="root", signal="SIGUSR1", before="fork")
    assert not late.passed and "created its first child" in late.message


def test_pythons_own_sigint_handler_does_not_count() -> None:
    bad = judged(run_of("signals_py"), "signal.handler", role="root", signal="SIGINT", before="anytime")
    assert not bad.passed
    assert "the only SIGINT handler was the one Python installs at start-up" in bad.message


def test_set_to_sig_ign_is_not_a_handler() -> None:
    bad = judged(run_of("signals_wrong_py"), "signal.handler", role="root", signal="SIGUSR2")
    assert not bad.passed and "ignored the signal (SIG_IGN) instead" in bad.message


# ----- process.group, process.session -----

def test_group_shared_and_leader() -> None:
    ev = run_of("signals_py")
    assert judged(ev, "process.group", role="root", leader=True).passed
    ok = judged(ev, "process.group", role="children", same_as="root")
    assert ok.passed and "were all in process group" in ok.message
    bad = judged(run_of("signals_nohandler_py"), "process.group", role="root", leader=True)
    assert not bad.passed and "the process group the program was started in" in bad.message


def test_a_child_that_left_the_group_fails_and_the_move_is_named() -> None:
    bad = judged(run_of("signals_group_py"), "process.group", role="children", same_as="root")
    assert not bad.passed
    assert "it moved itself there with setpgid at line" in bad.message   # its own call came last
    apart = judged(run_of("signals_group_py"), "process.group", role="child[1]", same_as="root", same=False)
    assert apart.passed


def test_session_leader_and_the_double_fork() -> None:
    ev = run_of("daemon_py")
    assert judged(ev, "process.session", role="child[0]").passed
    daemon = judged(ev, "process.session", role="child[0]", daemon=True)
    assert daemon.passed and "stayed in that session without leading it" in daemon.message
    none = judged(run_of("signals_py"), "process.session", role="children")
    assert not none.passed and none.message.endswith("0 did")


def test_setsid_in_a_group_leader_fails_with_eperm_explained() -> None:
    from grader.trace import parse_trace

    text = "\n".join([
        '10 1.000000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, '
        'child_tidptr=0x7f) = 11',
        '11 1.000100 setpgid(0, 0) = 0',
        '11 1.000200 setsid() = -1 EPERM (Operation not permitted)',
        '11 1.000300 +++ exited with 0 +++',
        '10 1.000400 +++ exited with 0 +++',
    ])
    ev = RunEvidence(parse_trace(text), [], [], RunRecord(name="x", repeat_index=0, command=["./a"], trace=text))
    bad = judged(ev, "process.session", role="children")
    assert not bad.passed and "failed with EPERM: a process-group leader cannot start a new session" in bad.message


# ----- file.contents -----

LOG = b"daemon started in session 21\ndaemon done\n"


def test_file_contents_pass_with_each_matcher_and_the_writer() -> None:
    ev = run_of("daemon_py", [CollectedFile("daemon.log", "ok", LOG, len(LOG))])
    for params in ({"contains": "daemon done"}, {"regex": r"^daemon started in session \d+$"},
                   {"lines": {"equals": 2}}, {"exact": LOG.decode()}, {"writer": "descendants"}):
        out = judged(ev, "file.contents", path="daemon.log", **params)
        assert out.passed, (params, out.message)


def test_file_contents_fail_each_matcher() -> None:
    ev = run_of("daemon_py", [CollectedFile("daemon.log", "ok", LOG, len(LOG))])
    assert "does not contain 'stopped'" in judged(ev, "file.contents", path="daemon.log", contains="stopped").message
    lines = judged(ev, "file.contents", path="daemon.log", lines={"min": 3})
    assert not lines.passed and lines.message == "expected daemon.log to have at least 3 line(s), it has 2"
    exact = judged(ev, "file.contents", path="daemon.log", exact="daemon started\ndaemon done\n")
    assert not exact.passed and "at line 1" in exact.message
    assert not judged(ev, "file.contents", path="daemon.log", regex="^done$").passed


def test_file_written_by_another_role_fails_and_names_the_writer() -> None:
    ev = run_of("daemon_py", [CollectedFile("daemon.log", "ok", LOG, len(LOG))])
    bad = judged(ev, "file.contents", path="daemon.log", writer="root")
    assert not bad.passed and "was written by pid" in bad.message and "not by root" in bad.message


def test_file_missing_symlink_and_truncated() -> None:
    ev = run_of("daemon_py", [CollectedFile("gone.txt", "missing"), CollectedFile("link", "symlink"),
                              CollectedFile("big", "ok", b"x" * 10, 5000, truncated=True)])
    missing = judged(ev, "file.contents", path="gone.txt", contains="x")
    assert not missing.passed and "left no file gone.txt" in missing.message
    assert not judged(ev, "file.contents", path="link", contains="x").passed
    cut = judged(ev, "file.contents", path="big", contains="y")
    assert not cut.passed and "only its first 10 of 5000 bytes were read" in cut.message
    # no copy at all: never a pass
    assert not judged(ev, "file.contents", path="never.txt", contains="x").passed


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../../x", "", "."])
def test_file_paths_outside_the_work_dir_are_refused_when_loaded(path: str) -> None:
    with pytest.raises(Exception, match="working directory"):
        check("file.contents", path=path, contains="x")


def test_a_test_with_file_contents_asks_the_sandbox_to_collect_the_file() -> None:
    spec = parse_assignment(
        "id: a\ntitle: t\nlanguage: python\nfiles: [a.py]\nrun: [python3, a.py]\ntests:\n"
        "  - name: x\n    checks:\n      - file.contents: {path: out/log.txt, contains: hi}\n"
        "      - file.contents: {path: ./out/log.txt, lines: {min: 1}}\n")
    assert spec.requests()[0].collect == ("out/log.txt",)


def test_signal_checks_refuse_a_vacuous_setup() -> None:
    with pytest.raises(Exception, match="give same_as"):
        check("process.group", role="root")
    with pytest.raises(Exception, match="give what to check"):
        check("file.contents", path="x")


@pytest.mark.parametrize(("given", "name"), [(10, "SIGUSR1"), ("10", "SIGUSR1"), ("usr1", "SIGUSR1"),
                                             ("SIGCLD", "SIGCHLD"), ("SIGRTMIN+1", "SIGRT_3"), (64, "SIGRT_32")])
def test_signals_by_name_or_number_are_the_names_the_trace_shows(given: object, name: str) -> None:
    assert check("signal.delivered", signal=given, min=1).signal == name  # type: ignore[attr-defined]


def test_an_unknown_signal_is_refused_when_loaded() -> None:
    with pytest.raises(Exception, match="expected a signal"):
        check("signal.sent", signal="SIGFOO", min=1)


def _session_run(*lines: str) -> RunEvidence:
    from grader.trace import parse_trace

    text = "\n".join(lines)
    return RunEvidence(parse_trace(text), [], [], RunRecord(name="x", repeat_index=0, command=["./a"], trace=text))


FORK = "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f)"


def test_the_daemon_may_end_before_its_parent_is_seen_to_end() -> None:
    # the double fork done right; the grandchild happens to finish first (a race strace can show)
    ev = _session_run(f"10 1.000000 {FORK} = 11", "11 1.000100 setsid() = 11", f"11 1.000200 {FORK} = 12",
                      "12 1.000300 +++ exited with 0 +++", "11 1.000400 +++ exited with 0 +++",
                      "10 1.000500 +++ exited with 0 +++")
    assert judged(ev, "process.session", role="child[0]", daemon=True).passed


def test_a_single_fork_daemon_is_its_own_session_leader_and_fails() -> None:
    ev = _session_run(f"10 1.000000 {FORK} = 11", "11 1.000100 setsid() = 11",
                      "11 1.000400 +++ exited with 0 +++", "10 1.000500 +++ exited with 0 +++")
    assert judged(ev, "process.session", role="child[0]").passed
    bad = judged(ev, "process.session", role="child[0]", daemon=True)
    assert not bad.passed and "fork again after setsid()" in bad.message


def test_a_child_its_parent_moved_names_the_parent() -> None:
    ev = _session_run("10 1.000000 setpgid(0, 0) = 0", f"10 1.000100 {FORK} = 11", "10 1.000200 setpgid(11, 11) = 0",
                      "11 1.000300 +++ exited with 0 +++", "10 1.000400 +++ exited with 0 +++")
    bad = judged(ev, "process.group", role="children", same_as="root")
    assert not bad.passed and bad.message.endswith("; pid 10 moved it there with setpgid at line 3")


def test_evidence_labels_are_ones_the_korean_page_translates() -> None:
    from grader.report.html import _label

    ev = run_of("daemon_py", [CollectedFile("daemon.log", "ok", LOG, len(LOG))])
    outcomes = [
        judged(run_of("signals_py"), "signal.sent", **{"from": "children", "to": "root", "signal": 10, "min": 1}),
        judged(run_of("signals_py"), "signal.delivered", role="root", signal=10, min=1),
        judged(run_of("signals_py"), "signal.handler", role="root", signal=10),
        judged(run_of("signals_py"), "process.group", role="root", leader=True),
        judged(ev, "process.session", role="child[0]"),
        judged(ev, "file.contents", path="daemon.log", contains="daemon"),
    ]
    for out in outcomes:
        for item in out.evidence:
            assert _label(item.label, "ko") != item.label, item.label


def test_real_time_signals_queue_and_are_each_counted() -> None:
    # C: sigaction(SIGRTMIN+1, SA_SIGINFO); the child sigqueue()s it twice while the parent blocks it
    ev = run_of("signals_rt_c")
    assert judged(ev, "signal.handler", role="root", signal="SIGRTMIN+1").passed
    sent = judged(ev, "signal.sent", **{"from": "children", "to": "root", "signal": 35, "equals": 2})
    assert sent.passed, sent.message
    delivered = judged(ev, "signal.delivered", role="root", signal="SIGRTMIN+1", equals=2, **{"from": "child[0]"})
    assert delivered.passed and "SIGRT_3 was delivered to root from child[0] 2 time(s)" in delivered.message
    assert not judged(ev, "signal.delivered", role="root", signal="SIGRTMIN+1", equals=3).passed


def test_a_process_killed_by_a_real_time_signal_is_read() -> None:
    from grader.trace import parse_trace

    ex = parse_trace("\n".join([
        "10 1.000000 --- SIGRT_3 {si_signo=SIGRT_3, si_code=SI_QUEUE, si_pid=11, si_uid=1000, si_int=1, "
        "si_ptr=0x1} ---",
        "10 1.000100 +++ killed by SIGRT_3 +++",
    ]))
    assert not ex.unparsed and ex.tasks[10].signal == "SIGRT_3"
    assert [(s.signal, s.sender) for s in ex.signals] == [("SIGRT_3", 11)]


@pytest.mark.parametrize("name", ["syntax_error", "crash_before_fork"])
def test_a_program_that_did_nothing_passes_none_of_them(name: str) -> None:
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).resolve().parents[1] / "data" / "specs" / "records" / f"{name}.json")
                      .read_text(encoding="utf-8"))
    data.pop("program", None)
    ev = read_run(RunRecord.from_json(data))
    for kind, params in [
        ("signal.sent", {"from": "children", "to": "root", "signal": "USR1", "min": 1}),
        ("signal.delivered", {"role": "root", "signal": "USR1", "min": 1}),
        ("signal.handler", {"role": "root", "signal": "USR1", "before": "anytime"}),
        ("process.group", {"role": "children", "same_as": "root"}),
        ("process.group", {"role": "root", "leader": True}),
        ("process.session", {"role": "root"}),
        ("file.contents", {"path": "out.txt", "lines": {"min": 0}}),
    ]:
        out = check(kind, **params).evaluate(ev)
        assert not out.passed, (kind, out.message)
