"""The intake's refusals in the student's language: each kind of bad upload, sent through the test client by a
student who chose Korean, reads as a Korean sentence with the same facts (file name, size, limit) as the
intake's English one; a student who reads English sees the intake's English message unchanged. The Korean
comes from the refusal's code and facts (SubmissionError.code/params), never from its English words."""

from __future__ import annotations

import html
import io
import re
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from site_helpers import client_for, make_student, upload

ALERT = re.compile(r'<p class="refused" role="alert" id="refused">(.*?)</p>', re.S)
_KiB = 1024


def _zip(members: dict[str, bytes], *, attrs: dict[str, int] | None = None, encrypted: bool = False) -> bytes:
    """A zip of `members`; `attrs` gives a member's Unix mode (a link, a device); `encrypted`: one member only."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if attrs and name in attrs:
                info.external_attr = attrs[name] << 16
            archive.writestr(info, data)
    raw = bytearray(buffer.getvalue())
    if encrypted:   # zipfile writes no encrypted zip: set the "encrypted" flag of the local and central headers
        for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            at = raw.find(signature)
            raw[at + offset] |= 0x1
    return bytes(raw)


def _tar(kind: bytes, name: str) -> bytes:
    """A .tar.gz with hello.py and one member `name` of tarfile's type `kind` (a link, a FIFO)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"print('hello os')\n"
        info = tarfile.TarInfo("hello.py")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        special = tarfile.TarInfo(name)
        special.type = kind
        special.linkname = "hello.py" if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else ""
        archive.addfile(special)
    return buffer.getvalue()


def _deep(levels: int) -> str:
    return "/".join(f"d{i}" for i in range(levels)) + "/hello.py"


LONG = "n" * 300 + ".py"
# (case, uploaded file name, its bytes, the Korean sentence, the intake's English message, limits for the case)
CASES: list[tuple[str, str, bytes, str, str, dict[str, int]]] = [
    ("dot-dot", "work.zip", _zip({"../evil.py": b"x", "hello.py": b"print(1)"}),
     "압축 파일에 폴더 밖으로 나가는 경로가 있습니다: '../evil.py'",
     "the archive has a path that leaves its folder: '../evil.py'", {}),
    ("absolute", "work.zip", _zip({"/etc/hello.py": b"x"}),
     "압축 파일에 절대 경로가 있습니다: '/etc/hello.py'",
     "the archive has an absolute path: '/etc/hello.py'", {}),
    ("too-deep", "work.zip", _zip({_deep(40): b"x"}),
     f"압축 파일의 폴더가 너무 깊이 중첩되어 있습니다: {_deep(40)!r}",
     f"the archive nests folders too deeply: {_deep(40)!r}", {}),
    ("long-name", "work.zip", _zip({LONG: b"x"}),
     f"압축 파일에 너무 긴 파일 이름이 있습니다: {LONG[:60]!r}...",
     f"the archive has a file name that is too long: {LONG[:60]!r}...", {}),
    ("zip-symlink", "work.zip", _zip({"hello.py": b"/etc/passwd"}, attrs={"hello.py": stat.S_IFLNK | 0o777}),
     "압축 파일에 심볼릭 링크가 있습니다. 링크는 허용되지 않습니다: 'hello.py'",
     "the archive holds a symbolic link, which is not allowed: 'hello.py'", {}),
    ("zip-device", "work.zip", _zip({"hello.py": b""}, attrs={"hello.py": stat.S_IFCHR | 0o644}),
     "압축 파일에 특수 파일이 있습니다. 허용되지 않습니다: 'hello.py'",
     "the archive holds a special file, which is not allowed: 'hello.py'", {}),
    ("tar-symlink", "work.tar.gz", _tar(tarfile.SYMTYPE, "link.py"),
     "압축 파일에 심볼릭 링크가 있습니다. 링크는 허용되지 않습니다: 'link.py'",
     "the archive holds a symbolic link, which is not allowed: 'link.py'", {}),
    ("tar-hardlink", "work.tar.gz", _tar(tarfile.LNKTYPE, "again.py"),
     "압축 파일에 하드 링크가 있습니다. 링크는 허용되지 않습니다: 'again.py'",
     "the archive holds a hard link, which is not allowed: 'again.py'", {}),
    ("tar-fifo", "work.tar.gz", _tar(tarfile.FIFOTYPE, "pipe"),
     "압축 파일에 장치 파일이나 FIFO가 있습니다. 허용되지 않습니다: 'pipe'",
     "the archive holds a device file or FIFO, which is not allowed: 'pipe'", {}),
    ("file-and-folder", "work.zip", _zip({"src": b"x", "src/hello.py": b"print(1)"}),
     "압축 파일에 'src'이(가) 파일로도 폴더로도 들어 있습니다",
     "the archive has 'src' as both a file and a folder", {}),
    ("password", "work.zip", _zip({"hello.py": b"print(1)"}, encrypted=True),
     "zip 압축 파일에 암호가 걸려 있습니다. 암호 없이 제출하세요",
     "the zip archive is password-protected; submit it without a password", {}),
    ("not-a-zip", "work.zip", b"this is not a zip archive at all\n" * 4,
     "'work.zip'은(는) 읽을 수 있는 zip 압축 파일이 아닙니다 (File is not a zip file)",
     "'work.zip' is not a readable zip archive (File is not a zip file)", {}),
    ("not-a-tar", "work.tar", b"\x01" * 2048,
     "'work.tar'은(는) 읽을 수 있는 tar 압축 파일이 아닙니다 (",
     "'work.tar' is not a readable tar archive (", {}),
    ("too-many-files", "work.zip", _zip({f"f{i}.py": b"x" for i in range(6)}),
     "제출물의 파일과 폴더가 5개보다 많습니다",
     "the submission has more than 5 files and folders", {"max_entries": 5}),
    ("too-big", "work.zip", _zip({"hello.py": b"#" * (100 * _KiB)}),
     "제출물에 적힌 파일 크기의 합이 64 KiB를 넘습니다 (한도 64 KiB)",
     "the submission declares more than 64 KiB of files (limit 64 KiB)", {"max_total_bytes": 64 * _KiB}),
    ("too-big-tiny-limit", "work.zip", _zip({"hello.py": b"#" * 900}),
     "제출물에 적힌 파일 크기의 합이 512바이트를 넘습니다 (한도 512바이트)",
     "the submission declares more than 512 bytes of files (limit 512 bytes)", {"max_total_bytes": 512}),
    ("bomb", "bomb.zip", _zip({"hello.py": b" " * (3 * 2**20)}),
     "압축 파일을 풀면 원래 크기의 100배보다 커집니다 (압축 폭탄일 수 있습니다). 압축을 풀지 않았습니다",
     "the archive expands more than 100 times its size (a compression bomb?); it was not extracted", {}),
]


def _refusal(response: Any) -> str:
    found = ALERT.search(response.content.decode())
    assert found is not None, response.content.decode()[:2000]
    return html.unescape(found.group(1))


@pytest.fixture()
def limits(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the site's intake limits for one test (the real caps are too big to reach with a small upload)."""
    import dataclasses

    import grader.site.submit as submit

    def use(**caps: int) -> None:
        monkeypatch.setattr(submit, "INTAKE_LIMITS", dataclasses.replace(submit.INTAKE_LIMITS, **caps))

    return use


def _leftovers(site: Any) -> list[str]:
    return sorted(p.name for p in (site.runtime.site_dir / "uploads").iterdir() if p.name.startswith("."))


@pytest.mark.parametrize(("name", "data", "korean", "english", "caps"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_intake_refusal_reads_in_korean_with_its_facts_and_english_is_unchanged(
        site: Any, limits: Any, name: str, data: bytes, korean: str, english: str, caps: dict[str, int]) -> None:
    from grader.site.portal.models import Submission

    limits(**caps)
    ko_student, en_student = make_student(), make_student()
    ko = client_for(ko_student)
    assert ko.post("/language/", {"lang": "ko", "next": "/"}).status_code == 302
    ko_response = ko.post("/a/fork-hello/submit/", {"files": [upload(name, data)]})
    en_response = client_for(en_student).post("/a/fork-hello/submit/", {"files": [upload(name, data)]})
    assert ko_response.status_code == en_response.status_code == 400
    ko_text, en_text = _refusal(ko_response), _refusal(en_response)
    assert ko_text.startswith(korean), ko_text
    assert en_text.startswith(english), en_text
    assert ko_text != en_text
    if korean.endswith("("):     # the reader's own detail in parentheses is the same fact in both languages
        assert ko_text.removeprefix(korean) == en_text.removeprefix(english)
    else:
        assert ko_text == korean and en_text == english
    assert not Submission.objects.filter(user__in=[ko_student, en_student]).exists()
    assert _leftovers(site) == []


def test_a_wrong_file_type_reads_in_korean(site: Any) -> None:
    client = client_for(make_student())
    client.post("/language/", {"lang": "ko", "next": "/"})
    response = client.post("/a/fork-hello/submit/", {"files": [upload("hello.py", b"\x89PNG\r\n\x1a\n\x00\x00")]})
    assert response.status_code == 400
    assert _refusal(response).startswith("hello.py은(는) 텍스트 파일이 아닙니다.")


def test_every_coded_refusal_has_korean_and_its_msgid_is_the_intakes_english(site: Any) -> None:
    """The table behind the Korean: each msgid, filled with a refusal's facts, is that refusal's English
    message, and each has a Korean sentence in the compiled catalogue that names the same facts."""
    from django.utils import translation

    from grader.errors import SubmissionError
    from grader.site.submit import INTAKE_REASONS, _intake_facts, intake_reason
    from grader.submission import IntakeLimits, intake

    with translation.override("ko"):
        for code, template in INTAKE_REASONS.items():
            korean = translation.gettext(template)
            assert korean != template, f"{code}: no Korean for {template!r}"
            assert set(re.findall(r"%\((\w+)\)", korean)) == set(re.findall(r"%\((\w+)\)", template)), code
    # A refusal raised by the real intake, rendered in English from the table, is its message word for word.
    bomb = _zip({"hello.py": b" " * (3 * 2**20)})
    for caps, data in (({}, bomb), ({"max_entries": 2}, _zip({"a.py": b"", "b.py": b"", "c.py": b""})),
                       ({"max_total_bytes": 1000}, _zip({"a.py": b"#" * 2000}))):
        with tempfile.TemporaryDirectory() as folder:
            archive = Path(folder) / "w.zip"
            archive.write_bytes(data)
            with pytest.raises(SubmissionError) as caught:
                intake(archive, Path(folder) / "out", limits=IntakeLimits(**caps))
        exc = caught.value
        assert exc.code in INTAKE_REASONS
        assert INTAKE_REASONS[exc.code] % _intake_facts(exc.params) == exc.message
        with translation.override("ko"):
            assert intake_reason(exc) != exc.message


def test_a_refusal_without_a_code_or_without_korean_shows_the_english_message(site: Any) -> None:
    from django.utils import translation

    from grader.errors import SubmissionError
    from grader.site.submit import intake_reason

    with translation.override("ko"):
        assert intake_reason(SubmissionError("no files were submitted")) == "no files were submitted"
        assert intake_reason(SubmissionError("odd", code="no_such_code", params={"name": "x"})) == "odd"
        # A code whose facts do not fill its sentence: the English message, never a half-filled Korean one.
        assert intake_reason(SubmissionError("the archive has an absolute path: '/x'", code="absolute_path",
                                             params={})) == "the archive has an absolute path: '/x'"
