"""A plain-text report of an Execution for `grader trace`: process tree, IPC, signals, end state."""

from __future__ import annotations

from grader.sandbox.records import RunRecord
from grader.trace.endstate import STOPPED_WORDS, blocked_at_end, blocked_words
from grader.trace.model import Execution, Task

__all__ = ["describe", "limit_hit"]


def limit_hit(record: RunRecord) -> str | None:
    """Which limit stopped the run, in words, or None when the program ended on its own."""
    if record.oom_killed:
        return f"the program ran out of memory (limit {record.limits.memory_bytes // 2**20} MiB)"
    if record.timed_out or record.stopped_for == "timeout":
        return f"the run hit its time limit ({record.limits.timeout_ms} ms)"
    if record.stopped_for == "linger":
        return (f"the main process ended but other tasks were still running at the time limit "
                f"({record.limits.timeout_ms} ms)")
    if record.output_limit_hit or record.stopped_for == "output":
        return f"the program hit the output limit ({record.limits.output_bytes} bytes)"
    if record.stopped_for == "trace":
        return f"the trace passed its size limit ({record.limits.trace_bytes // 2**20} MiB)"
    if record.pids_limit_hit:
        return f"the program hit the limit of {record.limits.pids} tasks alive at once"
    return None


def _quote(data: bytes, limit: int = 40) -> str:
    text = data[:limit].decode("utf-8", "replace")
    return repr(text) + ("..." if len(data) > limit else "")


def _adopted_by(ex: Execution, pid: int) -> str:
    """Who adopted an orphan: init only when it is pid 1; a traced adopter is a subreaper (prctl)."""
    if pid == 1:
        return "adopted by init, pid 1"
    return f"adopted by its subreaper, pid {pid}" if pid in ex.tasks else f"adopted by pid {pid}"


def _task_line(ex: Execution, task: Task, stdout_lines: dict[int, int]) -> str:
    what = "thread" if task.kind == "thread" else "process"
    parts = [f"{what} {task.tid}"]
    if task.kind == "process":
        parts.append(f"ppid {task.ppid if task.ppid is not None else '?'}")
    else:
        parts.append(f"in {task.tgid}")
    if task.created_by:
        parts.append(f"by {task.created_by} at {task.start:.3f}s")
    for e in task.execs:
        parts.append("exec " + " ".join(e.argv or [e.path]))
    if task.signal:
        parts.append(f"killed by {task.signal}" + (" (core dumped)" if task.core_dumped else ""))
    elif task.end is not None:
        parts.append(f"exit {task.exit_code}")
    else:
        parts.append("still running at the end")
    if task.end is not None:
        parts.append(f"ended at {task.end:.3f}s")
    if task.stopped_by is not None:
        parts.append(STOPPED_WORDS.get(task.stopped_by, f"stopped by the grader ({task.stopped_by})"))
    if task.reaped_by is not None:
        parts.append(f"reaped by {task.reaped_by}")
    if task.zombie_seconds is not None and task.zombie_seconds >= 0.0005:
        parts.append(f"a zombie for {task.zombie_seconds:.3f}s" + (" (never reaped)" if task.zombie else ""))
    marks = [m for m, on in (("ORPHAN", task.orphan), ("ZOMBIE", task.zombie),
                             ("runtime helper", task.runtime_helper),
                             ("multiprocessing worker", task.multiprocessing_child)) if on]
    if task.orphan and task.reparented_to is not None:
        marks[0] = f"ORPHAN ({_adopted_by(ex, task.reparented_to)})"
    n = stdout_lines.get(task.tid, 0)
    if n:
        parts.append(f"{n} stdout line{'s' if n != 1 else ''}")
    return ", ".join(parts) + (f"  [{'; '.join(marks)}]" if marks else "")


def describe(execution: Execution, record: RunRecord | None = None) -> str:
    """What the trace shows the program did, as indented text (the end state also from /proc, given the record)."""
    ex = execution
    out: list[str] = []
    stdout_lines: dict[int, int] = {}
    for w in ex.writes_to("stdout"):
        stdout_lines[w.tid] = stdout_lines.get(w.tid, 0) + w.data.count(b"\n")
    procs = ex.processes()
    helpers = [t for t in procs if t.runtime_helper]
    out.append(f"Duration {ex.duration:.3f}s, {len(procs)} processes ({len(helpers)} runtime helpers), "
               f"{len(ex.threads())} threads" + (" [trace truncated]" if ex.trace_truncated else ""))
    out.append("")
    out.append("Process tree:")
    by_parent: dict[int | None, list[Task]] = {}
    known = {t.tid for t in procs}
    for t in sorted(procs, key=lambda t: (t.start, t.tid)):
        parent = t.ppid if t.ppid in known and t.tid != ex.root else None
        by_parent.setdefault(parent, []).append(t)

    threads: dict[int, list[Task]] = {}
    for th in sorted(ex.threads(), key=lambda t: (t.start, t.tid)):
        threads.setdefault(th.tgid, []).append(th)

    def indent(depth: int) -> str:
        # a deep chain is indented only so far, then says its depth (no recursion, bounded lines)
        return "  " * (depth + 1) if depth < 32 else "  " * 33 + f"[depth {depth}] "

    # depth-first without recursion: a 3000-process chain is a student's choice, not a stack limit
    stack: list[tuple[Task, int]] = [(top, 0) for top in reversed(by_parent.get(None, []))]
    while stack:
        task, depth = stack.pop()
        out.append(indent(depth) + _task_line(ex, task, stdout_lines))
        for th in threads.get(task.tid, []):
            out.append(indent(depth + 1) + _task_line(ex, th, stdout_lines))
        stack.extend((child, depth + 1) for child in reversed(by_parent.get(task.tid, [])))
    if ex.failed_forks:
        errs = sorted({e for _, _, e in ex.failed_forks})
        out.append(f"  {len(ex.failed_forks)} failed fork(s): {', '.join(errs)}"
                   + (" (the pids limit)" if "EAGAIN" in errs else ""))

    out.append("")
    out.append("IPC objects:" if ex.ipc else "IPC objects: none")
    for o in ex.ipc:
        bits = [f"{o.kind} {o.ident}"]
        if o.name and o.name != o.ident:
            bits.append(f"name {o.name}")
        bits.append(f"created by {o.created_by}")
        bits.append("used by " + (", ".join(map(str, o.users)) or "-"))
        if o.left_behind:
            bits.append("LEFT BEHIND")
        if o.runtime_helper:
            bits.append("runtime helper")
        out.append("  " + ", ".join(bits))
    if ex.flows:
        out.append("Data flows:")
        for f in ex.flows:
            out.append(f"  {f.writer} -> {f.reader} via {f.kind} {f.channel}: {f.nbytes} bytes, "
                       f"first at {f.first_time:.3f}s, {_quote(f.sample)}")

    sent = [s for s in ex.signals if s.delivered_to is None]
    delivered = [s for s in ex.signals if s.delivered_to is not None]
    out.append("")
    out.append("Signals:" if ex.signals else "Signals: none")
    for s in sent:
        out.append(f"  {s.time:.3f}s {s.sender} sent {s.signal} to {s.target}")
    for s in delivered:
        src = f"from {s.sender}" if s.sender is not None else "from the kernel"
        out.append(f"  {s.time:.3f}s {s.signal} delivered to {s.delivered_to} {src}")

    out.append("")
    live = blocked_at_end(ex, record) if record is not None else list(ex.blocked)
    stop = limit_hit(record) if record is not None else None
    if live:
        out.append("At the end, still alive:" if stop is None else f"At the end ({stop}), still alive:")
        for b in live:
            out.append(f"  {blocked_words(ex, b).english}")
    elif stop is not None:
        out.append(f"At the end ({stop}): neither the trace nor /proc showed what any task was waiting in")
    elif record is not None:
        out.append("At the end: every task had ended")
    else:
        out.append("At the end: the trace shows no task inside a call")
    if ex.unparsed:
        out.append(f"({len(ex.unparsed)} trace lines not understood)")
    return "\n".join(out) + "\n"
