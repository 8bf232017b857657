"""Schedule perturbation: seeded, bounded, only on traced calls, recorded on every run."""

from __future__ import annotations

import re

import pytest

from grader.sandbox.perturb import (
    CALL_SETS,
    default_level,
    for_request,
    is_python,
    perturbations,
    schedule,
    traced_calls,
)
from grader.sandbox.records import RunRecord, RunRequest
from grader.spec.loader import parse_assignment

_INJECT = re.compile(r"^inject=([a-z0-9_,]+):delay_enter=(\d+):delay_exit=(\d+):when=(\d+)\.\.(\d+)\+(\d+)$")


def _injects(args: tuple[str, ...]) -> list[re.Match[str]]:
    assert len(args) % 2 == 0 and all(a == "-e" for a in args[::2])
    found = [_INJECT.match(a) for a in args[1::2]]
    assert all(found), args
    return [m for m in found if m]


def test_the_same_seed_gives_the_same_schedule_and_seeds_differ() -> None:
    assert schedule("light", 42, python=True) == schedule("light", 42, python=True)
    many = {schedule("heavy", seed, python=True) for seed in range(40)}
    assert len(many) == 40
    assert len({p.placement for p in many}) == 3
    assert len({p.switch_interval_s for p in many}) > 2


def test_off_changes_nothing() -> None:
    off = schedule("off", 5, python=True)
    assert off.strace_args == () and off.cpus is None and off.switch_interval_s is None


@pytest.mark.parametrize("level, max_delay, max_count", [("light", 300, 32), ("heavy", 2000, 128)])
def test_every_delay_is_bounded(level: str, max_delay: int, max_count: int) -> None:
    for seed in range(200):
        for match in _injects(schedule(level, seed).strace_args):  # type: ignore[arg-type]
            enter, leave, first, last, step = (int(g) for g in match.groups()[1:])
            assert 0 <= enter <= max_delay and 0 <= leave <= max_delay
            assert (last - first) // step + 1 <= max_count


def test_only_traced_calls_are_delayed() -> None:
    traced = traced_calls()
    assert "write" in traced and "clone" in traced
    assert "futex" not in traced  # strace would not inject into it: it must not be named
    for seed in range(100):
        for match in _injects(schedule("heavy", seed).strace_args):
            assert set(match.group(1).split(",")) <= traced
    with_futex = traced | {"futex"}
    named = {c for seed in range(100)
             for m in _injects(schedule("heavy", seed, traced=with_futex).strace_args) for c in m.group(1).split(",")}
    assert "futex" in named and set(CALL_SETS["wait"]) - {"sched_yield"} & named


def test_cpu_placement_stays_within_the_slots() -> None:
    for seed in range(100):
        p = schedule("light", seed, cpu_slots=2)
        assert (p.placement, p.cpus is None) in {("free", True), ("one", False), ("two", False)}
        assert p.cpus is None or (len(p.cpus) == {"one": 1, "two": 2}[p.placement] and set(p.cpus) <= {0, 1})
        assert schedule("light", seed, cpu_slots=1).placement != "two"


def test_any_four_consecutive_python_repeats_try_every_light_switch_interval() -> None:
    for base in (0, 7, 123456):
        tried = {schedule("light", base + i, python=True).switch_interval_s for i in range(4)}
        assert tried == {0.005, 0.001, 0.0002, 0.00005}


def test_switch_interval_only_for_python() -> None:
    assert all(schedule("light", s, python=False).switch_interval_s is None for s in range(20))
    assert all(schedule("light", s, python=True).switch_interval_s for s in range(20))
    assert is_python(("/usr/bin/python3", "x.py")) and not is_python(("./counter",))


def test_default_level() -> None:
    assert default_level(None, 5) == "light"
    assert default_level(None, 1) == "off"
    assert default_level("heavy", 1) == "heavy"
    assert default_level("off", 5) == "off"


def test_a_request_gets_one_schedule_per_repeat_from_its_seed() -> None:
    request = RunRequest(name="t", command=("./a",), repeat=3, perturb="light", perturb_seed=100)
    plans = for_request(request)
    assert [p["seed"] for p in plans] == [100, 101, 102]
    assert plans == [p.to_json() for p in perturbations("light", 100, 3)]
    # A fresh container per repeat runs repeat 2 alone: it must get repeat 2's schedule, not repeat 0's.
    alone = RunRequest(name="t", command=("./a",), repeat=1, perturb="light", perturb_seed=100, perturb_first=2)
    assert for_request(alone) == [plans[2]]
    assert for_request(RunRequest(name="t", command=("./a",), repeat=3)) == []


def test_the_assignment_chooses_the_level() -> None:
    text = "id: a\ntitle: A\nlanguage: c\nfiles: [a.c]\nrun: [./a]\nrepeat: {repeat}\n{perturb}" \
           "tests:\n  - name: t\n    checks:\n      - output.exact: 'x'\n"
    assert parse_assignment(text.format(repeat=5, perturb="")).requests()[0].perturb == "light"
    assert parse_assignment(text.format(repeat=1, perturb="")).requests()[0].perturb == "off"
    assert parse_assignment(text.format(repeat=5, perturb="perturb: off\n")).requests()[0].perturb == "off"
    assert parse_assignment(text.format(repeat=5, perturb="perturb: heavy\n")).requests()[0].perturb == "heavy"


def test_the_record_keeps_the_perturbation() -> None:
    applied = {**schedule("light", 9, python=True).to_json(), "applied_cpus": [1], "applied_switch_interval": True}
    record = RunRecord(name="t", repeat_index=0, command=["x"], perturbation=applied)
    assert RunRecord.from_json(record.to_json()).perturbation == applied


@pytest.mark.parametrize("level, periods", [("light", {50, 100, 200}), ("heavy", {20, 50, 100})])
def test_a_pinned_run_has_a_ticker_and_a_free_one_none(level: str, periods: set[int]) -> None:
    seen = set()
    for seed in range(200):
        for python in (False, True):
            p = schedule(level, seed, python=python)  # type: ignore[arg-type]
            assert (p.ticker_us is None) == (p.cpus is None)
            if p.ticker_us is not None:
                seen.add(p.ticker_us)
    assert seen == periods
    assert schedule("off", 3).ticker_us is None


def test_native_programs_are_pinned_to_one_cpu_too_now_that_it_is_ticked() -> None:
    placements = {schedule("light", seed, python=False).placement for seed in range(100)}
    assert placements == {"free", "one", "two"}


def test_a_record_without_a_ticker_still_reads() -> None:
    from grader.sandbox.perturb import RunPerturbation

    p = schedule("light", 2, python=True)
    assert RunPerturbation.from_json(p.to_json()) == p
    old = {k: v for k, v in p.to_json().items() if k != "ticker_us"}
    assert RunPerturbation.from_json(old).ticker_us is None
