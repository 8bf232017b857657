"""What the model keeps of a run's bytes: bounded whatever the program does.

Called by the parser right after a handler appended a Transfer (a write or a read):

- consecutive calls of one task on one descriptor, with no other task's call on that channel in
  between, are merged into one Transfer (`calls` counts them): one byte per write makes one range;
- stdout/stderr data is kept up to `keep_output` bytes per stream (what the harness captured, with
  margin: bytes beyond what was captured can never be attributed to a line); past it a call's size
  is still counted but its Transfer is dropped;
- other channels keep the first CHANNEL_BYTES of data and CHANNEL_TRANSFERS Transfers (flows are
  accounted by the handlers before this, from every call);
- failed calls (size <= 0) are kept up to FAILED_TRANSFERS per list.

What was left out is counted in Execution.summarized: "writes"/"reads" (Transfers dropped),
"write_bytes"/"read_bytes" (data bytes not kept), "failed_transfers".
"""

from __future__ import annotations

from typing import Literal

from grader.trace.model import Transfer
from grader.trace.state import _Parser

__all__ = ["CHANNEL_BYTES", "CHANNEL_TRANSFERS", "FAILED_TRANSFERS", "bound_transfer"]

CHANNEL_BYTES = 64 * 1024
CHANNEL_TRANSFERS = 2000
FAILED_TRANSFERS = 1000


def _count(p: _Parser, key: str, n: int) -> None:
    p.ex.summarized[key] = p.ex.summarized.get(key, 0) + n


def bound_transfer(p: _Parser, transfers: list[Transfer], kind: Literal["w", "r"]) -> None:
    """Merge, trim or drop the Transfer just appended to `transfers` (ex.writes or ex.reads)."""
    new = transfers[-1]
    key = kind + new.channel.ident
    label = "writes" if kind == "w" else "reads"
    cut_label = "write_bytes" if kind == "w" else "read_bytes"
    if new.size <= 0:
        failed = p.kept_writes.get("!" + kind, 0)
        if failed >= FAILED_TRANSFERS:
            transfers.pop()
            _count(p, "failed_transfers", 1)
        else:
            p.kept_writes["!" + kind] = failed + 1
        return
    std = new.channel.kind in ("stdout", "stderr")
    # stdout/stderr: bytes moved so far (the offset in the captured stream); others: data bytes kept
    used = p.kept_bytes.get(key, 0)
    room = max(0, (p.keep_output if std else CHANNEL_BYTES) - used)
    prev = p.last_write.get(key)
    if prev is not None and prev.tid == new.tid and prev.fd == new.fd and prev.shown and new.shown:
        # one more call of the same task on the same channel, no other task's call on it in between
        if not prev.truncated and len(prev.data) == prev.size and room > 0:
            take = new.data[:room]
            prev.data += take
            prev.truncated = new.truncated or len(take) < new.size
        else:
            take = b""
            prev.truncated = True
        if len(take) < len(new.data):
            _count(p, cut_label, len(new.data) - len(take))
        p.kept_bytes[key] = used + (new.size if std else len(take))
        prev.size += new.size
        prev.calls += 1
        transfers.pop()
        return
    count = p.kept_writes.get(key, 0)
    if (std and room == 0) or (not std and count >= CHANNEL_TRANSFERS):
        transfers.pop()
        _count(p, label, 1)
        if new.data:
            _count(p, cut_label, len(new.data))
        p.last_write.pop(key, None)
        return
    if len(new.data) > room:
        _count(p, cut_label, len(new.data) - room)
        new.data = new.data[:room]
        new.truncated = True
    p.kept_bytes[key] = used + (new.size if std else len(new.data))
    p.kept_writes[key] = count + 1
    p.last_write[key] = new
