"""What race.none, memory.safe and ub.none share: whether a run's sanitizer log can be trusted, and the
two verdicts that come before reading it (no sanitizer in the build; a log the program touched) and the
one after (the sanitizer's exit code with no report in the log).

A log is untrusted when the build carried an evasion (suppressions, a replaced report hook), when the trace
shows a call of the program's on the log (grader.sanitize.tampering), or when the harness found something
other than a plain file of the sanitizer's in the log directory."""

from __future__ import annotations

from typing import Any

from grader.checks.base import CheckOutcome, RunEvidence, outcome
from grader.result import N_, Evidence
from grader.sanitize import tampering

__all__ = ["BAD_FILE", "before_the_report", "exit_without_report", "untrusted_log"]

BAD_FILE = {"symlink": "a link in place of its log file", "not_regular": "something other than a file in place "
            "of its log file", "foreign": "a log file it does not own", "linked": "a log file with a second "
            "name", "unreadable": "a log file the grader could not read"}


def untrusted_log(evidence: RunEvidence, sanitizer: dict[str, Any]) -> list[str]:
    """What makes this run's log untrustworthy: evasions in the build, calls on the log, odd files in it."""
    touched = tampering(evidence.record.trace_text(), str(sanitizer.get("log_dir") or ""))
    odd = [f"{BAD_FILE[e['status']]} ({e['name']})" for e in sanitizer.get("files") or []
           if e.get("status") in BAD_FILE]
    return [str(e) for e in sanitizer.get("evasions") or []] + touched + odd


def before_the_report(evidence: RunEvidence, kind: str, *, not_sanitized: str,
                      tampered: str) -> tuple[dict[str, Any], CheckOutcome | None]:
    """(the run's sanitizer record, None) when its log of sanitizer `kind` can be read; else the failure
    with template `not_sanitized`, or `tampered` with what the program did (template ids spelled out in
    full at each call, where the reference's reader of the code finds them)."""
    sanitizer = evidence.record.sanitizer
    if not sanitizer or sanitizer.get("kind") != kind:
        return {}, outcome(False, not_sanitized, observed="no sanitizer")
    problems = untrusted_log(evidence, sanitizer)
    if problems:
        return sanitizer, outcome(False, tampered, {"what": problems[0], "problems": problems},
                                  observed="tampered",
                                  evidence=[Evidence(label=N_("what the program did to the sanitizer's log"),
                                                     lines=problems[:10], run=evidence.run)])
    return sanitizer, None


def exit_without_report(evidence: RunEvidence, sanitizer: dict[str, Any], template: str) -> CheckOutcome | None:
    """A failure with `template` when the program ended with the sanitizer's exit code but its log holds no
    report (a report was lost or erased); None otherwise."""
    code = evidence.record.exit_code
    if code is not None and code == sanitizer.get("exit_code"):
        return outcome(False, template, {"code": code}, observed=f"exit {code}, no report")
    return None
