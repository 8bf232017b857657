"""Who adopts an orphan, on recorded traces: the sandbox's adopter (RunRecord.adopter) becomes the orphan's
new parent in the model, and the process tree names it truly in English and Korean: pid 1 is the Docker
sandbox's init (docker-init), another pid the local backend's grader, a subreaper."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from grader.report.html import _environment
from grader.report.layout import layout_tree
from grader.sandbox.records import RunRecord
from grader.trace import parse_trace
from grader.trace.model import Execution

TRACES = Path(__file__).resolve().parents[1] / "data" / "traces"
GRADER_PID = 4242          # a local backend's grader: not pid 1, not a traced process


def _parse(name: str, **kwargs: int) -> Execution:
    folder = TRACES / name
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return parse_trace((folder / "trace.log").read_text(encoding="utf-8", errors="surrogateescape"),
                       stdout_channel=meta["stdout_channel"], stderr_channel=meta["stderr_channel"], **kwargs)


def _tree(ex: Execution, lang: str) -> str:
    return _environment(lang).get_template("_tree.svg.j2").render(tree=layout_tree(ex.to_json()), uid="t")


def _marks(ex: Execution, lang: str) -> list[str]:
    """What the tree says of each orphan (its node's samples hold the program's own output)."""
    return re.findall(r'class="mark-orphan">([^<]*)</tspan>', _tree(ex, lang))


def _orphans(ex: Execution) -> list[int | None]:
    return [t.reparented_to for t in ex.tasks.values() if t.orphan]


def test_under_docker_the_orphan_is_adopted_by_pid_1_as_the_recorded_run_printed() -> None:
    ex = _parse("orphan_py")
    assert _orphans(ex) == [1]
    # The program printed its new parent in the real Docker sandbox, whose pid 1 is docker-init.
    assert "orphan ppid 1" in (TRACES / "orphan_py" / "stdout").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["orphan_py", "daemon_py"])
def test_the_sandbox_s_adopter_is_the_orphan_s_new_parent(name: str) -> None:
    ex = _parse(name, adopter=GRADER_PID)
    assert _orphans(ex) and set(_orphans(ex)) == {GRADER_PID}


def test_the_tree_says_init_only_for_pid_1() -> None:
    assert _marks(_parse("orphan_py"), "en") == ["orphan (adopted by init, PID 1)"]
    assert _marks(_parse("orphan_py", adopter=GRADER_PID), "en") == [
        f"orphan (adopted by the grader, a subreaper, PID {GRADER_PID})"]


def test_the_tree_says_it_in_korean() -> None:
    assert _marks(_parse("orphan_py"), "ko") == ["고아 프로세스 (새 부모: init, PID 1)"]
    assert _marks(_parse("orphan_py", adopter=GRADER_PID), "ko") == [
        f"고아 프로세스 (새 부모: 서브리퍼인 채점기 PID {GRADER_PID})"]


def test_a_traced_subreaper_is_named_as_the_program_s_own() -> None:
    ex = _parse("orphan_py", adopter=GRADER_PID)
    orphan = next(t for t in ex.tasks.values() if t.orphan)
    orphan.reparented_to = ex.root          # as ends._adopted sets it when a traced process reaps the orphan
    assert _marks(ex, "en") == [f"orphan (adopted by the subreaper PID {ex.root})"]
    assert _marks(ex, "ko") == [f"고아 프로세스 (새 부모: 서브리퍼 PID {ex.root})"]


def test_the_adopter_travels_with_the_record_and_old_records_mean_pid_1() -> None:
    record = RunRecord(name="t", repeat_index=0, command=["./a"], adopter=GRADER_PID)
    assert RunRecord.from_json(json.loads(json.dumps(record.to_json()))).adopter == GRADER_PID
    old = record.to_json()
    del old["adopter"]
    assert RunRecord.from_json(old).adopter == 1
    assert {f.name for f in dataclasses.fields(RunRecord)} >= {"adopter"}
