"""Signals and process groups: what was sent and delivered, the handlers in place, groups and sessions.

Everything here is read from the trace (grader.trace.signals): kill/tkill/tgkill/rt_sigqueueinfo/
pidfd_send_signal calls, strace's delivery lines (`--- SIGUSR1 {si_pid=...} ---`), rt_sigaction,
and setpgid/setsid/getpgid. Under strace a signal is shown as delivered even when the process
ignores it (SIG_IGN); such deliveries are not counted as received.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from grader.checks.base import CheckOutcome, RunEvidence, SubjectCheck, outcome
from grader.checks.params import Bounds, PositiveInt, Role, Signal
from grader.result import Evidence
from grader.trace.model import Execution, GroupChange, SignalAction, Task
from grader.trace.model import Signal as SignalEvent
from grader.trace.signals import disposition_at

__all__ = ["ProcessGroup", "ProcessSession", "SignalDelivered", "SignalHandler", "SignalSent"]

_EVIDENCE_ITEMS = 12


def _pool(check: SubjectCheck, evidence: RunEvidence, role: str) -> tuple[list[Task], CheckOutcome | None]:
    """The processes of `role` (a thread role means their processes), or the outcome when there are none."""
    seen: dict[int, Task] = {}
    for task in evidence.role(role):
        proc = evidence.execution.tasks.get(task.tgid, task)
        seen.setdefault(proc.tid, proc)
    if seen:
        return list(seen.values()), None
    if role in ("children", "descendants"):
        return [], check.nothing(evidence, "none.children")
    if role == "threads":
        return [], check.nothing(evidence, "none.threads")
    children = len(evidence.children_of(evidence.root.tid)) if evidence.root else 0
    return [], check.nothing(evidence, "none.role", {"role": role, "children": children})


def _sent(ex: Execution) -> list[SignalEvent]:
    return [s for s in ex.signals if s.delivered_to is None and s.sender is not None]


def _delivered(ex: Execution) -> list[SignalEvent]:
    return [s for s in ex.signals if s.delivered_to is not None]


def _ignored(ex: Execution, delivery: SignalEvent) -> bool:
    """The process had set this signal to SIG_IGN: the kernel discards it (strace still shows a delivery)."""
    assert delivery.delivered_to is not None
    action = disposition_at(ex, ex.process_of(delivery.delivered_to), delivery.signal, delivery.time)
    return action is not None and action.action == "SIG_IGN"


def _sent_line(ex: Execution, s: SignalEvent) -> str:
    assert s.sender is not None
    to = (f"process group {s.group}" if s.group is not None else "its own process group") if s.to_group \
        and s.target != -1 else "every process it may signal" if s.target == -1 else f"pid {s.target}"
    reached = f" (reaching pid {', '.join(map(str, s.recipients))})" if s.to_group and s.recipients else ""
    failed = f", failed: {s.errno}" if s.errno else ""
    return f"line {s.line}: pid {ex.process_of(s.sender)} sent {s.signal} to {to}{reached} with {s.syscall}{failed}"


def _delivery_line(ex: Execution, s: SignalEvent) -> str:
    assert s.delivered_to is not None
    who = f" from pid {s.sender}" if s.sender is not None else " from the kernel"
    return f"line {s.line}: {s.signal} delivered to pid {ex.process_of(s.delivered_to)}{who}"


def _listing(evidence: RunEvidence, label: str, lines: list[str], tasks: list[int]) -> Evidence:
    shown = lines[:_EVIDENCE_ITEMS]
    if len(lines) > _EVIDENCE_ITEMS:
        shown.append(f"... and {len(lines) - _EVIDENCE_ITEMS} more")
    return Evidence(label=label, lines=shown, tasks=sorted(set(tasks)), run=evidence.run)


class SignalSent(Bounds, SubjectCheck):
    """Processes of role `from` sent `signal` to processes of role `to` a number of times (equals, or min/max).

    A send is one successful kill, tkill, tgkill, rt_sigqueueinfo or pidfd_send_signal call (a call that
    failed, e.g. ESRCH, sent nothing; kill(pid, 0) only probes). A call aimed at a process group
    (kill(-pgid), os.killpg, kill(0, ...)) counts once when that group held a process of `to` at that
    moment; `target` says whether sends to one process, to a group, or both count.
    """

    kind: Literal["signal.sent"]
    sender: Role = Field("children", alias="from", description="the role whose processes send the signal")
    receiver: Role = Field("root", alias="to", description="the role whose processes the signal is sent to")
    signal: Signal = Field(description="the signal, by name (SIGUSR1, USR1) or Linux number (10)")
    target: Literal["any", "process", "group"] = Field(
        "any", description="which sends count: to one process (kill(pid)), to a process group (kill(-pgid), "
                           "killpg), or any")

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        senders, none = _pool(self, evidence, self.sender)
        if none is not None:
            return none
        receivers, none = _pool(self, evidence, self.receiver)
        if none is not None:
            return none
        ex = evidence.execution
        mine = {t.tid for t in senders}
        theirs = {t.tid for t in receivers}
        of_signal = [s for s in _sent(ex) if s.signal == self.signal and ex.process_of(s.sender or 0) in mine]
        counted, failed, other_kind, elsewhere = [], [], [], []
        for s in of_signal:
            aimed = bool(theirs.intersection(s.recipients))
            if s.errno is not None:
                failed.append(s)
            elif not aimed:
                elsewhere.append(s)
            elif self.target != "any" and s.to_group != (self.target == "group"):
                other_kind.append(s)
            else:
                counted.append(s)
        bounds_slot, bounds = self.bounds_slot()
        params: dict[str, Any] = {"signal": self.signal, "sender": self.sender, "receiver": self.receiver,
                                  "count": len(counted), **bounds}
        shown = [_listing(evidence, "signals sent and delivered", [_sent_line(ex, s) for s in of_signal],
                          [s.sender for s in of_signal if s.sender is not None])] if of_signal else []
        if self.holds(len(counted)):
            key = "sent.ok_group" if self.target == "group" else "sent.ok"
            return outcome(True, key, params, slots=bounds_slot, evidence=shown)
        why: dict[str, str] = {"sent_why": "none"}
        if failed:
            why, params = {"sent_why": "failed"}, {**params, "failed": len(failed), "errno": failed[0].errno or "?"}
        elif other_kind:
            why = {"sent_why": "to_group" if other_kind[0].to_group else "to_process"}
            params["skipped"] = len(other_kind)
        elif elsewhere and not counted:
            first = elsewhere[0]
            params.update(o_sender=ex.process_of(first.sender or 0))
            if first.to_group:
                why = {"sent_why": "elsewhere_group" if first.group is not None else "elsewhere_own_group"}
                params["o_group"] = first.group
            else:
                why, params["o_target"] = {"sent_why": "elsewhere"}, first.target
        key = "sent.bad_group" if self.target == "group" else "sent.bad"
        return outcome(False, key, params, slots={**bounds_slot, **why}, expected=self.describe(),
                       observed=str(len(counted)), evidence=shown)


class SignalDelivered(Bounds, SubjectCheck):
    """`signal` was delivered to processes of `role` a number of times (equals, or min/max).

    Read from strace's delivery lines. With `from`, only signals whose sender (si_pid, given for
    kill/tkill/sigqueue) is a process of that role count. A delivery while the process had set the
    signal to SIG_IGN is not counted: the kernel discards it.
    """

    kind: Literal["signal.delivered"]
    role: Role = Field("root", description="the role whose processes receive the signal")
    signal: Signal = Field(description="the signal, by name (SIGUSR1, USR1) or Linux number (10)")
    sender: Role | None = Field(None, alias="from", description="count only signals sent by processes of this "
                                                               "role (default: from anyone, the kernel included)")

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        pool, none = _pool(self, evidence, self.role)
        if none is not None:
            return none
        ex = evidence.execution
        ids = {t.tid for t in pool}
        senders: set[int] | None = None
        if self.sender is not None:
            senders = {t.tgid for t in evidence.role(self.sender)}
        to_role = [s for s in _delivered(ex) if s.signal == self.signal and ex.process_of(s.delivered_to or 0) in ids]
        ignored = [s for s in to_role if _ignored(ex, s)]
        received = [s for s in to_role if s not in ignored]
        counted = [s for s in received if senders is None or (s.sender is not None and s.sender in senders)]
        bounds_slot, bounds = self.bounds_slot()
        slots = {**bounds_slot, "by_role": "none" if self.sender is None else "role"}
        params: dict[str, Any] = {"signal": self.signal, "role": self.role, "sender": self.sender,
                                  "count": len(counted), **bounds}
        lines = [_delivery_line(ex, s) + (" (ignored: SIG_IGN)" if s in ignored else "") for s in to_role]
        sent = [s for s in _sent(ex) if s.signal == self.signal and s.errno is None
                and ids.intersection(s.recipients)
                and (senders is None or ex.process_of(s.sender or 0) in senders)]
        lines += [_sent_line(ex, s) for s in sent]
        shown = [_listing(evidence, "signals sent and delivered", lines,
                          [s.delivered_to or 0 for s in to_role])] if lines else []
        if self.holds(len(counted)):
            return outcome(True, "delivered.ok", params, slots=slots, evidence=shown)
        why = "none"
        wanted = self.equals if self.equals is not None else self.min or 0
        if ignored:
            why, params["ignored"] = "ignored", len(ignored)
        elif len(sent) > len(counted) and len(counted) < wanted:
            why, params["sent"] = "lost", len(sent)
        elif len(received) > len(counted):
            why, params["others"] = "others", len(received) - len(counted)
        return outcome(False, "delivered.bad", params, slots={**slots, "deliv_why": why},
                       expected=self.describe(), observed=str(len(counted)), evidence=shown)


class SignalHandler(SubjectCheck):
    """Each process of `role` had a handler function (not SIG_DFL or SIG_IGN) for `signal` in place in time.

    `before: delivery` (the default): at every delivery of `signal` to it, and at least once (a handler
    installed and never needed passes; the message says nothing arrived). `before: fork`: installed
    before the process created its first child, so no child's signal can arrive first. `before:
    anytime`: installed at some point. A handler counts when the process installed it (rt_sigaction) or
    inherited it by fork; exec resets it. CPython's start-up installs its own SIGINT handler (for
    KeyboardInterrupt) before the program's first line: that one is the runtime's and never counts, so
    for SIGINT only a handler the program itself installed passes.
    """

    kind: Literal["signal.handler"]
    role: Role = Field("root", description="the role whose processes must have the handler")
    signal: Signal = Field(description="the signal, by name (SIGUSR1, USR1) or Linux number (10)")
    before: Literal["delivery", "fork", "anytime"] = Field(
        "delivery", description="when the handler must be in place: at each delivery of the signal, before the "
                                "process's first fork, or at any time")

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        pool, none = _pool(self, evidence, self.role)
        if none is not None:
            return none
        ex = evidence.execution
        actions = [a for a in ex.signal_actions if a.signal == self.signal]
        good: list[tuple[Task, int]] = []
        for task in pool:
            bad = self._judge(evidence, task, actions)
            if bad is not None:
                return bad
            good.append((task, len([s for s in _delivered(ex) if s.signal == self.signal
                                    and ex.process_of(s.delivered_to or 0) == task.tid])))
        params: dict[str, Any] = {"pid": [t.tid for t, _ in good], "role": self.role, "signal": self.signal,
                                  "count": sum(c for _, c in good)}
        key = {"delivery": "handler.ok_delivery", "fork": "handler.ok_fork", "anytime": "handler.ok"}[self.before]
        if self.before == "delivery" and params["count"] == 0:
            key = "handler.ok_unused"
        return outcome(True, key, params, evidence=[self._actions(evidence, pool, actions)])

    def _judge(self, evidence: RunEvidence, task: Task, actions: list[SignalAction]) -> CheckOutcome | None:
        """None when `task` passes; else the failing outcome."""
        ex = evidence.execution
        params: dict[str, Any] = {"pid": task.tid, "role": self.role, "signal": self.signal}
        shown = [self._actions(evidence, [task], actions)]

        def handler(t: float) -> SignalAction | None:
            found = disposition_at(ex, task.tid, self.signal, t, actions)
            return found if found is not None and found.action == "handler" and not found.runtime else None

        end = task.end if task.end is not None else ex.duration + 1.0
        own = [a for a in actions if ex.process_of(a.tid) == task.tid and not a.runtime]
        ever = handler(task.start + 1e-9) is not None or any(a.action == "handler" and a.time < end for a in own)
        if self.before == "delivery":
            for s in _delivered(ex):
                if s.signal != self.signal or ex.process_of(s.delivered_to or 0) != task.tid:
                    continue
                if handler(s.time) is None:
                    later = next((a for a in own if a.action == "handler" and a.time > s.time), None)
                    slots = self._default(ex, task, actions, disposition_at(ex, task.tid, self.signal, s.time, actions))
                    params["line"] = s.line
                    if later is not None:
                        return outcome(False, "handler.late_delivery", {**params, "at": later.line}, slots=slots,
                                       expected="a handler in place", observed="no handler", evidence=shown)
                    return outcome(False, "handler.unset_delivery", params, slots=slots,
                                   expected="a handler in place", observed="no handler", evidence=shown)
        if self.before == "fork":
            kids = sorted((t for t in ex.processes() if t.ppid == task.tid and t.tid != task.tid),
                          key=lambda t: (t.start, t.tid))
            if not kids:
                return outcome(False, "handler.no_fork", params, slots={"installed": "some" if ever else "none"},
                               expected="a handler before the first fork", observed="no child", evidence=shown)
            if handler(kids[0].start) is None:
                params["child"] = kids[0].tid
                later = next((a for a in own if a.action == "handler" and a.time >= kids[0].start), None)
                key = "handler.late_fork" if later is not None else "handler.never"
                slots = {} if later is not None else self._default(ex, task, actions)
                return outcome(False, key, params, slots=slots, expected="a handler before the first fork",
                               observed="after" if later is not None else "none", evidence=shown)
        if not ever:
            return outcome(False, "handler.never", params, slots=self._default(ex, task, actions), expected="a handler",
                           observed="none", evidence=shown)
        return None

    def _default(self, ex: Execution, task: Task, actions: list[SignalAction],
                 then: SignalAction | None = None) -> dict[str, str]:
        """The <unhandled> slot: what the signal did instead (killed it, was ignored, met only the runtime's handler)."""
        if task.signal == self.signal:
            return {"unhandled": "killed"}
        if then is not None and then.action == "SIG_IGN":
            return {"unhandled": "ignored"}
        mine = [a for a in actions if ex.process_of(a.tid) == task.tid]
        if then is None and mine and all(a.action == "SIG_IGN" for a in mine if not a.runtime) \
                and any(not a.runtime for a in mine):
            return {"unhandled": "ignored"}
        runtime = then.runtime if then is not None else any(a.runtime and a.action == "handler" for a in mine)
        return {"unhandled": "runtime" if runtime else "none"}

    def _actions(self, evidence: RunEvidence, tasks: list[Task], actions: list[SignalAction]) -> Evidence:
        ex = evidence.execution
        ids = {t.tid for t in tasks}
        lines = [f"line {a.line}: pid {ex.process_of(a.tid)} set {a.signal} to "
                 + ("a handler function" if a.action == "handler" else a.action)
                 + (" (the runtime's own, at start-up)" if a.runtime else "")
                 for a in actions if ex.process_of(a.tid) in ids]
        lines += [_delivery_line(ex, s) for s in _delivered(ex)
                  if s.signal == self.signal and ex.process_of(s.delivered_to or 0) in ids]
        lines.sort(key=lambda text: int(text.split(":", 1)[0].split()[1]))
        return _listing(evidence, "signal handlers and deliveries", lines or ["none in the trace"],
                        sorted(ids))


def _group_slot(prefix: str, pgid: int | None) -> tuple[dict[str, str], dict[str, Any]]:
    if pgid is None:
        return {prefix: "start"}, {}
    return {prefix: "known"}, {prefix + "id": pgid}


def _last_change(ex: Execution, pid: int, calls: tuple[str, ...]) -> GroupChange | None:
    found = [c for c in ex.group_changes if c.pid == pid and c.call in calls]
    return found[-1] if found else None


def _group_evidence(evidence: RunEvidence, tasks: list[Task]) -> Evidence:
    ex = evidence.execution
    ids = {t.tid for t in tasks}
    lines = [f"pid {t.tid}: process group {t.pgid if t.pgid is not None else '(the one the program started in)'}"
             f", session {t.sid if t.sid is not None else '(the one the program started in)'}" for t in tasks]
    lines += [f"line {c.line}: pid {ex.process_of(c.tid)} called {c.call} about pid {c.pid}"
              + (f": failed ({c.errno})" if c.errno else f" -> group {c.pgid}" if c.pgid is not None else "")
              + (f", session {c.sid}" if c.sid is not None and not c.errno else "")
              for c in ex.group_changes if c.pid in ids or ex.process_of(c.tid) in ids]
    return _listing(evidence, "process groups and sessions", lines, sorted(ids))


class ProcessGroup(SubjectCheck):
    """Process groups, as each process stood when it ended: `role` shares (or, `same: false`, does not share)
    the group of `same_as`, and/or each process of `role` leads its own group (`leader`).

    A process's group is inherited at fork and changed by setpgid (os.setpgid, setpgrp) or setsid. The
    program starts in a group it does not lead (the grader's); a group is only as known as the trace shows.
    """

    kind: Literal["process.group"]
    role: Role = Field("children", description="the role whose processes' groups are checked")
    same_as: Role | None = Field(None, description="another role: `role` must be in its process group "
                                                   "(or, with same: false, in none of its groups)")
    same: bool = Field(True, description="with same_as: true, the same group; false, a different group")
    leader: bool | None = Field(None, description="true: each process of `role` leads its own group "
                                                  "(pgid == pid); false: none does")

    @model_validator(mode="after")
    def _something(self) -> ProcessGroup:
        if self.same_as is None and self.leader is None:
            raise PydanticCustomError("group", "give same_as (another role) or leader (true/false), or both", {})
        return self

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        pool, none = _pool(self, evidence, self.role)
        if none is not None:
            return none
        others: list[Task] = []
        if self.same_as is not None:
            others, none = _pool(self, evidence, self.same_as)
            if none is not None:
                return none
        ex = evidence.execution
        shown = [_group_evidence(evidence, pool + [o for o in others if o not in pool])]
        base: dict[str, Any] = {"role": self.role, "other": self.same_as}
        if self.leader is not None:
            for task in pool:
                leads = task.pgid == task.tid
                if leads == self.leader:
                    continue
                params = {**base, "pid": task.tid, "pgid": task.pgid}
                if not self.leader:
                    return outcome(False, "group.notleader_bad", params, expected="not a group leader",
                                   observed=f"leads {task.pgid}", evidence=shown)
                slots, extra = _group_slot("pg", task.pgid)
                tried = next((c for c in reversed(ex.group_changes) if c.pid == task.tid and c.errno
                              and c.call in ("setpgid", "setpgrp", "setsid")), None)
                slots["tried"] = "failed" if tried is not None else "none"
                if tried is not None:
                    extra.update(call=tried.call, line=tried.line, errno=tried.errno)
                return outcome(False, "group.leader_bad", {**params, **extra}, slots=slots,
                               expected="a group leader", observed="not a leader", evidence=shown)
        if self.same_as is not None:
            for task in pool:
                for other in others:
                    if other.tid == task.tid:
                        continue
                    together = task.pgid == other.pgid
                    if together == self.same:
                        continue
                    params = {**base, "pid": task.tid, "opid": other.tid}
                    slots, extra = _group_slot("pg", task.pgid)
                    if self.same:
                        oslot, oextra = _group_slot("opg", other.pgid)
                        moved = _last_change(ex, task.tid, ("setpgid", "setpgrp", "setsid"))
                        changed = "none"
                        if moved is not None and moved.errno is None:
                            who = ex.process_of(moved.tid)
                            changed = "self" if who == task.tid else "by"
                            extra.update(who=who, call=moved.call, line=moved.line)
                        slots.update(oslot, changed=changed)
                        return outcome(False, "group.same_bad", {**params, **extra, **oextra}, slots=slots,
                                       expected="the same process group", observed="different groups",
                                       evidence=shown)
                    return outcome(False, "group.apart_bad", {**params, **extra}, slots=slots,
                                   expected="different process groups", observed="the same group", evidence=shown)
        params = {**base, "pids": [t.tid for t in pool], "opids": [t.tid for t in others]}
        if self.same_as is not None:
            if self.same:
                slots, extra = _group_slot("pg", pool[0].pgid)
                return outcome(True, "group.same_ok", {**params, **extra}, slots=slots, evidence=shown)
            return outcome(True, "group.apart_ok", params, evidence=shown)
        return outcome(True, "group.leader_ok" if self.leader else "group.notleader_ok", params, evidence=shown)


class ProcessSession(SubjectCheck):
    """At least `min` processes of `role` called setsid() successfully and became session leaders.

    With `daemon: true`, the double-fork idiom is also required: a process the session leader created
    after its setsid() stayed in that session without leading it, so it can never acquire a
    controlling terminal. Whether it outlived the leader is not required: a short-lived daemon may end
    before its parent's exit is seen, and that order says nothing about the program.
    """

    kind: Literal["process.session"]
    role: Role = Field("children", description="the role whose processes must start a session")
    min: PositiveInt = Field(1, description="how many processes of `role` must become session leaders")
    daemon: bool = Field(False, description="also require the double fork: a process the leader created after "
                                            "setsid() stays in its session without leading it")

    def evaluate(self, evidence: RunEvidence) -> CheckOutcome:
        if not evidence.has_trace:
            return self.no_trace()
        pool, none = _pool(self, evidence, self.role)
        if none is not None:
            return none
        ex = evidence.execution
        ids = {t.tid for t in pool}
        shown = [_group_evidence(evidence, [t for t in ex.processes() if t.tid in ids
                                            or (t.ppid in ids and t.tid not in evidence.helpers)])]
        setsids = [c for c in ex.group_changes if c.call == "setsid"]
        leaders = [t for t in pool if t.sid == t.tid and any(c.pid == t.tid and c.errno is None for c in setsids)]
        base: dict[str, Any] = {"role": self.role, "want": self.min}
        if len(leaders) < self.min:
            mine = [c for c in setsids if c.pid in ids and c.errno is not None]
            elsewhere = [c for c in setsids if c.pid not in ids and c.errno is None]
            slots: dict[str, str] = {"setsid_why": "none"}
            extra: dict[str, Any] = {"got": len(leaders)}
            if mine:
                slots["setsid_why"] = "eperm" if mine[0].errno == "EPERM" else "failed"
                extra.update(fpid=mine[0].pid, line=mine[0].line, errno=mine[0].errno)
            elif elsewhere:
                slots["setsid_why"] = "other"
                extra.update(fpid=elsewhere[0].pid, line=elsewhere[0].line)
            return outcome(False, "session.none", {**base, **extra}, slots=slots, expected=f">= {self.min}",
                           observed=str(len(leaders)), evidence=shown)
        if not self.daemon:
            return outcome(True, "session.ok", {**base, "pid": [t.tid for t in leaders],
                                                "sid": [t.sid for t in leaders]}, evidence=shown)
        for leader in leaders:
            became = min(c.time for c in setsids if c.pid == leader.tid and c.errno is None)
            for kid in ex.processes():
                if kid.ppid != leader.tid or kid.start < became or kid.tid in evidence.helpers:
                    continue
                if kid.sid == leader.tid and kid.pgid != kid.tid:
                    return outcome(True, "session.ok_daemon",
                                   {**base, "pid": leader.tid, "sid": leader.tid, "daemon": kid.tid}, evidence=shown)
        return outcome(False, "session.no_daemon", {**base, "pid": leaders[0].tid, "sid": leaders[0].tid},
                       expected="a daemon in the new session", observed="none", evidence=shown)
