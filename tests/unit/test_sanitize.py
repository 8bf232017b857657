"""Sanitizer builds and ThreadSanitizer's report, on runs recorded in the real sandbox
(tests/data/race/tsan/recorded.json: the racy program, and one that truncates its own report)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from grader.checks import CHECK_TYPES
from grader.checks.base import RunEvidence
from grader.checks.messages import render
from grader.errors import SpecError
from grader.sandbox.records import RunRecord
from grader.sanitize import build_command, parse_tsan, runtime_plan, tampering
from grader.spec.loader import parse_assignment
from grader.trace.model import Execution

RECORDED = json.loads((Path(__file__).resolve().parents[1] / "data" / "race" / "tsan" / "recorded.json")
                      .read_text(encoding="utf-8"))


def _log(kind: str) -> str:
    files = RECORDED[kind]["sanitizer"]["files"]
    return "".join(base64.b64decode(f["data_b64"]).decode() for f in files)


def _evidence(kind: str, *, trace: str | None = None, sanitizer: dict | None = None,
              exit_code: int | None = None) -> RunEvidence:
    recorded = RECORDED[kind]
    record = RunRecord(name="t", repeat_index=0, command=["./share"],
                       trace="\n".join(recorded["trace_lines"]) if trace is None else trace,
                       sanitizer=recorded["sanitizer"] if sanitizer is None else sanitizer,
                       exit_code=recorded["exit_code"] if exit_code is None else exit_code)
    return RunEvidence(Execution(), [], [], record)


def _race_none():  # type: ignore[no-untyped-def]
    return CHECK_TYPES["race.none"].model_validate({"kind": "race.none"})


def test_the_report_names_both_accesses_threads_and_lines() -> None:
    reports = parse_tsan(_log("racy"))
    assert len(reports) == 2
    first = reports[0]
    assert (first.previous.kind, first.previous.size, first.previous.thread, first.previous.where,
            first.previous.function) == ("write", 4, "T1", "share.c:13", "producer")
    assert (first.current.kind, first.current.thread, first.current.where, first.current.function) == \
        ("read", "T2", "share.c:20", "consumer")
    assert first.variable == "done" and reports[1].variable == "result"
    assert first.previous.tid is not None and first.current.tid == first.previous.tid + 1


def test_race_none_fails_with_the_two_lines() -> None:
    verdict = _race_none().evaluate(_evidence("racy"))
    assert not verdict.passed and verdict.template == "race.found+more.some"
    assert "the variable 'done': thread T1 (tid" in verdict.message and "at share.c:13 and thread T2" in verdict.message
    assert verdict.params["lines"] == ["share.c:12", "share.c:13", "share.c:20", "share.c:22"]
    korean = render(verdict.template or "", verdict.params, "ko")
    assert "데이터 경쟁" in korean and "share.c:13" in korean and "share.c:20" in korean


def test_an_untouched_log_is_trusted_and_one_the_program_reopened_is_not() -> None:
    racy = RECORDED["racy"]
    assert tampering("\n".join(racy["trace_lines"]), racy["sanitizer"]["log_dir"]) == []
    tamper = RECORDED["tamper"]
    found = tampering("\n".join(tamper["trace_lines"]), tamper["sanitizer"]["log_dir"])
    assert len(found) == 1 and found[0].startswith("a second open of report.")   # the refused listing is left out
    verdict = _race_none().evaluate(_evidence("tamper"))
    assert not verdict.passed and verdict.template == "race.log_tampered"


def test_a_reopen_after_the_sanitizers_open_was_cut_by_another_thread_is_still_a_second_open() -> None:
    # Recorded in CI: the sanitizer's open of its report was interleaved with another thread's line, so its
    # result came on a "resumed" line without the path; the program's own O_WRONLY|O_TRUNC must still count.
    tamper = RECORDED["tamper"]
    log_dir = tamper["sanitizer"]["log_dir"]
    lines = []
    for line in tamper["trace_lines"]:
        if line.startswith("41 ") and 'open("' + log_dir in line:
            head, _ = line.split(" = 3<", 1)
            lines += [head + " <unfinished ...>", "38    1796195294.020800 futex(0x7f, FUTEX_WAIT, 2, NULL) = 0",
                      "41    1796195294.020900 <... open resumed>) = 3<" + log_dir + "/report.38>"]
        else:
            lines.append(line)
    assert any("<unfinished ...>" in line for line in lines)
    found = tampering("\n".join(lines), log_dir)
    assert len(found) == 1 and found[0].startswith("a second open of report.")


def test_a_failed_open_of_the_log_directory_cut_by_another_thread_is_still_left_out() -> None:
    # Seen under the local backend: the program's refused listing of the log directory was cut by
    # ThreadSanitizer's background thread, its EACCES on the "resumed" line. It changed nothing.
    tamper = RECORDED["tamper"]
    log_dir = tamper["sanitizer"]["log_dir"]
    lines = []
    for line in tamper["trace_lines"]:
        if line.startswith("38 ") and '"' + log_dir + '", O_RDONLY' in line:
            head, _ = line.split(" = -1 EACCES", 1)
            lines += [head + " <unfinished ...>", "39    1796195294.027300 write(2, \"x\", 1) = 1",
                      "38    1796195294.027400 <... openat resumed>) = -1 EACCES (Permission denied)"]
        else:
            lines.append(line)
    assert sum("<unfinished ...>" in line for line in lines) == 1
    found = tampering("\n".join(lines), log_dir)
    assert len(found) == 1 and found[0].startswith("a second open of report."), found


@pytest.mark.parametrize("call, said", [
    ('unlink("{d}/report.38") = 0', "unlink on report.38"),
    ('lseek(3<{d}/report.38>, 0, SEEK_SET) = 0', "lseek on report.38"),
    ('ftruncate(3<{d}/report.38>, 0) = 0', "ftruncate on report.38"),
    ('rename("{d}/report.38", "/tmp/x") = 0', "rename on report.38"),
])
def test_every_other_call_on_the_log_is_tampering(call: str, said: str) -> None:
    racy = RECORDED["racy"]
    log_dir = racy["sanitizer"]["log_dir"]
    trace = "\n".join([*racy["trace_lines"], "38    1.0 " + call.format(d=log_dir)])
    assert tampering(trace, log_dir) == [said]


def test_a_link_in_place_of_the_log_is_not_read() -> None:
    sanitizer = {**RECORDED["racy"]["sanitizer"], "files": [{"name": "report.38", "status": "symlink", "size": 0,
                                                             "data_b64": ""}]}
    verdict = _race_none().evaluate(_evidence("racy", trace="", sanitizer=sanitizer))
    assert not verdict.passed and "a link in place of its log file (report.38)" in verdict.message


def test_no_report_passes_and_the_sanitizers_exit_code_without_one_does_not() -> None:
    empty = {**RECORDED["racy"]["sanitizer"], "files": []}
    assert _race_none().evaluate(_evidence("racy", trace="", sanitizer=empty, exit_code=0)).passed
    verdict = _race_none().evaluate(_evidence("racy", trace="", sanitizer=empty, exit_code=66))
    assert not verdict.passed and verdict.template == "race.exit_unreported"


def test_printed_text_is_never_read() -> None:
    empty = {**RECORDED["racy"]["sanitizer"], "files": []}
    evidence = _evidence("racy", trace="", sanitizer=empty, exit_code=0)
    evidence.record.stdout = evidence.record.stderr = _log("racy").encode()
    assert _race_none().evaluate(evidence).passed


def test_without_the_sanitizer_there_is_nothing_to_judge() -> None:
    evidence = RunEvidence(Execution(), [], [], RunRecord(name="t", repeat_index=0, command=["./a"]))
    verdict = _race_none().evaluate(evidence)
    assert not verdict.passed and verdict.template == "race.not_sanitized"


def test_suppressions_compiled_into_the_program_are_named() -> None:
    sanitizer = {**RECORDED["racy"]["sanitizer"], "files": [], "evasions": ["share defines __tsan_default_options"]}
    verdict = _race_none().evaluate(_evidence("racy", trace="", sanitizer=sanitizer, exit_code=0))
    assert not verdict.passed and "(share defines __tsan_default_options)" in verdict.message


def test_the_build_gets_the_sanitizer_flags_and_make_is_refused() -> None:
    assert build_command(["gcc", "-O0", "-o", "a", "a.c"], "thread") == \
        ["gcc", "-fsanitize=thread", "-g", "-fno-omit-frame-pointer", "-O0", "-o", "a", "a.c"]
    assert build_command(["g++", "a.cpp"], "address")[1] == "-fsanitize=address"
    assert "log_path" not in runtime_plan("thread")["options"]          # the harness adds a fresh one per run
    assert "detect_leaks=0" in runtime_plan("address")["options"]        # LeakSanitizer cannot run under ptrace
    text = "id: a\ntitle: A\nlanguage: c\nfiles: [a.c]\nbuild: {build}\nrun: [./a]\nsanitize: thread\n" \
           "tests:\n  - name: t\n    checks:\n      - race.none: {{}}\n"
    assignment = parse_assignment(text.format(build="[gcc, -o, a, a.c]"))
    assert assignment.build_command is not None and assignment.build_command[1] == "-fsanitize=thread"
    assert assignment.requests()[0].sanitize == "thread"
    with pytest.raises(SpecError, match="sanitize: thread needs a build that starts with gcc"):
        parse_assignment(text.format(build="[make]"))


def test_a_cpp_variant_loads_and_can_be_sanitized() -> None:
    text = ("id: a\ntitle: A\nvariants:\n  cpp:\n    language: cpp\n    files: [a.cpp]\n"
            "    build: [g++, -o, a, a.cpp]\n    run: [./a]\n    sanitize: thread\n"
            "tests:\n  - name: t\n    checks:\n      - race.none: {}\n")
    resolved = parse_assignment(text).for_variant("cpp")
    assert resolved.language == "cpp"
    assert resolved.build_command == ["g++", "-fsanitize=thread", "-g", "-fno-omit-frame-pointer", "-o", "a", "a.cpp"]


def test_the_page_shows_the_two_accesses_in_english_and_korean() -> None:
    from grader.report import render_html
    from grader.result import Result
    from grader.result import TestResult as Tested
    from grader.scoring import aggregate_check

    verdict = aggregate_check(_race_none(), [(0, _race_none().evaluate(_evidence("racy")))])
    result = Result(assignment_id="race-tsan", assignment_title="T", submission="s", score=0.0, max_score=1.0,
                    tests=[Tested(name="no data race", status="failed", score=0.0, max_score=1.0, checks=[verdict])])
    english = render_html(result)
    assert "the accesses that raced (ThreadSanitizer)" in english
    assert "first: a write of 4 bytes at share.c:13 in producer(), by thread T1 (tid" in english
    korean = render_html(result, lang="ko")
    assert "경쟁한 접근 (ThreadSanitizer)" in korean
    assert "먼저: 스레드 T1 (tid" in korean and "share.c:13(producer())에서 4바이트 쓰기" in korean
    assert "데이터 경쟁" in korean and "share.c:20" in korean


# Recorded in the sandbox (g++ 12, `sanitize: thread`, built as counter.cc) from the .cc file of the same name.
TSAN_DATA = Path(__file__).resolve().parents[1] / "data" / "race" / "tsan"


def test_a_cpp_function_name_with_spaces_is_read_whole_with_its_line() -> None:
    report = parse_tsan((TSAN_DATA / "cpp-member-function.log").read_text(encoding="utf-8"))[0]
    assert (report.current.function, report.current.where, report.current.thread) == \
        ("Counter::add(int, long)", "counter.cc:7", "T2")
    assert (report.previous.function, report.previous.where, report.previous.kind) == \
        ("Counter::add(int, long)", "counter.cc:7", "write")


def test_a_race_inside_a_library_template_is_told_at_the_students_line() -> None:
    reports = parse_tsan((TSAN_DATA / "cpp-vector-push-back.log").read_text(encoding="utf-8"))
    first = reports[0]
    # Frame #0 is in vector.tcc; the first frame in the student's code is collect() at line 7.
    assert (first.current.function, first.current.where) == ("collect", "counter.cc:7")
    assert (first.previous.function, first.previous.where) == ("collect", "counter.cc:7")
    assert first.variable == "seen"
    assert all(r.current.file == "/work/counter.cc" and r.previous.file == "/work/counter.cc" for r in reports)


def _exit_check(equals: int = 0):  # type: ignore[no-untyped-def]
    return CHECK_TYPES["process.exit_code"].model_validate({"kind": "process.exit_code", "equals": equals})


def _traced() -> RunEvidence:
    """A whole run of racy/share.c recorded in the sandbox (`sanitize: thread`; trace and log kept)."""
    import gzip

    from grader.grading import read_run

    data = json.loads(gzip.decompress((TSAN_DATA / "racy-exit-record.json.gz").read_bytes()))
    return read_run(RunRecord.from_json(data))


def test_exit_code_66_after_a_report_is_told_as_the_sanitizers_code() -> None:
    for evidence, key, who in ((_evidence("racy"), "exit.root_sanitizer", "in it"),
                               (_traced(), "exit.sanitizer", "in this process")):
        result = _exit_check().evaluate(evidence)
        assert not result.passed and result.template == key, result
        assert f"it exited with code 66: ThreadSanitizer reported a problem {who}, and 66 is the exit code" \
            in result.message
        assert "ThreadSanitizer가" in render(result.template or "", result.params, "ko")


def test_exit_code_66_without_a_trusted_report_is_told_plainly() -> None:
    recorded = RECORDED["racy"]["sanitizer"]
    no_report = _evidence("racy", sanitizer={**recorded, "files": []})
    # The program truncated its own report: the log is not trusted, so nothing is said of what it held.
    for evidence in (no_report, _evidence("tamper")):
        result = _exit_check().evaluate(evidence)
        assert result.template in ("exit.root_code", "exit.code"), result
        assert "Sanitizer" not in result.message
    # Another process's report does not explain this one's exit code.
    other = _traced()
    files = other.record.sanitizer["files"]
    assert [f["name"] for f in files] == [f"report.{other.execution.root}"]
    other.record.sanitizer = {**other.record.sanitizer, "files": [{**files[0], "name": "report.9999"}]}
    assert _exit_check().evaluate(other).template == "exit.code"
