"""One progress line for long commands (`grader batch`, `grader validate`) that fits the terminal's width.

On a terminal the line is redrawn in place (rich's Live, re-measured at every refresh, so a resized
window is followed); elsewhere (CI logs, nohup) a plain line is printed every few seconds. Either way
the line is built by `progress_line`, which drops the least useful parts first so that the count and
the ETA are never cut: bar, rate and the tallies go before them.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

__all__ = ["Progress", "ProgressState", "clock", "progress_line"]

_PLAIN_EVERY_S = 10.0
_MIN_BAR = 6


def clock(seconds: float) -> str:
    """0:07, 12:30, 1:02:03."""
    seconds = max(0, round(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass(slots=True)
class ProgressState:
    """What the line shows: `label` done/total, per-kind tallies (in display order), timing."""

    label: str
    total: int
    kinds: tuple[str, ...]
    done: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def rate(self, now: float | None = None) -> float:
        elapsed = (now if now is not None else time.monotonic()) - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def eta(self, now: float | None = None) -> float:
        rate = self.rate(now)
        return (self.total - self.done) / rate if rate > 0 else 0.0


def _bar(done: int, total: int, width: int) -> str:
    inner = width - 2
    filled = inner if total <= 0 else min(inner, inner * done // total)
    return "[" + "#" * filled + "-" * (inner - filled) + "]"


def progress_line(state: ProgressState, width: int, now: float | None = None) -> str:
    """The line in at most `width` characters, e.g. "grading 12/40 [####----] 2.10/s, ETA 0:13 · 10 graded, ...".

    As room allows, in this order: "label done/total", "ETA m:ss", the tallies (all, else the ones that
    are not zero), the rate, then a bar in whatever room is left. Below the width of the count alone,
    the count is cut (there is nothing shorter that is still true).
    """
    head = f"{state.label} {state.done}/{state.total}"
    eta = f"ETA {clock(state.eta(now))}"
    rate = f"{state.rate(now):.2f}/s"
    every = ", ".join(f"{state.counts.get(k, 0)} {k}" for k in state.kinds)
    nonzero = ", ".join(f"{state.counts[k]} {k}" for k in state.kinds if state.counts.get(k))

    def compose(bar: str, with_rate: bool, with_eta: bool, tallies: str) -> str:
        line = head + (f" {bar}" if bar else "")
        if with_eta:
            line += f" {rate}, {eta}" if with_rate else f" {eta}"
        return line + (f" · {tallies}" if tallies else "")

    choices = [(True, True, every), (False, True, every), (True, True, nonzero), (False, True, nonzero),
               (True, True, ""), (False, True, ""), (False, False, "")]
    line = next((compose("", *c) for c in choices if len(compose("", *c)) <= width), head)
    chosen = next((c for c in choices if compose("", *c) == line), choices[-1])
    room = width - len(line) - 1
    if room >= _MIN_BAR:
        line = compose(_bar(state.done, state.total, min(room, 32)), *chosen)
    return line[:width]


class _Live:
    """A rich renderable that measures the console at each refresh."""

    def __init__(self, state: ProgressState) -> None:
        self.state = state

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.text import Text

        yield Text(progress_line(self.state, options.max_width), no_wrap=True, overflow="crop")


class Progress:
    """The line for one command: `advance(kind, note)` per finished item; `close()` at the end.

    `enabled`: True always draws (rich), False prints nothing, None draws on a terminal and prints a
    plain line every few seconds elsewhere. `console` (a rich Console) overrides the stream, for tests.
    """

    def __init__(self, label: str, total: int, kinds: tuple[str, ...], *, stream: TextIO,
                 enabled: bool | None = None, console: Any | None = None) -> None:
        self.state = ProgressState(label=label, total=total, kinds=kinds, counts=dict.fromkeys(kinds, 0))
        self.stream = stream
        self.quiet = enabled is False
        self.last_line = 0.0
        self._live: Any = None
        fancy = console is not None or (stream.isatty() if enabled is None else bool(enabled))
        if fancy and not self.quiet:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(_Live(self.state), console=console or Console(file=stream), refresh_per_second=4,
                              transient=False)
            self._live.start()

    def echo(self, text: str) -> None:
        """A line printed above the progress line (or plainly when there is none)."""
        if self.quiet:
            return
        if self._live is not None:
            self._live.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:
            print(text, file=self.stream, flush=True)

    def advance(self, kind: str, note: str = "") -> None:
        self.state.done += 1
        self.state.counts[kind] = self.state.counts.get(kind, 0) + 1
        if self._live is not None:
            self._live.refresh()
            return
        if self.quiet:
            return
        now = time.monotonic()
        if now - self.last_line >= _PLAIN_EVERY_S or self.state.done == self.state.total or note:
            self.last_line = now
            width = shutil.get_terminal_size((80, 24)).columns
            print(progress_line(self.state, width, now), file=self.stream, flush=True)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
