"""LMS-aware intake: a class downloaded from Canvas, Moodle, Blackboard, Gradescope or GitHub Classroom,
and the roster that joins its submissions to students. Archive safety stays in grader.submission."""

from grader.intake.lms import LAYOUTS, LmsEntry, detect_layout, discover_class, read_layout
from grader.intake.roster import Roster, RosterEntry, join_roster, load_roster

__all__ = [
    "LAYOUTS",
    "LmsEntry",
    "Roster",
    "RosterEntry",
    "detect_layout",
    "discover_class",
    "join_roster",
    "load_roster",
    "read_layout",
]
