"""ipc.flow over a file passes only from the right writer to the right reader; shared memory is refused at load.

Runs recorded in the real sandbox (tests/data/specs/records): the file-and-socket-ipc reference (the
child writes result.txt, the parent reads it), its faulty 'global' variant, and a C shm_open program.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from exec_builder import ExecBuilder
from test_checks import check
from test_checks_vacuous import evidence_of

from grader.errors import GraderError
from grader.spec.loader import load_assignment

BROKEN = Path(__file__).resolve().parents[2] / "tests" / "data" / "specs" / "broken"


def test_file_flow_from_the_child_that_wrote_to_the_parent_that_read() -> None:
    run = evidence_of("file_exchange")
    forward = check("ipc.flow", **{"from": "children", "to": "root", "mechanism": "file"}).evaluate(run)
    assert forward.passed and forward.message == "3 bytes went from children to root over a file"
    backward = check("ipc.flow", **{"from": "root", "to": "children", "mechanism": "file"}).evaluate(run)
    assert not backward.passed
    assert backward.message.startswith("expected data to go from root to children over a file; none did")


def test_no_file_flow_when_the_value_went_through_a_global() -> None:
    outcome = check("ipc.flow", **{"from": "children", "to": "root", "mechanism": "file"}).evaluate(
        evidence_of("file_global"))
    assert not outcome.passed and "over a file; none did" in outcome.message


@pytest.mark.parametrize("mechanism", ["posix_shm", "sysv_shm", "shared_mmap", "memfd"])
def test_ipc_flow_refuses_shared_memory_mechanisms(mechanism: str) -> None:
    from pydantic import ValidationError
    with pytest.raises(ValidationError, match="no system call shows"):
        check("ipc.flow", **{"from": "children", "to": "root", "mechanism": mechanism})


def test_the_refusal_names_file_and_line() -> None:
    with pytest.raises(GraderError) as caught:
        load_assignment(BROKEN / "flow_shared_memory.yaml")
    assert "flow_shared_memory.yaml:13: tests[0].checks[1].ipc.flow.mechanism: ipc.flow cannot check posix_shm" \
        in str(caught.value)


def test_shared_memory_used_means_two_processes_mapped_it() -> None:
    run = evidence_of("shm_open")               # shm_open + mmap(MAP_SHARED, PROT_WRITE), then fork
    assert check("ipc.used", mechanism="posix_shm").evaluate(run).passed
    no_flow = check("ipc.flow", **{"from": "children", "to": "root"}).evaluate(run)
    assert not no_flow.passed
    assert no_flow.message == ("the trace shows no bytes written by one process and read by another through a "
                               "pipe, socket, FIFO, message queue or file")


def test_shared_memory_opened_by_two_but_mapped_by_one_is_not_shared() -> None:
    b = ExecBuilder()
    c = b.fork(100)
    b.ipc("posix_shm", "/dev/shm/x", [100, c], name="/x", mapped_by=[100])
    b.exit(c)
    b.exit(100)
    outcome = check("ipc.used", mechanism="posix_shm").evaluate(b.evidence())
    assert not outcome.passed
    assert outcome.message == (f"the program opened the posix_shm /x in pid 100, {c}, but only pid 100 held a "
                               "shared, writable mapping of it, so no two processes shared it")
