"""Load the recorded strace fixtures under tests/data/traces/<scenario>/."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.trace import Execution, parse_trace

__all__ = ["TRACES", "Fixture", "load", "scenarios"]

TRACES = Path(__file__).resolve().parent.parent / "data" / "traces"


@dataclass(frozen=True)
class Fixture:
    name: str
    text: str
    stdout: bytes
    meta: dict[str, Any]

    def parse(self, **kw: Any) -> Execution:
        return parse_trace(self.text, stdout_channel=self.meta.get("stdout_channel"),
                           stderr_channel=self.meta.get("stderr_channel"), **kw)


def scenarios() -> list[str]:
    return sorted(d.name for d in TRACES.iterdir() if (d / "meta.json").exists())


def load(name: str) -> Fixture:
    d = TRACES / name
    plain = d / "trace.log"
    raw = plain.read_bytes() if plain.exists() else gzip.decompress((d / "trace.log.gz").read_bytes())
    return Fixture(name, raw.decode("utf-8", "surrogateescape"), (d / "stdout").read_bytes(),
                   json.loads((d / "meta.json").read_text()))
