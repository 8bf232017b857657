"""The race diagram beside the timeline: the two accesses of a data race ThreadSanitizer found, on two thread lanes.

Read from a race.none check's evidence (grader.checks.race): its rows are catalog templates, one per access
("first: a write of {size} bytes at {where} in {function}, by thread {thread}"), after a row naming the race's
variable. The layout is plain numbers for _race.svg.j2 (no script: the page's CSP allows none); every text
is the student's or ThreadSanitizer's and is escaped by the template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from grader.checks.race import ACCESS_ROWS, RACE_AT, RACE_ON  # the rows' templates, as the check writes them
from grader.report.excerpt import clean_text, shorten
from grader.report.i18n import N_, Localized, render
from grader.result import CheckResult, Evidence, Message

__all__ = ["MAX_DIAGRAMS", "RaceAccess", "RaceDiagram", "RaceLane", "RaceMark", "race_accesses", "race_diagrams"]

RACE_EVIDENCE = N_("the accesses that raced (ThreadSanitizer)")   # the check's evidence label
MAX_DIAGRAMS = 5          # races drawn per check (the check's evidence lists at most 5)
TEXT_CHARS = 48           # a file:line or thread name longer than this is cut

_ORDER_KIND = {template: key for key, template in ACCESS_ROWS.items()}
_MARK_LABEL = {
    ("first", "write"): N_("first: write at {where} ({thread})"),
    ("first", "read"): N_("first: read at {where} ({thread})"),
    ("then", "write"): N_("then: write at {where} ({thread})"),
    ("then", "read"): N_("then: read at {where} ({thread})"),
}
_MARK_TITLE = {
    "write": N_("a write of {size} bytes in {function}, by thread {thread}"),
    "read": N_("a read of {size} bytes in {function}, by thread {thread}"),
}
_CAPTION_ON = N_("Data race {number} on the variable {variable}")
_CAPTION_AT = N_("Data race {number} on memory that is not a named variable")
_ARROW = N_("then, with no lock or other ordering between the two accesses")
_TID = re.compile(r"^(?P<name>.*?) \(tid (?P<tid>\d+)\)$")

# Geometry (px): a label column, then the lanes; the first access left of the second.
WIDTH, LABEL_WIDTH, LANE_HEIGHT, TOP = 640.0, 112.0, 58.0, 26.0
FIRST_X, THEN_X, MARK_R = 270.0, 500.0, 6.0


@dataclass(frozen=True, slots=True)
class RaceAccess:
    """One side of the race, as the check's evidence row says it."""

    order: str                # "first" | "then"
    kind: str                 # "read" | "write"
    where: str                # "share.c:13"
    function: str             # "producer()"
    thread: str               # ThreadSanitizer's name: "T1"
    tid: int | None           # the kernel's tid, the timeline's lane
    size: Any = None          # bytes


@dataclass(frozen=True, slots=True)
class RaceLane:
    thread: str
    tid: int | None
    label: str                # "T1 (tid 41)"
    y: float                  # the lane's middle


@dataclass(frozen=True, slots=True)
class RaceMark:
    order: str
    kind: str
    tid: int | None
    x: float
    y: float
    label: str                # "first: write at share.c:13 (T1)"
    label_y: float
    title: str                # the tooltip: size, function, thread


@dataclass(frozen=True, slots=True)
class RaceDiagram:
    number: int               # the race's number in the check's evidence (1-based)
    caption: str
    run: int | None           # the run it was seen in (0-based, as Evidence.run)
    lanes: tuple[RaceLane, ...]
    marks: tuple[RaceMark, RaceMark]
    arrow: tuple[float, float, float, float]
    arrow_title: str
    width: float
    height: float
    lane_x1: float            # where the lanes' lines start (right of their labels) and end
    lane_x2: float
    translated: bool          # False: some text stayed English (no translation in the catalog)


def _thread(text: str) -> tuple[str, int | None]:
    found = _TID.match(text)
    return (found.group("name"), int(found.group("tid"))) if found else (text, None)


def race_accesses(evidence: Evidence) -> list[tuple[Message, RaceAccess, RaceAccess]]:
    """(the race's caption row, first access, then access) for every race the evidence lists in full."""
    races: list[tuple[Message, RaceAccess, RaceAccess]] = []
    items = list(evidence.items)
    for index, head in enumerate(items):
        if head.template not in (RACE_ON, RACE_AT):
            continue
        sides = []
        for row in items[index + 1:index + 3]:
            key = _ORDER_KIND.get(row.template)
            if key is None:
                break
            name, tid = _thread(str(row.params.get("thread", "?")))
            sides.append(RaceAccess(order=key[0], kind=key[1], where=str(row.params.get("where", "?")),
                                    function=str(row.params.get("function", "?")), thread=name, tid=tid,
                                    size=row.params.get("size")))
        if len(sides) == 2 and (sides[0].order, sides[1].order) == ("first", "then"):
            races.append((head, sides[0], sides[1]))
    return races


def _text(value: str) -> str:
    return shorten(clean_text(value)[0], TEXT_CHARS)


def _diagram(head: Message, first: RaceAccess, then: RaceAccess, run: int | None, lang: str) -> RaceDiagram:
    said: list[Localized] = []

    def say(template: str, **params: Any) -> str:
        text = render(Message(template, params), lang)
        said.append(text)
        return text.text

    number = head.params.get("number", 1)
    caption = (say(_CAPTION_ON, number=number, variable=_text(str(head.params.get("variable", "?"))))
               if head.template == RACE_ON else say(_CAPTION_AT, number=number))
    lanes: list[RaceLane] = []
    for access in (first, then):
        if all((lane.thread, lane.tid) != (access.thread, access.tid) for lane in lanes):
            label = f"{access.thread} (tid {access.tid})" if access.tid is not None else access.thread
            lanes.append(RaceLane(thread=access.thread, tid=access.tid, label=_text(label),
                                  y=TOP + LANE_HEIGHT * (len(lanes) + 0.5)))
    lane_y = {(lane.thread, lane.tid): lane.y for lane in lanes}
    marks = []
    for access, x in ((first, FIRST_X), (then, THEN_X)):
        y = lane_y[(access.thread, access.tid)]
        above = access.order == "first"
        marks.append(RaceMark(
            order=access.order, kind=access.kind, tid=access.tid, x=x, y=y,
            label=say(_MARK_LABEL[(access.order, access.kind)], where=_text(access.where),
                      thread=_text(access.thread)),
            label_y=y - MARK_R - 9 if above else y + MARK_R + 19,
            title=say(_MARK_TITLE[access.kind], size=access.size if access.size is not None else "?",
                      function=_text(access.function), thread=_text(access.thread))))
    one, two = marks
    dx, dy = two.x - one.x, two.y - one.y
    length = max((dx * dx + dy * dy) ** 0.5, 1.0)
    pad = MARK_R + 3
    arrow = (one.x + dx / length * pad, one.y + dy / length * pad, two.x - dx / length * pad,
             two.y - dy / length * pad)
    return RaceDiagram(number=int(number) if isinstance(number, int) else 1, caption=caption, run=run,
                       lanes=tuple(lanes), marks=(one, two), arrow=arrow, arrow_title=say(_ARROW),
                       width=WIDTH, height=TOP + LANE_HEIGHT * len(lanes) + 14, lane_x1=LABEL_WIDTH,
                       lane_x2=WIDTH - 12,
                       translated=all(s.translated for s in said))


def race_diagrams(check: CheckResult, lang: str = "en") -> list[RaceDiagram]:
    """A diagram per data race a race.none check that did not pass names with both accesses (at most
    MAX_DIAGRAMS); none for any other check."""
    if check.kind != "race.none" or check.status not in ("failed", "flaky"):
        return []
    diagrams: list[RaceDiagram] = []
    for evidence in check.evidence:
        if evidence.label != RACE_EVIDENCE:
            continue
        for head, first, then in race_accesses(evidence):
            if len(diagrams) < MAX_DIAGRAMS:
                diagrams.append(_diagram(head, first, then, evidence.run, lang))
    return diagrams
