"""IPC: which mechanism the program used, what flowed between whom, and what it left behind."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, SubjectCheck, more, outcome
from grader.checks.params import PositiveInt, Role
from grader.result import Evidence
from grader.trace.model import IpcObject

__all__ = ["FLOW_MECHANISMS", "FlowMechanism", "IpcCleanup", "IpcFlow", "IpcUsed", "Mechanism"]

Mechanism = Literal[
    "pipe", "fifo", "socketpair", "unix_socket", "tcp_loopback", "udp_loopback",
    "posix_shm", "sysv_shm", "shared_mmap", "mqueue", "file", "eventfd", "memfd",
]
# Mechanisms whose bytes move through system calls the trace sees (write/send on one side, read/recv on
# the other), so "from A to B" can be shown. Shared memory is read and written with plain loads and
# stores, which no system call shows: ipc.flow rejects those mechanisms when the assignment is loaded.
FlowMechanism = Literal["pipe", "fifo", "socketpair", "unix_socket", "tcp_loopback", "udp_loopback", "mqueue",
                        "file", "eventfd"]
FLOW_MECHANISMS: tuple[str, ...] = get_args(FlowMechanism)
_MEMORY = ("posix_shm", "sysv_shm", "shared_mmap", "memfd")


def _objects(evidence: RunEvidence) -> list[IpcObject]:
    return [o for o in evidence.execution.ipc if not o.runtime_helper]


def _listing(evidence: RunEvidence, objects: list[IpcObject]) -> Evidence:
    return Evidence(
        label="IPC objects in the trace (runtime helpers' excluded)",
        lines=[f"{o.kind} {o.name or o.ident}, used by " + ", ".join(f"pid {u}" for u in o.users)
               + (", mapped shared and writable by " + ", ".join(f"pid {u}" for u in o.mapped_by) if o.mapped_by else "")
               for o in objects],
        tasks=sorted({u for o in objects for u in o.users}),
        run=evidence.run,
    )


class IpcUsed(CheckBase):
    """The program itself (not its runtime) used `mechanism`, between two or more processes unless told otherwise."""

    kind: Literal["ipc.used"]
    mechanism: Mechanism = Field(
        description="the mechanism: pipe, fifo, socketpair, unix_socket, tcp_loopback, udp_loopback, posix_shm, sysv_shm, shared_mmap, mqueue, file, eventfd or memfd")
    between_processes: bool = Field(
        default=True, description="two or more processes must have used the same object (shared memory: mapped it shared and writable)")
    shorthand: ClassVar[str | None] = "mechanism"

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        objects = _objects(evidence)
        same = [o for o in objects if o.kind == self.mechanism]
        memory = self.mechanism in _MEMORY
        # For shared memory, "used between processes" means two processes held a shared, writable
        # mapping of the same object (IpcObject.mapped_by), not merely opened it.
        shared = [o for o in same if len(set(o.mapped_by if memory else o.users)) >= 2] \
            if self.between_processes else same
        params: dict[str, Any] = {"mechanism": self.mechanism}
        if shared:
            return outcome(True, "ipc.used_ok", {**params, "name": shared[0].name or shared[0].ident},
                           evidence=[_listing(evidence, shared)])
        kinds = sorted({o.kind for o in objects})
        if memory and [o for o in same if len(set(o.users)) >= 2]:
            first = next(o for o in same if len(set(o.users)) >= 2)
            key = "ipc.used_unmapped"
            params.update(name=first.name or first.ident, pids=sorted(set(first.users)),
                          mapped=sorted(set(first.mapped_by)) or "none")
        elif same:
            key = "ipc.used_alone"
            params.update(name=same[0].name or same[0].ident, pids=sorted(set(same[0].users)))
        elif kinds:
            key, params["kinds"] = "ipc.used_other", kinds
        else:
            key = "ipc.used_none"
        return outcome(False, key, params, expected=self.mechanism, observed=", ".join(kinds) or "none",
                       evidence=[_listing(evidence, objects)] if objects else [])


class IpcFlow(SubjectCheck):
    """At least `min_bytes` went from a process of role `from` to one of role `to` (over `mechanism`, if given).

    A flow is bytes one process wrote into a channel and another read out of it (for `file`: one
    process wrote the file and another later read it). Shared-memory mechanisms cannot be given: the
    trace cannot see loads and stores (use ipc.used for them).
    """

    kind: Literal["ipc.flow"]
    sender: Role = Field(alias="from", description="the role that wrote the bytes (see Roles)")
    receiver: Role = Field(alias="to", description="the role that read them")
    mechanism: FlowMechanism | None = Field(
        default=None, description="only bytes over this mechanism count (not a shared-memory one)")
    min_bytes: PositiveInt = Field(default=1, description="at least this many bytes")

    @field_validator("mechanism", mode="before")
    @classmethod
    def _observable(cls, value: Any) -> Any:
        if value in _MEMORY:
            raise PydanticCustomError(
                "flow_mechanism",
                "ipc.flow cannot check {mechanism}: processes share that memory with plain loads and stores, "
                "which no system call shows, so the trace cannot see bytes go from one process to another; "
                "check it with ipc.used (mechanism {mechanism}: two processes mapped it shared and writable) and "
                "an output check for the value. ipc.flow takes {allowed}",
                {"mechanism": value, "allowed": ", ".join(FLOW_MECHANISMS)},
            )
        return value

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        helpers = {o.ident for o in evidence.execution.ipc if o.runtime_helper}
        for o in evidence.execution.ipc:
            if o.runtime_helper:
                helpers.update(o.aliases)
        every = [f for f in evidence.execution.flows if f.channel not in helpers]
        if not every:
            return self.nothing(evidence, "none.flows")
        flows = [f for f in every if self.mechanism is None or f.kind == self.mechanism]
        matching = [
            f for f in flows
            if evidence.in_role(self.sender, f.writer) and evidence.in_role(self.receiver, f.reader)
            and evidence.execution.process_of(f.writer) != evidence.execution.process_of(f.reader)
        ]
        total = sum(f.nbytes for f in matching)
        over = "_over" if self.mechanism else ""
        params: dict[str, Any] = {"sender": self.sender, "receiver": self.receiver, "mechanism": self.mechanism,
                                  "bytes": total, "want": self.min_bytes}
        shown = Evidence(
            label="data that crossed between processes",
            lines=[
                f"{f.kind} {f.channel}: {f.nbytes} bytes from pid {evidence.execution.process_of(f.writer)} "
                f"to pid {evidence.execution.process_of(f.reader)}, first {f.sample[:40]!r}"
                for f in (matching or every)[:12]
            ],
            tasks=sorted({t for f in every for t in (f.writer, f.reader)}),
            run=evidence.run,
        )
        if total >= self.min_bytes:
            return outcome(True, "flow.ok" + over, params, evidence=[shown])
        if matching:
            return outcome(False, "flow.few" + over, params, expected=f">= {self.min_bytes} bytes",
                           observed=f"{total} bytes", evidence=[shown])
        return outcome(False, "flow.none" + over, {**params, "others": len(every)},
                       expected=f">= {self.min_bytes} bytes", observed="0 bytes", evidence=[shown])


class IpcCleanup(SubjectCheck):
    """No IPC object the program created was left behind (shm not unlinked, fifo or socket file not removed).

    A program that created no IPC object at all has nothing to clean up: that fails unless `if_none` says
    otherwise.
    """

    kind: Literal["ipc.cleanup"]

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        objects = _objects(evidence)
        if not objects:
            return self.nothing(evidence, "none.ipc")
        left = [o for o in objects if o.left_behind]
        if left:
            more_slot, more_params = more(len(left) - 1)
            return outcome(
                False, "cleanup.bad",
                {"count": len(left), "kind": left[0].kind, "name": left[0].name or left[0].ident, **more_params},
                slots=more_slot,
                expected="nothing left behind",
                observed=f"{len(left)} object(s)",
                evidence=[_listing(evidence, left)],
            )
        return outcome(True, "cleanup.ok", {"count": len(objects)})
