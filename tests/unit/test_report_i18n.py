"""The Korean catalog: compiled .mo matches the .po, every message is translated, placeholders agree."""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.pofile import read_po

from grader.report.i18n import (
    CHECK_TEMPLATES,
    DIAGNOSIS_TEMPLATES,
    LOCALE_DIR,
    compile_catalog,
    extract_catalog,
    localize_check,
    localize_diagnosis,
    translations,
)

PO = LOCALE_DIR / "ko" / "LC_MESSAGES" / "grader.po"
MO = PO.with_suffix(".mo")


def _catalog():  # type: ignore[no-untyped-def]
    with PO.open("rb") as handle:
        return read_po(handle, locale="ko", domain="grader")


def test_committed_mo_is_the_compiled_po(tmp_path) -> None:  # type: ignore[no-untyped-def]
    compiled = compile_catalog(PO)
    (tmp_path / "grader.mo").write_bytes(compiled)
    assert MO.read_bytes() == compiled, "grader.mo is stale: run `python3 -m grader.report.i18n compile`"


def test_every_extracted_message_is_translated() -> None:
    catalog = _catalog()
    missing = []
    for message in extract_catalog():
        if not message.id:
            continue
        entry = catalog.get(message.id)
        strings = entry.string if entry is not None and isinstance(entry.string, tuple) else (
            (entry.string,) if entry is not None else ("",))
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(message.id)
    assert not missing, f"untranslated (run `python3 -m grader.report.i18n update` and translate): {missing}"


def _fields(text: str) -> set[str]:
    braces = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    percents = set(re.findall(r"%\((\w+)\)s", text))
    return braces | percents


def test_translations_keep_their_placeholders() -> None:
    for message in _catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for translated in strings:
            assert _fields(translated) == _fields(ids[0]), (message.id, translated)


def test_korean_text_is_korean() -> None:
    for message in _catalog():
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert any(re.search("[\uac00-\ud7a3]", s) for s in strings) or message.id in {"%(ms)s ms"}, message.id


def test_korean_uses_the_course_terms() -> None:
    text = " ".join(str(m.string) for m in _catalog())
    for term in ("프로세스", "스레드", "자식 프로세스", "부모 프로세스", "좀비", "고아 프로세스", "파이프"):
        assert term in text, term


def test_every_template_is_in_the_catalog() -> None:
    catalog = translations("ko")
    tables = [DIAGNOSIS_TEMPLATES]
    if (LOCALE_DIR / "ko" / "LC_MESSAGES" / "checks.mo").exists():   # grader/checks' own catalog
        tables.append(CHECK_TEMPLATES)
    for table in tables:
        for templates in table.values():
            for template in templates:
                assert catalog.gettext(template) != template, template


@pytest.mark.parametrize("code", sorted(DIAGNOSIS_TEMPLATES))
def test_every_diagnosis_code_has_a_parameter_free_korean_sentence(code: str) -> None:
    localized = localize_diagnosis(code, {}, "english", "ko")
    assert localized.translated and localized.text != "english"


def test_params_fill_in_and_student_text_is_cleaned() -> None:
    localized = localize_diagnosis("fork_buffer_duplicate", {"parent": 7, "child": 8, "text": "hi\x1b[31m\x07"},
                                   "english", "ko")
    assert "'hi\\x07'" in localized.text and "PID 7" in localized.text


def test_english_keeps_the_original_message() -> None:
    localized = localize_check("process.count", "failed", {"count": 4}, "expected exactly 3, ran 4", "en")
    assert localized.text == "expected exactly 3, ran 4"


def test_unknown_kind_falls_back_to_english() -> None:
    localized = localize_check("brand.new", "failed", {}, "something", "ko")
    assert not localized.translated and localized.text == "something"


def test_a_korean_page_carries_a_diagnosis_in_korean_only() -> None:
    from grader.diagnose import diagnose_run
    from grader.report.html import render_html
    from grader.result import Result, TestResult
    from grader.sandbox.records import RunRecord
    from grader.trace.model import Execution, Task

    execution = Execution(root=5, tasks={5: Task(tid=5, tgid=5, kind="process", creator=None, ppid=1,
                                                 created_by=None, stopped_by="timeout")})
    record = RunRecord(name="t", repeat_index=0, command=["./main"], timed_out=True, stopped_for="timeout",
                       final_tasks=[{"tid": 5, "tgid": 5, "state": "S", "call": "pause", "args": []}])
    diagnoses = diagnose_run(execution, record)
    result = Result(assignment_id="a", assignment_title="A", submission="s", score=0, max_score=1,
                    tests=[TestResult(name="t", status="failed", score=0, max_score=1, diagnoses=diagnoses)])
    page = render_html(result, lang="ko")
    assert "PID 5" in page and "pause에서 끝내 오지 않은 시그널을 기다립니다" in page
    assert "시간이 다 되었을 때 각 태스크가 하던 일" in page
    assert "signal that never came" not in page and "Details (English)" not in page


def test_a_failed_checks_korean_message_is_its_own_template_with_the_same_facts() -> None:
    """The page's Korean check sentence comes from the check's template (params["template"]), not a
    one-sentence-per-kind fallback: the pids and counts the English message names are in it too."""
    import re

    from grader.checks.messages import FLAT, render_params, template_text
    from grader.report.i18n import localize_check

    key = next(k for k in FLAT if "{" in template_text(k))
    fields = re.findall(r"{(\w+)}", template_text(k := key))
    params: dict[str, object] = {"template": k, **{f: 4321 + i for i, f in enumerate(fields)}}
    english = render_params(params, "en")
    assert english is not None
    korean = localize_check("output.count", "failed", params, english, "ko")
    assert korean.translated and korean.text != english
    assert sorted(re.findall(r"\d{4}", english)) == sorted(re.findall(r"\d{4}", korean.text))
