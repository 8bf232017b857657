"""`grader serve` in a real headless Chromium (Debian's, driven by Playwright): a student sets a password from
an invite, uploads the fork-hello reference, watches the status change without reloading, reads the
feedback page with its process tree, submits a faulty solution and sees both attempts; a TA sees both on
the dashboard and downloads the gradebook; a second student cannot open the first one's result.
Screenshots go to tests/artifacts/ (gitignored)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from services import listening

pytestmark = [pytest.mark.slow, pytest.mark.engine]

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "assignments" / "fork-hello"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
PASSWORDS = {"alice": "alice's long password", "bob": "bob's long password", "ta1": "the TA's long password"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module", params=["embedded", "broker"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`grader serve` on a course with the library's fork-hello; returns the base URL and each invite link.

    embedded: SQLite and grading in the server's process. broker: PostgreSQL, and every submission graded by
    one of two `grader worker` processes through a password-protected redis-server (issue 17)."""
    with contextlib.ExitStack() as stack:
        options: list[str] = ["--workers", "1"]
        if request.param == "broker":
            options = _broker_setup(stack, tmp_path_factory.mktemp("workers"))
        yield from _serve(tmp_path_factory, options)
        if request.param == "broker":
            # the scenario's gradings (reference and faulty) were the workers', not the server's
            graded = sum(log.read_text(errors="replace").count("): graded in")
                         for log in tmp_path_factory.getbasetemp().glob("workers*/worker-*.log"))
            assert graded >= 2, f"the workers graded {graded} submissions"


def _broker_setup(stack: contextlib.ExitStack, folder: Path) -> list[str]:
    from services import postgres_server, redis_server

    redis = stack.enter_context(redis_server())
    database = stack.enter_context(postgres_server())
    env = {**os.environ, "GRADER_BROKER": redis.url, "PYTHONUNBUFFERED": "1"}
    workers = []
    for name in ("a", "b"):
        log = stack.enter_context((folder / f"worker-{name}.log").open("wb"))
        workers.append(subprocess.Popen([sys.executable, "-m", "grader.cli", "worker", "--concurrency", "1"],
                                        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                                        start_new_session=True))

    def stop() -> None:
        for proc in workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    stack.callback(stop)
    deadline = time.monotonic() + 90
    while True:
        listed = subprocess.run([sys.executable, "-m", "grader.cli", "workers", "--json", "--broker", redis.url],
                                capture_output=True, text=True, cwd=ROOT, timeout=60)
        if len(listed.stdout.splitlines()) == 2:
            break
        assert time.monotonic() < deadline and all(p.poll() is None for p in workers), \
            "\n".join((folder / f"worker-{n}.log").read_text(errors="replace")[-2000:] for n in ("a", "b"))
        time.sleep(0.5)
    return ["--workers", "2", "--db", database.url, "--broker", redis.url]


def _serve(tmp_path_factory: pytest.TempPathFactory, options: list[str]) -> Iterator[dict[str, str]]:
    course = tmp_path_factory.mktemp("browser-course")
    shutil.copytree(LIBRARY, course / "fork-hello")
    (course / "roster.csv").write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"
                                       "Alice Kim,1,2026001,alice,A\nBob Lee,2,2026002,bob,A\n", encoding="utf-8")
    (course / "course.yaml").write_text(
        "title: Browser test course\nroster: roster.csv\nstaff: [{username: ta1, role: ta}]\n"
        "assignments:\n  - {path: fork-hello, score: best}\n", encoding="utf-8")
    port = _free_port()
    log = (course / "server.log").open("w+", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "grader.cli", "serve", str(course), "--port", str(port),
                             *options], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://127.0.0.1:{port}"
    invites: dict[str, str] = {}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not ("serving" in (text := (course / "server.log").read_text())
                                               and listening(port)):   # "serving" comes once the port is bound
        assert proc.poll() is None, f"grader serve exited:\n{text}"
        time.sleep(0.2)
    text = (course / "server.log").read_text()
    for name, link in re.findall(r"^new \w+ (\S+): (\S+)$", text, re.MULTILINE):
        invites[name] = link
    assert set(invites) == {"alice", "bob", "ta1"}, text
    try:
        yield {"base": base, **{f"invite:{k}": v for k, v in invites.items()}}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(course / "server.log", ARTIFACTS / "site-server.log")   # to read after a failure


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("the browser test needs Debian's chromium: apt-get install -y chromium", pytrace=False)
    with sync_playwright() as play:
        launched = play.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"site-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def _join(browser: object, server: dict[str, str], who: str) -> object:
    """A fresh browser context that takes `who`'s invite and so is logged in."""
    context = browser.new_context(locale="en-US")  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(server[f"invite:{who}"])
    page.fill("input[name=password]", PASSWORDS[who])
    page.fill("input[name=password2]", PASSWORDS[who])
    page.click("button[type=submit]")
    page.wait_for_url(server["base"] + "/")
    return page


def test_a_student_submits_twice_a_ta_sees_both_and_another_student_sees_nothing(server: dict[str, str],
                                                                                 browser: object) -> None:

    base = server["base"]
    alice = _join(browser, server, "alice")
    try:
        _scenario(browser, server, base, alice)
    except Exception:
        _shot(alice, "failure")   # where alice's page was when it failed
        raise


def _scenario(browser: object, server: dict[str, str], base: str, alice: Any) -> None:
    from playwright.sync_api import expect

    statuses: list[str] = []
    alice.on("response", lambda r: statuses.append(r.url) if "/status/" in r.url else None)
    alice.click("text=Fork into three processes")
    expect(alice.locator("#required")).to_contain_text("hello.py")
    _shot(alice, "1-assignment")

    # The reference: the status moves from queued/running to done with no reload of the page.
    alice.set_input_files("#files", str(LIBRARY / "solution" / "hello.py"))
    alice.click("#submit")
    alice.wait_for_url(re.compile(r".*/s/\d+/$"))
    first_url = alice.url
    marker = alice.evaluate("() => { window.__same_page = 'yes'; return performance.timeOrigin; }")
    expect(alice.locator("#status")).to_have_attribute("data-status", re.compile("queued|running"))
    _shot(alice, "2-waiting")
    expect(alice.locator("#status")).to_have_attribute("data-status", "done", timeout=90_000)
    assert alice.evaluate("() => window.__same_page") == "yes"          # htmx swapped it in: no reload
    assert alice.evaluate("() => performance.timeOrigin") == marker
    assert statuses, "the status was never polled"
    expect(alice.locator("#score")).to_have_text("4 / 4")
    expect(alice.frame_locator("iframe.feedback").locator("svg.tree").first).to_be_visible()
    _shot(alice, "3-done")

    # The feedback page, its process tree, and no script allowed to run in it.
    feedback = alice.context.new_page()
    response = feedback.goto(first_url + "feedback/")
    assert response is not None and "script-src 'none'" in response.headers["content-security-policy"]
    tree = feedback.locator("svg.tree").first
    expect(tree).to_be_visible()
    assert tree.locator("[data-pid]").count() == 3
    _shot(feedback, "4-feedback")
    feedback.close()

    # A faulty solution: a second attempt, both listed with their scores.
    alice.goto(base + "/a/fork-hello/")
    # The faulty solution is dropped on the drop zone (a real drop event carrying a file named hello.py).
    alice.evaluate("""source => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([source], "hello.py", {type: "text/x-python"}));
        const zone = document.getElementById("dropzone");
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", (LIBRARY / "faulty" / "double_fork.py").read_text(encoding="utf-8"))
    assert alice.evaluate("() => document.getElementById('files').files[0].name") == "hello.py"
    alice.click("#submit")
    alice.wait_for_url(re.compile(r".*/s/\d+/$"))
    second_url = alice.url
    # Logged out while the page polls (the session cookie gone): the next poll sends her to the login page.
    alice.context.clear_cookies()
    alice.wait_for_url(re.compile(r".*/login/$"), timeout=15_000)
    _shot(alice, "5-logged-out")
    alice.goto(base + "/login/")
    alice.fill("input[name=username]", "alice")
    alice.fill("input[name=password]", PASSWORDS["alice"])
    alice.click("button[type=submit]")
    alice.wait_for_url(base + "/")
    alice.goto(second_url)
    expect(alice.locator("#status")).to_have_attribute("data-status", "done", timeout=90_000)
    score = alice.locator("#score").inner_text()
    assert score != "4 / 4" and score.endswith("/ 4")
    alice.goto(base + "/a/fork-hello/")
    rows = alice.locator("#attempts tbody tr")
    expect(rows).to_have_count(2)
    expect(alice.locator("#attempts tr.counted")).to_have_attribute("data-number", "1")
    _shot(alice, "6-history")

    # The TA: both attempts on the dashboard, and the gradebook download.
    ta = _join(browser, server, "ta1")
    ta.goto(base + "/staff/a/fork-hello/")
    row = ta.locator('tr[data-student="alice"]')
    expect(row).to_contain_text("4 / 4 (#1)")
    expect(row.locator("td").nth(1)).to_have_text("2")
    expect(ta.locator('tr[data-student="bob"]')).to_contain_text("—")
    _shot(ta, "7-dashboard")
    with ta.expect_download() as info:
        ta.click('a.gradebook[data-kind="canvas"]')
    saved = ARTIFACTS / "site-gradebook-canvas.csv"
    info.value.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert "Alice Kim,1,2026001,alice,A,4" in text and "Bob Lee,2,2026002,bob,A,0" in text

    # Bob: alice's result does not exist for him.
    bob = _join(browser, server, "bob")
    for url in (first_url, first_url + "feedback/", second_url + "status/"):
        answer = bob.goto(url)
        assert answer is not None and answer.status == 404, url
    _shot(bob, "8-bob-404")
