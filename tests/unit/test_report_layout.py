"""Tree and timeline layout: pure coordinates from Execution.to_json()."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from grader.report.layout import layout_timeline, layout_tree, task_order

RESULTS = Path(__file__).resolve().parents[1] / "data" / "results"


def _execution(name: str, test: int = 0) -> dict[str, Any]:
    data = json.loads((RESULTS / name).read_text(encoding="utf-8"))
    execution: dict[str, Any] = data["tests"][test]["runs"][0]["execution"]
    return execution


def test_tree_order_puts_children_under_their_parent() -> None:
    order = task_order(_execution("fork_hello_four_processes.json"))
    assert order == [(7, 0), (8, 1), (10, 2), (9, 1)]


def test_tree_has_one_node_per_task_and_marks_zombie_and_orphan() -> None:
    tree = layout_tree(_execution("fork_hello_four_processes.json"))
    assert [n.tid for n in tree.nodes] == [7, 8, 10, 9]
    assert tree.processes == 4 and tree.threads == 0
    ten = next(n for n in tree.nodes if n.tid == 10)
    assert ten.zombie and ten.orphan and ten.reparented_to == 1
    assert ten.lines == 1 and ten.sample == ("hello os",)
    assert {(e.parent, e.child) for e in tree.edges} == {(7, 8), (7, 9), (8, 10)}
    # Rows do not overlap.
    ys = [n.y for n in tree.nodes]
    assert all(b - a >= tree.nodes[0].height for a, b in itertools.pairwise(ys))


def test_sixty_four_tasks_stay_readable() -> None:
    execution = _execution("worker_pool_64_tasks.json")
    tree = layout_tree(execution)
    assert len(tree.nodes) == 64 and tree.processes == 25 and tree.threads == 39
    assert tree.height < 1600
    timeline = layout_timeline(execution)
    assert len(timeline.lanes) == 64
    assert timeline.lane_height >= 12
    assert timeline.height < 1000
    assert all(len(lane.program) <= 24 for lane in timeline.lanes)
    for lane in timeline.lanes:
        assert timeline.plot_left <= lane.x_start <= lane.x_end <= timeline.plot_right


def test_timeline_x_follows_real_time_order() -> None:
    timeline = layout_timeline(_execution("fork_hello_four_processes.json"))
    times_x = sorted((m.time, m.x) for m in timeline.marks)
    xs = [x for _, x in times_x]
    assert xs == sorted(xs)
    kinds = {m.kind for m in timeline.marks}
    assert {"start", "exec", "write", "exit"} <= kinds
    assert {a.kind for a in timeline.arrows} >= {"create", "reap"}
    ticks = [t.x for t in timeline.ticks]
    assert ticks == sorted(ticks) and len(ticks) >= 2


def test_timeline_shows_flows_blocked_calls_and_kills() -> None:
    timeline = layout_timeline(_execution("pipe_write_end_open_timeout.json"))
    flows = [a for a in timeline.arrows if a.kind == "flow"]
    assert [(a.source, a.target) for a in flows] == [(7, 8)]
    blocked = [m for m in timeline.marks if m.kind == "blocked"]
    assert {m.tid for m in blocked} == {7, 8}
    assert any("read" in m.detail for m in blocked)
    assert sum(1 for m in timeline.marks if m.kind == "killed") == 2


def test_many_writes_merge_into_counted_marks() -> None:
    writes = [{"time": 0.001 + i * 1e-7, "tid": 1, "pid": 1, "channel": "stdout", "size": 2,
               "data": {"text": "x\n"}} for i in range(5000)]
    execution = {"root": 1, "duration": 1.0, "tasks": [{"pid": 1, "tgid": 1, "ppid": None, "kind": "process",
                                                         "start": 0.0, "end": 1.0, "exit_code": 0}],
                 "writes": writes}
    timeline = layout_timeline(execution)
    write_marks = [m for m in timeline.marks if m.kind == "write"]
    assert len(write_marks) <= (timeline.plot_right - timeline.plot_left) / 3 + 1
    assert sum(m.count for m in write_marks) == 5000


@pytest.mark.parametrize("execution", [{}, {"tasks": []}])
def test_empty_execution(execution: dict[str, Any]) -> None:
    assert layout_tree(execution).nodes == ()
    assert layout_timeline(execution).lanes == ()
