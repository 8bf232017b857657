"""The check catalogue: the discriminated union of every check kind IS the registry."""

from __future__ import annotations

from typing import Annotated, get_args

from pydantic import Field

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence
from grader.checks.captures import OutputIds, OutputValues
from grader.checks.files import FileContents
from grader.checks.ipc import IpcCleanup, IpcFlow, IpcUsed
from grader.checks.lifecycle import (
    ProcessBlockedIn,
    ProcessConcurrent,
    ProcessExitCode,
    ProcessKilled,
    ProcessNoOrphans,
    ProcessNoZombies,
    ProcessReaped,
    ProcessReapOrder,
    ProcessZombie,
)
from grader.checks.output import (
    OutputContains,
    OutputCount,
    OutputExact,
    OutputHappensBefore,
    OutputOrdered,
    OutputProcessOrder,
    OutputRegex,
    OutputUnordered,
)
from grader.checks.processes import (
    ProcessChildren,
    ProcessCount,
    ProcessExec,
    ProcessSiblings,
    ProcessTree,
)
from grader.checks.memory import MemorySafe, UndefinedNone
from grader.checks.race import RaceNone
from grader.checks.resources import ResourceMemory, ResourcePids, ResourceTime
from grader.checks.signals import ProcessGroup, ProcessSession, SignalDelivered, SignalHandler, SignalSent
from grader.checks.threads import ThreadCount, ThreadJoined, ThreadSameProcess, ThreadWork
from grader.checks.writers import OutputWriters

__all__ = ["CHECK_TYPES", "Check", "CheckBase", "CheckOutcome", "RunEvidence", "check_kind"]

Check = Annotated[
    # output.py
    OutputExact | OutputContains | OutputRegex | OutputCount | OutputUnordered | OutputOrdered
    | OutputProcessOrder | OutputHappensBefore
    # captures.py, writers.py
    | OutputIds | OutputValues | OutputWriters
    # processes.py, threads.py
    | ProcessCount | ProcessChildren | ProcessTree | ProcessSiblings | ProcessExec
    | ThreadCount | ThreadSameProcess | ThreadWork
    # lifecycle.py
    | ProcessReaped | ProcessNoZombies | ProcessNoOrphans | ProcessExitCode | ProcessKilled | ProcessConcurrent
    | ProcessZombie | ProcessReapOrder | ProcessBlockedIn | ThreadJoined
    # ipc.py, resources.py
    | IpcUsed | IpcFlow | IpcCleanup | ResourceTime | ResourceMemory | ResourcePids
    # signals.py, files.py
    | SignalSent | SignalDelivered | SignalHandler | ProcessGroup | ProcessSession | FileContents
    # race.py, memory.py
    | RaceNone | MemorySafe | UndefinedNone,
    Field(discriminator="kind"),
]


def check_kind(cls: type[CheckBase]) -> str:
    """The `kind` literal a check class declares."""
    return str(cls.model_fields["kind"].annotation.__args__[0])  # type: ignore[union-attr]


CHECK_TYPES: dict[str, type[CheckBase]] = {
    check_kind(cls): cls for cls in get_args(get_args(Check)[0])
}
