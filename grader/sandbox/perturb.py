"""Schedule perturbation across repeats: each repeat of a test gets its own seeded schedule of delays,
CPU placement and (for Python) GIL switch interval, so repeats sample different interleavings.

Pure: a schedule is computed from (level, seed, repeat index) alone, so a run is reproduced from the
seed its record names. The harness applies what is computed here (harness.py, standard library only):
    strace_args   extra `-e inject=SET:delay_enter=US:delay_exit=US:when=FIRST..LAST+STEP` options on
                  the traced calls where interleavings are decided (task creation, reads and writes,
                  waits, sleeps, semaphores). strace injects only into calls it traces (an untraced
                  futex or sched_yield is never delayed: measured), so only traced calls are named.
    cpus          CPU slots the program is pinned to (indices into the harness's own CPU set; the
                  harness maps them); None = free to run on any.
    ticker_us     when the program is pinned: the period of a preemption ticker, a tiny process of the
                  harness's own on each of those CPUs that sleeps that long and wakes, again and again,
                  for the whole run. Each wake-up takes the CPU from whichever thread holds it, and the
                  scheduler then gives it back to the thread that is behind: threads on one CPU switch
                  every few tens of microseconds instead of every few milliseconds, so a switch lands
                  inside a read-modify-write far more often. (On this shared 2-vCPU machine an unlocked
                  C counter of 2 x 10M came out exact in 32 of 40 native runs pinned to one CPU, 0 of 40
                  with a 50 us ticker there: the host rarely runs both vCPUs at the same instant, so
                  threads on two CPUs often do not really overlap either.)
    switch_interval_s  for a Python program, sys.setswitchinterval at interpreter start-up, through a
                  root-owned sitecustomize hook the program cannot change and that removes itself from
                  sys.path, sys.modules and os.environ before the program's code runs.

Every delayed call is bounded (`when=FIRST..LAST+STEP`): at most MAX_DELAYED calls per task per set, so
the cost of a run is bounded whatever the program does (bench/bench_race_detection.py measures it).
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any, Literal

from grader.sandbox.records import RunRequest
from grader.sandbox.tracing import STRACE_ARGS

__all__ = ["LEVELS", "CALL_SETS", "Level", "RunPerturbation", "default_level", "for_request", "perturbations",
           "schedule", "traced_calls"]

Level = Literal["off", "light", "heavy"]
LEVELS: tuple[Level, ...] = ("off", "light", "heavy")


def traced_calls(strace_args: list[str] = STRACE_ARGS) -> frozenset[str]:
    """The system calls the trace records (strace injects delays only into those)."""
    names: set[str] = set()
    for arg in strace_args:
        if arg.startswith("trace="):
            names.update(arg[len("trace="):].split(","))
    return frozenset(names)


# Where interleavings are decided. A name not traced is dropped (see traced_calls): futex and
# sched_yield are listed so that they are delayed the day the trace records them.
CALL_SETS: dict[str, tuple[str, ...]] = {
    "create": ("clone", "clone3", "fork", "vfork"),
    "io": ("write", "read", "writev", "readv"),
    "wait": ("wait4", "waitid", "futex", "sched_yield", "semop", "nanosleep", "clock_nanosleep", "poll",
             "select", "pselect6", "ppoll", "epoll_wait", "mq_timedsend", "mq_timedreceive", "pause"),
}


@dataclass(frozen=True, slots=True)
class _LevelSpec:
    sets: int                 # how many of CALL_SETS are delayed in one repeat (chosen by the seed)
    max_delay_us: int         # each delay is drawn in [0, max]
    max_step: int             # every STEP-th call of the set is delayed, STEP drawn in [1, max_step]
    max_delayed: int          # at most this many calls per task per set
    placements: tuple[tuple[str, float], ...]   # (placement, weight)
    ticker_us: tuple[int, ...]  # preemption ticker periods for a pinned run (one drawn from the seed)
    switch_intervals_s: tuple[float, ...]


_LEVELS: dict[str, _LevelSpec] = {
    "light": _LevelSpec(sets=2, max_delay_us=300, max_step=4, max_delayed=32,
                        placements=(("free", 0.3), ("one", 0.35), ("two", 0.35)), ticker_us=(50, 100, 200),
                        switch_intervals_s=(0.005, 0.001, 0.0002, 0.00005)),
    "heavy": _LevelSpec(sets=3, max_delay_us=2000, max_step=2, max_delayed=128,
                        placements=(("free", 0.2), ("one", 0.4), ("two", 0.4)), ticker_us=(20, 50, 100),
                        switch_intervals_s=(0.001, 0.0001, 0.00002, 0.000005, 0.000001)),
}


@dataclass(frozen=True, slots=True)
class RunPerturbation:
    """What one repeat was run with; recorded on its RunRecord and RunSummary (plain JSON)."""

    level: Level
    seed: int                           # the repeat's own seed: schedule(level, seed) gives this again
    strace_args: tuple[str, ...] = ()
    placement: str = "free"             # free | one (pinned to one CPU) | two (pinned to two CPUs)
    cpus: tuple[int, ...] | None = None # CPU slots (indices into the harness's CPU set); None = free
    switch_interval_s: float | None = None
    ticker_us: int | None = None        # preemption ticker period on the pinned CPUs; None = no ticker

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["strace_args"] = list(self.strace_args)
        out["cpus"] = None if self.cpus is None else list(self.cpus)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunPerturbation:
        cpus = data.get("cpus")
        return cls(level=data["level"], seed=int(data["seed"]), strace_args=tuple(data.get("strace_args", ())),
                   placement=data.get("placement", "free"), cpus=None if cpus is None else tuple(cpus),
                   switch_interval_s=data.get("switch_interval_s"), ticker_us=data.get("ticker_us"))


def default_level(level: Level | None, repeat: int) -> Level:
    """The assignment's level, or `light` when it says nothing and a test repeats (off for one run)."""
    if level is not None:
        return level
    return "light" if repeat > 1 else "off"


def _inject(names: list[str], rng: random.Random, spec: _LevelSpec) -> str:
    enter = rng.randint(0, spec.max_delay_us)
    leave = rng.randint(0, spec.max_delay_us)
    step = rng.randint(1, spec.max_step)
    first = rng.randint(1, step + 1)
    last = first + step * (spec.max_delayed - 1)
    return f"inject={','.join(names)}:delay_enter={enter}:delay_exit={leave}:when={first}..{last}+{step}"


def schedule(level: Level, seed: int, *, python: bool = False, cpu_slots: int = 2,
             traced: frozenset[str] | None = None) -> RunPerturbation:
    """One repeat's perturbation from its seed (the same seed gives the same schedule).

    python: the program is a Python interpreter (its switch interval is varied); cpu_slots: how many
    CPUs a placement may name (the harness maps slot i to the i-th CPU it may use, modulo their number).
    """
    if level == "off":
        return RunPerturbation(level="off", seed=seed)
    spec = _LEVELS[level]
    rng = random.Random(f"grader-perturb:{level}:{seed}")
    traced = traced_calls() if traced is None else traced
    available = {name: [c for c in calls if c in traced] for name, calls in CALL_SETS.items()}
    candidates = sorted(name for name, calls in available.items() if calls)
    chosen = rng.sample(candidates, k=min(spec.sets, len(candidates)))
    args: list[str] = []
    for name in sorted(chosen):
        args += ["-e", _inject(available[name], rng, spec)]
    # A pinned run has a preemption ticker on its CPUs (see ticker_us above); a free one has none, so the
    # repeats also sample the scheduler left alone. Unticked, one CPU took a native program's races away
    # (the C counter was caught in 46 of 50 gradings with it, 50 of 50 without, in an earlier session);
    # ticked, one CPU is where a lost update is likeliest.
    placements, weights = zip(*spec.placements)
    placement = rng.choices(placements, weights=weights)[0]
    if cpu_slots < 2 and placement == "two":
        placement = "one"
    cpus: tuple[int, ...] | None = None
    if placement == "one":
        cpus = (rng.randrange(max(cpu_slots, 1)),)
    elif placement == "two":
        cpus = tuple(sorted(rng.sample(range(cpu_slots), 2)))
    ticker = None if cpus is None else rng.choice(spec.ticker_us)
    # By the seed, not drawn: consecutive repeats (seeds base, base+1, ...) take the intervals in turn, so
    # any len(intervals) repeats of a test try every one (drawn at random, all 5 repeats of a Python counter
    # sometimes took long intervals and missed its race: 48 of 50 gradings caught, bench_race_detection).
    interval = spec.switch_intervals_s[seed % len(spec.switch_intervals_s)] if python else None
    return RunPerturbation(level=level, seed=seed, strace_args=tuple(args), placement=placement, cpus=cpus,
                           switch_interval_s=interval, ticker_us=ticker)


def perturbations(level: Level, base_seed: int, count: int, *, first: int = 0, python: bool = False,
                  cpu_slots: int = 2) -> list[RunPerturbation]:
    """The schedules of repeats first .. first+count-1 of one test: repeat i's seed is base_seed + i."""
    return [schedule(level, base_seed + index, python=python, cpu_slots=cpu_slots)
            for index in range(first, first + count)]


def is_python(command: tuple[str, ...] | list[str]) -> bool:
    """Whether the command starts a Python interpreter (its switch interval can be varied)."""
    return bool(command) and command[0].rsplit("/", 1)[-1].startswith("python")


def for_request(request: RunRequest) -> list[dict[str, Any]]:
    """The harness plan's per-repeat perturbations of one request (empty when it is off)."""
    if request.perturb == "off" or not request.trace:
        return []
    return [p.to_json() for p in perturbations(request.perturb, request.perturb_seed, request.repeat,
                                               first=request.perturb_first, python=is_python(request.command))]
