"""Split a run's captured output into lines and attribute each line's bytes to the tasks that wrote them."""

from __future__ import annotations

from dataclasses import dataclass

from grader.trace.model import Execution, OutputLine, Transfer

__all__ = ["WINDOW", "output_lines"]

# How many not-yet-placed writes to consider at each offset: strace logs a write when it returns,
# so writes racing on one pipe can appear in the log a few places away from their order in the pipe.
WINDOW = 8


@dataclass(slots=True)
class _Span:
    start: int
    end: int          # exclusive
    tid: int
    time: float


def _matches(captured: bytes, pos: int, write: Transfer) -> bool:
    shown = write.data[: write.size]
    if not shown:
        return False
    return captured.startswith(shown, pos) and pos + write.size <= len(captured)


def _place(captured: bytes, writes: list[Transfer]) -> list[_Span]:
    """Greedy alignment of the trace's writes onto the captured bytes, in order of offset."""
    spans: list[_Span] = []
    used = [False] * len(writes)
    head = 0
    pos = 0
    n = len(captured)
    while pos < n and head < len(writes):
        chosen = -1
        seen = 0
        i = head
        while i < len(writes) and seen < WINDOW:
            if not used[i]:
                if _matches(captured, pos, writes[i]):
                    chosen = i
                    break
                seen += 1
            i += 1
        if chosen < 0:
            chosen = head  # nothing fits: trust the log's order (bytes of a cut string, or a lost write)
        used[chosen] = True
        w = writes[chosen]
        end = min(n, pos + w.size)
        spans.append(_Span(pos, end, w.tid, w.time))
        pos = end
        while head < len(writes) and used[head]:
            head += 1
    return spans


def output_lines(execution: Execution, captured: bytes, *, stream: str = "stdout") -> list[OutputLine]:
    """The captured bytes as lines, each with the tids/tgids whose writes made it (see OutputLine)."""
    writes = [w for w in execution.writes if w.channel.kind == stream and w.size > 0]
    spans = _place(captured, writes)
    out: list[OutputLine] = []
    start = 0
    k = 0  # first span that may overlap the current line
    n = len(captured)
    while start < n:
        nl = captured.find(b"\n", start)
        complete = nl >= 0
        stop = nl + 1 if complete else n          # the line's bytes including its newline
        while k < len(spans) and spans[k].end <= start:
            k += 1
        writers: list[int] = []
        last_time: float | None = None
        j = k
        while j < len(spans) and spans[j].start < stop:
            if spans[j].end > start:
                if spans[j].tid not in writers:
                    writers.append(spans[j].tid)
                last_time = spans[j].time
            j += 1
        processes: list[int] = []
        for tid in writers:
            pid = execution.process_of(tid)
            if pid not in processes:
                processes.append(pid)
        text = captured[start:nl] if complete else captured[start:]
        out.append(OutputLine(text=text, writers=writers, processes=processes, time=last_time,
                              complete=complete))
        start = stop
    return out
