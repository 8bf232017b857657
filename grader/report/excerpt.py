"""Student bytes made safe to show: decoded, terminal escapes removed, controls visible, truncated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "MAX_BYTES",
    "MAX_LINES",
    "Excerpt",
    "clean_text",
    "make_excerpt",
    "shorten",
]

MAX_LINES = 200
MAX_BYTES = 20 * 1024

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences,
# and the single-byte C1 CSI/OSC introducers.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# C0 controls except tab and newline, DEL, C1 controls, and the bidirectional
# overrides/isolates that can make text read differently from what it is.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _visible(match: re.Match[str]) -> str:
    # Plain ASCII escapes: every font can draw them (control-picture glyphs are often missing).
    code = ord(match.group(0))
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"<U+{code:04X}>"


def clean_text(text: str) -> tuple[str, bool, bool]:
    """Remove terminal escape sequences and make control characters visible.

    Returns (text, escapes_removed, controls_shown).
    """
    stripped, n_escapes = _ESCAPES.subn("", text)
    stripped = stripped.replace("\r\n", "\n")
    shown, n_controls = _INVISIBLE.subn(_visible, stripped)
    return shown, n_escapes > 0, n_controls > 0


def shorten(text: str, limit: int) -> str:
    """Cut a label to `limit` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "\u2026"


@dataclass(slots=True)
class Excerpt:
    """What the page shows of one output stream, and the notes that go with it."""

    text: str
    total_bytes: int
    total_lines: int
    shown_lines: int
    truncated: bool = False          # we cut it (line or byte limit)
    cut_by_sandbox: bool = False     # the sandbox's output limit cut it before us
    invalid_utf8: bool = False       # some bytes were not UTF-8 and are shown as \xNN
    escapes_removed: bool = False    # ANSI/OSC terminal sequences were removed
    controls_shown: bool = False     # control characters are shown as symbols
    notes: list[str] = field(default_factory=list)  # reserved for callers

    @property
    def empty(self) -> bool:
        return self.total_bytes == 0


def make_excerpt(
    data: bytes,
    *,
    max_lines: int = MAX_LINES,
    max_bytes: int = MAX_BYTES,
    cut_by_sandbox: bool = False,
) -> Excerpt:
    """Decode `data` safely and keep at most `max_lines` lines / `max_bytes` bytes of it."""
    total_bytes = len(data)
    total_lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    head = data[:max_bytes]
    truncated = len(data) > max_bytes
    try:
        text = head.decode("utf-8")
        invalid = False
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the byte limit is not the student's fault.
        if truncated and exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            head = head[: exc.start]
            try:
                text = head.decode("utf-8")
                invalid = False
            except UnicodeDecodeError:
                text = head.decode("utf-8", errors="backslashreplace")
                invalid = True
        else:
            text = head.decode("utf-8", errors="backslashreplace")
            invalid = True
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        truncated = True
    cleaned, escapes, controls = clean_text("\n".join(lines))
    return Excerpt(
        text=cleaned,
        total_bytes=total_bytes,
        total_lines=total_lines,
        shown_lines=len(lines),
        truncated=truncated,
        cut_by_sandbox=cut_by_sandbox,
        invalid_utf8=invalid,
        escapes_removed=escapes,
        controls_shown=controls,
    )
