"""Races: ThreadSanitizer's verdict on one run (race.none), read from the sanitizer's own log.

The log is data the program cannot forge: the sanitizer writes it to a directory of the harness's that
the program can neither list nor read, the harness reads it as root once the program is gone, and every
traced call that touched it other than the sanitizer's own open, writes and close means the program
tampered with it (grader.sanitize). The program's stdout and stderr are never read for it: printing a
report changes nothing.
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar, Literal

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence, more, outcome
from grader.result import N_, Evidence, Message
from grader.checks.sanitized import before_the_report, exit_without_report
from grader.sanitize import Access, RaceReport, parse_tsan

__all__ = ["ACCESS_ROWS", "RACE_AT", "RACE_ON", "RaceNone", "race_reports"]


def race_reports(sanitizer: dict[str, Any]) -> list[RaceReport]:
    """Every data race in the run's ThreadSanitizer log files (as the harness read them)."""
    reports: list[RaceReport] = []
    for entry in sanitizer.get("files") or []:
        if entry.get("status") == "ok":
            text = base64.b64decode(entry.get("data_b64") or "").decode("utf-8", "replace")
            reports.extend(parse_tsan(text))
    return reports


def _thread(access: Access) -> str:
    """'T1 (tid 42)': ThreadSanitizer's name for the thread and the kernel's id, as the trace has it."""
    return f"{access.thread} (tid {access.tid})" if access.tid is not None else access.thread


# One evidence row per access, as a template of the page's catalog (grader.po), so both languages say it.
ACCESS_ROWS = {
    ("first", "write"): N_("first: a write of {size} bytes at {where} in {function}, by thread {thread}"),
    ("first", "read"): N_("first: a read of {size} bytes at {where} in {function}, by thread {thread}"),
    ("then", "write"): N_("then: a write of {size} bytes at {where} in {function}, by thread {thread}"),
    ("then", "read"): N_("then: a read of {size} bytes at {where} in {function}, by thread {thread}"),
}
RACE_ON = N_("data race {number}, on the variable {variable}:")
RACE_AT = N_("data race {number}, on memory that is not a named variable:")


def _row(order: str, access: Access) -> Message:
    kind = access.kind if access.kind in ("read", "write") else "write"
    return Message(ACCESS_ROWS[(order, kind)], {"size": access.size, "where": access.where,
                                          "function": f"{access.function}()" if access.function else "?",
                                          "thread": _thread(access)})


def _rows(reports: list[RaceReport]) -> list[Message]:
    items: list[Message] = []
    for number, report in enumerate(reports, start=1):
        items.append(Message(RACE_ON, {"number": number, "variable": repr(report.variable)})
                     if report.variable is not None else Message(RACE_AT, {"number": number}))
        items += [_row("first", report.previous), _row("then", report.current)]
    return items


class RaceNone(CheckBase):
    """ThreadSanitizer found no data race in the run (the assignment must say `sanitize: thread`).

    A data race is two accesses to the same memory by two threads, at least one a write, with no lock
    or other ordering between them. ThreadSanitizer sees it whichever thread happened to run first, so
    one run says what many repeats only sample. The report is read from the sanitizer's log, which the
    program can neither read nor write through any call the trace does not show; a run whose log the
    program touched fails with what it did. A failure names the two accesses: which thread, read or
    write, at which file:line of the student's code.
    """

    kind: Literal["race.none"]
    examples: ClassVar[tuple[str, ...]] = ("- race.none: {}",)

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        sanitizer, refused = before_the_report(evidence, "thread", not_sanitized="race.not_sanitized",
                                                tampered="race.log_tampered")
        if refused is not None:
            return refused
        reports = race_reports(sanitizer)
        if reports:
            first = reports[0]
            more_slot, more_params = more(len(reports) - 1)
            params: dict[str, Any] = {
                "first_thread": _thread(first.previous), "first_at": first.previous.where,
                "second_thread": _thread(first.current), "second_at": first.current.where,
                "count": len(reports), **more_params,
                "lines": sorted({a.where for r in reports for a in (r.previous, r.current)})}
            base = "race.found_memory"
            if first.variable is not None:
                base, params["variable"] = "race.found", repr(first.variable)
            tasks = sorted({a.tid for a in (first.previous, first.current) if a.tid is not None})
            return outcome(False, base, params, slots=more_slot,
                           expected="no data race", observed=f"{len(reports)} data race(s)",
                           evidence=[Evidence(label=N_("the accesses that raced (ThreadSanitizer)"),
                                              items=_rows(reports[:5]), tasks=tasks, run=evidence.run)])
        return exit_without_report(evidence, sanitizer, "race.exit_unreported") or outcome(True, "race.none_ok")
