"""The course's rules as pure functions: late marking, the score that counts, the rate limit, what is shown.

No clock, no database: the caller passes `now` and the attempts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from grader.site.course import AssignmentEntry, RateLimit

__all__ = ["Attempt", "Lateness", "after_due", "counted", "lateness", "rate_limited", "score_after_penalty"]


@dataclass(frozen=True, slots=True)
class Lateness:
    """How a submission at one moment stands against the deadline."""

    accepted: bool
    late: bool
    days_late: int            # started days after the deadline (0 when on time)
    penalty_percent: float    # of the score, 0..100


def lateness(entry: AssignmentEntry, at: datetime) -> Lateness:
    """On time, late (with its penalty), or past the last moment the late policy accepts."""
    if entry.due is None or at <= entry.due:
        return Lateness(accepted=True, late=False, days_late=0, penalty_percent=0.0)
    days = math.ceil((at - entry.due) / timedelta(days=1))
    if entry.late is None or at > entry.late.until:
        return Lateness(accepted=False, late=True, days_late=days, penalty_percent=100.0)
    return Lateness(accepted=True, late=True, days_late=days,
                    penalty_percent=min(100.0, days * entry.late.penalty_per_day))


def score_after_penalty(score: float, penalty_percent: float) -> float:
    return round(max(0.0, score * (1.0 - penalty_percent / 100.0)), 4)


def after_due(entry: AssignmentEntry, now: datetime) -> bool:
    """Whether tests with visibility `after_due_date` are shown: the deadline (and any late window) is past."""
    if entry.due is None:
        return False
    last = entry.late.until if entry.late is not None else entry.due
    return now > last


class Attempt(Protocol):
    """What the rules read of one graded attempt."""

    @property
    def number(self) -> int: ...

    @property
    def final_score(self) -> float | None: ...


def counted(attempts: Sequence[Attempt], rule: Literal["last", "best"]) -> Attempt | None:
    """The attempt whose score counts: the last graded one, or the best (the earliest of equal bests)."""
    graded = [a for a in attempts if a.final_score is not None]
    if not graded:
        return None
    if rule == "last":
        return max(graded, key=lambda a: a.number)
    return max(graded, key=lambda a: (a.final_score or 0.0, -a.number))


def rate_limited(recent: Sequence[datetime], limit: RateLimit, now: datetime) -> datetime | None:
    """When the limit is reached: the moment the next attempt is allowed; else None."""
    window = timedelta(minutes=limit.minutes)
    inside = sorted(t for t in recent if now - t < window)
    if len(inside) < limit.submissions:
        return None
    return inside[len(inside) - limit.submissions] + window
