"""Output excerpts: escapes stripped, bad bytes and controls made visible, long output cut."""

from __future__ import annotations

from grader.report.excerpt import clean_text, make_excerpt, shorten


def test_ansi_and_osc_sequences_are_removed() -> None:
    excerpt = make_excerpt(b"\x1b[31mred\x1b[0m \x1b]0;window title\x07after \x1b]8;;http://x\x1b\\link\n")
    assert excerpt.text == "red after link"
    assert excerpt.escapes_removed
    assert "\x1b" not in excerpt.text


def test_invalid_utf8_is_shown_as_escapes_and_flagged() -> None:
    excerpt = make_excerpt(b"ok \xff\xfe end\n")
    assert excerpt.text == "ok \\xff\\xfe end"
    assert excerpt.invalid_utf8


def test_control_characters_and_bidi_overrides_are_visible() -> None:
    text, _, controls = clean_text("bell\x07 nul\x00 \u202eevil")
    assert text == "bell\\x07 nul\\x00 <U+202E>evil"
    assert controls


def test_tabs_and_newlines_are_kept() -> None:
    excerpt = make_excerpt(b"a\tb\r\nc\n")
    assert excerpt.text == "a\tb\nc"
    assert not excerpt.controls_shown


def test_long_output_is_cut_by_lines_with_counts() -> None:
    data = b"".join(b"line %d\n" % i for i in range(500))
    excerpt = make_excerpt(data)
    assert excerpt.truncated
    assert excerpt.shown_lines == 200
    assert excerpt.total_lines == 500
    assert excerpt.text.splitlines()[-1] == "line 199"


def test_long_output_is_cut_by_bytes_without_breaking_a_character() -> None:
    data = "가".encode() * 10_000          # 30 000 bytes on one line
    excerpt = make_excerpt(data, max_bytes=20 * 1024 + 1)
    assert excerpt.truncated
    assert not excerpt.invalid_utf8
    assert set(excerpt.text) == {"가"}


def test_empty_output() -> None:
    excerpt = make_excerpt(b"")
    assert excerpt.empty and excerpt.total_lines == 0 and excerpt.text == ""


def test_shorten_marks_the_cut() -> None:
    assert shorten("abcdef", 4) == "abc\u2026"
    assert shorten("abc", 4) == "abc"
