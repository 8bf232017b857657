"""JSON form of Result: bytes as {"text"} when UTF-8, else {"base64"}; dataclasses as dicts."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from grader.result import CheckResult, Diagnosis, Evidence, Result, RunSummary, TestResult

__all__ = ["bound_execution", "bytes_from_json", "bytes_to_json", "result_from_json", "result_to_json"]


def bytes_to_json(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def bytes_from_json(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, dict):
        if "base64" in value:
            return base64.b64decode(value["base64"])
        return str(value.get("text", "")).encode("utf-8")
    return str(value).encode("utf-8")


MAX_DEPTH = 32            # nesting kept in the JSON; deeper values become a note (json.dumps recurses)
# What one run's `execution` keeps in the result JSON (and so in the batch store). The model is
# bounded where it is built (Execution.to_json); this is the second fence, at the result.
EXECUTION_CAPS: dict[str, int] = {
    "tasks": 2000,
    "writes": 5000,
    "ipc": 500,
    "flows": 1000,
    "signals": 1000,
    "blocked": 500,
    "failed_forks": 200,
    "failed_execs": 200,
}
MAX_WRITE_DATA = 1 << 20  # bytes of write data kept across one run's writes
MAX_ARGV = 64             # argv entries kept per exec
MAX_EXECS = 20            # execs kept per task
MAX_STRING = 8192         # characters of any one string in the execution (an argv, a path)
MAX_ARGV_CHARS = 1 << 18  # characters of argv kept across one run's execs


def _cut_string(value: str) -> str:
    if len(value) <= MAX_STRING:
        return value
    return value[:MAX_STRING] + f"\u2026 [{len(value) - MAX_STRING} more characters cut]"


def _count(summarized: dict[str, Any], key: str, n: int) -> None:
    old = summarized.get(key)
    summarized[key] = (old if isinstance(old, int) else 0) + n


def bound_execution(execution: dict[str, Any]) -> dict[str, Any]:
    """A copy of an `Execution.to_json()` dict with every list capped, whatever made it.

    Keeps the first items of each list (the start of the run) and adds what it left out to the
    dict's "summarized" counts, as Execution.to_json does: "json_<list>" items, "json_write_data"
    writes whose data was emptied, "json_argv" execs whose argv (or a task's execs) was cut.
    """
    out = dict(execution)
    summarized: dict[str, Any] = dict(execution.get("summarized") or {})
    for name, cap in EXECUTION_CAPS.items():
        items = execution.get(name)
        if isinstance(items, list) and len(items) > cap:
            out[name] = items[:cap]
            _count(summarized, f"json_{name}", len(items) - cap)
    tasks = out.get("tasks")
    if isinstance(tasks, list):
        trimmed = []
        cut_argv = 0
        argv_budget = MAX_ARGV_CHARS
        for task in tasks:
            execs = task.get("execs") if isinstance(task, dict) else None
            if not isinstance(execs, list):
                trimmed.append(task)
                continue
            kept_execs = []
            for exe in execs[:MAX_EXECS]:
                argv = exe.get("argv") if isinstance(exe, dict) else None
                if not isinstance(argv, list):
                    kept_execs.append(exe)
                    continue
                kept_argv: list[str] = []
                for arg in argv[:MAX_ARGV]:
                    text = _cut_string(str(arg))
                    if len(text) > argv_budget:
                        break
                    argv_budget -= len(text)
                    kept_argv.append(text)
                if len(kept_argv) < len(argv) or any(a is not b for a, b in zip(kept_argv, argv, strict=False)):
                    cut_argv += 1
                    kept_execs.append(dict(exe, argv=kept_argv, argv_total=len(argv)))
                else:
                    kept_execs.append(exe)
            if len(execs) > MAX_EXECS:
                cut_argv += 1
            trimmed.append(dict(task, execs=kept_execs, execs_total=len(execs))
                           if len(execs) > MAX_EXECS or kept_execs != execs else task)
        out["tasks"] = trimmed
        if cut_argv:
            _count(summarized, "json_argv", cut_argv)
    writes = out.get("writes")
    if isinstance(writes, list):
        budget = MAX_WRITE_DATA
        kept_writes = []
        emptied = 0
        for write in writes:
            data = write.get("data") if isinstance(write, dict) else None
            size = len(str(next(iter(data.values()), ""))) if isinstance(data, dict) and data else 0
            if size > budget:
                kept_writes.append(dict(write, data={"text": ""}, data_cut=True))
                emptied += 1
            else:
                budget -= size
                kept_writes.append(write)
        out["writes"] = kept_writes
        if emptied:
            _count(summarized, "json_write_data", emptied)
    if summarized:
        out["summarized"] = summarized
    return out


def _plain(value: Any) -> Any:
    """`value` as JSON-ready data: an explicit stack, not recursion, and at most MAX_DEPTH levels."""
    root: list[Any] = [None]
    # (value, container to put it in, key in that container, depth)
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 0)]
    while stack:
        item, parent, key, depth = stack.pop()
        if isinstance(item, bytes):
            parent[key] = bytes_to_json(item)
            continue
        if isinstance(item, str):
            parent[key] = item
            continue
        container: Any
        children: list[tuple[Any, Any]]
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            container = {}
            children = [(f.name, getattr(item, f.name)) for f in dataclasses.fields(item)]
            if isinstance(item, RunSummary) and isinstance(item.execution, dict):
                children = [(k, bound_execution(v) if k == "execution" else v) for k, v in children]
        elif isinstance(item, dict):
            container = {}
            children = [(str(k), v) for k, v in item.items()]
        elif isinstance(item, (list, tuple)):
            container = [None] * len(item)
            children = list(enumerate(item))
        else:
            parent[key] = item
            continue
        if depth >= MAX_DEPTH and children:
            parent[key] = {"cut": f"nested deeper than {MAX_DEPTH} levels"}
            continue
        parent[key] = container
        stack.extend((child, container, k, depth + 1) for k, child in children)
    return root[0]


def result_to_json(result: Result) -> dict[str, Any]:
    data: dict[str, Any] = _plain(result)
    data["full_marks"] = result.full_marks
    return data


def _evidence(d: dict[str, Any]) -> Evidence:
    return Evidence(**d)


def _diagnosis(d: dict[str, Any]) -> Diagnosis:
    d = dict(d)
    d["evidence"] = [_evidence(e) for e in d.get("evidence", [])]
    return Diagnosis(**d)


def _check(d: dict[str, Any]) -> CheckResult:
    d = dict(d)
    d["evidence"] = [_evidence(e) for e in d.get("evidence", [])]
    return CheckResult(**d)


def _run(d: dict[str, Any]) -> RunSummary:
    d = dict(d)
    d["stdout"] = bytes_from_json(d.get("stdout"))
    d["stderr"] = bytes_from_json(d.get("stderr"))
    return RunSummary(**d)


def _test(d: dict[str, Any]) -> TestResult:
    d = dict(d)
    d["checks"] = [_check(c) for c in d.get("checks", [])]
    d["diagnoses"] = [_diagnosis(x) for x in d.get("diagnoses", [])]
    d["runs"] = [_run(r) for r in d.get("runs", [])]
    return TestResult(**d)


def result_from_json(data: dict[str, Any]) -> Result:
    d = dict(data)
    d.pop("full_marks", None)
    d["tests"] = [_test(t) for t in d.get("tests", [])]
    d["diagnoses"] = [_diagnosis(x) for x in d.get("diagnoses", [])]
    d["warnings"] = [_diagnosis(x) for x in d.get("warnings", [])]
    if d.get("build_output") is not None:
        d["build_output"] = bytes_from_json(d["build_output"])
    return Result(**d)
