"""IPC: which mechanism the program used, what flowed between whom, and what it left behind."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence
from grader.checks.params import PositiveInt, Role
from grader.result import Evidence
from grader.trace.model import IpcObject

__all__ = ["IpcCleanup", "IpcFlow", "IpcUsed", "Mechanism"]

Mechanism = Literal[
    "pipe", "fifo", "socketpair", "unix_socket", "tcp_loopback", "udp_loopback",
    "posix_shm", "sysv_shm", "shared_mmap", "mqueue", "file", "eventfd", "memfd",
]


def _objects(evidence: RunEvidence) -> list[IpcObject]:
    return [o for o in evidence.execution.ipc if not o.runtime_helper]


def _listing(evidence: RunEvidence, objects: list[IpcObject]) -> Evidence:
    return Evidence(
        label="IPC objects in the trace (runtime helpers' excluded)",
        lines=[f"{o.kind} {o.name or o.ident}, used by " + ", ".join(f"pid {u}" for u in o.users) for o in objects],
        tasks=sorted({u for o in objects for u in o.users}),
        run=evidence.run,
    )


class IpcUsed(CheckBase):
    """The program itself (not its runtime) used `mechanism`, between two or more processes unless told otherwise."""

    kind: Literal["ipc.used"]
    mechanism: Mechanism
    between_processes: bool = True
    shorthand: ClassVar[str | None] = "mechanism"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        objects = _objects(evidence)
        same = [o for o in objects if o.kind == self.mechanism]
        shared = [o for o in same if len(set(o.users)) >= 2] if self.between_processes else same
        if shared:
            return CheckOutcome(True, f"the program used a {self.mechanism} ({shared[0].name or shared[0].ident})",
                                evidence=[_listing(evidence, shared)])
        kinds = sorted({o.kind for o in objects})
        if same:
            message = f"the program made a {self.mechanism} but only one process used it"
        else:
            message = f"expected the program to use a {self.mechanism}; it used " + (", ".join(kinds) or "no IPC")
        return CheckOutcome(False, message, expected=self.mechanism, observed=", ".join(kinds) or "none",
                            evidence=[_listing(evidence, objects)] if objects else [])


class IpcFlow(CheckBase):
    """At least `min_bytes` went from a process of role `from` to one of role `to` (over `mechanism`, if given)."""

    kind: Literal["ipc.flow"]
    sender: Role = Field(alias="from")
    receiver: Role = Field(alias="to")
    mechanism: Mechanism | None = None
    min_bytes: PositiveInt = 1

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        helpers = {o.ident for o in evidence.execution.ipc if o.runtime_helper}
        flows = [
            f for f in evidence.execution.flows
            if f.channel not in helpers and (self.mechanism is None or f.kind == self.mechanism)
        ]
        matching = [
            f for f in flows
            if evidence.in_role(self.sender, f.writer) and evidence.in_role(self.receiver, f.reader)
        ]
        total = sum(f.nbytes for f in matching)
        over = f" over a {self.mechanism}" if self.mechanism else ""
        shown = Evidence(
            label="data that crossed between processes",
            lines=[
                f"{f.kind} {f.channel}: {f.nbytes} bytes from pid {evidence.execution.process_of(f.writer)} "
                f"to pid {evidence.execution.process_of(f.reader)}, first {f.sample[:40]!r}"
                for f in (matching or flows)[:12]
            ],
            tasks=sorted({t for f in flows for t in (f.writer, f.reader)}),
            run=evidence.run,
        )
        if total >= self.min_bytes:
            return CheckOutcome(True, f"{total} bytes went from {self.sender} to {self.receiver}{over}",
                                evidence=[shown])
        return CheckOutcome(
            False,
            f"expected data to go from {self.sender} to {self.receiver}{over}; "
            + (f"only {total} bytes did" if matching else "none did")
            + (f" ({len(flows)} other transfer(s) seen)" if flows and not matching else ""),
            expected=f">= {self.min_bytes} bytes",
            observed=f"{total} bytes",
            evidence=[shown] if flows else [],
        )


class IpcCleanup(CheckBase):
    """No IPC object the program created was left behind (shm not unlinked, fifo not removed)."""

    kind: Literal["ipc.cleanup"]

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        left = [o for o in _objects(evidence) if o.left_behind]
        if left:
            return CheckOutcome(
                False,
                "the program left IPC objects behind: " + ", ".join(f"{o.kind} {o.name or o.ident}" for o in left),
                expected="nothing left behind",
                observed=f"{len(left)} object(s)",
                evidence=[_listing(evidence, left)],
            )
        return CheckOutcome(True, "every IPC object the program created was removed")
