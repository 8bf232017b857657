"""Coordinates for the process tree and the timeline, computed from `Execution.to_json()`.

Pure functions: a dict in, frozen dataclasses of numbers and short strings out.
The Jinja templates draw them; nothing here builds SVG or HTML.
Units: pixels for coordinates, seconds for times.
"""

from __future__ import annotations

import base64
import bisect
import math
from dataclasses import dataclass, field
from typing import Any

from grader.report.excerpt import clean_text, shorten

__all__ = [
    "Arrow",
    "Gap",
    "Lane",
    "LaneGap",
    "Mark",
    "Tick",
    "TimelineLayout",
    "TreeEdge",
    "TreeGap",
    "TreeLayout",
    "TreeNode",
    "layout_timeline",
    "layout_tree",
    "task_order",
    "visible_rows",
]

LABEL_CHARS = 22          # longest program label before it is cut
TITLE_LINES = 5           # lines of a task's output shown in its tooltip
TITLE_LINE_CHARS = 80
MAX_DEPTH = 10            # process generations drawn; deeper ones are one "more generations" row
MAX_ROWS = 100            # tasks drawn in the tree and the timeline; the rest are one counted row
MAX_WRITE_MARKS = 2000    # write marks on the timeline (closer writes are merged, with a count)
MAX_ARROWS = 1500         # arrows on the timeline; the rest are counted
MAX_EXEC_MARKS = 20       # exec marks per lane (a program can exec itself in a loop)
MAX_SCALE_POINTS = 4000   # event times the stretched time axis is built from


# ---------------------------------------------------------------- shared reading


def _data_bytes(value: Any) -> bytes:
    if isinstance(value, dict):
        if "base64" in value:
            try:
                return base64.b64decode(value["base64"])
            except (ValueError, TypeError):
                return b""
        return str(value.get("text", "")).encode("utf-8", errors="replace")
    if isinstance(value, str):
        return value.encode("utf-8", errors="replace")
    return b""


def _program(task: dict[str, Any]) -> str:
    execs = task.get("execs") or []
    if not execs:
        return ""
    last = execs[-1]
    argv = [str(a) for a in (last.get("argv") or [])]
    path = str(last.get("path") or "")
    name = path.rsplit("/", 1)[-1]
    # "python3 hello.py" says more than "python3".
    if len(argv) > 1 and name.startswith("python"):
        name = f"{name} {argv[1].rsplit('/', 1)[-1]}"
    text, _, _ = clean_text(name)
    return shorten(text, LABEL_CHARS)


def _output_lines(execution: dict[str, Any]) -> dict[int, list[bytes]]:
    """Each task's stdout/stderr bytes split into lines (per task, per channel)."""
    streams: dict[tuple[int, str], bytearray] = {}
    for write in execution.get("writes") or []:
        if write.get("channel") not in ("stdout", "stderr", "tty"):
            continue
        if (write.get("size") or 0) <= 0:
            continue
        key = (int(write["tid"]), str(write.get("channel")))
        streams.setdefault(key, bytearray()).extend(_data_bytes(write.get("data")))
    lines: dict[int, list[bytes]] = {}
    for (tid, _), data in streams.items():
        chunks = bytes(data).split(b"\n")
        if chunks and chunks[-1] == b"":
            chunks.pop()
        lines.setdefault(tid, []).extend(chunks)
    return lines


def _tasks(execution: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(t["pid"]): t for t in execution.get("tasks") or []}


def task_order(execution: dict[str, Any]) -> list[tuple[int, int]]:
    """Tasks in tree order as (tid, depth): a process, its threads, then its children.

    An explicit stack, not recursion: a student's chain of forks can be thousands deep.
    """
    tasks = _tasks(execution)
    processes = {tid: t for tid, t in tasks.items() if t.get("kind") == "process"}
    children: dict[int | None, list[int]] = {}
    threads: dict[int, list[int]] = {}
    for tid, task in sorted(tasks.items(), key=lambda item: (item[1].get("start") or 0.0, item[0])):
        if task.get("kind") == "thread":
            threads.setdefault(int(task.get("tgid") or tid), []).append(tid)
            continue
        parent = task.get("ppid")
        if parent not in processes or parent == tid:
            parent = None
        children.setdefault(parent, []).append(tid)

    order: list[tuple[int, int]] = []
    seen: set[int] = set()
    root = execution.get("root")
    roots = children.get(None, [])
    if root in roots:
        roots = [root] + [r for r in roots if r != root]
    stack: list[tuple[int, int]] = [(pid, 0) for pid in reversed(roots)]
    while stack:
        pid, depth = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        order.append((pid, depth))
        for thread in threads.get(pid, []):
            seen.add(thread)
            order.append((thread, depth + 1))
        stack.extend((child, depth + 1) for child in reversed(children.get(pid, [])))
    # Threads whose process is not in the trace (and tasks in a ppid cycle) still get a row.
    for tid in sorted(tasks, key=lambda t: (tasks[t].get("start") or 0.0, t)):
        if tid not in seen:
            seen.add(tid)
            order.append((tid, 0))
    return order


@dataclass(frozen=True, slots=True)
class Gap:
    """Tasks left out of the pictures, drawn as one row that says how many."""

    reason: str                     # "depth": descendants below MAX_DEPTH; "rows": past MAX_ROWS
    depth: int                      # indentation of the row
    parent: int | None              # the drawn process they descend from ("depth" only)
    tasks: int
    processes: int
    threads: int
    generations: int                # process levels left out ("depth" only)


Row = tuple[int, int] | Gap
"""One row of the tree and of the timeline: (tid, depth) of a drawn task, or a Gap."""


def visible_rows(execution: dict[str, Any], *, max_depth: int = MAX_DEPTH,
                 max_rows: int = MAX_ROWS) -> list[Row]:
    """`task_order` cut for drawing: processes deeper than `max_depth` generations and tasks past
    `max_rows` are summarised in Gap rows (with their counts), so the page stays small whatever
    the program did."""
    tasks = _tasks(execution)
    order = task_order(execution)
    rows: list[Row] = []
    drawn = 0
    i = 0
    while i < len(order):
        tid, depth = order[i]
        kind = tasks[tid].get("kind")
        if drawn >= max_rows:
            rest = order[i:]
            threads = sum(1 for t, _ in rest if tasks[t].get("kind") == "thread")
            rows.append(Gap(reason="rows", depth=0, parent=None, tasks=len(rest),
                            processes=len(rest) - threads, threads=threads, generations=0))
            break
        if kind == "process" and depth >= max_depth:
            # In tree order a subtree is the run of rows deeper than its root: all the cut
            # descendants of one drawn process are contiguous.
            j = i
            threads = 0
            deepest = depth
            while j < len(order) and order[j][1] >= max_depth:
                if tasks[order[j][0]].get("kind") == "thread":
                    threads += 1
                else:
                    deepest = max(deepest, order[j][1])
                j += 1
            parent = tasks[tid].get("ppid")
            rows.append(Gap(reason="depth", depth=depth, parent=int(parent) if parent is not None else None,
                            tasks=j - i, processes=j - i - threads, threads=threads,
                            generations=deepest - max_depth + 1))
            i = j
            continue
        rows.append((tid, depth))
        drawn += 1
        i += 1
    return rows


# ---------------------------------------------------------------- process tree


@dataclass(frozen=True, slots=True)
class TreeNode:
    """One task drawn as a box; threads are drawn smaller, under their process."""

    tid: int
    tgid: int
    kind: str                       # "process" | "thread"
    depth: int
    x: float
    y: float
    width: float
    height: float
    program: str                    # cut to LABEL_CHARS
    exit_code: int | None
    signal: str | None
    alive: bool                     # still running when the trace ended
    zombie: bool
    orphan: bool
    reparented_to: int | None
    reaped_by: int | None
    lines: int                      # lines of stdout/stderr it wrote
    sample: tuple[str, ...] = ()    # the first of those lines, cleaned and cut
    threads: int = 0                # for a process: how many threads it started


@dataclass(frozen=True, slots=True)
class TreeEdge:
    """An elbow from a parent to a child: down from (x1, y1), across to (x2, y2)."""

    parent: int
    child: int
    kind: str                       # "fork" | "thread" | "more" (to a row of tasks not drawn)
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True, slots=True)
class TreeGap:
    """A row standing for tasks that are not drawn (see `Gap`)."""

    gap: Gap
    x: float
    y: float
    height: float


@dataclass(frozen=True, slots=True)
class TreeLayout:
    nodes: tuple[TreeNode, ...]
    edges: tuple[TreeEdge, ...]
    width: float
    height: float
    processes: int                  # in the whole trace, drawn or not
    threads: int
    gaps: tuple[TreeGap, ...] = ()
    hidden: int = 0                 # tasks not drawn (summarised in the gaps)
    unkept: int = 0                 # tasks the model did not keep at all ("summarized": json_tasks)


def layout_tree(execution: dict[str, Any], *, width: float = 1000.0) -> TreeLayout:
    """An indented tree: one row per task, children indented under their parent.

    At most MAX_ROWS tasks and MAX_DEPTH generations are drawn; the rest become counted rows.
    """
    tasks = _tasks(execution)
    rows = visible_rows(execution)
    lines = _output_lines(execution)
    n = len(rows)
    row = 34.0 if n <= 16 else 26.0 if n <= 40 else 22.0
    indent = 28.0 if n <= 16 else 20.0
    margin = 8.0
    node_w = min(420.0, max(240.0, width * 0.42))
    thread_ids: dict[int, list[int]] = {}
    for tid, task in tasks.items():
        if task.get("kind") == "thread":
            thread_ids.setdefault(int(task.get("tgid") or tid), []).append(tid)

    nodes: list[TreeNode] = []
    gaps: list[TreeGap] = []
    edges: list[TreeEdge] = []
    position: dict[int, tuple[float, float]] = {}
    max_right = 0.0
    for index, item in enumerate(rows):
        y = margin + index * row
        if isinstance(item, Gap):
            x = margin + item.depth * indent
            gaps.append(TreeGap(gap=item, x=x, y=y, height=row - 8.0))
            max_right = max(max_right, x + node_w)
            continue
        tid, depth = item
        task = tasks[tid]
        kind = str(task.get("kind") or "process")
        x = margin + depth * indent
        height = row - 8.0 if kind == "process" else row - 12.0
        w = node_w if kind == "process" else node_w - 30.0
        own_lines = lines.get(tid, [])
        if kind == "process":
            # A process's lines include its threads' lines.
            for other in thread_ids.get(tid, []):
                own_lines = own_lines + lines.get(other, [])
        sample = tuple(
            shorten(clean_text(line.decode("utf-8", errors="backslashreplace"))[0], TITLE_LINE_CHARS)
            for line in own_lines[:TITLE_LINES]
        )
        node = TreeNode(
            tid=tid,
            tgid=int(task.get("tgid") or tid),
            kind=kind,
            depth=depth,
            x=x,
            y=y,
            width=w,
            height=height,
            program=_program(task),
            exit_code=task.get("exit_code"),
            signal=task.get("signal"),
            alive=task.get("end") is None,
            zombie=bool(task.get("zombie")),
            orphan=bool(task.get("orphan")),
            reparented_to=task.get("reparented_to"),
            reaped_by=task.get("reaped_by"),
            lines=len(own_lines),
            sample=sample,
            threads=len(thread_ids.get(tid, [])) if kind == "process" else 0,
        )
        nodes.append(node)
        position[tid] = (x, y + height / 2)
        max_right = max(max_right, x + w)

    for node in nodes:
        task = tasks[node.tid]
        parent = task.get("tgid") if node.kind == "thread" else task.get("ppid")
        if parent is None or parent == node.tid or parent not in position:
            continue
        px, py = position[parent]
        edges.append(
            TreeEdge(
                parent=int(parent),
                child=node.tid,
                kind="thread" if node.kind == "thread" else "fork",
                x1=px + 10.0,
                y1=py + 8.0,
                x2=node.x,
                y2=node.y + node.height / 2,
            )
        )
    for tree_gap in gaps:
        parent = tree_gap.gap.parent
        if parent is None or parent not in position:
            continue
        px, py = position[parent]
        edges.append(TreeEdge(parent=parent, child=-1, kind="more", x1=px + 10.0, y1=py + 8.0,
                              x2=tree_gap.x, y2=tree_gap.y + tree_gap.height / 2))
    threads = sum(1 for task in tasks.values() if task.get("kind") == "thread")
    return TreeLayout(
        nodes=tuple(nodes),
        edges=tuple(edges),
        width=max(width, max_right + 270.0),
        height=margin * 2 + max(n, 1) * row,
        processes=len(tasks) - threads,
        threads=threads,
        gaps=tuple(gaps),
        hidden=sum(g.gap.tasks for g in gaps),
        unkept=_unkept(execution),
    )


def _unkept(execution: dict[str, Any]) -> int:
    value = (execution.get("summarized") or {}).get("json_tasks")
    return value if isinstance(value, int) and value > 0 else 0


# ---------------------------------------------------------------- timeline


@dataclass(frozen=True, slots=True)
class Lane:
    """One task's row: a bar from its creation to its end (or the end of the trace)."""

    tid: int
    kind: str
    depth: int
    y: float                        # top of the lane
    height: float
    mid: float                      # y of the bar's centre line
    x_start: float
    x_end: float
    x_zombie_end: float | None      # a zombie stays until it is reaped or the trace ends
    alive: bool
    program: str


@dataclass(frozen=True, slots=True)
class Mark:
    """A point event on a lane."""

    kind: str                       # "start" | "exec" | "write" | "exit" | "killed" | "blocked"
    tid: int
    time: float
    x: float
    y: float
    count: int = 1                  # writes merged into this mark
    detail: str = ""                # short text for the tooltip (cleaned, cut)
    x_end: float | None = None      # for "blocked": where the bar ends


@dataclass(frozen=True, slots=True)
class Arrow:
    """An event between two lanes, drawn from (x1, y1) to (x2, y2)."""

    kind: str                       # "create" | "flow" | "signal" | "reap"
    source: int
    target: int
    time: float
    x1: float
    y1: float
    x2: float
    y2: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class LaneGap:
    """A timeline row standing for tasks that have no lane (see `Gap`)."""

    gap: Gap
    y: float
    mid: float


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    seconds: float
    label: str                      # e.g. "12.5 ms"


@dataclass(frozen=True, slots=True)
class TimelineLayout:
    lanes: tuple[Lane, ...]
    marks: tuple[Mark, ...]
    arrows: tuple[Arrow, ...]
    ticks: tuple[Tick, ...]
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    lane_height: float
    font_size: float
    duration: float
    stretched: bool                 # the axis is not linear in time (dense moments widened)
    merged_writes: int = 0          # writes drawn as part of another mark
    notes: tuple[str, ...] = field(default_factory=tuple)
    gaps: tuple[LaneGap, ...] = ()  # rows standing for tasks without a lane
    hidden: int = 0                 # tasks without a lane
    hidden_arrows: int = 0          # arrows past MAX_ARROWS, not drawn


def _format_seconds(seconds: float) -> str:
    if seconds == 0:
        return "0"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} \u00b5s"
    if seconds < 1:
        value = seconds * 1e3
        return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"
    return f"{seconds:.2f} s"


class _TimeScale:
    """Maps seconds to x, monotone; half by time, half by event rank, so bursts spread out."""

    def __init__(self, times: list[float], duration: float, left: float, right: float) -> None:
        self.left = left
        self.right = right
        self.duration = duration if duration > 0 else 1.0
        points = sorted({0.0, self.duration, *(t for t in times if 0.0 <= t <= self.duration)})
        if len(points) > MAX_SCALE_POINTS:
            # Evenly spaced ranks of the sorted times keep the stretch, at a bounded cost.
            step = len(points) / (MAX_SCALE_POINTS - 1)
            points = sorted({points[int(i * step)] for i in range(MAX_SCALE_POINTS - 1)} | {points[-1]})
        self.points = points
        self.rank_weight = 0.5 if len(self.points) > 2 else 0.0

    def rank(self, t: float) -> float:
        points = self.points
        if len(points) < 2:
            return 0.0
        i = bisect.bisect_right(points, t) - 1
        i = min(max(i, 0), len(points) - 2)
        lo, hi = points[i], points[i + 1]
        frac = 0.0 if hi == lo else (t - lo) / (hi - lo)
        return (i + min(max(frac, 0.0), 1.0)) / (len(points) - 1)

    def x(self, t: float | None) -> float:
        t = self.duration if t is None else min(max(t, 0.0), self.duration)
        share = self.rank_weight * self.rank(t) + (1 - self.rank_weight) * (t / self.duration)
        return self.left + share * (self.right - self.left)


def _nice_steps(duration: float) -> list[float]:
    exponent = math.floor(math.log10(duration)) if duration > 0 else 0
    base = 10.0 ** (exponent - 2)
    return [base * m for m in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)]


def layout_timeline(execution: dict[str, Any], *, width: float = 1060.0) -> TimelineLayout:
    """One lane per task in tree order; events placed in real time order."""
    tasks = _tasks(execution)
    rows = visible_rows(execution)
    order = [row for row in rows if isinstance(row, tuple)]
    n = max(len(rows), 1)
    lane_h = 30.0 if n <= 8 else 24.0 if n <= 16 else 16.0 if n <= 32 else 12.0
    font = 12.0 if lane_h >= 24 else 10.0 if lane_h >= 16 else 8.5
    label_chars = 24 if lane_h >= 16 else 18
    plot_left = 190.0 if lane_h >= 16 else 160.0
    plot_right = width - 20.0
    plot_top = 30.0
    plot_bottom = plot_top + n * lane_h

    writes = [w for w in execution.get("writes") or [] if (w.get("size") or 0) > 0]
    flows = execution.get("flows") or []
    signals = execution.get("signals") or []
    blocked = execution.get("blocked") or []
    times: list[float] = []
    for task in tasks.values():
        for key in ("start", "end", "reaped_at"):
            if task.get(key) is not None:
                times.append(float(task[key]))
        times.extend(float(e["time"]) for e in task.get("execs") or [] if e.get("time") is not None)
    times.extend(float(w["time"]) for w in writes if w.get("time") is not None)
    times.extend(float(f["first_time"]) for f in flows if f.get("first_time") is not None)
    times.extend(float(s["time"]) for s in signals if s.get("time") is not None)
    times.extend(float(b["since"]) for b in blocked if b.get("since") is not None)
    duration = max([float(execution.get("duration") or 0.0), *times, 0.0])
    scale = _TimeScale(times, duration, plot_left, plot_right)

    lanes: list[Lane] = []
    lane_gaps: list[LaneGap] = []
    mid: dict[int, float] = {}
    for index, row in enumerate(rows):
        y = plot_top + index * lane_h
        centre = y + lane_h / 2
        if isinstance(row, Gap):
            lane_gaps.append(LaneGap(gap=row, y=y, mid=centre))
            continue
        tid, depth = row
        task = tasks[tid]
        mid[tid] = centre
        end = task.get("end")
        zombie_end = scale.x(task.get("reaped_at")) if task.get("zombie") and end is not None else None
        lanes.append(
            Lane(
                tid=tid,
                kind=str(task.get("kind") or "process"),
                depth=depth,
                y=y,
                height=lane_h,
                mid=centre,
                x_start=scale.x(float(task.get("start") or 0.0)),
                x_end=scale.x(end),
                x_zombie_end=zombie_end,
                alive=end is None,
                program=shorten(_program(task), label_chars),
            )
        )

    marks: list[Mark] = []
    arrows: list[Arrow] = []
    for tid, _ in order:
        task = tasks[tid]
        start = float(task.get("start") or 0.0)
        marks.append(Mark(kind="start", tid=tid, time=start, x=scale.x(start), y=mid[tid]))
        for exe in (task.get("execs") or [])[:MAX_EXEC_MARKS]:
            if exe.get("time") is None:
                continue
            detail = shorten(clean_text(str(exe.get("path") or ""))[0], 60)
            marks.append(Mark(kind="exec", tid=tid, time=float(exe["time"]), x=scale.x(float(exe["time"])),
                              y=mid[tid], detail=detail))
        if task.get("end") is not None:
            end = float(task["end"])
            kind = "killed" if task.get("signal") else "exit"
            detail = str(task["signal"]) if task.get("signal") else str(task.get("exit_code"))
            marks.append(Mark(kind=kind, tid=tid, time=end, x=scale.x(end), y=mid[tid],
                              detail=shorten(clean_text(detail)[0], 20)))
        creator = task.get("creator")
        if creator is None and task.get("kind") == "process":
            creator = task.get("ppid")
        if creator in mid and creator != tid:
            x = scale.x(start)
            arrows.append(Arrow(kind="create", source=int(creator), target=tid, time=start,
                                x1=x, y1=mid[int(creator)], x2=x, y2=mid[tid],
                                detail=str(task.get("created_by") or "")))
        reaper = task.get("reaped_by")
        if reaper in mid and task.get("reaped_at") is not None:
            at = float(task["reaped_at"])
            x = scale.x(at)
            arrows.append(Arrow(kind="reap", source=tid, target=int(reaper), time=at,
                                x1=x, y1=mid[tid], x2=x, y2=mid[int(reaper)]))

    # Writes: merge those closer than 3 px on one lane into one mark with a count; with many
    # writing lanes the spacing grows so that there are at most MAX_WRITE_MARKS marks.
    drawn_writes = [w for w in writes if int(w["tid"]) in mid]
    writing_lanes = len({int(w["tid"]) for w in drawn_writes})
    spacing = max(3.0, (plot_right - plot_left) * writing_lanes / MAX_WRITE_MARKS)
    merged = 0
    last: dict[int, int] = {}
    for write in sorted(drawn_writes, key=lambda w: float(w.get("time") or 0.0)):
        tid = int(write["tid"])
        t = float(write.get("time") or 0.0)
        x = scale.x(t)
        previous = last.get(tid)
        if previous is not None and abs(marks[previous].x - x) < spacing:
            old = marks[previous]
            marks[previous] = Mark(kind="write", tid=tid, time=old.time, x=old.x, y=old.y,
                                   count=old.count + 1, detail=old.detail)
            merged += 1
            continue
        text = _data_bytes(write.get("data"))[:TITLE_LINE_CHARS * 4].decode("utf-8", errors="backslashreplace")
        channel = str(write.get("channel") or "")
        detail = shorten(clean_text(f"{channel}: {text}")[0], TITLE_LINE_CHARS)
        last[tid] = len(marks)
        marks.append(Mark(kind="write", tid=tid, time=t, x=x, y=mid[tid], detail=detail))

    for block in blocked:
        tid = int(block["tid"])
        if tid not in mid:
            continue
        since = float(block.get("since") or 0.0)
        detail = shorten(clean_text(f"{block.get('syscall')}({block.get('args') or ''})")[0], 60)
        # Until the task ended (killed at the time limit) or, if it never did, the end of the trace.
        marks.append(Mark(kind="blocked", tid=tid, time=since, x=scale.x(since), y=mid[tid],
                          detail=detail, x_end=scale.x(tasks[tid].get("end"))))

    for flow in flows:
        source, target = flow.get("from"), flow.get("to")
        if source not in mid or target not in mid or flow.get("first_time") is None:
            continue
        t = float(flow["first_time"])
        x = scale.x(t)
        sample = _data_bytes(flow.get("sample")).decode("utf-8", errors="backslashreplace")
        detail = shorten(clean_text(f"{flow.get('kind')}: {flow.get('bytes')} B {sample}")[0], TITLE_LINE_CHARS)
        arrows.append(Arrow(kind="flow", source=int(source), target=int(target), time=t,
                            x1=x, y1=mid[int(source)], x2=x + 0.01, y2=mid[int(target)], detail=detail))

    for sig in signals:
        source = sig.get("sender")
        target = sig.get("delivered_to") or sig.get("target")
        if source not in mid or target not in mid or sig.get("time") is None:
            continue
        t = float(sig["time"])
        x = scale.x(t)
        arrows.append(Arrow(kind="signal", source=int(source), target=int(target), time=t,
                            x1=x, y1=mid[int(source)], x2=x, y2=mid[int(target)],
                            detail=shorten(clean_text(str(sig.get("signal") or ""))[0], 20)))

    ticks: list[Tick] = []
    for step in _nice_steps(duration):
        candidate = [Tick(x=scale.x(k * step), seconds=k * step, label=_format_seconds(k * step))
                     for k in range(int(duration / step) + 1)]
        spaced: list[Tick] = []
        for tick in candidate:
            if not spaced or tick.x - spaced[-1].x >= 70.0:
                spaced.append(tick)
        if len(spaced) <= 14 and (len(candidate) <= 60):
            ticks = spaced
            break
    if not ticks:
        ticks = [Tick(x=scale.x(0.0), seconds=0.0, label="0"),
                 Tick(x=scale.x(duration), seconds=duration, label=_format_seconds(duration))]
    marks.sort(key=lambda m: (m.time, m.tid))
    arrows.sort(key=lambda a: a.time)
    hidden_arrows = max(len(arrows) - MAX_ARROWS, 0)
    return TimelineLayout(
        lanes=tuple(lanes),
        marks=tuple(marks),
        arrows=tuple(arrows[:MAX_ARROWS]),
        ticks=tuple(ticks),
        width=width,
        height=plot_bottom + 30.0,
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        lane_height=lane_h,
        font_size=font,
        duration=duration,
        stretched=scale.rank_weight > 0,
        merged_writes=merged,
        gaps=tuple(lane_gaps),
        hidden=sum(g.gap.tasks for g in lane_gaps),
        hidden_arrows=hidden_arrows,
    )
