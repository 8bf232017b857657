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


# ---------------------------------------------------------------- bounded, never recursive


def _chain(depth: int) -> dict[str, Any]:
    """A synthetic Execution JSON: pid 1 forks 2, 2 forks 3, ... `depth` processes in one line."""
    tasks = [{"pid": i, "tgid": i, "ppid": i - 1 if i > 1 else None, "kind": "process", "start": i * 1e-4,
              "end": i * 1e-4 + 5e-5, "exit_code": 0, "orphan": i > 1, "reparented_to": 1 if i > 1 else None}
             for i in range(1, depth + 1)]
    return {"root": 1, "duration": depth * 1e-4 + 1e-3, "tasks": tasks,
            "writes": [{"time": depth * 1e-4, "tid": depth, "channel": "stdout", "size": 9,
                        "data": {"text": "hello os\n"}}]}


def test_task_order_of_a_3000_deep_chain_does_not_recurse() -> None:
    order = task_order(_chain(3000))
    assert order[0] == (1, 0) and order[-1] == (3000, 2999)
    assert len(order) == 3000


def test_a_3000_deep_chain_is_drawn_ten_generations_deep_and_summarised() -> None:
    from grader.report.layout import MAX_DEPTH

    tree = layout_tree(_chain(3000))
    assert [n.tid for n in tree.nodes] == list(range(1, MAX_DEPTH + 1))
    assert len(tree.gaps) == 1
    gap = tree.gaps[0].gap
    assert (gap.reason, gap.generations, gap.processes, gap.threads, gap.parent) == ("depth", 2990, 2990, 0, 10)
    assert tree.processes == 3000 and tree.hidden == 2990
    assert any(e.kind == "more" and e.parent == 10 for e in tree.edges)
    timeline = layout_timeline(_chain(3000))
    assert len(timeline.lanes) == MAX_DEPTH and timeline.hidden == 2990
    assert timeline.height < 600


def test_the_same_chain_from_the_model_builder() -> None:
    """Through Execution.to_json (which bounds the model itself): still ten generations and one gap."""
    from exec_builder import ExecBuilder

    builder = ExecBuilder()
    parent = builder.execution.root
    for _ in range(2999):
        child = builder.fork(parent)
        builder.orphan(child)
        builder.exit(parent, reaped=False)
        parent = child
    execution = builder.execution.to_json()
    kept = sum(1 for t in execution["tasks"] if t["kind"] == "process")
    tree = layout_tree(execution)
    assert len(tree.nodes) == 10
    assert [g.gap.generations for g in tree.gaps] == [kept - 10]


def _threads(n: int) -> dict[str, Any]:
    tasks = [{"pid": 1, "tgid": 1, "ppid": None, "kind": "process", "start": 0.0, "end": 1.0, "exit_code": 0}]
    tasks += [{"pid": 1 + i, "tgid": 1, "ppid": None, "kind": "thread", "start": i * 1e-5, "end": 0.5 + i * 1e-5}
              for i in range(1, n + 1)]
    return {"root": 1, "duration": 1.0, "tasks": tasks}


def test_ten_thousand_threads_are_a_hundred_rows_and_a_count() -> None:
    from grader.report.layout import MAX_ROWS

    tree = layout_tree(_threads(10_000))
    assert len(tree.nodes) == MAX_ROWS
    assert tree.processes == 1 and tree.threads == 10_000
    (gap,) = [g.gap for g in tree.gaps]
    assert (gap.reason, gap.tasks, gap.threads, gap.processes) == ("rows", 10_001 - MAX_ROWS, 10_001 - MAX_ROWS, 0)
    assert tree.nodes[0].threads == 10_000
    timeline = layout_timeline(_threads(10_000))
    assert len(timeline.lanes) == MAX_ROWS and timeline.hidden == 10_001 - MAX_ROWS


def test_many_writing_lanes_share_a_bounded_number_of_write_marks() -> None:
    from grader.report.layout import MAX_WRITE_MARKS

    execution = _threads(200)
    execution["writes"] = [{"time": (i % 10_000) * 1e-4, "tid": 2 + i % 99, "channel": "stdout", "size": 1,
                            "data": {"text": "x"}} for i in range(100_000)]
    timeline = layout_timeline(execution)
    marks = [m for m in timeline.marks if m.kind == "write"]
    assert len(marks) <= MAX_WRITE_MARKS + 99
    assert sum(m.count for m in marks) == 100_000
