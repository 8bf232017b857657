"""Memory and undefined behaviour: AddressSanitizer's verdict (memory.safe) and UndefinedBehaviorSanitizer's
(ub.none) on one run, read from the sanitizer's own log.

The log is trusted as race.none trusts ThreadSanitizer's: the sanitizer writes it to a directory of the
harness's that the program can neither list nor read, the harness reads it as root once the program is
gone, and every traced call that touched it other than the sanitizer's own open, writes and close means
the program tampered with it (grader.sanitize.tampering). stdout and stderr are never read for it: a
printed report changes nothing. A failure says what the report shows, in words: the kind of error, the
file:line of the student's code, read or write and how many bytes, which block or variable.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar, Literal

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, more, outcome
from grader.checks.messages import template_id, template_text
from grader.checks.sanitized import before_the_report, exit_without_report
from grader.result import N_, Evidence, Message
from grader.sanitize import (
    Frame,
    LeakReport,
    MemoryReport,
    UndefinedReport,
    parse_asan,
    parse_leaks,
    parse_ubsan,
)

__all__ = ["MemorySafe", "UndefinedNone", "log_text"]

ROWS = 5   # reports shown as evidence rows


def log_text(sanitizer: dict[str, Any]) -> str:
    """The run's sanitizer log files that the harness read, one after another."""
    return "".join(base64.b64decode(entry.get("data_b64") or "").decode("utf-8", "replace")
                   for entry in sanitizer.get("files") or [] if entry.get("status") == "ok")


def _function(frame: Frame) -> str:
    """'main()'; a C++ name that has its parameters already ('f(int)') as it is."""
    if not frame.function:
        return "?"
    return frame.function if frame.function.endswith(")") else f"{frame.function}()"


def _place(frame: Frame | None) -> str:
    return frame.where if frame is not None and frame.file else "an unknown place"


# ----------------------------------------------------------------------------- AddressSanitizer

def _memory_base(report: MemoryReport) -> tuple[str, dict[str, Any]]:
    """The template (without its <more> slot) and params that say what `report` shows.

    The ids are written out in full here so that docs/checks.md (grader.spec.reference) lists them."""
    params: dict[str, Any] = {"where": report.at.where, "function": _function(report.at), "error": report.error}
    access = report.access if report.access in ("read", "write") else ""
    overflows = {
        ("heap-buffer-overflow", "read"): "memory.heap_overflow_read",
        ("heap-buffer-overflow", "write"): "memory.heap_overflow_write",
        ("stack-buffer-overflow", "read"): "memory.stack_overflow_read",
        ("stack-buffer-overflow", "write"): "memory.stack_overflow_write",
        ("stack-buffer-underflow", "read"): "memory.stack_overflow_read",
        ("stack-buffer-underflow", "write"): "memory.stack_overflow_write",
        ("global-buffer-overflow", "read"): "memory.global_overflow_read",
        ("global-buffer-overflow", "write"): "memory.global_overflow_write",
    }
    overflow = overflows.get((report.error, access))
    if overflow and report.size is not None and report.region is not None and report.position is not None \
            and (report.error == "heap-buffer-overflow" or report.variable):
        params.update(size=report.size, position=report.position, region=report.region, last=report.region - 1,
                      variable=repr(report.variable), allocated_at=_place(report.allocated_at))
        return overflow, params
    after_free = {"read": "memory.use_after_free_read", "write": "memory.use_after_free_write"}
    if report.error == "heap-use-after-free" and access and report.size is not None and report.region is not None:
        params.update(size=report.size, region=report.region, freed_at=_place(report.freed_at),
                      allocated_at=_place(report.allocated_at))
        return after_free[access], params
    if report.error == "double-free" and report.region is not None:
        params.update(region=report.region, freed_at=_place(report.freed_at), allocated_at=_place(report.allocated_at))
        return "memory.double_free", params
    if report.error == "bad-free":
        return "memory.bad_free", params
    wild = {(True, "read"): "memory.null_read", (True, "write"): "memory.null_write",
            (False, "read"): "memory.segv_read", (False, "write"): "memory.segv_write"}
    if report.error == "SEGV" and access:
        return wild[(report.null, access)], params
    other = {"read": "memory.other_read", "write": "memory.other_write"}
    if access and report.size is not None:
        params["size"] = report.size
        return other[access], params
    return "memory.other", params


def _leak_base(leaks: list[LeakReport]) -> tuple[str, dict[str, Any]]:
    first = leaks[0]
    return "memory.leak", {"bytes": sum(leak.size for leak in leaks), "blocks": sum(leak.objects for leak in leaks),
                           "allocated_at": first.allocated_at.where, "leaks": len(leaks)}


def _row(base: str, params: dict[str, Any]) -> Message:
    """One evidence row: the same sentence as the verdict's, for one report."""
    key = template_id(base, more="none")
    return Message(template_text(key), {k: v for k, v in params.items() if k != "template"})


class MemorySafe(CheckBase):
    """AddressSanitizer found no memory error in the run (the assignment must say `sanitize: address`).

    AddressSanitizer checks every load and store of the instrumented program: a read or write outside a
    heap block, a local array or a global (buffer overflow), a use of a heap block after free(), a second
    free() of one block, free() of an address malloc() did not return, and a wild or null pointer. The
    first error stops the program (exit code 66) and the report is read from the sanitizer's log, which the
    program can neither read nor write through any call the trace does not show; a run whose log the
    program touched fails with what it did. A failure names the error, the file:line of the student's code
    (the innermost frame in the program's own sources), read or write and its size, and where the block
    was allocated and freed. Leaks are not looked for: LeakSanitizer stops every thread with ptrace, which
    the tracer already holds.
    """

    kind: Literal["memory.safe"]
    examples: ClassVar[tuple[str, ...]] = ("- memory.safe: {}",)

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        sanitizer, refused = before_the_report(evidence, "address", not_sanitized="memory.not_sanitized",
                                                tampered="memory.log_tampered")
        if refused is not None:
            return refused
        text = log_text(sanitizer)
        reports = parse_asan(text)
        leaks = parse_leaks(text)
        found = [_memory_base(r) for r in reports] + ([_leak_base(leaks)] if leaks else [])
        if found:
            base, params = found[0]
            more_slot, more_params = more(len(found) - 1)
            params = {**params, **more_params, "reports": len(found),
                      "errors": [r.error for r in reports] + (["leak"] if leaks else []),
                      "lines": sorted({r.at.where for r in reports if r.at.file})}
            tasks = sorted({r.pid for r in reports if r.pid is not None})
            return outcome(False, base, params, slots=more_slot, expected="no memory error",
                           observed=f"{len(found)} memory error(s)",
                           evidence=[Evidence(label=N_("what AddressSanitizer reported"),
                                              items=[_row(b, p) for b, p in found[:ROWS]], tasks=tasks,
                                              run=evidence.run)])
        return exit_without_report(evidence, sanitizer, "memory.exit_unreported") or outcome(True, "memory.safe_ok")


# ----------------------------------------------------------------------------- UndefinedBehaviorSanitizer

def _ub_base(report: UndefinedReport) -> tuple[str, dict[str, Any]]:
    """The template (without its <more> slot) and params that say what `report` shows (ids in full, as above)."""
    templates = {"signed-overflow": "ub.signed_overflow", "negation-overflow": "ub.negation_overflow",
                 "shift-too-large": "ub.shift_too_large", "shift-negative": "ub.shift_negative",
                 "shift-of-negative": "ub.shift_of_negative", "shift-overflow": "ub.shift_overflow",
                 "division-by-zero": "ub.division_by_zero", "index-out-of-bounds": "ub.index_out_of_bounds",
                 "null-pointer": "ub.null_pointer", "misaligned": "ub.misaligned"}
    params: dict[str, Any] = {"where": report.at.where, "function": _function(report.at), "error": report.error}
    params.update({name: (repr(value) if name in ("expression", "type") else value)
                   for name, value in report.facts.items()})
    base = templates.get(report.error, "ub.other")
    if base == "ub.other":
        params["detail"] = repr(report.detail[:120])
    return base, params


class UndefinedNone(CheckBase):
    """UndefinedBehaviorSanitizer found no undefined behaviour in the run (`sanitize: undefined`).

    It checks, as the program runs: signed integer overflow, shifts by a negative count or by at least
    the type's width, left shifts of negative values, division by zero, array indexes outside a declared
    bound, null and misaligned pointers. The first report stops the program (exit code 66) and is read
    from the sanitizer's log, as memory.safe and race.none read theirs; a failure names what it was, in
    words and with its values, and the file:line of the student's code.
    """

    kind: Literal["ub.none"]
    examples: ClassVar[tuple[str, ...]] = ("- ub.none: {}",)

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        sanitizer, refused = before_the_report(evidence, "undefined", not_sanitized="ub.not_sanitized",
                                                tampered="ub.log_tampered")
        if refused is not None:
            return refused
        reports = parse_ubsan(log_text(sanitizer))
        if reports:
            found = [_ub_base(r) for r in reports]
            base, params = found[0]
            more_slot, more_params = more(len(found) - 1)
            params = {**params, **more_params, "reports": len(found), "errors": [r.error for r in reports],
                      "lines": sorted({r.at.where for r in reports if r.at.file})}
            return outcome(False, base, params, slots=more_slot, expected="no undefined behaviour",
                           observed=f"{len(found)} report(s)",
                           evidence=[Evidence(label=N_("what UndefinedBehaviorSanitizer reported"),
                                              items=[_row(b, p) for b, p in found[:ROWS]], run=evidence.run)])
        return exit_without_report(evidence, sanitizer, "ub.exit_unreported") or outcome(True, "ub.none_ok")
