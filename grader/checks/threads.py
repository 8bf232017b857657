"""Threads: how many per process, one tgid with distinct tids, whether threads or processes did the work, and
whether each thread ended on its own before its process did."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from grader.checks.base import (
    CheckBase,
    CheckOutcome,
    RunEvidence,
    SubjectCheck,
    describe_task,
    more,
    outcome,
    stop_clause,
)
from grader.checks.params import Bounds, PositiveInt, Regex, Role, Stream
from grader.result import Evidence
from grader.trace.ends import ThreadEnd, thread_end
from grader.trace.endstate import join_waits
from grader.trace.model import Task

__all__ = ["ThreadCount", "ThreadJoined", "ThreadSameProcess", "ThreadWork"]


class ThreadCount(Bounds, CheckBase):
    """Each process of `role` (default root) started this many threads besides its main thread."""

    kind: Literal["thread.count"]
    role: Role = Field(
        default="root", description="the processes whose threads are counted (besides each one's main thread); each must have the count")
    shorthand: ClassVar[str | None] = "equals"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        processes = [t for t in evidence.role(self.role) if t.is_process]
        if not processes:
            children = len(evidence.children_of(evidence.root.tid)) if evidence.root else 0
            return outcome(False, "none.role", {"role": self.role, "children": children}, slots={"ended": "none"},
                           observed="none")
        slots, params = self.bounds_slot()
        for process in processes:
            threads = evidence.execution.threads(process.tid)
            if not self.holds(len(threads)):
                return outcome(
                    False, "threads.count_bad", {**params, "pid": process.tid, "got": len(threads),
                                                 "count": len(threads)},
                    slots=slots, expected=self.describe(), observed=str(len(threads)),
                    evidence=[evidence.task_evidence(f"threads of pid {process.tid}", threads)],
                )
        return outcome(True, "threads.count_ok", {**params, "count": len(processes), "role": self.role}, slots=slots)


class ThreadSameProcess(CheckBase):
    """At least `min` threads exist, all in one process (one tgid), each with its own tid."""

    kind: Literal["thread.same_process"]
    min: PositiveInt = Field(default=2, description="at least this many threads besides the main thread")
    shorthand: ClassVar[str | None] = "min"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        threads = evidence.role("threads")
        tgids = sorted({t.tgid for t in threads})
        shown = [evidence.task_evidence("threads", threads)]
        if len(threads) < self.min:
            extra = [t for t in evidence.processes if t.tid != evidence.execution.root]
            return outcome(
                False, "threads.few", {"want": self.min, "got": len(threads), "extra": len(extra)},
                slots={"extra": "some" if extra else "none"},
                expected=f">= {self.min} threads", observed=f"{len(threads)} threads", evidence=shown,
            )
        if len(tgids) != 1:
            return outcome(False, "threads.spread", {"got": len(tgids), "pids": tgids},
                           expected="one tgid", observed=f"{len(tgids)} tgids", evidence=shown)
        return outcome(True, "threads.same_ok",
                       {"count": len(threads), "pid": tgids[0], "tids": [t.tid for t in threads]}, evidence=shown)


class ThreadWork(SubjectCheck):
    """Lines matching `pattern` were written by at least `min` threads of one process, or by `min` processes.

    A line counts for the one task that wrote all of it. When a process's threads share one stdio
    buffer that was flushed several lines per write, which thread wrote a line cannot be known: those
    lines prove nothing about threads, and when nothing is left to prove the check is not applicable
    (it says why) rather than failed on a buffering artefact.
    """

    kind: Literal["thread.work"]
    pattern: Regex = Field(description="a regular expression; the lines it matches are the work")
    by: Literal["threads", "processes"] = Field(
        default="threads", description="threads: the lines come from `min` threads of one process; processes: from `min` processes")
    min: PositiveInt = Field(default=2, description="at least this many threads (or processes)")
    stream: Stream = Field(default="stdout", description="the stream judged: stdout or stderr")

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        hits = evidence.matching(self.pattern, self.stream)
        if not hits:
            return self.nothing(evidence, "none.lines", {"pattern": self.pattern})
        if not evidence.has_trace:
            return self.no_trace()
        owned = [(i, ln) for i, ln in hits if ln.owner_process is not None]
        unowned_slot, unowned_params = evidence.unowned(hits)
        tgids = sorted({ln.owner_process for _, ln in owned if ln.owner_process is not None})
        shown = [evidence.line_evidence(f"lines matching /{self.pattern}/", hits)]
        base = {"pattern": self.pattern, "want": self.min, **unowned_params}
        if self.by == "processes":
            threads = sorted({ln.owner for _, ln in owned if ln.owner is not None})
            params = {**base, "processes": len(tgids), "threads": len(threads), "count": len(tgids)}
            if len(tgids) >= self.min:
                return outcome(True, "work.processes_ok", params)
            return outcome(False, "work.processes_few", params, slots=unowned_slot,
                           expected=f">= {self.min} processes", observed=f"{len(tgids)} process(es)",
                           evidence=shown)
        unproven = [ln for _, ln in owned if evidence.thread_unproven(ln) is not None
                    and (self.stream == "stdout")]
        proven = [(i, ln) for i, ln in owned if ln not in unproven]
        per_process: dict[int, set[int]] = {}
        for _, ln in proven:
            if ln.owner is not None and ln.owner_process is not None:
                per_process.setdefault(ln.owner_process, set()).add(ln.owner)
        best_pid, best = max(per_process.items(), key=lambda kv: len(kv[1]), default=(None, set()))
        stdio_slot, stdio_params = evidence.stdio_slot(unproven)
        if best_pid is not None and len(best) >= self.min:
            return outcome(True, "work.threads_ok", {**base, **stdio_params, "count": len(best), "pid": best_pid},
                           slots=stdio_slot)
        if unproven:
            shared = evidence.thread_unproven(unproven[0])
            assert shared is not None
            return outcome(
                False, "work.threads_unproven",
                {**base, "buffer_pid": shared.pid, "buffer_writes": shared.writes, **shared.slot()[1]},
                slots=shared.slot()[0],
                expected=f">= {self.min} threads", observed="writer thread unknown (shared stdio buffer)",
                evidence=shown, applicable=False,
            )
        all_threads = sorted({ln.owner for _, ln in owned if ln.owner is not None})
        return outcome(
            False, "work.threads_few",
            {**base, **stdio_params, "threads": len(all_threads), "processes": len(tgids)},
            slots={**unowned_slot, **stdio_slot},
            expected=f">= {self.min} threads",
            observed=f"{len(all_threads)} thread(s) in {len(tgids)} process(es)", evidence=shown,
        )


class ThreadJoined(SubjectCheck):
    """Every thread of the processes of `role` ended on its own (its own exit) before its process ended.

    What strace shows: a thread that returns from its function (or calls pthread_exit; a Python thread
    whose run() returned) makes its own `exit` call, then ends; a thread still running when another
    thread calls `exit_group` (C's main returning or exit(), the end of a Python program, os._exit) ends
    with no call of its own: the kernel ended it with the process. This check fails on the latter, on a
    thread killed with its process by a signal, and on one the grader stopped at a limit.

    What it proves: no thread was cut short by its process ending. What it does not prove: that anyone
    called join. A thread that finished before its process ended passes whether or not it was joined: a
    join of a thread that has already ended makes no system call, so no trace can show it, and CPython
    joins its non-daemon threads itself when the program ends. Where the trace shows futex calls (the
    grader's own tracing leaves futex out: every contended lock would be a line), a pthread_join that
    waited is named in the evidence: a futex wait by another thread on the thread's cleared-on-exit id
    word, with its id as the value. CPython 3.11's Thread.join waits on a lock the thread releases,
    which the trace cannot tie to the thread.
    """

    kind: Literal["thread.joined"]
    role: Role = Field("root", description="the processes whose threads are checked (threads: every thread "
                                           "of the program)")

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        ex = evidence.execution
        if self.role == "threads":
            threads = evidence.role("threads")
        else:
            ids = {t.tid for t in evidence.role(self.role) if t.is_process}
            threads = [t for t in evidence.role("threads") if t.tgid in ids]
        if not threads:
            return self.nothing(evidence, "none.threads")
        waits = join_waits(ex, evidence.record)
        shown: list[str] = []
        bad: list[tuple[Task, ThreadEnd, int | None]] = []
        for thread in threads:
            how, by = thread_end(ex, thread)
            waiters = waits.get(thread.tid, [])
            if how == "itself":
                line = f"exit at {thread.exit_call_at:.3f} s" if thread.exit_call_at is not None else "exit"
                line = f"ended itself ({thread.exit_call} call) at {line.removeprefix('exit at ')}"
                if waiters:
                    line += ", waited for by " + ", ".join(f"thread {w}" for w in waiters) + \
                            " (futex on its id word: pthread_join)"
            else:
                bad.append((thread, how, by))
                line = {"exit_group": f"still running when thread {by} called exit_group, which ended it",
                        "exec": f"still running when thread {by} ran execve, which ended it",
                        "signal": f"killed with its process by {thread.signal}",
                        "stopped": "stopped by the grader",
                        "running": "still running when the trace ended",
                        "process": "ended with its process, without an exit call of its own"}[how]
            shown.append(f"{describe_task(thread)}: {line}")
        pids = sorted({t.tgid for t in threads})
        label = f"threads of pid {pids[0]}" if len(pids) == 1 else "threads"   # labels the page translates
        listing = [Evidence(label=label, lines=shown, tasks=[t.tid for t in threads], run=evidence.run)]
        if not bad:
            return outcome(True, "joined.ok", {"count": len(threads), "pids": pids}, evidence=listing)
        thread, how, by = bad[0]
        more_slot, more_params = more(len(bad) - 1)
        params: dict[str, Any] = {"tid": thread.tid, "pid": thread.tgid, **more_params}
        slots = dict(more_slot)
        if how == "exit_group":
            key = "joined.exit_group_main" if by == thread.tgid else "joined.exit_group"
            params["ender"] = by
        elif how == "exec":
            key, params["ender"] = "joined.exec", by
        elif how == "signal":
            key, params["signal"] = "joined.signal", thread.signal
        elif how == "stopped":
            key, slots["stop"] = "joined.stopped", stop_clause(thread)
        elif how == "running":
            key = "joined.running"
        else:
            key = "joined.with_process"
        return outcome(False, key, params, slots=slots, expected="every thread ends on its own first",
                       observed=f"{len(bad)} of {len(threads)} thread(s) ended with their process",
                       evidence=listing)
