"""Calls that move bytes to a descriptor without a buffer strace can show: splice, tee, sendfile,
copy_file_range (and vmsplice, whose iovec strace does show).

Each becomes a write Transfer on its output descriptor with `shown=False` (size known, bytes not),
so output attribution can give those bytes to the task that moved them (see output.py for the
rule) instead of crediting them to whatever write came next. The input side, when it is a pipe or
socket the trace follows, is consumed like a read so flows stay in step.
"""

from __future__ import annotations

from grader.trace.fds import FD_HANDLERS
from grader.trace.lex import _IOV_STRING, _ret, _unescape, split_args
from grader.trace.model import Transfer
from grader.trace.state import Handler, _Parser

__all__ = ["MOVE_HANDLERS"]

# name -> (index of the input descriptor or None, index of the output descriptor)
_SIDES: dict[str, tuple[int | None, int]] = {
    "splice": (0, 2),
    "tee": (0, 1),
    "sendfile": (1, 0),
    "sendfile64": (1, 0),
    "copy_file_range": (0, 2),
    "vmsplice": (None, 0),
}


def _h_move(p: _Parser, tid: int, t: float, name: str, args: str, ret: str, line: int) -> None:
    before = len(p.ex.writes)
    other = FD_HANDLERS.get(name)
    if other is not None:
        other(p, tid, t, name, args, ret, line)
        if len(p.ex.writes) > before:
            return  # the descriptor family already recorded it
    parts = split_args(args)
    src, dst = _SIDES[name]
    if len(parts) <= dst:
        return
    fd, ch = p.use_fd(tid, parts[dst])
    if ch is None:
        return
    r = _ret(ret)
    size = r.value if r.value is not None else -1
    data = b""
    cut = False
    shown = False
    if name == "vmsplice" and len(parts) > 1:
        chunks = [(_unescape(m.group(1)), m.group(2) is not None) for m in _IOV_STRING.finditer(parts[1])]
        if chunks:
            data = b"".join(c for c, _ in chunks)[: max(size, 0)]
            cut = any(c for _, c in chunks) and len(data) < size
            shown = True
    p.ex.writes.append(Transfer(time=t, tid=tid, syscall=name, fd=fd, channel=ch, data=data, size=size,
                                truncated=cut, line=line, shown=shown))
    if size <= 0:
        return
    if src is not None and len(parts) > src and name != "tee":  # tee copies, leaving its input
        _, src_ch = p.use_fd(tid, parts[src])
        if src_ch is not None:
            key = p.flow_key(src_ch, writing=False)
            if key is not None:
                p.flow_read(tid, key, size, t)
    key = p.flow_key(ch, writing=True)
    if key is not None:
        p.flow_write(tid, key, data, size, t)


MOVE_HANDLERS: dict[str, Handler] = {name: _h_move for name in _SIDES}
