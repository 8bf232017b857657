"""The language runtime's own helper processes, as the trace stage decided them (see process.py, ends.py).

A process is taken as a runtime helper only when its exec has the exact shape CPython's multiprocessing
builds (the interpreter its creator itself ran, interpreter flags only, `-c` and the resource tracker's
or the forkserver's one command), its creator had imported multiprocessing, and it behaved like one (no
output on stdout/stderr but the tracker's leak warning, no children of its own for the tracker, no
programs run by the forkserver's children). Anything else is the student's.
"""

from __future__ import annotations

from grader.trace.model import Execution

__all__ = ["runtime_helpers"]


def runtime_helpers(execution: Execution) -> dict[int, str]:
    """pid -> why it was taken as a runtime helper (a sentence for the page), for every helper process."""
    return {
        t.tid: t.helper_reason or "multiprocessing's helper"
        for t in execution.tasks.values()
        if t.kind == "process" and t.runtime_helper
    }
