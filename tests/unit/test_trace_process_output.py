"""Output attribution: bytes no traced write accounts for have no writer; a line belongs to one writer
only when that task wrote all of it. Real recordings (tests/data/runs) and hand-written logs."""

from __future__ import annotations

import json
from pathlib import Path

from grader.grading import read_run
from grader.sandbox.records import RunRecord
from grader.trace import output_lines, parse_trace

RUNS = Path(__file__).resolve().parent.parent / "data" / "runs"


def recorded(name: str) -> RunRecord:
    data = json.loads((RUNS / f"{name}.json").read_text())
    data.pop("program", None)
    return RunRecord.from_json(data)


def owners(lines):  # type: ignore[no-untyped-def]
    return [(x.text, x.owner_process, x.mixed, x.unknown_bytes) for x in lines]


def test_parent_splicing_every_line_owns_them_all() -> None:
    for name in ("splice_py", "sendfile_py"):
        ev = read_run(recorded(name))
        root = ev.execution.root
        hello = [x for x in ev.stdout if x.text == b"hello os"]
        assert len(hello) == 3
        assert {x.owner_process for x in hello} == {root}, name
        assert all(x.unknown_bytes == 0 for x in hello), "the splice/sendfile is attributed by its size"
        empties = [x for x in ev.stdout if x.text == b""]
        assert len(empties) == 2 and root not in {x.owner_process for x in empties}


def test_three_processes_writing_fragments_of_each_line_make_mixed_lines() -> None:
    ev = read_run(recorded("fragment_py"))
    assert [x.text for x in ev.stdout] == [b"hello os"] * 3
    for line in ev.stdout:
        assert line.mixed and line.owner is None and line.owner_process is None
        assert len(line.processes) == 3


def test_bytes_no_write_accounts_for_have_no_writer() -> None:
    ex = parse_trace('10 1.0 write(1<pipe:[5]>, "b\\n", 2) = 2\n', stdout_channel="pipe:[5]")
    lines = output_lines(ex, b"injected\nb\n")
    assert owners(lines) == [(b"injected", None, False, 9), (b"b", 10, False, 0)]


def test_unknown_bytes_are_not_credited_to_the_next_write_in_log_order() -> None:
    # before: the stray bytes went to whatever write came next; a child's "\n" then "owned" a line
    ex = parse_trace('11 1.0 write(1<pipe:[5]>, "\\n", 1) = 1\n'
                     '12 1.1 write(1<pipe:[5]>, "\\n", 1) = 1\n', stdout_channel="pipe:[5]")
    lines = output_lines(ex, b"hello os\nhello os\n")
    assert [x.owner for x in lines] == [None, None]
    assert [x.unknown_bytes for x in lines] == [8, 8]


def test_a_write_strace_cut_at_4_kib_is_attributed_by_size() -> None:
    body = "x" * 4096
    ex = parse_trace(f'10 1.0 write(1<pipe:[5]>, "{body}"..., 10001) = 10001\n'
                     '11 1.1 write(1<pipe:[5]>, "child\\n", 6) = 6\n', stdout_channel="pipe:[5]")
    captured = b"x" * 10000 + b"\n" + b"child\n"
    lines = output_lines(ex, captured)
    assert owners(lines) == [(b"x" * 10000, 10, False, 0), (b"child", 11, False, 0)]


def test_unshown_write_is_placed_only_where_no_shown_write_matches() -> None:
    ex = parse_trace('10 1.0 pipe2([3<pipe:[9]>, 4<pipe:[9]>], 0) = 0\n'
                     '10 1.1 write(4<pipe:[9]>, "AAAA\\n", 5) = 5\n'
                     '10 1.2 splice(3<pipe:[9]>, NULL, 1<pipe:[5]>, NULL, 5, 0) = 5\n'
                     '11 1.3 write(1<pipe:[5]>, "BBBB\\n", 5) = 5\n', stdout_channel="pipe:[5]")
    # the child's line was captured first: it is matched by its bytes, the splice takes the rest
    assert owners(output_lines(ex, b"BBBB\nAAAA\n")) == [(b"BBBB", 11, False, 0), (b"AAAA", 10, False, 0)]
    [splice] = [w for w in ex.writes if w.syscall == "splice"]
    assert not splice.shown and splice.size == 5 and splice.channel.kind == "stdout"


def test_every_call_that_moves_bytes_to_stdout_is_a_write() -> None:
    calls = {
        "writev": 'writev(1<pipe:[5]>, [{iov_base="ab", iov_len=2}, {iov_base="\\n", iov_len=1}], 2) = 3',
        "pwritev2": 'pwritev2(1<pipe:[5]>, [{iov_base="ab\\n", iov_len=3}], 1, -1, 0) = 3',
        "sendto": 'sendto(1<pipe:[5]>, "ab\\n", 3, 0, NULL, 0) = 3',
        "sendfile": 'sendfile(1<pipe:[5]>, 3</tmp/f>, [0] => [3], 3) = 3',
        "splice": 'splice(3<pipe:[9]>, NULL, 1<pipe:[5]>, NULL, 3, 0) = 3',
        "tee": 'tee(3<pipe:[9]>, 1<pipe:[5]>, 3, 0) = 3',
        "copy_file_range": 'copy_file_range(3</tmp/f>, NULL, 1<pipe:[5]>, NULL, 3, 0) = 3',
        "vmsplice": 'vmsplice(1<pipe:[5]>, [{iov_base="ab\\n", iov_len=3}], 1, 0) = 3',
    }
    for name, call in calls.items():
        ex = parse_trace(f"10 1.0 {call}\n", stdout_channel="pipe:[5]")
        assert [(w.syscall, w.size, w.channel.kind) for w in ex.writes] == [(name, 3, "stdout")], name
        assert owners(output_lines(ex, b"ab\n")) == [(b"ab", 10, False, 0)], name


def test_consecutive_one_byte_writes_are_one_range_and_still_split_by_others() -> None:
    text = "".join(f'10 1.{i:04d} write(1<pipe:[5]>, "{c}", 1) = 1\n' for i, c in enumerate([*"hello", "\\n"]))
    text += '11 2.0 write(1<pipe:[5]>, "x\\n", 2) = 2\n'
    ex = parse_trace(text, stdout_channel="pipe:[5]")
    assert [(w.tid, w.calls, w.data) for w in ex.writes] == [(10, 6, b"hello\n"), (11, 1, b"x\n")]
    # the pipe saw the child's bytes in the middle of the parent's run of calls
    lines = output_lines(ex, b"helx\nlo\n")
    assert [(x.text, sorted(x.processes)) for x in lines] == [(b"helx", [10, 11]), (b"lo", [10])]
