"""JSON form of Result: bytes as {"text"} when UTF-8, else {"base64"}; dataclasses as dicts."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from grader.result import CheckResult, Diagnosis, Evidence, Result, RunSummary, TestResult

__all__ = ["result_to_json", "result_from_json", "bytes_to_json", "bytes_from_json"]


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


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return bytes_to_json(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


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
    if d.get("build_output") is not None:
        d["build_output"] = bytes_from_json(d["build_output"])
    return Result(**d)
