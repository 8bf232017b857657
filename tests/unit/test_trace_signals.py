"""grader.trace.signals on recorded traces: dispositions, sends, deliveries, process groups and sessions."""

from __future__ import annotations

from trace_fixtures import load

from grader.trace import parse_trace
from grader.trace.signals import disposition_at, group_at


def test_handler_install_and_runtime_start_up_are_told_apart() -> None:
    ex = load("signals_py").parse()
    root = ex.root
    assert root is not None
    usr1 = [a for a in ex.signal_actions if a.signal == "SIGUSR1"]
    assert [(a.action, a.runtime) for a in usr1] == [("handler", False), ("SIG_DFL", False)]
    startup = [a for a in ex.signal_actions if a.runtime]
    # CPython's start-up: SIGPIPE and SIGXFSZ ignored, its KeyboardInterrupt handler on SIGINT; queries not kept
    assert [(a.signal, a.action) for a in startup] == [("SIGPIPE", "SIG_IGN"), ("SIGXFSZ", "SIG_IGN"),
                                                       ("SIGINT", "handler")]
    assert not any(a.signal == "SIGHUP" for a in ex.signal_actions)
    deliveries = [s for s in ex.signals if s.delivered_to == root and s.signal == "SIGUSR1"]
    assert len(deliveries) == 2
    for s in deliveries:
        action = disposition_at(ex, root, "SIGUSR1", s.time)
        assert action is not None and action.action == "handler"
    # at finalization CPython puts SIG_DFL back: after the end, no handler is in place
    after = disposition_at(ex, root, "SIGUSR1", ex.duration + 1)
    assert after is not None and after.action == "SIG_DFL"


def test_sends_carry_call_error_and_recipients() -> None:
    ex = load("signals_py").parse()
    sent = [s for s in ex.signals if s.delivered_to is None and s.sender is not None]
    assert [(s.syscall, s.signal, s.recipients, s.errno, s.to_group) for s in sent] == [
        ("kill", "SIGUSR1", [ex.root], None, False)] * 2
    delivered = [s for s in ex.signals if s.delivered_to == ex.root and s.signal == "SIGUSR1"]
    assert sorted(s.sender for s in delivered) == sorted(s.sender for s in sent)   # from si_pid


def test_kill_of_a_group_reaches_its_members_only() -> None:
    ex = load("signals_group_py").parse()
    root = ex.root
    kids = sorted(t.tid for t in ex.processes() if t.tid != root)
    group = next(s for s in ex.signals if s.to_group)
    assert group.target == -root and group.group == root
    # child[1] moved itself (and was moved by its parent) into its own group before the killpg
    assert group.recipients == [root, kids[0]]
    assert {t.tid: t.pgid for t in ex.processes()} == {root: root, kids[0]: root, kids[1]: kids[1]}
    assert group_at(ex, kids[1], ex.tasks[kids[1]].start) == (root, None)   # inherited from the root at fork
    moved = [c for c in ex.group_changes if c.call == "setpgid" and c.pid == kids[1]]
    assert [ex.process_of(c.tid) for c in moved] == [root, kids[1]]   # the shell idiom: both sides call it


def test_setsid_makes_a_session_leader_and_fork_inherits_the_session() -> None:
    ex = load("daemon_py").parse()
    root = ex.root
    assert root is not None
    child = next(t for t in ex.processes() if t.ppid == root)
    grandchild = next(t for t in ex.processes() if t.ppid == child.tid)
    assert (child.pgid, child.sid) == (child.tid, child.tid)
    assert (grandchild.pgid, grandchild.sid) == (child.tid, child.tid)   # inherited: in the session, not its leader
    assert (ex.tasks[root].pgid, ex.tasks[root].sid) == (None, None)     # the group strace started it in


def test_failed_setsid_and_failed_kill_change_nothing() -> None:
    text = "\n".join([
        '10 1.000000 setpgid(0, 0) = 0',
        '10 1.000100 setsid() = -1 EPERM (Operation not permitted)',
        '10 1.000200 kill(99, SIGTERM) = -1 ESRCH (No such process)',
        '10 1.000300 kill(0, SIGUSR2) = 0',
        '10 1.000400 +++ exited with 0 +++',
    ])
    ex = parse_trace(text)
    assert (ex.tasks[10].pgid, ex.tasks[10].sid) == (10, None)
    assert [(c.call, c.errno) for c in ex.group_changes] == [("setpgid", None), ("setsid", "EPERM")]
    failed, own_group = [s for s in ex.signals if s.sender is not None]
    assert failed.errno == "ESRCH" and failed.recipients == [99]
    assert own_group.to_group and own_group.group == 10 and own_group.recipients == [10]


def test_pidfd_send_signal_names_the_process_behind_the_descriptor() -> None:
    text = "\n".join([
        '10 1.000000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, '
        'child_tidptr=0x7f) = 11',
        '10 1.000100 pidfd_open(11, 0) = 3<anon_inode:[pidfd]>',
        '10 1.000200 pidfd_send_signal(3<anon_inode:[pidfd]>, SIGTERM, NULL, 0) = 0',
        '11 1.000300 --- SIGTERM {si_signo=SIGTERM, si_code=SI_USER, si_pid=10, si_uid=1000} ---',
        '11 1.000400 +++ killed by SIGTERM +++',
    ])
    ex = parse_trace(text)
    sent = next(s for s in ex.signals if s.delivered_to is None)
    assert (sent.syscall, sent.target, sent.recipients) == ("pidfd_send_signal", 11, [11])
    delivered = next(s for s in ex.signals if s.delivered_to is not None)
    assert (delivered.sender, delivered.delivered_to) == (10, 11)


def test_a_handler_is_inherited_by_fork_and_reset_by_exec_but_sig_ign_is_kept() -> None:
    text = "\n".join([
        '10 1.000000 rt_sigaction(SIGUSR1, {sa_handler=0x401000, sa_mask=[], sa_flags=SA_RESTORER, '
        'sa_restorer=0x7f}, NULL, 8) = 0',
        '10 1.000050 rt_sigaction(SIGTERM, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER, '
        'sa_restorer=0x7f}, NULL, 8) = 0',
        '10 1.000100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, '
        'child_tidptr=0x7f) = 11',
        '11 1.000200 getpid() = 11',
        '11 1.000300 execve("/bin/true", ["true"], 0x7ffc /* 3 vars */) = 0',
        '11 1.000400 +++ exited with 0 +++',
        '10 1.000500 +++ exited with 0 +++',
    ])
    ex = parse_trace(text)
    inherited = disposition_at(ex, 11, "SIGUSR1", 1.0002 - 1.0)
    assert inherited is not None and inherited.action == "handler" and inherited.tid == 10
    assert disposition_at(ex, 11, "SIGUSR1", 0.00035) is None     # exec: back to the default
    kept = disposition_at(ex, 11, "SIGTERM", 0.00035)
    assert kept is not None and kept.action == "SIG_IGN"


def test_the_json_form_carries_dispositions_groups_and_sends() -> None:
    import json

    ex = load("signals_group_py").parse()
    js = json.loads(json.dumps(ex.to_json()))
    assert {"signal": "SIGTERM", "action": "SIG_IGN", "runtime": False}.items() <= js["signal_actions"][3].items()
    assert [c["call"] for c in js["group_changes"]][:3] == ["setpgid", "getpgid", "setpgid"]
    group = next(s for s in js["signals"] if s["to_group"])
    assert group["recipients"] == [ex.root, sorted(t.tid for t in ex.processes())[1]]
    assert {t["pid"]: t["pgid"] for t in js["tasks"]}[ex.root] == ex.root


def test_a_group_send_reaches_only_members_alive_then() -> None:
    fork = "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f)"
    ex = parse_trace("\n".join([
        "10 1.000000 setpgid(0, 0) = 0",
        f"10 1.000100 {fork} = 11",
        f"10 1.000200 {fork} = 12",
        "11 1.000300 +++ exited with 0 +++",        # gone before the first send
        "10 1.000400 kill(-10, SIGTERM) = 0",
        "12 1.000500 setpgid(0, 0) = 0",            # leaves before the second
        "10 1.000600 kill(0, SIGTERM) = 0",
        "10 1.000700 kill(-1, SIGTERM) = 0",
        "12 1.000800 +++ killed by SIGTERM +++",
        "10 1.000900 +++ exited with 0 +++",
    ]))
    first, second, every = [s for s in ex.signals if s.to_group]
    assert (first.group, first.recipients) == (10, [10, 12])
    assert (second.group, second.recipients) == (10, [10])
    assert every.group is None and every.recipients == [12]    # all it may signal but itself
