"""The feedback page in a real headless Chromium: it loads, draws the tree, and runs nothing a student wrote."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from grader.report import write_html
from grader.result import Result

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "tests" / "data" / "results"
ARTIFACTS = ROOT / "tests" / "artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions", "--hide-scrollbars",
    "--mute-audio", "--virtual-time-budget=3000",
]


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        "headless Chromium is needed for the browser test but none of "
        f"{', '.join(BROWSERS)} is on PATH: install it with `apt-get install -y chromium` "
        "(and `fonts-noto-cjk` so Korean text renders)",
        pytrace=False,
    )


def _run(page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="grader-chromium-") as profile:
        command = [_browser(), *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False,
                              env={**os.environ, "LANG": "C.UTF-8"})
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stderr[-2000:]}"
    return done


def _dom(page: Path) -> str:
    return _run(page, "--dump-dom").stdout


def _load(name: str) -> Result:
    return Result.from_json(json.loads((RESULTS / name).read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pages")
    made: dict[str, Path] = {}
    for key, name in (("fork", "fork_hello_four_processes.json"), ("hostile", "fork_hello_hostile_output.json"),
                      ("pool", "worker_pool_64_tasks.json")):
        for lang in ("en", "ko"):
            made[f"{key}.{lang}"] = write_html(_load(name), folder / f"{key}.{lang}.html", lang=lang)
    return made


def test_failed_fork_hello_loads_with_one_tree_node_per_process(pages: dict[str, Path]) -> None:
    dom = _dom(pages["fork.en"])
    assert "<title>Fork into three processes — Feedback</title>" in dom
    first = dom.split('id="test-1"')[1].split('id="test-2"')[0]
    tree = first.split('<svg class="tree"')[1].split("</svg>")[0]
    assert sorted(re.findall(r'data-pid="(\d+)"', tree), key=int) == ["7", "8", "9", "10"]
    assert 'data-processes="4"' in first
    assert first.count('class="lane lane-process"') == 4


def test_student_markup_and_escapes_execute_nothing_and_show_literally(pages: dict[str, Path]) -> None:
    dom = _dom(pages["hostile.en"])
    # Had the student's <script> or onerror handler run, the title or body would say PWNED.
    title = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    assert title is not None and title.group(1) == "Fork into three processes — Feedback"
    assert "data-pwned" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert "<script" not in dom.lower()
    assert "<img" not in dom.lower()
    # ...and the text is on the page as text.
    assert "&lt;script&gt;document.title='PWNED-SCRIPT'" in dom
    assert "&lt;img src=x onerror=\"document.title='PWNED-IMG'\"&gt;" in dom
    assert "&lt;b&gt;2021-99999&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert "red text and bold green" in dom and "\x1b" not in dom
    assert "evil window title" not in dom
    assert "bad bytes: \\xff\\xfe\\xc3( end" in dom


def test_screenshots_in_both_languages(pages: dict[str, Path]) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for key in ("fork.en", "fork.ko", "hostile.en", "pool.ko"):
        shot = ARTIFACTS / f"report-{key.replace('.', '-')}.png"
        shot.unlink(missing_ok=True)
        _run(pages[key], f"--screenshot={shot}", "--window-size=1200,2000")
        assert shot.exists() and shot.stat().st_size > 20_000, shot
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_korean_page_loads(pages: dict[str, Path]) -> None:
    dom = _dom(pages["fork.ko"])
    assert '<html lang="ko">' in dom
    assert "프로세스 트리" in dom and "좀비 프로세스" in dom
