"""Writers: which processes and threads wrote the lines that match a pattern."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator
from pydantic_core import PydanticCustomError

from grader.checks.base import CheckBase, CheckOutcome, RunEvidence
from grader.checks.params import Count, Regex, Role, Stream

__all__ = ["OutputWriters"]


class OutputWriters(CheckBase):
    """Lines matching `pattern` come from N distinct processes/threads, and/or only from a role."""

    kind: Literal["output.writers"]
    pattern: Regex
    distinct_processes: Count | None = None
    distinct_threads: Count | None = None
    role: Role | None = None
    min_lines: Count = 1
    stream: Stream = "stdout"

    @model_validator(mode="after")
    def _says_something(self) -> OutputWriters:
        if self.distinct_processes is None and self.distinct_threads is None and self.role is None:
            raise PydanticCustomError("writers", "give distinct_processes, distinct_threads or role", {})
        return self

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        hits = evidence.matching(self.pattern, self.stream)
        if len(hits) < self.min_lines:
            return CheckOutcome(
                False,
                f"expected at least {self.min_lines} line(s) matching /{self.pattern}/, found {len(hits)}",
                expected=f">= {self.min_lines} line(s)",
                observed=f"{len(hits)} line(s)",
            )
        if not evidence.has_trace:
            return self.no_trace()
        shown = [evidence.line_evidence(f"lines matching /{self.pattern}/", hits)]
        processes = sorted({p for _, line in hits for p in line.processes})
        threads = sorted({t for _, line in hits for t in line.writers})
        if self.distinct_processes is not None and len(processes) != self.distinct_processes:
            return CheckOutcome(
                False,
                f"expected lines matching /{self.pattern}/ from {self.distinct_processes} distinct processes, "
                f"but they came from {len(processes)}: " + (", ".join(f"pid {p}" for p in processes) or "none"),
                expected=f"{self.distinct_processes} processes",
                observed=f"{len(processes)} processes",
                evidence=shown,
                params={"processes": processes},
            )
        if self.distinct_threads is not None and len(threads) != self.distinct_threads:
            return CheckOutcome(
                False,
                f"expected lines matching /{self.pattern}/ from {self.distinct_threads} distinct threads, "
                f"but they came from {len(threads)}: " + (", ".join(f"tid {t}" for t in threads) or "none"),
                expected=f"{self.distinct_threads} threads",
                observed=f"{len(threads)} threads",
                evidence=shown,
                params={"threads": threads},
            )
        if self.role is not None:
            outside = [(i, line) for i, line in hits if not evidence.line_in_role(line, self.role)]
            if outside:
                members = ", ".join(f"pid {t.tid}" if t.is_process else f"tid {t.tid}" for t in evidence.role(self.role))
                return CheckOutcome(
                    False,
                    f"{len(outside)} line(s) matching /{self.pattern}/ were not written by {self.role} "
                    f"({members or 'none'})",
                    expected=f"every such line from {self.role}",
                    observed=f"{len(outside)} from elsewhere",
                    evidence=[evidence.line_evidence(f"lines not from {self.role}", outside)],
                )
        return CheckOutcome(
            True,
            f"{len(hits)} line(s) matching /{self.pattern}/ came from {len(processes)} process(es), "
            f"{len(threads)} thread(s)",
        )
