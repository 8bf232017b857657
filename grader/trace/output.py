"""Split a run's captured output into lines and attribute each line's bytes to the tasks that wrote them.

The captured bytes are the truth; the trace's writes on the stream are laid onto them in order of
offset. At each offset, among the next WINDOW writes not yet placed (strace logs a write when it
returns, so racing writes can appear a few places away from their order in the pipe):

1. a write whose shown bytes (all of them, or what strace showed of a cut one, with its size fitting
   in what is left) start exactly here is placed whole;
2. otherwise the write whose shown bytes share the longest prefix with the bytes here gives that
   prefix (a coalesced run of one task's calls may have been split by another task's write);
3. otherwise a write that does not show its bytes (splice, sendfile, tee, copy_file_range, or the
   unshown tail of a cut write) is placed here by its size: only where no write that shows its bytes
   matches, and those bytes are credited to the task that made that call;
4. otherwise the bytes up to the next offset where some candidate's bytes appear have no writer the
   trace accounts for: they count in OutputLine.unknown_bytes (an untraced task, a TIOCSTI, bytes the
   trace lost). A write whose bytes appear nowhere ahead is skipped (its bytes were not captured).

Nothing is credited by log order alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.trace.model import Execution, OutputLine, Transfer

__all__ = ["WINDOW", "output_lines"]

WINDOW = 8
_PROBE = 16   # bytes of a candidate's data searched for ahead when nothing matches here


@dataclass(slots=True)
class _Span:
    start: int
    end: int          # exclusive
    tid: int | None   # None: no traced write accounts for these bytes
    time: float | None


@dataclass(slots=True)
class _Item:
    tid: int
    time: float
    data: bytes       # shown bytes not yet placed (a prefix of the `left` bytes)
    left: int         # bytes of the call not yet placed


def _items(writes: list[Transfer]) -> list[_Item]:
    out: list[_Item] = []
    for w in writes:
        data = w.data[: w.size] if w.shown else b""
        out.append(_Item(w.tid, w.time, data, w.size))
    return out


def _common(captured: bytes, pos: int, data: bytes) -> int:
    """Length of the common prefix of captured[pos:] and data."""
    n = min(len(data), len(captured) - pos)
    if n <= 0 or captured[pos] != data[0]:
        return 0
    lo, hi = 1, n      # captured[pos:pos+lo] == data[:lo]; find the largest by halving
    if captured.startswith(data[:hi], pos):
        return hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if captured.startswith(data[:mid], pos):
            lo = mid
        else:
            hi = mid
    return lo


def _place(captured: bytes, items: list[_Item]) -> list[_Span]:
    spans: list[_Span] = []
    n = len(captured)
    pos = 0
    head = 0

    def add(start: int, end: int, tid: int | None, time: float | None) -> None:
        last = spans[-1] if spans else None
        if last is not None and last.tid == tid and last.end == start and (tid is not None or last.tid is None):
            last.end = end
            if time is not None:
                last.time = time
            return
        spans.append(_Span(start, end, tid, time))

    while pos < n:
        while head < len(items) and items[head].left <= 0:
            head += 1
        window: list[_Item] = []
        i = head
        while i < len(items) and len(window) < WINDOW:
            if items[i].left > 0:
                window.append(items[i])
            i += 1
        if not window:
            add(pos, n, None, None)
            break
        chosen: _Item | None = None
        take = 0
        for it in window:                                       # 1. whole
            if it.data and pos + it.left <= n and captured.startswith(it.data, pos):
                chosen, take = it, it.left
                break
        if chosen is None:                                      # 2. longest common prefix
            for it in window:
                if it.data:
                    k = _common(captured, pos, it.data)
                    if k > take:
                        chosen, take = it, k
        if chosen is None:                                      # 3. a call that does not show its bytes
            for it in window:
                if not it.data:
                    chosen, take = it, min(it.left, n - pos)
                    break
        if chosen is not None:
            add(pos, pos + take, chosen.tid, chosen.time)
            chosen.data = chosen.data[take:]
            chosen.left -= take
            pos += take
            continue
        # 4. nothing here: unknown bytes up to where a candidate's bytes appear next
        nxt = -1
        for it in window:
            j = captured.find(it.data[:_PROBE], pos + 1)
            if j >= 0 and (nxt < 0 or j < nxt):
                nxt = j
        if nxt < 0:
            window[0].left = 0                                  # its bytes are nowhere ahead
            window[0].data = b""
            continue
        add(pos, nxt, None, None)
        pos = nxt
    return spans


def output_lines(execution: Execution, captured: bytes, *, stream: str = "stdout") -> list[OutputLine]:
    """The captured bytes as lines, each with the tids/tgids whose writes made it (see OutputLine)."""
    writes = [w for w in execution.writes if w.channel.kind == stream and w.size > 0]
    spans = _place(captured, _items(writes))
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
        unknown = 0
        last_time: float | None = None
        j = k
        while j < len(spans) and spans[j].start < stop:
            span = spans[j]
            if span.end > start:
                if span.tid is None:
                    unknown += min(span.end, stop) - max(span.start, start)
                else:
                    if span.tid not in writers:
                        writers.append(span.tid)
                    last_time = span.time
            j += 1
        processes: list[int] = []
        for tid in writers:
            pid = execution.process_of(tid)
            if pid not in processes:
                processes.append(pid)
        text = captured[start:nl] if complete else captured[start:]
        out.append(OutputLine(text=text, writers=writers, processes=processes, time=last_time,
                              complete=complete, unknown_bytes=unknown))
        start = stop
    return out
