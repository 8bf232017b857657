"""When the kernel's writer of a line may not be its author: a stdio buffer shared by threads.

A C program's `FILE *stdout` (and Python's `sys.stdout`) is one buffer for all the threads of a
process. On a pipe it is flushed when full, on `fflush`, or at exit, by whichever thread gets there:
three threads `printf` a line each, the main thread returns, and one `write(1, ...)` by the main
thread carries all four lines. The trace shows who called write(), never who called printf(), so
a claim such as "the line names the thread that printed it" cannot be judged on such a line.

The evidence used: a process with more than one thread at the time, one of whose write calls on the
stream carried two or more complete lines (a buffer flush, not one printf per write). From then on
every line of that process on that stream may have been flushed by a thread other than its author.
"""

from __future__ import annotations

from grader.trace.model import Execution, OutputLine

__all__ = ["flushed_by_other_thread", "shared_stdio_processes"]


def shared_stdio_processes(execution: Execution, stream: str = "stdout") -> set[int]:
    """tgids whose writes on `stream` show a stdio buffer shared by several threads being flushed.

    A process is in the set when some write of one of its tasks on the stream was made after a
    second thread of the process had started, and carried more complete lines than calls (a
    Transfer may merge consecutive calls: more newlines than calls means some single call carried
    at least two lines). Linear in the number of writes.
    """
    first_thread: dict[int, float] = {}
    for task in execution.tasks.values():
        if task.kind == "thread":
            seen = first_thread.get(task.tgid)
            if seen is None or task.start < seen:
                first_thread[task.tgid] = task.start
    if not first_thread:
        return set()
    out: set[int] = set()
    for w in execution.writes:
        if w.size <= 0 or w.channel.kind != stream:
            continue
        tgid = execution.process_of(w.tid)
        if tgid in out:
            continue
        since = first_thread.get(tgid)
        if since is None or w.time < since:
            continue
        if w.data.count(b"\n") > w.calls:
            out.add(tgid)
    return out


def flushed_by_other_thread(execution: Execution, line: OutputLine, *, stream: str = "stdout",
                            shared: set[int] | None = None) -> bool:
    """The line may have been written by a flush of a buffer its process's threads share, so the task
    that wrote it (OutputLine.writers) need not be the thread that printed it.

    Pass `shared` (from shared_stdio_processes) when asking about many lines of one run.
    """
    if shared is None:
        shared = shared_stdio_processes(execution, stream)
    return any(p in shared for p in line.processes)
