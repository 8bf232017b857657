"""A task SIGKILLed inside a call (the sandbox's stop at a time limit) was blocked there."""

from __future__ import annotations

from grader.trace import parse_trace

HEAD = (
    '15    1795671696.100000 execve("/usr/bin/python3", ["python3", "w.py"], 0x7ffd /* 8 vars */) = 0\n'
    "15    1795671696.100100 pipe2([3<pipe:[577661]>, 4<pipe:[577661]>], 0) = 0\n"
)


def test_unfinished_and_killed_on_one_line():
    ex = parse_trace(HEAD + "15    1795671696.166686 read(3<pipe:[577661]>,  <unfinished ...>) = ?\n"
                            "15    1795671697.621243 +++ killed by SIGKILL +++\n")
    [blocked] = ex.blocked
    assert (blocked.tid, blocked.syscall) == (15, "read")
    assert blocked.holders == [15]          # the reader holds the write end itself


def test_unfinished_then_killed():
    ex = parse_trace(HEAD + "15    1795671696.166686 read(3<pipe:[577661]>,  <unfinished ...>\n"
                            "15    1795671697.621243 +++ killed by SIGKILL +++\n")
    assert [b.syscall for b in ex.blocked] == ["read"]


def test_a_call_interrupted_then_a_normal_exit_is_not_blocked():
    ex = parse_trace(HEAD + "15    1795671696.166686 read(3<pipe:[577661]>,  <unfinished ...>) = ?\n"
                            "15    1795671697.621243 +++ exited with 0 +++\n")
    assert ex.blocked == []
