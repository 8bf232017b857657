"""AddressSanitizer's and UndefinedBehaviorSanitizer's reports (memory.safe, ub.none), on runs recorded in the
real sandbox: tests/data/sanitize/recorded.json (made by tests/data/sanitize/record.py) holds each program's
log as the harness read it, the trace lines that name the log directory, and the exit code."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from grader.checks import CHECK_TYPES
from grader.checks.base import CheckOutcome, RunEvidence
from grader.checks.messages import render
from grader.sandbox.records import RunRecord
from grader.sanitize import parse_asan, parse_leaks, parse_tsan, parse_ubsan, runtime_plan, tampering
from grader.spec.loader import parse_assignment
from grader.trace.model import Execution

DATA = Path(__file__).resolve().parents[1] / "data" / "sanitize"
RECORDED = json.loads((DATA / "recorded.json").read_text(encoding="utf-8"))
# LeakSanitizer cannot run under strace; this report is the leak program run in the sandbox image untraced.
LSAN = (DATA / "address" / "leak" / "lsan-untraced.txt").read_text(encoding="utf-8")


def _log(name: str) -> str:
    return "".join(base64.b64decode(f["data_b64"]).decode() for f in RECORDED[name]["sanitizer"]["files"])


def _evidence(name: str, *, trace: str | None = None, sanitizer: dict | None = None,
              exit_code: int | None = None) -> RunEvidence:
    recorded = RECORDED[name]
    record = RunRecord(name="t", repeat_index=0, command=["./mem"],
                       trace="\n".join(recorded["trace_lines"]) if trace is None else trace,
                       sanitizer=recorded["sanitizer"] if sanitizer is None else sanitizer,
                       exit_code=recorded["exit_code"] if exit_code is None else exit_code)
    return RunEvidence(Execution(), [], [], record)


def _check(kind: str):  # type: ignore[no-untyped-def]
    return CHECK_TYPES[kind].model_validate({"kind": kind})


def _memory(name: str, **kwargs) -> CheckOutcome:  # type: ignore[no-untyped-def]
    return _check("memory.safe").evaluate(_evidence(name, **kwargs))


def _ub(name: str, **kwargs) -> CheckOutcome:  # type: ignore[no-untyped-def]
    return _check("ub.none").evaluate(_evidence(name, **kwargs))


def _korean(verdict: CheckOutcome) -> str:
    return render(verdict.template or "", verdict.params, "ko")


# ----------------------------------------------------------------------------- AddressSanitizer

def test_a_heap_overflow_names_the_line_the_write_and_the_block() -> None:
    [report] = parse_asan(_log("address/heap-overflow"))
    assert (report.error, report.access, report.size, report.at.where, report.at.function) == \
        ("heap-buffer-overflow", "write", 4, "mem.c:11", "main")
    assert (report.region, report.position, report.allocated_at and report.allocated_at.where) == (16, 16, "mem.c:7")
    verdict = _memory("address/heap-overflow")
    assert not verdict.passed and verdict.template == "memory.heap_overflow_write+more.none"
    assert verdict.message == ("AddressSanitizer stopped the program at mem.c:11 in main(): a write of 4 bytes at "
                               "byte 16 of a 16-byte heap block, whose bytes are 0 to 15 (allocated at mem.c:7)")
    assert "0x" not in verdict.message
    korean = _korean(verdict)
    assert "mem.c:11" in korean and "16바이트 힙 블록" in korean and "4바이트를 썼습니다" in korean


def test_a_use_after_free_names_where_the_block_was_freed() -> None:
    verdict = _memory("address/use-after-free")
    assert verdict.template == "memory.use_after_free_read+more.none"
    assert verdict.message == ("AddressSanitizer stopped the program at mem.c:18 in main(): a read of 8 bytes of a "
                               "16-byte heap block that had already been freed at mem.c:17 (allocated at mem.c:12)")
    assert "이미 해제된" in _korean(verdict) and "mem.c:17" in _korean(verdict)


def test_a_double_free_names_the_student_line_not_the_allocators() -> None:
    [report] = parse_asan(_log("address/double-free"))
    assert report.at.where == "mem.c:12"          # frame #0 is __interceptor_free in libsanitizer: skipped
    verdict = _memory("address/double-free")
    assert verdict.message == ("AddressSanitizer stopped the program at mem.c:12 in main(): it freed a 16-byte heap "
                               "block a second time (first freed at mem.c:11, allocated at mem.c:7)")
    assert "두 번 해제" in _korean(verdict)


@pytest.mark.parametrize("name, said", [
    ("address/stack-overflow", "a write of 4 bytes at byte 16 of the local variable 'squares', whose 16 bytes are 0 "
                               "to 15"),
    ("address/global-overflow", "a read of 4 bytes at byte 16 of the global variable 'table', whose 16 bytes are 0 "
                                "to 15"),
    ("address/null-pointer", "a write through a null pointer"),
])
def test_stack_global_and_null_errors_are_said_in_words(name: str, said: str) -> None:
    verdict = _memory(name)
    assert not verdict.passed and verdict.message.endswith(said), verdict.message
    assert "mem.c:" in verdict.message and "0x" not in verdict.message
    assert "mem.c:" in _korean(verdict)


def test_the_evidence_rows_are_the_reports_in_both_languages() -> None:
    from grader.report import render_html
    from grader.result import Result
    from grader.result import TestResult as Tested
    from grader.scoring import aggregate_check

    verdict = aggregate_check(_check("memory.safe"), [(0, _memory("address/heap-overflow"))])
    assert verdict.evidence[0].label == "what AddressSanitizer reported"
    result = Result(assignment_id="a", assignment_title="A", submission="s", score=0.0, max_score=1.0,
                    tests=[Tested(name="memory", status="failed", score=0.0, max_score=1.0, checks=[verdict])])
    assert "a write of 4 bytes at byte 16 of a 16-byte heap block" in render_html(result)
    korean = render_html(result, lang="ko")
    assert "AddressSanitizer가 보고한 내용" in korean and "16번 바이트에 4바이트를 썼습니다" in korean


def test_a_leak_is_parsed_but_not_seen_under_the_tracer() -> None:
    # The parser reads LeakSanitizer's report (recorded untraced); under strace LeakSanitizer cannot stop
    # the threads, so the address options turn it off and a leaking program passes, saying so.
    [leak] = parse_leaks(LSAN)
    assert (leak.direct, leak.size, leak.objects, leak.allocated_at.where, leak.allocated_at.function) == \
        (True, 21, 3, "mem.c:8", "copy")
    assert parse_asan(LSAN) == []
    sanitizer = {**RECORDED["address/leak"]["sanitizer"],
                 "files": [{"name": "report.9", "status": "ok", "size": len(LSAN),
                            "data_b64": base64.b64encode(LSAN.encode()).decode()}]}
    verdict = _memory("address/leak", trace="", sanitizer=sanitizer, exit_code=1)
    assert verdict.message == ("LeakSanitizer found 21 bytes in 3 heap block(s) that the program never freed, the "
                               "first allocated at mem.c:8")
    assert "detect_leaks=0" in runtime_plan("address")["options"]
    traced = _memory("address/leak")
    assert traced.passed and "leaks are not looked for" in traced.message


def test_erasing_another_process_report_is_caught() -> None:
    recorded = RECORDED["address/tamper"]
    found = tampering("\n".join(recorded["trace_lines"]), recorded["sanitizer"]["log_dir"])
    assert len(found) == 1 and found[0].startswith("a second open of report.")   # the refused listing is left out
    verdict = _memory("address/tamper")
    assert not verdict.passed and verdict.template == "memory.log_tampered"
    assert "was changed by the program (a second open of report." in verdict.message


def test_printed_reports_are_never_read_and_the_exit_code_alone_is_not_trusted() -> None:
    empty = {**RECORDED["address/heap-overflow"]["sanitizer"], "files": []}
    evidence = _evidence("address/heap-overflow", trace="", sanitizer=empty, exit_code=0)
    evidence.record.stdout = evidence.record.stderr = _log("address/heap-overflow").encode()
    assert _check("memory.safe").evaluate(evidence).passed
    unreported = _memory("address/heap-overflow", trace="", sanitizer=empty, exit_code=66)
    assert not unreported.passed and unreported.template == "memory.exit_unreported"


def test_each_check_judges_only_its_own_sanitizer() -> None:
    assert _memory("undefined/shift").template == "memory.not_sanitized"
    assert _ub("address/heap-overflow").template == "ub.not_sanitized"
    assert _check("race.none").evaluate(_evidence("address/heap-overflow")).template == "race.not_sanitized"
    assert parse_tsan(_log("address/heap-overflow")) == [] and parse_ubsan(_log("address/heap-overflow")) == []
    assert parse_asan(_log("undefined/signed-overflow")) == []


def test_suppressions_compiled_into_the_program_are_named() -> None:
    sanitizer = {**RECORDED["address/heap-overflow"]["sanitizer"], "evasions": ["mem defines __asan_default_options"]}
    verdict = _memory("address/heap-overflow", sanitizer=sanitizer)
    assert verdict.template == "memory.log_tampered" and "(mem defines __asan_default_options)" in verdict.message


# ----------------------------------------------------------------------------- UndefinedBehaviorSanitizer

def test_signed_overflow_names_the_sum_the_type_and_the_line() -> None:
    [report] = parse_ubsan(_log("undefined/signed-overflow"))
    assert (report.error, report.at.where, report.facts) == \
        ("signed-overflow", "ub.c:8", {"expression": "2147450880 + 65536", "type": "int"})
    verdict = _ub("undefined/signed-overflow")
    assert verdict.message == ("UndefinedBehaviorSanitizer stopped the program at ub.c:8 in main(): signed integer "
                               "overflow, '2147450880 + 65536' does not fit in the type 'int'")
    korean = _korean(verdict)
    assert "부호 있는 정수 오버플로" in korean and "ub.c:8" in korean and "2147450880 + 65536" in korean


def test_a_shift_past_the_width_names_the_count() -> None:
    verdict = _ub("undefined/shift")
    assert verdict.message == ("UndefinedBehaviorSanitizer stopped the program at ub.c:8 in main(): a shift of a "
                               "32-bit 'int' by 32 bits (the count must be less than 32)")
    assert "32비트" in _korean(verdict)


def test_an_unnamed_kind_keeps_ubsans_sentence_without_addresses() -> None:
    text = ("ub.c:5:3: runtime error: load of value 7, which is not a valid value for type 'bool' at 0x7ffc01\n"
            "    #0 0x55 in main /work/ub.c:5\n\n")
    [report] = parse_ubsan(text)
    assert report.error == "other" and "0x" not in report.detail and report.at.where == "ub.c:5"


def test_ubsan_tampering_and_the_exit_code_rule() -> None:
    verdict = _ub("undefined/tamper")
    assert not verdict.passed and verdict.template == "ub.log_tampered"
    empty = {**RECORDED["undefined/shift"]["sanitizer"], "files": []}
    assert _ub("undefined/shift", trace="", sanitizer=empty, exit_code=0).template == "ub.none_ok"
    assert _ub("undefined/shift", trace="", sanitizer=empty, exit_code=66).template == "ub.exit_unreported"
    options = runtime_plan("undefined")["options"]
    assert "halt_on_error=1" in options and "exitcode=66" in options and "print_stacktrace=1" in options


def test_an_assignment_asks_for_both_checks() -> None:
    text = ("id: a\ntitle: A\nlanguage: c\nfiles: [a.c]\nbuild: [gcc, -o, a, a.c]\nrun: [./a]\nsanitize: {kind}\n"
            "tests:\n  - name: t\n    checks:\n      - {check}: {{}}\n")
    memory = parse_assignment(text.format(kind="address", check="memory.safe"))
    assert memory.build_command is not None and memory.build_command[1] == "-fsanitize=address"
    ub = parse_assignment(text.format(kind="undefined", check="ub.none"))
    assert ub.requests()[0].sanitize == "undefined"


def test_a_cpp_report_names_the_students_function_past_the_runtimes_operator_new() -> None:
    [report] = parse_asan(_log("address/cpp-overflow"))
    assert (report.at.where, report.at.function) == ("mem.cpp:7", "fill")
    assert report.allocated_at is not None and report.allocated_at.where == "mem.cpp:12"   # not asan_new_delete.cpp
    text = ("    #0 0x7f in std::vector<int, std::allocator<int> >::operator[](unsigned long) "
            "/work/stack.cpp:9\n")
    [report] = parse_asan("==7==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6 at pc 0x1\n"
                          "READ of size 4 at 0x6 thread T0\n" + text)
    assert (report.at.where, report.at.function) == \
        ("stack.cpp:9", "std::vector<int, std::allocator<int> >::operator[](unsigned long)")


def test_two_processes_reports_are_counted_and_each_is_a_row() -> None:
    files = [*RECORDED["address/heap-overflow"]["sanitizer"]["files"],
             *RECORDED["address/use-after-free"]["sanitizer"]["files"]]
    sanitizer = {**RECORDED["address/heap-overflow"]["sanitizer"], "files": files}
    verdict = _memory("address/heap-overflow", trace="", sanitizer=sanitizer)
    assert verdict.template == "memory.heap_overflow_write+more.some" and verdict.message.endswith(" (and 1 more)")
    assert verdict.params["lines"] == ["mem.c:11", "mem.c:18"]
    rows = verdict.evidence[0].lines
    assert len(rows) == 2 and rows[1].startswith("AddressSanitizer stopped the program at mem.c:18 in main(): a read")


def test_a_printed_ubsan_report_is_never_read() -> None:
    empty = {**RECORDED["undefined/shift"]["sanitizer"], "files": []}
    evidence = _evidence("undefined/shift", trace="", sanitizer=empty, exit_code=0)
    evidence.record.stdout = evidence.record.stderr = _log("undefined/signed-overflow").encode()
    assert _check("ub.none").evaluate(evidence).passed
