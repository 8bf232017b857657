"""The parser never raises: random lines, and real logs mutated, cut and shuffled."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from trace_fixtures import load

from grader.trace import describe, output_lines, parse_trace

_REAL = load("pipe_hang_py").text.split("\n") + load("threads_c").text.split("\n") \
    + load("socketpair_py").text.split("\n")
_REAL = [line for line in _REAL if line][:3000]
_PIECES = ["<unfinished ...>", "<... read resumed>", " = ", "-1 EAGAIN (x)", "+++ exited with 1 +++",
           "+++ killed by SIGKILL +++", "--- SIGCHLD {si_pid=3} ---", '"', "\\x", "<", ">", "pipe:[1]",
           "(", ")", "[", "]", "{", "}", ",", "clone(", "execve(", "wait4(", "= ?", "\n", "..."]

_line = st.one_of(
    st.text(max_size=80),
    st.builds(lambda tid, body: f"{tid} 1.{tid:06d} {body}", st.integers(0, 30),
              st.lists(st.sampled_from(_PIECES + _REAL[:50]), max_size=8).map("".join)),
    st.sampled_from(_REAL),
)


def _check(text: str) -> None:
    ex = parse_trace(text, stdout_channel="pipe:[151061]")
    describe(ex)
    output_lines(ex, b"parent waiting\nxx")
    ex.to_json()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_line, max_size=40))
def test_random_lines_never_raise(lines: list[str]) -> None:
    _check("\n".join(lines))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_real_logs_mutated_cut_and_shuffled_never_raise(data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(_REAL) - 1))
    lines = _REAL[start:start + data.draw(st.integers(1, 300))]
    lines = data.draw(st.permutations(lines)) if data.draw(st.booleans()) else list(lines)
    text = "\n".join(lines)
    for _ in range(data.draw(st.integers(0, 5))):
        if not text:
            break
        at = data.draw(st.integers(0, len(text) - 1))
        op = data.draw(st.sampled_from(["cut", "drop", "insert"]))
        if op == "cut":
            text = text[:at]
        elif op == "drop":
            text = text[:at] + text[at + data.draw(st.integers(1, 20)):]
        else:
            text = text[:at] + data.draw(st.sampled_from(_PIECES)) + text[at:]
    _check(text)
