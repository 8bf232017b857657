"""Pitfall warnings: each said where it is true, and not said on the case that would make it false."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.grading import grade
from grader.pitfalls import (
    STDLIB_SHADOWABLE,
    PythonRun,
    crlf_shebang,
    find_pitfalls,
    main_guard_calls,
    python_runs,
    shadowed_modules,
)
from grader.report.html import render_html
from grader.report.i18n import diagnosis_text
from grader.result import Result
from grader.sandbox.base import SandboxResult
from grader.sandbox.records import RunRecord
from grader.sandbox.replay import ReplaySandbox
from grader.spec import load_assignment

ROOT = Path(__file__).resolve().parents[2]
FORK_HELLO = load_assignment(ROOT / "assignments" / "fork-hello" / "assignment.yaml")
PYTHON, C = FORK_HELLO.resolved_variants()


def _folder(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    folder = tmp_path / "sub"
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return folder


def _codes(tmp_path: Path, files: dict[str, str | bytes], assignment: object = PYTHON) -> list[str]:
    return [w.code for w in find_pitfalls(assignment, _folder(tmp_path, files))]  # type: ignore[arg-type]


# ----- a standard-library name taken -----

def test_the_list_is_the_images_shadowable_names() -> None:
    assert {"queue", "multiprocessing", "random", "threading", "socket", "signal"} <= STDLIB_SHADOWABLE
    # Built in, frozen, or imported before the script starts: a file of that name shadows nothing.
    assert not {"sys", "os", "time", "posix", "io", "abc", "codecs", "site", "_thread"} & STDLIB_SHADOWABLE
    # Not in the image's build (Windows, macOS): nothing there to shadow.
    assert not {"msvcrt", "winreg", "_winapi", "_scproxy"} & STDLIB_SHADOWABLE


def test_queue_py_next_to_the_script_is_a_warning(tmp_path: Path) -> None:
    (warning,) = find_pitfalls(PYTHON, _folder(tmp_path, {"hello.py": "import os\n", "queue.py": "x = 1\n"}))
    assert warning.code == "stdlib_shadow" and warning.params["module"] == "queue"
    assert warning.message.startswith("queue.py has the name of the standard-library module queue, and it sits "
                                      "next to hello.py")
    korean = diagnosis_text(warning, "ko")
    assert korean.translated and "queue.py" in korean.text and "표준 라이브러리" in korean.text


def test_a_package_folder_shadows_too(tmp_path: Path) -> None:
    assert _codes(tmp_path, {"hello.py": "", "random/__init__.py": ""}) == ["stdlib_shadow"]


@pytest.mark.parametrize("files", [
    {"hello.c": "int main(){}\n", "queue.py": ""},     # a C submission: no Python looks at queue.py
    {"hello.py": "", "os.py": ""},                      # os is imported before the script starts
    {"hello.py": "", "time.py": ""},                    # time is built into the interpreter
    {"hello.py": "", "lib/queue.py": ""},               # not on sys.path: lib/ is not the script's folder
    {"hello.py": "", "queue.txt": ""},
    {"hello.py": "", "random/notes.txt": ""},           # a folder without __init__.py is no regular package
])
def test_no_shadow_warning_where_nothing_is_shadowed(tmp_path: Path, files: dict[str, str]) -> None:
    assignment = C if "hello.c" in files else PYTHON
    assert "stdlib_shadow" not in _codes(tmp_path, files, assignment)


def test_a_module_run_looks_in_the_work_folder_first(tmp_path: Path) -> None:
    module_run = PYTHON.model_copy(update={"run": ["python3", "-m", "hello"]})
    (warning,) = find_pitfalls(module_run, _folder(tmp_path, {"hello.py": "", "queue.py": ""}))
    assert "it sits next to the work folder, where Python looks first" in warning.message
    assert "작업 폴더 옆에" in diagnosis_text(warning, "ko").text


def test_python_runs_find_the_script_and_what_python_looks_at_first() -> None:
    assert python_runs([["python3", "hello.py"], ["./hello"], ["/usr/bin/python3", "-u", "src/main.py", "x"]]) == [
        PythonRun("hello.py", ""), PythonRun("src/main.py", "src")]
    assert python_runs([["python3", "-I", "hello.py"]]) == [PythonRun("hello.py", None)]     # isolated: no script dir
    assert python_runs([["python3", "-W", "error", "a.py"]]) == [PythonRun("a.py", "")]
    assert python_runs([["python3", "-c", "print(1)"]]) == [PythonRun(None, None)]
    assert python_runs([["python3", "-m", "pkg"]]) == [PythonRun(None, "")]
    assert shadowed_modules(["src/queue.py", "queue.py"], "src") == {"queue": "src/queue.py"}


# ----- multiprocessing outside the __main__ guard -----

UNGUARDED = """import multiprocessing as mp

def work():
    print("hi")

p = mp.Process(target=work)
p.start()
p.join()
"""


def test_a_process_made_at_the_top_level_is_a_warning(tmp_path: Path) -> None:
    warnings = find_pitfalls(PYTHON, _folder(tmp_path, {"hello.py": UNGUARDED}))
    (warning,) = warnings
    assert warning.code == "main_guard" and warning.params == {"file": "hello.py", "line": 6, "call": "mp.Process"}
    assert warning.evidence[0].lines == ["6: p = mp.Process(target=work)"]
    assert "RuntimeError" in warning.message and diagnosis_text(warning, "ko").translated


@pytest.mark.parametrize(("source", "found"), [
    (UNGUARDED, [(6, "mp.Process")]),
    ("from multiprocessing import Pool\nwith Pool(2) as pool:\n    pool.map(abs, [1])\n", [(2, "Pool")]),
    ("import multiprocessing\nctx = multiprocessing.get_context('spawn')\nctx.Process(target=print).start()\n",
     [(3, "ctx.Process")]),
    ("from concurrent.futures import ProcessPoolExecutor as PPE\nfor i in range(2):\n    PPE()\n", [(3, "PPE")]),
    ("import multiprocessing\nif True:\n    multiprocessing.Manager()\n", [(3, "multiprocessing.Manager")]),
])
def test_process_makers_outside_the_guard_are_found(source: str, found: list[tuple[int, str]]) -> None:
    assert main_guard_calls(source) == found


@pytest.mark.parametrize("source", [
    UNGUARDED.replace("p = mp.Process", "if __name__ == '__main__':\n    p = mp.Process").replace(
        "\np.start()\np.join()", "\n    p.start()\n    p.join()"),
    "import multiprocessing as mp\ndef main():\n    mp.Process(target=print).start()\n"
    "if '__main__' == __name__:\n    main()\n",
    "import threading\nthreading.Thread(target=print).start()\n",        # threads: no process is made
    "class Process:\n    pass\nProcess()\n",                               # their own Process, not multiprocessing's
    "import multiprocessing as mp\nq = mp.Queue()\nmp.Value('i', 0)\n",     # objects, no process started
    "import multiprocessing as mp\nmake = lambda: mp.Process(target=print)\n",
    "import multiprocessing as mp\nclass Box:\n    p = mp.Process\n",
    "import multiprocessing as mp\nmp.Process(\n",                       # does not parse: say nothing
])
def test_no_guard_warning_where_no_process_is_made_at_import(source: str) -> None:
    assert main_guard_calls(source) == []


def test_the_guard_warning_is_only_for_the_script_python_runs(tmp_path: Path) -> None:
    assert _codes(tmp_path, {"hello.py": "import os\n", "helper.py": UNGUARDED}) == []
    assert _codes(tmp_path, {"hello.c": UNGUARDED}, C) == []


# ----- a #! line with Windows line endings -----

@pytest.mark.parametrize(("head", "found"), [
    (b"#!/usr/bin/env python3\r\nprint(1)\r\n", ("program", "python3")),
    (b"#!/bin/sh\r\necho hi\r\n", ("program", "/bin/sh")),
    (b"#!/bin/bash -e\r\necho hi\r\n", ("argument", "-e")),
    (b"#!/usr/bin/env -S python3 -u\r\n", ("argument", "-u")),
    (b"#!/bin/sh\necho hi\r\n", None),          # the #! line itself ends in LF: it works
    (b"print(1)\r\n", None),                    # CRLF but no #!: nothing runs it as a program
    (b"#!\r\n", None),
    (b"#!/bin/sh", None),                       # no line ending at all
])
def test_crlf_shebang(head: bytes, found: tuple[str, str] | None) -> None:
    assert crlf_shebang(head) == found


def test_a_crlf_shebang_script_is_a_warning_in_any_variant(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {"hello.c": "int main(void) { return 0; }\n", "run.sh": b"#!/bin/sh\r\n./hello\r\n"}
    (warning,) = find_pitfalls(C, _folder(tmp_path, files))
    assert warning.code == "crlf_shebang" and warning.params == {"file": "run.sh", "program": "/bin/sh"}
    assert "no program of that name exists, so running the file directly (./run.sh) fails" in warning.message
    assert diagnosis_text(warning, "ko").translated


# ----- on the result and the page -----

def test_warnings_reach_the_result_and_the_page_and_change_no_score(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"hello.py": UNGUARDED, "queue.py": ""})
    names = [t.name for t in PYTHON.tests]
    sandbox = ReplaySandbox(SandboxResult(runs={n: [RunRecord(name=n, repeat_index=0, command=[])] for n in names}))
    result = grade(FORK_HELLO, folder, sandbox, repeat=1)
    plain = grade(FORK_HELLO, _folder(tmp_path / "b", {"hello.py": "import os\n"}), sandbox, repeat=1)
    assert [w.code for w in result.warnings] == ["stdlib_shadow", "main_guard"] and not plain.warnings
    assert result.score == plain.score
    again = Result.from_json(result.to_json())
    assert [w.code for w in again.warnings] == ["stdlib_shadow", "main_guard"] and again.warnings[0].template
    page = render_html(again, lang="en")
    assert page.count('class="diagnosis warning"') == 2 and 'id="warning-1"' in page
    assert "queue.py has the name of the standard-library module queue" in page
    korean = render_html(again, lang="ko")
    assert "경고" in korean and "표준 라이브러리 모듈 queue" in korean and "(original English message)" not in korean
