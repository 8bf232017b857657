"""Diagnoses: causes read from the trace and the run's flags that explain failed checks."""

from __future__ import annotations

import difflib
import os
import shlex
from collections.abc import Iterable, Sequence

from grader.result import Diagnosis, Evidence
from grader.sandbox.records import BuildRecord, RunRecord
from grader.trace.model import Execution, Task, Transfer

__all__ = [
    "EXPLAINS",
    "SPECULATIVE",
    "attach",
    "diagnose_build",
    "diagnose_missing_files",
    "diagnose_run",
    "merge_diagnoses",
]

# Which check kinds each diagnosis can explain: exact kinds, prefixes ending in '.', or '*' for all.
EXPLAINS: dict[str, tuple[str, ...]] = {
    "zombie": ("process.reaped", "process.no_zombies"),
    "orphan": ("process.no_orphans", "process.reaped", "output.ids", "output.values", "output.happens_before",
               "output.process_order"),
    "fork_buffer_duplicate": ("output.", "thread.work"),
    "pipe_write_end_open": ("*",),
    "fork_bomb": ("*",),
    "timeout": ("*",),
    "crash": ("*",),
    "oom": ("*",),
    "output_limit": ("output.", "resource.time"),
    "trace_limit": ("*",),
    "start_failed": ("*",),
    "compile_error": ("*",),
    "missing_files": ("*",),
}
# Inferred rather than observed: shown only when they explain a failed check.
SPECULATIVE = frozenset({"fork_buffer_duplicate"})
_READS = {"read", "readv", "pread64", "recvfrom", "recvmsg", "recv"}
_STDOUT_KINDS = ("stdout", "tty")


def _pids(tasks: Iterable[Task]) -> str:
    return ", ".join(f"pid {t.tid}" for t in tasks)


def _zombies(execution: Execution, run: int) -> list[Diagnosis]:
    zombies = [t for t in execution.processes() if t.zombie and t.tid != execution.root]
    if not zombies:
        return []
    parents = sorted({t.ppid for t in zombies if t.ppid is not None})
    return [Diagnosis(
        code="zombie",
        message=(
            f"{len(zombies)} child process(es) ({_pids(zombies)}) ended but their parent "
            f"({', '.join(f'pid {p}' for p in parents)}) never waited for them, so each stayed a zombie "
            "until the parent itself ended. Call wait()/waitpid() (or join()) for every child."
        ),
        params={"pids": [t.tid for t in zombies], "parents": parents, "count": len(zombies)},
        evidence=[Evidence(
            label="zombies",
            lines=[f"pid {t.tid}: exited with {t.exit_code}, parent pid {t.ppid} never called wait" for t in zombies],
            tasks=[t.tid for t in zombies], run=run,
        )],
    )]


def _orphans(execution: Execution, run: int) -> list[Diagnosis]:
    orphans = [t for t in execution.processes() if t.orphan and t.tid != execution.root]
    if not orphans:
        return []
    lines = [
        f"pid {t.tid}: parent pid {t.ppid} ended first; adopted by pid {t.reparented_to or 1}" for t in orphans
    ]
    return [Diagnosis(
        code="orphan",
        message=(
            f"{len(orphans)} process(es) ({_pids(orphans)}) were still running when their parent exited, so they "
            "were re-parented to init (orphans): anything they print after that comes after the parent's last "
            "line, and getppid() returns the new parent. The parent should wait for its children before exiting."
        ),
        params={"pids": [t.tid for t in orphans], "count": len(orphans)},
        evidence=[Evidence(label="orphans", lines=lines, tasks=[t.tid for t in orphans], run=run)],
    )]


def _stdout_writes(execution: Execution, tgid: int) -> list[Transfer]:
    return sorted(
        (w for w in execution.writes
         if w.channel.kind in _STDOUT_KINDS and w.size > 0 and execution.process_of(w.tid) == tgid),
        key=lambda w: w.time,
    )


def _common_prefix(a: bytes, b: bytes) -> bytes:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return a[:n]


def _fork_buffer(execution: Execution, record: RunRecord, run: int) -> list[Diagnosis]:
    found: list[tuple[Task, Task, bytes]] = []
    for child in execution.processes():
        if child.ppid is None or child.ppid not in execution.tasks:
            continue
        child_writes = _stdout_writes(execution, child.tid)
        if not child_writes:
            continue
        first = child_writes[0].data
        for write in _stdout_writes(execution, child.ppid):
            if write.time < child.start:
                continue
            shared = _common_prefix(first, write.data)
            if shared.strip():
                found.append((execution.tasks[child.ppid], child, shared))
                break
    if not found:
        return []
    parent, child, shared = found[0]
    text = shared.decode("utf-8", errors="replace")
    mode = record.stdout_mode
    return [Diagnosis(
        code="fork_buffer_duplicate",
        message=(
            f"pid {parent.tid} and its child pid {child.tid} both wrote {text!r}, and the child wrote it before "
            "anything of its own: that text was still in the parent's stdio buffer when it called fork(), the "
            "child got a copy, and both copies were flushed. "
            + ("Here stdout is a pipe, so it is fully buffered; in a terminal it is line-buffered and the "
               "duplicate usually disappears. " if mode == "pipe" else
               "Even on a terminal, text without a newline stays in the buffer. ")
            + "Flush before fork(): sys.stdout.flush() or print(..., flush=True) in Python, fflush(stdout) in C."
        ),
        params={"parent": parent.tid, "child": child.tid, "text": text, "stdout_mode": mode,
                "pairs": len(found)},
        evidence=[Evidence(
            label="the same bytes written by parent and child",
            lines=[f"pid {p.tid} and pid {c.tid}: {s.decode('utf-8', errors='replace')!r}" for p, c, s in found[:8]],
            tasks=[parent.tid, child.tid], run=run,
        )],
    )]


def _pipe_hangs(execution: Execution, run: int) -> list[Diagnosis]:
    out: list[Diagnosis] = []
    for blocked in execution.blocked:
        channel = blocked.channel
        if blocked.syscall not in _READS or channel is None or channel.kind not in ("pipe", "fifo"):
            continue
        if not blocked.holders:
            continue
        pid = execution.process_of(blocked.tid)
        holders = ", ".join(f"pid {h}" + (" (itself)" if h == pid else "") for h in blocked.holders)
        out.append(Diagnosis(
            code="pipe_write_end_open",
            message=(
                f"pid {pid} waited forever in {blocked.syscall}() on {channel.ident}: a read on a pipe returns "
                f"end-of-file only when every write end is closed, and the write end was still open in {holders}. "
                "After fork(), close the ends each process does not use."
            ),
            params={"pid": pid, "channel": channel.ident, "holders": blocked.holders, "syscall": blocked.syscall},
            evidence=[Evidence(
                label="blocked read",
                lines=[f"pid {pid}: {blocked.syscall}({blocked.args} since {blocked.since:.3f}s",
                       f"write end still open in: {holders}"],
                tasks=[blocked.tid, *blocked.holders], run=run,
            )],
        ))
    return out


def _fork_bomb(execution: Execution, record: RunRecord, run: int) -> list[Diagnosis]:
    if not execution.failed_forks and not record.pids_limit_hit:
        return []
    failed = execution.failed_forks
    errnos = sorted({e for _, _, e in failed})
    return [Diagnosis(
        code="fork_bomb",
        message=(
            f"the program reached the limit of {record.limits.pids} tasks"
            + (f": {len(failed)} fork/clone call(s) failed ({', '.join(errnos)})" if failed else "")
            + f" after creating {len(execution.processes())} processes. Check that every child leaves the loop "
            "that forks (exit or break after its work) so it does not fork again."
        ),
        params={"failed": len(failed), "limit": record.limits.pids, "processes": len(execution.processes())},
        evidence=[Evidence(
            label="failed forks",
            lines=[f"pid {execution.process_of(tid)} at {time:.3f}s: {errno}" for tid, time, errno in failed[:10]],
            tasks=sorted({tid for tid, _, _ in failed}), run=run,
        )] if failed else [],
    )]


def _timeout(execution: Execution, record: RunRecord, run: int) -> list[Diagnosis]:
    if not record.timed_out:
        return []
    lines: list[str] = []
    seen: set[int] = set()
    for blocked in execution.blocked:
        seen.add(blocked.tid)
        on = f" on {blocked.channel.ident}" if blocked.channel else ""
        lines.append(f"{_who(execution, blocked.tid)} was in {blocked.syscall}({blocked.args}{on}")
    for task in record.final_tasks:
        tid = int(task.get("tid", 0))
        if tid in seen:
            continue
        state = task.get("state") or "?"
        where = task.get("syscall") or task.get("wchan") or "running"
        lines.append(f"{_who(execution, tid)} was {state} in {where}")
    return [Diagnosis(
        code="timeout",
        message=(
            f"the program was still running after {record.limits.timeout_ms} ms and was stopped"
            + (". At that moment: " + "; ".join(lines[:6]) if lines else "")
            + ". A process waiting for input, for a child that never ends, or for a pipe nobody closes never returns."
        ),
        params={"timeout_ms": record.limits.timeout_ms, "tasks": len(lines)},
        evidence=[Evidence(label="what each task was doing when time ran out", lines=lines,
                           tasks=sorted(seen), run=run)] if lines else [],
    )]


def _who(execution: Execution, tid: int) -> str:
    task = execution.tasks.get(tid)
    if task is None or task.is_process:
        return f"pid {tid}"
    return f"thread {tid} of pid {task.tgid}"


def _crashes(execution: Execution, record: RunRecord, run: int) -> list[Diagnosis]:
    if record.timed_out or record.oom_killed:
        return []
    killed = [t for t in execution.processes() if t.signal is not None]
    if not killed and record.signal and not execution.tasks:
        return [Diagnosis(
            code="crash", message=f"the program was killed by {record.signal}",
            params={"signal": record.signal, "pids": []},
        )]
    out = []
    for task in killed:
        sent = next((s for s in execution.signals if s.target == task.tid and s.signal == task.signal
                     and s.sender is not None), None)
        if record.stopped_for and task.signal == "SIGKILL" and sent is None:
            continue  # the harness stopped it (output limit, or left running after the main process): not a crash
        by = f" sent by pid {execution.process_of(sent.sender)}" if sent and sent.sender is not None else ""
        core = " (core dumped)" if task.core_dumped else ""
        what = "the program's first process" if task.tid == execution.root else f"pid {task.tid}"
        out.append(Diagnosis(
            code="crash",
            message=f"{what} was killed by {task.signal}{by}{core}"
            + ("" if by else "; its output still in a buffer was lost"),
            params={"signal": task.signal, "pid": task.tid, "sender": sent.sender if sent else None},
            evidence=[Evidence(label="killed process", lines=[f"pid {task.tid}: {task.signal}{by}{core}"],
                               tasks=[task.tid], run=run)],
        ))
    return out


def _flags(record: RunRecord) -> list[Diagnosis]:
    out = []
    if record.oom_killed:
        limit = record.limits.memory_bytes // 2**20
        out.append(Diagnosis(code="oom", message=f"the program used more than its {limit} MiB of memory and was "
                             "killed by the kernel's out-of-memory killer", params={"limit_mib": limit}))
    if record.output_limit_hit:
        limit = record.limits.output_bytes
        out.append(Diagnosis(code="output_limit", message=f"the program wrote more than {limit} bytes to "
                             "stdout or stderr and was stopped; is a loop printing without end?",
                             params={"limit_bytes": limit}))
    if record.stopped_for == "trace":
        limit = record.limits.trace_bytes // 2**20
        out.append(Diagnosis(code="trace_limit", message=f"the program made so many system calls that their "
                             f"record passed {limit} MiB, and it was stopped; is a loop reading or writing "
                             "without end?", params={"limit_mib": limit}))
    if record.start_failed:
        command = shlex.join(record.command)
        out.append(Diagnosis(code="start_failed", message=f"the command {command!r} could not be started: "
                             f"{record.start_failed}", params={"command": command, "reason": record.start_failed}))
    return out


def diagnose_run(execution: Execution, record: RunRecord) -> list[Diagnosis]:
    """Every cause this run shows, in the order a student should read them."""
    run = record.repeat_index
    return [
        *_flags(record),
        *_fork_bomb(execution, record, run),
        *_timeout(execution, record, run),
        *_pipe_hangs(execution, run),
        *_crashes(execution, record, run),
        *_zombies(execution, run),
        *_orphans(execution, run),
        *_fork_buffer(execution, record, run),
    ]


def diagnose_build(build: BuildRecord | None) -> Diagnosis | None:
    """A compile_error diagnosis with the compiler's message, if the build failed."""
    if build is None or build.ok:
        return None
    output = build.output.decode("utf-8", errors="replace")
    lines = output.splitlines()
    why = "timed out" if build.timed_out else f"failed with exit code {build.exit_code}"
    first_error = next((ln for ln in lines if "error" in ln), lines[0] if lines else "")
    return Diagnosis(
        code="compile_error",
        message=f"the build `{shlex.join(build.command)}` {why}" + (f": {first_error}" if first_error else ""),
        params={"command": build.command, "exit_code": build.exit_code, "timed_out": build.timed_out},
        evidence=[Evidence(label="compiler output", lines=lines[:40])] if lines else [],
    )


def diagnose_missing_files(missing: Sequence[str], present: Sequence[str]) -> Diagnosis:
    """A missing_files diagnosis, suggesting near-miss names the submission does have."""
    notes = []
    for name in missing:
        close = difflib.get_close_matches(os.path.basename(name), [os.path.basename(p) for p in present], n=1)
        notes.append(f"{name}" + (f" (found {close[0]!r}: check the name)" if close else ""))
    return Diagnosis(
        code="missing_files",
        message="the submission is missing " + ", ".join(notes) + "; nothing was run",
        params={"missing": list(missing)},
        evidence=[Evidence(label="files in the submission", lines=sorted(present)[:40])],
    )


def merge_diagnoses(per_run: Sequence[Sequence[Diagnosis]]) -> list[Diagnosis]:
    """One diagnosis per code and message across repeats, noting in how many runs it was seen."""
    merged: dict[tuple[str, str], Diagnosis] = {}
    counts: dict[tuple[str, str], int] = {}
    for diagnoses in per_run:
        for key in dict.fromkeys((d.code, d.message) for d in diagnoses):
            counts[key] = counts.get(key, 0) + 1
        for d in diagnoses:
            merged.setdefault((d.code, d.message), d)
    by_code: dict[str, list[Diagnosis]] = {}
    for key, d in merged.items():
        d.params["runs"] = counts[key]
        d.params["total_runs"] = len(per_run)
        by_code.setdefault(d.code, []).append(d)
    out = []
    for group in by_code.values():
        first = group[0]
        if len(group) > 1:
            seen = sum(counts[(g.code, g.message)] for g in group)
            first.params["runs"] = min(seen, len(per_run))
            first.evidence = [e for g in group for e in g.evidence][:12]
        if len(per_run) > 1:
            first.message += f" (seen in {first.params['runs']} of {len(per_run)} runs)"
        out.append(first)
    return out


def _explains(code: str, kind: str) -> bool:
    return any(p == "*" or p == kind or (p.endswith(".") and kind.startswith(p)) for p in EXPLAINS.get(code, ()))


def attach(diagnoses: Sequence[Diagnosis], failed_kinds: Sequence[str]) -> list[Diagnosis]:
    """Fill each diagnosis's `explains` with the failed check kinds it accounts for; drop unsupported guesses."""
    out = []
    for d in diagnoses:
        d.explains = sorted({k for k in failed_kinds if _explains(d.code, k)})
        if d.code in SPECULATIVE and not d.explains:
            continue
        out.append(d)
    return out
