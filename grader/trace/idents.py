"""What strace's descriptor decorations say: socket identities and peers, paths, the cwd.

STRACE_ARGS decode descriptors with `--decode-fds=path,socket` (what `-yy` does, without device
numbers): a socket shows as the kernel knows it at that moment, and the text changes over its life:

    3<UNIX-STREAM:[28552]>                     created (inode 28552)
    3<UNIX-STREAM:[28552,"early.sock"]>        bound (the address as the kernel keeps it: maybe relative)
    3<UNIX-STREAM:[30162->30163]>              connected to the socket with inode 30163
    3<TCP:[29424]>                             an inet socket before it has an address
    3<TCP:[127.0.0.1:39165]>                   listening
    3<TCP:[127.0.0.1:35282->127.0.0.1:39165]>  connected (local -> remote; no inode any more)

Older recordings (`-y`) show `socket:[28552]` throughout. The parser keys every socket by one stable
ident, `socket:[inode]` (see _Parser.key), so every table keyed by ident keeps working. strace caches
what it learnt about a unix socket by inode, so a peer it did not know when it first looked may never
be shown: the peer is taken from the decoration when shown, and from connect/accept order otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from grader.trace.lex import _close_angle, _unescape

__all__ = ["SockDecoration", "at_fdcwd", "parse_socket", "strip_device"]

# strace's socket protocol names are upper case (UNIX-STREAM, TCPv6, NETLINK, ...); `pipe:`, `anon_inode:`
# and the parser's own `eventfd:` keys are not sockets
_SOCK = re.compile(r"([A-Z][A-Z0-9]*(?:-[A-Z]+)?(?:v6)?):\[(.*)\]$", re.DOTALL)
_UNIX_BODY = re.compile(r'(\d+)(?:->(\d+))?(?:,"((?:[^"\\]|\\.)*)")?$', re.DOTALL)


@dataclass(frozen=True, slots=True)
class SockDecoration:
    """One socket decoration, parsed."""

    proto: str                  # "UNIX-STREAM", "UNIX-DGRAM", "UNIX", "TCP", "TCPv6", "UDP", "socket", ...
    inode: int | None           # the kernel's inode, when shown
    peer: int | None = None     # unix: the connected peer's inode, when shown
    path: str | None = None     # unix: the bound address ("@name" for an abstract one), as given to bind
    local: str | None = None    # inet: "127.0.0.1:5000" ("[::1]:5000" for v6)
    remote: str | None = None   # inet: the other end, once connected

    @property
    def unix(self) -> bool:
        return self.proto.startswith("UNIX")


@lru_cache(maxsize=8192)
def parse_socket(raw: str) -> SockDecoration | None:
    """The socket a decoration names, or None when `raw` is no socket decoration."""
    m = _SOCK.match(raw)
    if m is None:
        return None
    proto, body = m.group(1), m.group(2)
    if body.isdigit():
        return SockDecoration(proto, int(body))
    if proto.startswith("UNIX"):
        u = _UNIX_BODY.match(body)
        if u is None:
            return SockDecoration(proto, None)
        path = _unescape(u.group(3)).decode("utf-8", "replace") if u.group(3) is not None else None
        return SockDecoration(proto, int(u.group(1)), int(u.group(2)) if u.group(2) else None, path)
    if proto.startswith(("TCP", "UDP", "UDPLITE", "SCTP")):
        local, sep, remote = body.partition("->")
        return SockDecoration(proto, None, local=local or None, remote=remote if sep else None)
    return SockDecoration(proto, None)


def strip_device(raw: str) -> str:
    """A path decoration without the device numbers `-yy` appends (`/dev/null<char 1:3>`)."""
    if raw.endswith(">"):
        i = raw.rfind("<")
        if i > 0 and raw.startswith(("char ", "block "), i + 1):
            return raw[:i]
    return raw


def at_fdcwd(args: str) -> str | None:
    """The cwd strace shows in an `AT_FDCWD</path>` argument, if the call has one."""
    i = args.find("AT_FDCWD<")
    if i < 0:
        return None
    start = i + len("AT_FDCWD<")
    end = _close_angle(args, start)
    return strip_device(args[start:end - 1]) if end > start else None
