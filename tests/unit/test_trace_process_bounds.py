"""The trace model stays bounded whatever the program does (issue 18 items 8, 9): synthetic logs of the
attacks, parsed with output attribution and JSON in a fresh interpreter whose peak memory is measured."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.trace import output_lines, parse_trace

# Each case writes its log, then measures parse_trace + output_lines + to_json + describe in a new process.
_MEASURE = textwrap.dedent("""
    import json, resource, sys
    from grader.trace import describe, output_lines, parse_trace
    kind, path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    out = []
    if kind == "bytes":      # one byte per write from three processes, interleaved: 445k writes
        out.append("10 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 11\\n")
        out.append("10 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 12\\n")
        out += [f'{10 + i % 3} {1.0 + i * 1e-6:.6f} write(1<pipe:[5]>, "x", 1) = 1\\n' for i in range(445_000)]
    elif kind == "argv":     # two execs with 1.8 MB of argv
        big = ", ".join(['"' + "A" * 4096 + '"'] * 440)
        out += [f'10 1.{i} execve("/usr/bin/echo", ["echo", {big}], 0x7ffd /* 3 vars */) = 0\\n' for i in range(2)]
    elif kind == "threads":  # 10k threads, each printing a line
        for i in range(10_000):
            out.append(f"10 1.{i:05d} clone3({{flags=CLONE_VM|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD, "
                       f"exit_signal=0}}, 88) = {11 + i}\\n")
            out.append(f'{11 + i} 2.{i:05d} write(1<pipe:[5]>, "t{i}\\\\n", {len(str(i)) + 2}) = {len(str(i)) + 2}\\n')
    elif kind == "chain":    # a 3000-process chain
        for i in range(3000):
            out.append(f"{10 + i} 1.{i:05d} clone(child_stack=NULL, flags=SIGCHLD) = {11 + i}\\n")
            out.append(f"{10 + i} 1.{i:05d} exit_group(0) = ?\\n{10 + i} 1.{i:05d} +++ exited with 0 +++\\n")
    if mode == "write":
        with open(path, "w") as fh:
            fh.write("".join(out))
        sys.exit(0)
    del out
    with open(path) as fh:
        text = fh.read()              # the log itself is in memory before the base is taken
    captured = b"x" * 65536 if kind == "bytes" else b"".join(b"t%d\\n" % i for i in range(10_000))[:65536]
    sys.setrecursionlimit(200)          # no recursion over the program's depth anywhere
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ex = parse_trace(text, stdout_channel="pipe:[5]", keep_output=65536 + 65536)
    lines = output_lines(ex, captured)
    js = json.dumps(ex.to_json())
    page = describe(ex)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"growth_mib": (peak - base) / 1024, "json_bytes": len(js), "writes": len(ex.writes),
                      "tasks": len(ex.tasks), "lines": len(lines), "summarized": json.loads(js)["summarized"],
                      "describe_chars": len(page), "owners": sorted({x.owner for x in lines[:5]}, key=str)}))
""")


def measure(kind: str, folder: Path) -> dict:  # type: ignore[type-arg]
    """Write the log in one interpreter, then measure in a fresh one (so its peak is the parser's)."""
    log = str(folder / f"{kind}.log")
    subprocess.run([sys.executable, "-c", _MEASURE, kind, log, "write"], check=True, timeout=120)
    done = subprocess.run([sys.executable, "-c", _MEASURE, kind, log, "measure"], capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("kind", ["bytes", "argv", "threads", "chain"])
def test_peak_memory_and_json_stay_bounded(kind: str, tmp_path: Path) -> None:
    got = measure(kind, tmp_path)
    assert got["growth_mib"] < 100, got
    assert got["json_bytes"] < 4 * 2**20, got
    if kind == "bytes":
        assert got["writes"] <= 140_000 and got["summarized"]["writes"] > 300_000, "writes past the capture dropped"
    if kind == "argv":
        assert got["summarized"]["argv_bytes"] > 3_500_000
    if kind in ("threads", "chain"):
        assert got["summarized"]["json_tasks"] > 0, "tasks beyond the JSON cap are counted, not listed"


def test_one_task_many_one_byte_writes_are_one_range() -> None:
    text = "".join(f'10 1.{i:06d} write(1<pipe:[5]>, "x", 1) = 1\n' for i in range(50_000))
    ex = parse_trace(text, stdout_channel="pipe:[5]")
    [w] = ex.writes
    assert (w.calls, w.size, len(w.data)) == (50_000, 50_000, 50_000)
    [line] = output_lines(ex, b"x" * 50_000)
    assert line.owner == 10


def test_other_channels_keep_a_capped_sample_and_flows_count_every_byte() -> None:
    text = ("10 1.0 pipe2([3<pipe:[7]>, 4<pipe:[7]>], 0) = 0\n"
            "10 1.0 clone(child_stack=NULL, flags=SIGCHLD) = 11\n"
            + "".join(f'10 1.{i:06d} write(4<pipe:[7]>, "{"y" * 1000}", 1000) = 1000\n'
                      f'11 1.{i:06d} read(3<pipe:[7]>, "{"y" * 1000}", 1000) = 1000\n' for i in range(5000)))
    ex = parse_trace(text)
    assert sum(len(w.data) for w in ex.writes) <= 64 * 1024
    assert sum(len(r.data) for r in ex.reads) <= 64 * 1024
    [flow] = ex.flows
    assert flow.nbytes == 5_000_000 and len(flow.sample) == 64
    assert ex.summarized["write_bytes"] > 0


def test_json_says_what_it_left_out() -> None:
    text = "".join(f"10 1.{i:05d} clone(child_stack=NULL, flags=SIGCHLD) = {11 + i}\n" for i in range(2500))
    data = parse_trace(text).to_json()
    assert len(data["tasks"]) == 2000 and data["summarized"]["json_tasks"] == 501
    assert data["tasks"][0]["pid"] == 10, "the earliest (the root and its first children) are kept"


def test_json_keeps_processes_before_threads() -> None:
    text = "".join(f"10 1.{i:05d} clone3({{flags=CLONE_VM|CLONE_THREAD, exit_signal=0}}, 88) = {11 + i}\n"
                   for i in range(2500))
    text += "10 3.0 clone(child_stack=NULL, flags=SIGCHLD) = 9000\n"
    data = parse_trace(text).to_json()
    pids = [t["pid"] for t in data["tasks"]]
    assert 9000 in pids and 10 in pids and len(pids) == 2000
