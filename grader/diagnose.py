"""Diagnoses: causes read from the trace and the run's flags that explain failed checks.

Every diagnosis is one catalog template with typed parameters (grader.result.Message): the English
message is the template filled in, a translation fills its own template with the same facts.
Competing claims about one task are settled in one place, `_Findings` (DESIGN.md decision 10): a task
the grader stopped at a limit is "stopped by the grader", never a zombie, an orphan or a crash.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from grader.result import N_, CheckResult, Diagnosis, Evidence, Message, fill
from grader.sandbox.records import BuildRecord, RunRecord
from grader.trace.endstate import STOPPED_WORDS, blocked_at_end, blocked_words, holders_phrase, who
from grader.trace.model import Blocked, Execution, Task, Transfer

__all__ = [
    "EXPLAINS",
    "SPECULATIVE",
    "attach",
    "diagnose_build",
    "diagnose_missing_files",
    "diagnose_run",
    "explained_by",
    "merge_diagnoses",
    "quote",
]

# Which check kinds each diagnosis can explain: exact kinds, prefixes ending in '.', or '*' for all.
EXPLAINS: dict[str, tuple[str, ...]] = {
    "zombie": ("process.reaped", "process.no_zombies"),
    "late_reap": ("process.no_zombies",),
    "orphan": ("process.no_orphans", "process.reaped", "output.ids", "output.values", "output.happens_before",
               "output.process_order"),
    "linger": ("*",),
    "fork_buffer_duplicate": ("output.", "thread.work"),
    "pipe_write_end_open": ("*",),
    "fork_bomb": ("*",),
    "timeout": ("*",),
    "crash": ("*",),
    "exception": ("*",),
    "syntax_error": ("*",),
    "exit_status": ("*",),
    "failed_exec": ("*",),
    "oom": ("*",),
    "output_limit": ("output.", "resource.time"),
    "trace_limit": ("*",),
    "start_failed": ("*",),
    "compile_error": ("*",),
    "missing_files": ("*",),
}
# Inferred rather than observed, or true but not a fault by itself. Since a diagnosis speaks only for a
# failed check it explains (attach), these are kept for the callers that name them.
SPECULATIVE = frozenset({"fork_buffer_duplicate", "late_reap", "exit_status"})
# Causes that are faults only where the assignment says so: the check kinds that assert against the
# cause. An assignment may want orphans (a double-fork daemon): a diagnosis that explains a failed check
# none of which asserts against its cause states the facts without calling them a fault (AS_FACT).
FAULT_KINDS: dict[str, tuple[str, ...]] = {
    "orphan": ("process.no_orphans",),
}
# Diagnoses about some tasks (their evidence names them): one explains a failed check that names tasks
# only if it names one of them too (the daemon's orphan does not explain why another child was not reaped).
TASK_SCOPED = frozenset({"zombie", "late_reap", "orphan"})
_STDOUT_KINDS = ("stdout", "tty")
_READS = frozenset({"read", "readv", "pread64", "recvfrom", "recvmsg", "recv"})
SHOWN_TASKS = 8                      # live tasks named in a message (all are in the evidence)
LATE_REAP_S = 0.05                   # a zombie for less than this is the normal moment before a wait
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Iteration))(?::\s?(.*))?$")
_PY_FILE = re.compile(r'^\s*File "([^"]+)", line (\d+)')
_SYNTAX = frozenset({"SyntaxError", "IndentationError", "TabError"})


def quote(text: str, limit: int = 160) -> str:
    """A student's text, quoted and escaped (no control characters, bounded)."""
    cut = text if len(text) <= limit else text[:limit] + "..."
    return repr(cut)


def _status(task: Task) -> Message:
    """How a task ended, in words (never "None")."""
    if task.signal is not None:
        return Message(N_("killed by {signal}"), {"signal": task.signal})
    if task.exit_code is not None:
        return Message(N_("exit status {code}"), {"code": task.exit_code})
    if task.end is None:
        return Message(N_("still running at the end"))
    return Message(N_("an end the trace does not show"))


def _diagnosis(code: str, message: Message, evidence: list[Evidence] | None = None) -> Diagnosis:
    return Diagnosis(code=code, message=message.english, params=dict(message.params),
                     evidence=evidence or [], template=message.template)


def _evidence(label: str, items: list[Message], tasks: Iterable[int], run: int) -> Evidence:
    return Evidence(label=label, lines=[m.english for m in items], tasks=sorted(set(tasks)), run=run, items=items)


# ----------------------------------------------------------------------------- one place for competing claims


@dataclass(slots=True)
class _Findings:
    """The run's facts about each task, with competing claims resolved (decision 10)."""

    execution: Execution
    record: RunRecord
    stopped: dict[int, str] = field(default_factory=dict)     # tid -> the limit the grader stopped it at
    live: list[Blocked] = field(default_factory=list)         # what each live task was in at the end

    @classmethod
    def read(cls, execution: Execution, record: RunRecord) -> _Findings:
        found = cls(execution, record)
        sent = {s.target for s in execution.signals if s.sender is not None and s.signal == "SIGKILL"}
        for task in execution.tasks.values():
            if task.stopped_by is not None:
                found.stopped[task.tid] = task.stopped_by
            elif record.stopped_for and task.signal == "SIGKILL" and task.tid not in sent \
                    and task.tgid not in sent:
                found.stopped[task.tid] = record.stopped_for      # a model without stopped_by: same rule
            elif record.stopped_for and task.end is None:
                found.stopped[task.tid] = record.stopped_for
        found.live = blocked_at_end(execution, record)
        for blocked in found.live:
            if record.stopped_for:
                found.stopped.setdefault(blocked.tid, record.stopped_for)
        return found

    def helper(self, tid: int) -> bool:
        """The language runtime's helper (multiprocessing resource tracker, forkserver), not the student's."""
        task = self.execution.tasks.get(tid)
        return task is not None and task.runtime_helper

    def student_processes(self) -> list[Task]:
        return [t for t in self.execution.processes() if t.tid != self.execution.root and not t.runtime_helper]

    def zombies(self) -> list[Task]:
        """Children that ended while their parent was alive and were never waited for."""
        out = []
        for task in self.student_processes():
            if task.tid in self.stopped or task.orphan or task.end is None or task.reaped_by is not None:
                continue
            if getattr(task, "auto_reaped", False):   # the parent ignored SIGCHLD: never a zombie
                continue
            parent = self.execution.tasks.get(task.ppid) if task.ppid is not None else None
            if parent is None or (parent.end is not None and parent.end < task.end):
                continue
            if task.zombie or task.zombie_seconds is None:
                out.append(task)
        return out

    def zombie_seconds(self, task: Task) -> float:
        if task.zombie_seconds is not None:
            return round(task.zombie_seconds, 3)
        parent = self.execution.tasks.get(task.ppid) if task.ppid is not None else None
        until = [self.execution.duration]
        if task.reaped_at is not None:
            until.append(task.reaped_at)
        if parent is not None and parent.end is not None:
            until.append(parent.end)
        return round(max(0.0, min(until) - (task.end or 0.0)), 3)

    def late_reaped(self) -> list[Task]:
        """Children that were zombies for a while before their parent waited for them."""
        return [t for t in self.student_processes()
                if t.reaped_by is not None and t.tid not in self.stopped and t.end is not None
                and self.zombie_seconds(t) >= LATE_REAP_S]

    def orphans(self) -> list[Task]:
        """Processes whose parent ended first on its own; the grader stopped neither."""
        out = []
        for task in self.student_processes():
            if not task.orphan or task.tid in self.stopped or task.end is None:
                continue                          # (alive at the end with no stop: a cut trace, say less)
            parent = self.execution.tasks.get(task.ppid) if task.ppid is not None else None
            if parent is not None and parent.tid in self.stopped:
                continue                          # stopped together, not left behind
            out.append(task)
        return out


# ----------------------------------------------------------------------------- the diagnoses


def _zombies(f: _Findings, run: int) -> list[Diagnosis]:
    zombies = f.zombies()
    if not zombies:
        return []
    parents = sorted({t.ppid for t in zombies if t.ppid is not None})
    longest = max(f.zombie_seconds(t) for t in zombies)
    items = []
    for t in zombies:
        seen = {"pid": t.tid, "end": round(t.end or 0.0, 3), "status": _status(t), "parent": t.ppid,
                "seconds": f.zombie_seconds(t)}
        items.append(Message(N_("pid {pid} ended at {end} s ({status}); its parent pid {parent} never waited for "
                                "it: a zombie for {seconds} s"), seen) if f.zombie_seconds(t) >= 0.001 else
                     Message(N_("pid {pid} ended at {end} s ({status}); its parent pid {parent} never waited for "
                                "it: a zombie until the parent ended"), seen))
    facts = {"count": len(zombies), "pids": [t.tid for t in zombies], "parents": parents, "seconds": longest}
    if longest >= 0.001:
        message = Message(
            N_("{count} child process(es) (pid {pids}) ended while their parent (pid {parents}) was still running, "
               "and it never waited for them: each stayed a zombie, for up to {seconds} s. Call wait()/waitpid() "
               "(or join()) for every child."), facts)
    else:
        message = Message(
            N_("{count} child process(es) (pid {pids}) ended while their parent (pid {parents}) was still running, "
               "and it never waited for them: each stayed a zombie until the parent itself ended. Call "
               "wait()/waitpid() (or join()) for every child."), facts)
    return [_diagnosis("zombie", message, [_evidence(N_("zombies"), items, [t.tid for t in zombies], run)])]


def _late_reaps(f: _Findings, run: int) -> list[Diagnosis]:
    late = f.late_reaped()
    if not late:
        return []
    items = [Message(N_("pid {pid} ended at {end} s; pid {parent} waited for it at {reaped} s: a zombie for "
                        "{seconds} s"),
                     {"pid": t.tid, "end": round(t.end or 0.0, 3), "parent": t.reaped_by,
                      "reaped": round(t.reaped_at or 0.0, 3), "seconds": f.zombie_seconds(t)}) for t in late]
    message = Message(
        N_("{count} child process(es) (pid {pids}) were zombies for up to {seconds} s: they ended well before "
           "their parent waited for them. Wait for a child soon after it ends."),
        {"count": len(late), "pids": [t.tid for t in late], "seconds": max(f.zombie_seconds(t) for t in late)})
    return [_diagnosis("late_reap", message, [_evidence(N_("zombies until reaped"), items,
                                                         [t.tid for t in late], run)])]


def _adopter(ex: Execution, pid: int) -> Message:
    """Who adopted an orphan, in words: init only when it is pid 1, the sandbox's first process."""
    if pid == 1:
        return Message(N_("init (pid {pid})"), {"pid": pid})
    if pid in ex.tasks:                  # a traced process adopted it: only a subreaper does (prctl)
        return Message(N_("the subreaper pid {pid}"), {"pid": pid})
    return Message(N_("pid {pid}"), {"pid": pid})


def _printed_after(ex: Execution, task: Task, parent_end: float) -> int:
    """How many stdout lines `task` wrote after its parent ended."""
    return sum(w.data.count(b"\n") or 1 for w in _stdout_writes(ex, task.tid) if w.time > parent_end)


ORPHAN_FAULT = N_("{count} process(es) (pid {pids}) outlived their parent (pid {parents}): it ended while they "
                  "were still running, and {adopters} adopted them. They were orphans, not zombies. The parent "
                  "should wait for its children before it ends.")
ORPHAN_FACT = N_("{count} process(es) (pid {pids}) outlived their parent (pid {parents}): it ended while they "
                 "were still running, and {adopters} adopted them. They were orphans, not zombies.")
# The form of each fault template that states its facts only (see FAULT_KINDS).
AS_FACT: dict[str, str] = {ORPHAN_FAULT: ORPHAN_FACT}


def _orphans(f: _Findings, run: int) -> list[Diagnosis]:
    orphans = f.orphans()
    if not orphans:
        return []
    ex = f.execution
    parents = sorted({t.ppid for t in orphans if t.ppid is not None})
    adopters = sorted({t.reparented_to or 1 for t in orphans})
    items = []
    for t in orphans:
        parent = ex.tasks.get(t.ppid) if t.ppid is not None else None
        facts: dict[str, Any] = {"pid": t.tid, "parent": t.ppid, "adopter": t.reparented_to or 1,
                                 "status": _status(t)}
        if parent is not None and parent.end is not None:
            facts["parent_end"] = round(parent.end, 3)
            items.append(Message(N_("pid {pid}: its parent pid {parent} ended at {parent_end} s while it was still "
                                    "running; pid {adopter} adopted it; it ended with {status}"), facts))
            lines = _printed_after(ex, t, parent.end)
            if lines:
                items.append(Message(N_("pid {pid} wrote {lines} line(s) to stdout after its parent pid {parent} "
                                        "had ended"), {"pid": t.tid, "lines": lines, "parent": t.ppid}))
        else:
            items.append(Message(N_("pid {pid}: its parent pid {parent} ended while it was still running; "
                                    "pid {adopter} adopted it; it ended with {status}"), facts))
    message = Message(ORPHAN_FAULT, {"count": len(orphans), "pids": [t.tid for t in orphans], "parents": parents,
                                     "adopters": [_adopter(ex, a) for a in adopters]})
    return [_diagnosis("orphan", message, [_evidence(N_("orphans"), items, [t.tid for t in orphans], run)])]


def _linger(f: _Findings, run: int) -> list[Diagnosis]:
    ex = f.execution
    stopped = sorted(tid for tid, why in f.stopped.items() if why == "linger" and not f.helper(tid))
    if not stopped:
        return []
    root = ex.tasks.get(ex.root) if ex.root is not None else None
    stop_at = max((ex.tasks[t].end or ex.duration) for t in stopped if t in ex.tasks) if any(
        t in ex.tasks for t in stopped) else ex.duration
    seconds = round(max(0.0, stop_at - root.end), 2) if root is not None and root.end is not None else None
    procs = sorted({ex.process_of(t) for t in stopped})
    facts: dict[str, Any] = {"count": len(procs), "pids": procs}
    if seconds is not None:
        facts["seconds"] = seconds
        message = Message(
            N_("The main process ended, and {count} process(es) (pid {pids}) were still running {seconds} s later, "
               "at the time limit, so the grader stopped them: what they had not yet printed was lost. Wait for "
               "every child (wait()/join()) before the main process ends."), facts)
    else:
        message = Message(
            N_("The main process ended, and {count} process(es) (pid {pids}) were still running at the time "
               "limit, so the grader stopped them: what they had not yet printed was lost. Wait for every child "
               "(wait()/join()) before the main process ends."), facts)
    items = [blocked_words(ex, b) for b in f.live if b.tid in stopped]
    evidence = [_evidence(N_("what each task was doing when it was stopped"), items, stopped, run)] if items else []
    return [_diagnosis("linger", message, evidence)]


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


def _copied_buffer(child_first: bytes, parent_first: bytes) -> bytes:
    """The bytes a stdio buffer copied at fork would explain, or b"" when the writes do not show one.

    Both first writes after the fork start with the same bytes T. T counts only when it ends where a
    buffer's content can end: at a line end, with more after it in at least one of the writes (two
    identical writes are what two processes printing the same line after the fork look like), or
    when T is the child's whole first write and the parent wrote more after it. A common prefix that
    ends mid-line ("I am " of "I am child" and "I am parent") never counts.
    """
    shared = _common_prefix(child_first, parent_first)
    lines = shared[: shared.rfind(b"\n") + 1]
    if lines.strip() and (len(lines) < len(child_first) or len(lines) < len(parent_first)):
        return lines
    if shared.strip() and shared == child_first and len(parent_first) > len(shared) and b"\n" not in shared:
        return shared
    return b""


def _fork_buffer(execution: Execution, record: RunRecord, run: int) -> list[Diagnosis]:
    found: list[tuple[int, int, bytes]] = []
    for child in execution.processes():
        if child.ppid is None or child.ppid not in execution.tasks or child.tid == execution.root:
            continue
        child_writes = _stdout_writes(execution, child.tid)
        if not child_writes or any(e.time <= child_writes[0].time for e in child.execs):
            continue                      # an exec discards the copied buffer
        parent_writes = [w for w in _stdout_writes(execution, child.ppid) if w.time > child.start]
        if not parent_writes or child_writes[0].truncated or parent_writes[0].truncated:
            continue
        if child_writes[0].calls > 1 or parent_writes[0].calls > 1:
            continue                      # a stdio flush is one write call; merged small writes show none
        shared = _copied_buffer(child_writes[0].data, parent_writes[0].data)
        if shared:
            found.append((child.ppid, child.tid, shared))
    if not found:
        return []
    parent, first_child, shared = found[0]
    text = quote(shared.decode("utf-8", errors="replace"))
    facts = {"parent": parent, "child": first_child, "text": text, "pairs": len(found)}
    if record.stdout_mode == "pipe":
        message = Message(
            N_("pid {parent} and its child pid {child} both began their first output after fork() with {text}: "
               "that text was printed before fork() and was still in the stdio buffer, the child got a copy, "
               "and both copies were flushed. Here stdout is a pipe, so it is fully buffered; in a terminal it "
               "is line-buffered and the duplicate usually disappears. Flush before fork(): sys.stdout.flush() "
               "or print(..., flush=True) in Python, fflush(stdout) in C."), facts)
    else:
        message = Message(
            N_("pid {parent} and its child pid {child} both began their first output after fork() with {text}: "
               "that text was printed before fork() and was still in the stdio buffer, the child got a copy, "
               "and both copies were flushed. Even on a terminal, text without a newline stays in the buffer. "
               "Flush before fork(): sys.stdout.flush() or print(..., flush=True) in Python, fflush(stdout) "
               "in C."), facts)
    items = [Message(N_("pid {parent} and pid {child}: {text}"),
                     {"parent": p, "child": c, "text": quote(s.decode("utf-8", errors="replace"))})
             for p, c, s in found[:8]]
    return [_diagnosis("fork_buffer_duplicate", message,
                       [_evidence(N_("the same bytes at the start of parent's and child's output"), items,
                                  [parent, first_child], run)])]


def _pipe_hangs(f: _Findings, run: int) -> list[Diagnosis]:
    out: list[Diagnosis] = []
    ex = f.execution
    for blocked in f.live:
        channel = blocked.channel
        if blocked.syscall not in _READS or channel is None or channel.kind not in ("pipe", "fifo"):
            continue
        if f.helper(blocked.tid):
            continue                    # the runtime's own pipe (multiprocessing's resource tracker): not advice
        if not blocked.holders:
            continue
        pid = ex.process_of(blocked.tid)
        message = Message(
            N_("{who} waited forever in {call} on a pipe ({channel}): a read on a pipe returns end-of-file only "
               "when every write end is closed, and the write end was still open in {holders}. After fork(), "
               "close the ends each process does not use."),
            {"who": who(ex, blocked.tid), "call": blocked.syscall, "channel": channel.ident,
             "holders": holders_phrase(ex, blocked), "pid": pid, "holder_pids": blocked.holders})
        ends = [h for h in f.record.open_ends.get(channel.ident, []) if h.get("mode") in ("w", "rw")]
        items = [Message(N_("pid {pid} held the write end open as descriptor {fd}"),
                         {"pid": int(h["pid"]), "fd": int(h["fd"])}) for h in ends if "fd" in h and "pid" in h]
        out.append(_diagnosis("pipe_write_end_open", message, [_evidence(
            N_("write ends still open when the run was stopped") if items else N_("blocked read"),
            items or [blocked_words(ex, blocked)], [blocked.tid, *blocked.holders], run)]))
    return out


def _peak_alive(execution: Execution) -> int:
    """The most tasks (processes and threads) the trace shows alive at the same moment."""
    events = sorted([(t.start, 1) for t in execution.tasks.values()]
                    + [(t.end, -1) for t in execution.tasks.values() if t.end is not None])
    alive = peak = 0
    for _, step in events:                 # at equal times an end (-1) sorts before a start (+1)
        alive += step
        peak = max(peak, alive)
    return peak


def _fork_bomb(execution: Execution, record: RunRecord, run: int) -> list[Diagnosis]:
    failed = execution.failed_forks
    errnos = sorted({e for _, _, e in failed})
    if not record.pids_limit_hit and "EAGAIN" not in errnos:
        return []
    facts: dict[str, Any] = {"limit": record.limits.pids, "processes": len(execution.processes()),
                             "threads": len(execution.threads()), "failed": len(failed), "errnos": errnos,
                             "peak": _peak_alive(execution)}
    if failed:
        message = Message(
            N_("The program reached the sandbox's limit of {limit} tasks (processes and threads) alive at once, "
               "so {failed} fork/clone call(s) failed ({errnos}). The trace shows up to {peak} of its tasks alive "
               "at once and {processes} processes and {threads} threads in all. Check that every child leaves the "
               "loop that forks (exit or break after its work) so it does not fork again."), facts)
    else:
        message = Message(
            N_("The program reached the sandbox's limit of {limit} tasks (processes and threads) alive at once. "
               "The trace shows up to {peak} of its tasks alive at once and {processes} processes and {threads} "
               "threads in all. Check that every child leaves the loop that forks (exit or break after its work) "
               "so it does not fork again."), facts)
    items = [Message(N_("pid {pid} at {time} s: {errno}"),
                     {"pid": execution.process_of(tid), "time": round(time, 3), "errno": errno})
             for tid, time, errno in failed[:10]]
    evidence = [_evidence(N_("failed forks"), items, [tid for tid, _, _ in failed], run)] if failed else []
    return [_diagnosis("fork_bomb", message, evidence)]


def _timeout(f: _Findings, run: int) -> list[Diagnosis]:
    record, ex = f.record, f.execution
    if not record.timed_out and record.stopped_for != "timeout":
        return []
    words = [blocked_words(ex, b) for b in f.live]
    stopped = sorted({ex.process_of(t) for t, why in f.stopped.items() if why == "timeout"})
    facts: dict[str, Any] = {"timeout_ms": record.limits.timeout_ms, "stopped": stopped,
                             "tasks": len(words)}
    if words and stopped:
        facts["blocked"] = words[:SHOWN_TASKS]
        message = Message(
            N_("The program was still running after {timeout_ms} ms, so the grader stopped pid {stopped} at the "
               "time limit. At that moment: {blocked}."), facts)
    elif words:
        facts["blocked"] = words[:SHOWN_TASKS]
        message = Message(N_("The program was still running after {timeout_ms} ms and was stopped. At that "
                             "moment: {blocked}."), facts)
    else:
        message = Message(N_("The program was still running after {timeout_ms} ms and was stopped; neither the "
                             "trace nor the system showed what it was waiting for."), facts)
    items = list(words)
    if stopped:
        items.append(Message(N_("pid {pids}: {stopped}"),
                             {"pids": stopped, "stopped": Message(STOPPED_WORDS["timeout"])}))
    evidence = [_evidence(N_("what each task was doing when time ran out"), items,
                          [b.tid for b in f.live], run)] if items else []
    return [_diagnosis("timeout", message, evidence)]


@dataclass(frozen=True, slots=True)
class _PyError:
    """One uncaught Python exception as its traceback on stderr shows it."""

    line: str                      # the exception's last line, e.g. "KeyError: 'workers'"
    path: str | None
    lineno: int | None
    in_thread: bool                # "Exception in thread ...": only that thread ended

    @property
    def name(self) -> str:
        return self.line.split(":", 1)[0]


def _python_errors(stderr: bytes) -> list[_PyError]:
    """Every uncaught Python exception on stderr (a traceback, or a SyntaxError's location)."""
    text = stderr.decode("utf-8", errors="replace")
    if "Traceback (most recent call last):" not in text and "Error" not in text:
        return []
    found: list[_PyError] = []
    where: tuple[str, int] | None = None
    in_thread = False
    for line in text.splitlines():
        if line.startswith("Exception in thread "):
            in_thread, where = True, None
            continue
        m = _PY_FILE.match(line)
        if m is not None:
            where = (m.group(1), int(m.group(2)))
            continue
        if _EXCEPTION.match(line) is not None and where is not None:
            found.append(_PyError(line.strip(), where[0], where[1], in_thread))
            where, in_thread = None, False
    return found


def _who_wrote(execution: Execution, needle: bytes) -> int | None:
    """The task whose write to stderr holds `needle`."""
    for w in execution.writes:
        if w.channel.kind in ("stderr", "tty") and needle in w.data:
            return w.tid
    return None


def _exceptions(f: _Findings, run: int) -> list[Diagnosis]:
    ex = f.execution
    out: list[Diagnosis] = []
    for error in _python_errors(f.record.stderr)[:3]:
        writer = _who_wrote(ex, error.line.encode("utf-8", "replace")[:60])
        facts: dict[str, Any] = {"error": quote(error.line), "file": os.path.basename(error.path or "?"),
                                 "line": error.lineno}
        if error.name in _SYNTAX:
            out.append(_diagnosis("syntax_error", Message(
                N_("Python could not read {file}: {error} at line {line}, so none of the program ran."), facts)))
            continue
        task = ex.tasks.get(writer) if writer is not None else None
        facts["scope"] = "thread" if error.in_thread else (
            "root" if writer is None or ex.process_of(writer) == ex.root else "process")
        if error.in_thread:
            facts["who"] = who(ex, task.tid) if task is not None and not task.is_process else (
                Message(N_("a thread of pid {pid}"), {"pid": ex.process_of(writer)}) if writer is not None
                else Message(N_("a thread")))
            message = Message(N_("{who} ended with an uncaught exception at {file} line {line}: {error}. Only that "
                                 "thread ended; an exception does not end the other threads."), facts)
        else:
            process = ex.tasks.get(ex.process_of(writer)) if writer is not None else None
            facts["who"] = _first_or_pid(ex, process) if process is not None else Message(N_("the program"))
            root = ex.root if ex.root is not None else -1
            if process is not None and process.tid == ex.root and not ex.children(root) and not ex.threads(root):
                message = Message(N_("{who} stopped with an uncaught exception at {file} line {line} before it "
                                     "created any process or thread: {error}"), facts)
            else:
                message = Message(N_("{who} stopped with an uncaught exception at {file} line {line}: {error}"),
                                  facts)
        out.append(_diagnosis("exception", message, [_evidence(
            N_("the exception"), [Message("{error}", {"error": quote(error.line)})],
            [writer] if writer is not None else [], run)]))
    return out


def _crashes(f: _Findings, run: int) -> list[Diagnosis]:
    ex, record = f.execution, f.record
    out = _exceptions(f, run)
    if record.timed_out or record.oom_killed:
        return out
    killed = [t for t in ex.processes() if t.signal is not None and t.tid not in f.stopped]
    if not killed and record.signal and not ex.tasks and not record.stopped_for:
        out.append(_diagnosis("crash", Message(N_("The program was killed by the signal {signal}."),
                                               {"signal": record.signal})))
    for task in killed:
        sent = next((s for s in ex.signals if s.target is not None and s.sender is not None
                     and s.signal == task.signal and ex.process_of(s.target) == task.tgid
                     and s.delivered_to is None), None)
        facts = {"who": _first_or_pid(ex, task), "signal": task.signal, "pid": task.tid,
                 "scope": "root" if task.tid == ex.root else "process"}
        if sent is not None and sent.sender is not None and ex.process_of(sent.sender) == task.tgid:
            message = Message(N_("{who} was killed by the signal {signal}, which it sent itself (abort(), raise() "
                                 "or kill of its own pid)."), facts)
        elif sent is not None and sent.sender is not None:
            facts["sender"] = ex.process_of(sent.sender)
            message = Message(N_("{who} was killed by the signal {signal}, sent by pid {sender}."), facts)
        elif task.core_dumped:
            message = Message(N_("{who} was killed by the signal {signal} (core dumped); what was still in its "
                                 "output buffer was lost."), facts)
        else:
            message = Message(N_("{who} was killed by the signal {signal}; what was still in its output buffer "
                                 "was lost."), facts)
        out.append(_diagnosis("crash", message, [_evidence(N_("killed process"), [message], [task.tid], run)]))
    return out


def _first_or_pid(ex: Execution, task: Task) -> Message:
    if task.tid == ex.root:
        return Message(N_("the program's first process (pid {pid})"), {"pid": task.tid})
    return who(ex, task.tid)


def _exit_status(f: _Findings, already: Sequence[Diagnosis]) -> list[Diagnosis]:
    ex, record = f.execution, f.record
    if already or record.stopped_for or record.exit_code in (0, None) or record.signal:
        return []
    root = ex.tasks.get(ex.root) if ex.root is not None else None
    facts: dict[str, Any] = {"code": record.exit_code, "pid": ex.root if ex.root is not None else 0}
    if root is not None:
        return [_diagnosis("exit_status", Message(N_("The program's first process (pid {pid}) ended with exit "
                                                     "status {code}, which usually means it failed."), facts))]
    return [_diagnosis("exit_status", Message(N_("The program ended with exit status {code}, which usually means "
                                                 "it failed."), facts))]


_EXEC_ERRORS: dict[str, str] = {
    "ENOENT": N_("no such program"),
    "EACCES": N_("permission denied (the file is not executable)"),
    "ENOEXEC": N_("the file is not a program the system can run (a script without a #! line?)"),
    "ENOTDIR": N_("a part of the path is not a folder"),
    "E2BIG": N_("the argument list is too long"),
    "ETXTBSY": N_("the file is open for writing"),
}


def _failed_execs(execution: Execution, run: int) -> list[Diagnosis]:
    later_ok = {t.tid: [e.time for e in t.execs] for t in execution.tasks.values()}
    by_task: dict[int, list[Any]] = {}
    for failed in execution.failed_execs:
        if getattr(failed, "superseded", False) or any(ok > failed.time for ok in later_ok.get(failed.tid, [])):
            continue
        by_task.setdefault(failed.tid, []).append(failed)
    out = []
    for tid, tries in by_task.items():
        last = tries[-1]
        program = (last.argv[0] if last.argv else "") or os.path.basename(last.path)
        errnos = [t.errno for t in tries]
        errno = "EACCES" if "EACCES" in errnos else last.errno   # execvp reports EACCES if any entry had it
        reason = Message(_EXEC_ERRORS.get(errno, N_("the system refused to run it")))
        facts: dict[str, Any] = {"who": who(execution, tid), "pid": execution.process_of(tid),
                                 "program": quote(program), "errno": errno, "reason": reason,
                                 "tries": len(tries)}
        message = Message(N_("{who} could not run {program}: exec failed with {errno}, {reason}; nothing after "
                             "that exec call ran the program."), facts)
        items = [Message(N_("execve({path}) failed with {errno}"), {"path": quote(t.path), "errno": t.errno})
                 for t in tries[:8]]
        out.append(_diagnosis("failed_exec", message, [_evidence(N_("failed exec calls"), items, [tid], run)]))
    return out


def _stopped_evidence(f: _Findings, why: str, run: int) -> list[Evidence]:
    """What each task the grader stopped for `why` was doing, and that it was stopped."""
    ex = f.execution
    stopped = sorted({ex.process_of(t) for t, reason in f.stopped.items() if reason == why})
    items = [blocked_words(ex, b) for b in f.live if ex.process_of(b.tid) in stopped]
    if stopped:
        items.append(Message(N_("pid {pids}: {stopped}"), {"pids": stopped, "stopped": Message(STOPPED_WORDS[why])}))
    return [_evidence(N_("what each task was doing when it was stopped"), items, stopped, run)] if items else []


def _flags(f: _Findings, run: int) -> list[Diagnosis]:
    record = f.record
    out = []
    if record.oom_killed:
        out.append(_diagnosis("oom", Message(
            N_("The program used more than its {limit_mib} MiB of memory and was killed by the kernel's "
               "out-of-memory killer."), {"limit_mib": record.limits.memory_bytes // 2**20})))
    if record.output_limit_hit or record.stopped_for == "output":
        out.append(_diagnosis("output_limit", Message(
            N_("The program wrote more than {limit_bytes} bytes to stdout or stderr, so the grader stopped it; "
               "is a loop printing without end?"), {"limit_bytes": record.limits.output_bytes}),
            _stopped_evidence(f, "output", run)))
    if record.stopped_for == "trace":
        out.append(_diagnosis("trace_limit", Message(
            N_("The program made so many system calls that their record passed {limit_mib} MiB, so the grader "
               "stopped it; is a loop reading or writing without end?"),
            {"limit_mib": record.limits.trace_bytes // 2**20}), _stopped_evidence(f, "trace", run)))
    return out


def _start_failed(record: RunRecord) -> list[Diagnosis]:
    if not record.start_failed:
        return []
    return [_diagnosis("start_failed", Message(N_("The command {command} could not be started: {reason}"),
                                               {"command": quote(shlex.join(record.command)),
                                                "reason": record.start_failed}))]


# Crashes in the order they matter: nothing ran, the program's first process ended, another process
# ended, a thread ended (its process went on).
_CRASH_RANK = {"start_failed": 0, "syntax_error": 0, "root": 1, "process": 2, "failed_exec": 2, "thread": 3}


def diagnose_run(execution: Execution, record: RunRecord) -> list[Diagnosis]:
    """Every cause this run shows, in the order a student should read them: a crash first."""
    run = record.repeat_index
    found = _Findings.read(execution, record)
    crashes = [*_start_failed(record), *_crashes(found, run), *_failed_execs(execution, run)]
    crashes.sort(key=lambda d: _CRASH_RANK.get(str(d.params.get("scope", d.code)), 2))
    return [
        *_fork_bomb(execution, record, run),     # the pids limit comes first: failed forks cause what follows
        *crashes,
        *_exit_status(found, crashes),
        *_pipe_hangs(found, run),
        *_timeout(found, run),
        *_linger(found, run),
        *_flags(found, run),
        *_zombies(found, run),
        *_late_reaps(found, run),
        *_orphans(found, run),
        *_fork_buffer(execution, record, run),
    ]


def diagnose_build(build: BuildRecord | None) -> Diagnosis | None:
    """A compile_error diagnosis with the compiler's message, if the build failed."""
    if build is None or build.ok:
        return None
    output = build.output.decode("utf-8", errors="replace")
    lines = output.splitlines()
    first_error = next((ln for ln in lines if "error" in ln), lines[0] if lines else "")
    facts: dict[str, Any] = {"command": shlex.join(build.command), "argv": list(build.command),
                             "exit_code": build.exit_code, "timed_out": build.timed_out}
    if build.timed_out:
        message = Message(N_("The build `{command}` timed out."), facts)
    elif first_error:
        facts["error"] = first_error.strip()
        message = Message(N_("The build `{command}` failed with exit code {exit_code}: {error}"), facts)
    else:
        message = Message(N_("The build `{command}` failed with exit code {exit_code}."), facts)
    evidence = [Evidence(label=N_("compiler output"), lines=lines[:40])] if lines else []
    return _diagnosis("compile_error", message, evidence)


def diagnose_missing_files(missing: Sequence[str], present: Sequence[str]) -> Diagnosis:
    """A missing_files diagnosis, suggesting near-miss names the submission does have."""
    notes = []
    for name in missing:
        close = difflib.get_close_matches(os.path.basename(name), [os.path.basename(p) for p in present], n=1)
        if close:
            notes.append(Message(N_("{name} (found {found}: check the name)"),
                                 {"name": name, "found": quote(close[0])}))
        else:
            notes.append(Message("{name}", {"name": name}))       # no words of its own to translate
    message = Message(N_("The submission is missing {files}; nothing was run."),
                      {"files": notes, "missing": list(missing)})
    return _diagnosis("missing_files", message,
                      [Evidence(label=N_("files in the submission"), lines=sorted(present)[:40])])


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
            first.message += " " + fill(SEEN_IN_RUNS, first.params)
        out.append(first)
    return out


SEEN_IN_RUNS = N_("(seen in {runs} of {total_runs} runs)")


def _explains(code: str, kind: str) -> bool:
    return any(p == "*" or p == kind or (p.endswith(".") and kind.startswith(p)) for p in EXPLAINS.get(code, ()))


def _as_fact(d: Diagnosis) -> None:
    """Restate `d` in its facts-only form (AS_FACT), keeping its facts and its '(seen in N of M runs)'."""
    d.template = AS_FACT[d.template]
    d.message = fill(d.template, d.params)
    total = d.params.get("total_runs")
    if isinstance(total, int) and total > 1 and "runs" in d.params:
        d.message += " " + fill(SEEN_IN_RUNS, d.params)


def _tasks(evidence: Iterable[Evidence]) -> set[tuple[int | None, int]]:
    return {(e.run, tid) for e in evidence for tid in e.tasks}


def _about_the_same_tasks(d: Diagnosis, check: CheckResult) -> bool:
    """The failed check names none of its tasks, or one that `d` names (in the same run, if `d` shows it)."""
    named = _tasks(check.evidence)
    if not named:
        return True
    mine = _tasks(d.evidence)
    runs = {run for run, _ in mine}
    tids = {tid for _, tid in mine}
    # merge_diagnoses keeps one run's evidence of a diagnosis seen alike in several: its pids stand for them
    return any((run, tid) in mine if run in runs else tid in tids for run, tid in named)


def explained_by(diagnoses: Sequence[Diagnosis], check: CheckResult) -> list[str]:
    """The codes of the attached diagnoses that explain this one check: none for a check that did not fail,
    and a diagnosis about some tasks only for a check that names none or one of them (as attach decides),
    so two checks of one kind are not both linked to a cause that explains only one."""
    if check.status not in ("failed", "flaky"):
        return []
    return [d.code for d in diagnoses if check.kind in d.explains
            and (d.code not in TASK_SCOPED or _about_the_same_tasks(d, check))]


def attach(diagnoses: Sequence[Diagnosis], failed: Sequence[str | CheckResult]) -> list[Diagnosis]:
    """The diagnoses that explain a failed check, each with `explains` filled with the kinds it accounts for.

    failed: the failed checks (or just their kinds). A diagnosis speaks only for a failed check whose
    kind it explains (EXPLAINS) and, if it is about some tasks (TASK_SCOPED), one that names none or
    one of them: one that explains none is left out. One whose cause no failed check asserts against
    (FAULT_KINDS) keeps its facts and drops the advice, so that it never contradicts what the
    assignment allows (a double-fork daemon's orphan is no fault where no check forbids orphans).
    """
    out = []
    for d in diagnoses:
        kinds = {c if isinstance(c, str) else c.kind for c in failed
                 if _explains(d.code, c if isinstance(c, str) else c.kind)
                 and (isinstance(c, str) or d.code not in TASK_SCOPED or _about_the_same_tasks(d, c))}
        d.explains = sorted(kinds)
        if not d.explains:
            continue
        if d.code in FAULT_KINDS and d.template in AS_FACT \
                and not any(k in FAULT_KINDS[d.code] for k in d.explains):
            _as_fact(d)
        out.append(d)
    return out
