"""The hostile corpus: attacks the grader must contain, graded by the real sandbox on the real engine.

Each folder under cases/ is one attack: `case.yaml` says what the verdict must be and
`submission/` (or `archives/`) is what the student handed in. For every case, besides
its own expectations, this module asserts that

- grading finishes with a Result (a student's attack is never a grader exception),
- the Result serialises to JSON and renders to HTML (student and staff pages) without
  a single `<script` in them,
- no sandbox container is left (of this process, or of a grader that died),
- nothing is left in the grader's temp dir and nothing was created on the host,
- the grader's own memory stayed bounded while it graded,
- the reference solution graded right after, in the same test, still gets full marks.

The per-case verdict, time and leftovers are appended as JSON lines to
$HOSTILE_REPORT (default: <tmp>/hostile-report.jsonl) so a run can be tabulated.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.engine

HERE = Path(__file__).parent
REPO = HERE.parent.parent
CASES = sorted(p for p in (HERE / "cases").iterdir() if (p / "case.yaml").is_file())
ASSIGNMENTS = {"py": HERE / "assignments" / "py", "c": HERE / "assignments" / "c",
               "py-pty": HERE / "assignments" / "py-pty"}
SOLUTIONS = {"py": "solution/main.py", "c": "solution/main.c", "py-pty": "solution/main.py"}
REPORT = Path(os.environ.get("HOSTILE_REPORT", Path(tempfile.gettempdir()) / "hostile-report.jsonl"))
DEFAULT_RSS_GROWTH_MIB = 100
# A run ends at its wall-clock limit: killing what is left may take this long, no more.
KILL_SLACK_MS = 1000
SECRETS = ("H1DD3N-T3ST-N4ME", "R3F-S0LUT10N-ZK9")


# ------------------------------------------------------------------ helpers


class RssSampler:
    """Samples this process's resident memory while a case runs; `growth_mib` is peak minus start."""

    def __init__(self) -> None:
        self.start = self.peak = _rss_kib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss_kib())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_kib())

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.start) / 1024


def _rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _file_descriptors() -> set[str]:
    """What this process's descriptors point at, sockets (the engine client's pool) left out."""
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if not target.startswith("socket:"):
            out.add(f"{fd}->{target}")
    return out


SPAWNED: set[int] = set()  # pids of grader processes this module started (case 31)


def leftover_containers(engine: Any) -> list[str]:
    """Labelled sandbox containers started by this process or by a grader it spawned.

    On a machine where only this suite runs that is every `grader.sandbox` container; other
    engineers' graders (alive, or killed by their own tests) are not this corpus's to judge.
    """
    from grader.sandbox.engine import OWNER_LABEL

    host = socket.gethostname()
    mine = {f"{host}:{pid}" for pid in SPAWNED | {os.getpid()}}
    return [f"{c.short_id} owner={c.labels.get(OWNER_LABEL, '')} status={c.status}"
            for c in _labelled(engine) if c.labels.get(OWNER_LABEL, "") in mine]


def _labelled(engine: Any) -> list[Any]:
    """engine.labelled(), retried: listing races with other graders removing their containers
    (docker's list() inspects each one and raises NotFound for one removed meanwhile)."""
    import docker.errors

    for attempt in range(5):
        try:
            return list(engine.labelled())
        except docker.errors.NotFound:
            time.sleep(0.2 * (attempt + 1))
    return list(engine.labelled())


def _new_sandbox() -> Any:
    """A new DockerSandbox (its constructor sweeps), retried on the same listing race."""
    import docker.errors

    from grader.sandbox.docker_sandbox import DockerSandbox

    for attempt in range(5):
        try:
            return DockerSandbox()
        except docker.errors.NotFound:
            time.sleep(0.2 * (attempt + 1))
    return DockerSandbox()


def host_snapshot() -> dict[str, set[str]]:
    """Top-level entries of the places an escape would land."""
    places = ["/", str(Path.home()), str(REPO), str(HERE), str(HERE / "cases"), "/tmp"]
    snap = {}
    for place in places:
        try:
            names = set(os.listdir(place))
        except OSError:
            names = set()
        if place == "/tmp":  # shared with every other process: only names an attack would use
            names = {n for n in names if "hostile" in n or "escaped" in n or "pwned" in n or "evil" in n}
        if place == str(REPO):  # other engineers work in this tree: only names an attack would use
            names = {n for n in names if n in ("results.json", "done.json", "evil", "pwned") or "escaped" in n}
        snap[place] = names
    return snap


def load_case(case: Path) -> dict[str, Any]:
    data = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    data.setdefault("kind", "grade")
    data.setdefault("expect", {})
    return data


def outputs(result: Any, test_index: int | None = None) -> list[tuple[str, str]]:
    """(stdout, stderr) of every run (of one test, or of all), decoded for searching."""
    tests = result.tests if test_index is None else [result.tests[test_index]]
    return [
        (run.stdout.decode("utf-8", "replace"), run.stderr.decode("utf-8", "replace"))
        for test in tests for run in test.runs
    ]


def diagnosis_codes(result: Any) -> set[str]:
    return {d.code for d in result.diagnoses} | {d.code for t in result.tests for d in t.diagnoses}


def describe(result: Any) -> str:
    """A compact account of a result for assertion messages."""
    from grader.cli import _summary

    lines = [_summary(result)]
    for t_index, test in enumerate(result.tests):
        for run in test.runs:
            lines.append(
                f"  test {t_index} run {run.index}: exit={run.exit_code} signal={run.signal} wall={run.wall_ms}ms "
                f"timeout={run.timed_out} oom={run.oom_killed} pids={run.pids_limit_hit} "
                f"output={run.output_limit_hit} stdout[:300]={run.stdout[:300]!r} stderr[:300]={run.stderr[:300]!r}"
            )
    return "\n".join(lines)


def verdict(result: Any) -> str:
    flags = sorted({f for t in result.tests for r in t.runs for f in
                    ("timed_out", "oom_killed", "pids_limit_hit", "output_limit_hit") if getattr(r, f)})
    statuses = "/".join(t.status for t in result.tests)
    return (f"{result.score:g}/{result.max_score:g} {statuses}"
            + (f" flags={','.join(flags)}" if flags else "")
            + (f" diag={','.join(sorted(diagnosis_codes(result)))}" if diagnosis_codes(result) else "")
            + (f" error={result.error}" if result.error else ""))


def record(case: str, verdict_text: str, seconds: float, left: int, rss: float, note: str = "") -> None:
    try:
        with REPORT.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"case": case, "verdict": verdict_text, "seconds": round(seconds, 1),
                                 "containers_left": left, "rss_growth_mib": round(rss, 1), "note": note,
                                 "at": time.strftime("%H:%M:%S")}) + "\n")
    except OSError:
        pass


def render_everything(result: Any) -> tuple[str, str]:
    """JSON round trip, HTML pages for the student and the staff, and the CLI summary."""
    from grader.cli import _summary
    from grader.report.html import render_html
    from grader.result import Result

    data = json.loads(json.dumps(result.to_json(), allow_nan=False))
    Result.from_json(data)
    pages = "\n".join([render_html(result), render_html(result, audience="staff"),
                       render_html(result, lang="ko")])
    return pages, _summary(result)


# ------------------------------------------------------------------ expectations


def check_expectations(result: Any, expect: dict[str, Any], html: str, cli_text: str) -> list[str]:
    """Every way the result differs from the case's expectations (empty when it matches)."""
    problems: list[str] = []
    all_out = outputs(result)
    text = "\n".join(o + "\n" + e for o, e in all_out)
    if "full_marks" in expect and result.full_marks != expect["full_marks"]:
        problems.append(f"full_marks is {result.full_marks}, expected {expect['full_marks']}")
    if "score_max" in expect and result.score > expect["score_max"]:
        problems.append(f"score {result.score} above {expect['score_max']}")
    if result.error and expect.get("full_marks") is not None:
        problems.append(f"the grader reported its own error: {result.error}")
    for index, status in (expect.get("tests") or {}).items():
        got = result.tests[int(index)].status
        if got != status:
            problems.append(f"test {index} is {got}, expected {status}")
    for index, kinds in (expect.get("checks_failed") or {}).items():
        checks = {c.kind: c.status for c in result.tests[int(index)].checks}
        for kind in kinds:
            if checks.get(kind) not in ("failed", "flaky"):
                problems.append(f"test {index} check {kind} is {checks.get(kind)}, expected failed")
    runs = [r for t in result.tests for r in t.runs]
    if "runs_per_test" in expect:
        for t in result.tests:
            if len(t.runs) != expect["runs_per_test"]:
                problems.append(f"test {t.name!r} has {len(t.runs)} runs, expected {expect['runs_per_test']}")
    for flag in expect.get("flags", []):
        if not any(getattr(r, flag) for r in result.tests[0].runs):
            problems.append(f"no run of test 0 has {flag}")
    for flag in expect.get("flags_absent", []):
        if any(getattr(r, flag) for r in runs):
            problems.append(f"a run has {flag}")
    codes = diagnosis_codes(result)
    for code in expect.get("diagnoses", []):
        if code not in codes:
            problems.append(f"diagnosis {code} missing (have {sorted(codes)})")
    any_of = expect.get("diagnoses_any", [])
    if any_of and not codes & set(any_of):
        problems.append(f"none of the diagnoses {any_of} (have {sorted(codes)})")
    for code in expect.get("diagnoses_absent", []):
        if code in codes:
            problems.append(f"diagnosis {code} present")
    for needle in expect.get("stdout_present", []):
        if needle not in text:
            problems.append(f"output lacks {needle!r}")
    for needle in expect.get("stdout_absent", []):
        if needle in text:
            hit = next(line for line in text.splitlines() if needle in line)
            problems.append(f"output has {needle!r}: {hit[:200]!r}")
    for needle, count in (expect.get("stdout_count") or {}).items():
        for t_index, test in enumerate(result.tests):
            for run in test.runs:
                got = run.stdout.decode("utf-8", "replace").count(needle)
                if got != count:
                    problems.append(f"test {t_index} run {run.index}: {needle!r} {got} times, expected {count}")
    for key, attr in (("max_stdout_kept", "stdout"), ("max_stderr_kept", "stderr")):
        if key in expect:
            biggest = max((len(getattr(r, attr)) for r in runs), default=0)
            if biggest > expect[key]:
                problems.append(f"a run kept {biggest} bytes of {attr}, cap {expect[key]}")
    timeout_ms = expect.get("timeout_ms", 2000)
    for t_index, test in enumerate(result.tests):
        for run in test.runs:
            if run.wall_ms > timeout_ms + KILL_SLACK_MS:
                problems.append(f"test {t_index} run {run.index} lasted {run.wall_ms} ms, past the "
                                f"{timeout_ms} ms limit by more than {KILL_SLACK_MS} ms")
    if "trace_processes" in expect:
        for run in result.tests[0].runs:
            tasks = (run.execution or {}).get("tasks", [])
            procs = [t for t in tasks if t.get("kind") == "process"]
            if len(procs) != expect["trace_processes"]:
                problems.append(f"the trace shows {len(procs)} processes, expected {expect['trace_processes']}")
    for needle in expect.get("html_absent", []):
        if needle in html:
            at = html.index(needle)
            problems.append(f"the HTML holds {needle!r}: ...{html[max(0, at - 80):at + 80]!r}...")
    for alternatives in expect.get("html_present", []):
        if not any(a in html for a in alternatives.split("|")):
            problems.append(f"the HTML lacks the escaped text {alternatives!r}")
    for needle in expect.get("cli_absent", []):
        if needle in cli_text:
            problems.append(f"the CLI summary holds {needle!r}")
    return problems


def common_page_checks(html: str) -> list[str]:
    problems = []
    if re.search(r"<\s*script", html, re.IGNORECASE):
        problems.append("a rendered page holds a <script> element")
    if re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, re.IGNORECASE):
        problems.append("a rendered page holds an element with an on* event handler")
    for secret in SECRETS[1:]:  # the reference solution never reaches a student's page
        if secret in html:
            problems.append(f"a rendered page holds the reference marker {secret}")
    return problems


# ------------------------------------------------------------------ the test


@pytest.fixture()
def grader_tmp(tmp_path, monkeypatch):
    """Every temp dir the grader makes during a case goes here, so leftovers can be seen."""
    root = tmp_path / "grader-tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile(case: Path, docker_sandbox, grader_tmp: Path, tmp_path: Path) -> None:
    from grader.api import grade_path

    spec = load_case(case)
    expect = spec["expect"]
    kind = spec["kind"]
    assignment_key = spec.get("assignment", "py")
    assignment = ASSIGNMENTS[assignment_key] / "assignment.yaml"
    before = host_snapshot()
    fds_before = _file_descriptors()
    problems: list[str] = []
    result = None
    note = ""
    started = time.monotonic()
    with RssSampler() as rss:
        if kind == "archives":
            note = run_archives(case, spec, assignment, docker_sandbox, tmp_path, problems)
        elif kind == "kill_grader":
            result, note = run_killed_grader(case, assignment, docker_sandbox, tmp_path, problems)
        else:
            try:
                result = grade_path(assignment, case / spec.get("submission", "submission"),
                                    repeat=spec.get("repeat"), sandbox=docker_sandbox, label=case.name)
            except Exception as exc:  # noqa: BLE001 - the point of the corpus: this must never happen
                import traceback

                pytest.fail(f"grading raised {exc!r}:\n{traceback.format_exc()}")
    seconds = time.monotonic() - started
    left = leftover_containers(docker_sandbox.engine)

    if result is not None:
        try:
            html, cli_text = render_everything(result)
        except Exception as exc:  # noqa: BLE001 - reported as a failure of this case
            import traceback

            problems.append(f"rendering or serialising the result raised {exc!r}:\n{traceback.format_exc()}")
            html, cli_text = "", ""
        problems += check_expectations(result, expect, html, cli_text)
        problems += common_page_checks(html)
    limit_s = expect.get("max_seconds", spec.get("max_seconds", 30))
    if seconds > limit_s:
        problems.append(f"took {seconds:.1f} s, more than {limit_s} s")
    rss_cap = expect.get("max_rss_growth_mib", DEFAULT_RSS_GROWTH_MIB)
    if rss.growth_mib > rss_cap:
        problems.append(f"the grader's memory grew by {rss.growth_mib:.0f} MiB (cap {rss_cap} MiB)")
    if left:
        problems.append(f"sandbox containers left: {left}")
    leaked = sorted(str(p.relative_to(grader_tmp)) for p in grader_tmp.iterdir())
    if leaked:
        problems.append(f"the grader left temp dirs behind: {leaked}")
    after = host_snapshot()
    for place, names in after.items():
        new = names - before.get(place, set())
        if new:
            problems.append(f"new entries on the host in {place}: {sorted(new)}")
    fds_after = _file_descriptors()
    if len(fds_after - fds_before) > 2:
        problems.append(f"the grader holds more descriptors than before: {sorted(fds_after - fds_before)}")

    record(case.name, verdict(result) if result is not None else note, seconds, len(left), rss.growth_mib,
           note if result is not None else "")

    # The same sandbox right after: the reference solution still gets full marks.
    correct = grade_path(assignment, ASSIGNMENTS[assignment_key] / SOLUTIONS[assignment_key],
                         sandbox=docker_sandbox, label="reference-after-" + case.name)
    if not correct.full_marks:
        problems.append("the reference solution graded right after did not get full marks:\n" + describe(correct))
    left_after = leftover_containers(docker_sandbox.engine)
    if left_after:
        problems.append(f"sandbox containers left after the reference run: {left_after}")

    if problems:
        detail = describe(result) if result is not None else note
        pytest.fail(f"{case.name}: {spec['title']}\n- " + "\n- ".join(problems) + "\n\n" + detail)


# ------------------------------------------------------------------ special cases


def run_archives(case: Path, spec: dict[str, Any], assignment: Path, sandbox: Any, tmp_path: Path,
                 problems: list[str]) -> str:
    """Every unsafe archive is refused by intake, by grade_path and by the CLI, with a clear message."""
    from grader.api import grade_path
    from grader.errors import SubmissionError
    from grader.submission import intake

    refused = 0
    for name, pattern in spec["archives"].items():
        archive = case / "archives" / name
        dest = tmp_path / ("intake-" + name)
        dest.mkdir()
        for label, attempt in (
            ("intake", lambda archive=archive, dest=dest: intake(archive, dest)),
            ("grade_path", lambda archive=archive: grade_path(assignment, archive, sandbox=sandbox)),
        ):
            try:
                attempt()
            except SubmissionError as exc:
                if not re.search(pattern, str(exc), re.IGNORECASE):
                    problems.append(f"{name} via {label}: message {str(exc)!r} does not say /{pattern}/")
                if "\n" in str(exc).strip() or len(str(exc)) > 300:
                    problems.append(f"{name} via {label}: the message is not one short line: {str(exc)!r}")
                refused += label == "intake"
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{name} via {label}: raised {exc.__class__.__name__}: {exc!r}, not SubmissionError")
            else:
                problems.append(f"{name} via {label}: accepted")
    for name in spec.get("cli", []):
        proc = subprocess.run(
            [sys.executable, "-m", "grader.cli", "run", str(assignment), str(case / "archives" / name)],
            check=False, capture_output=True, text=True, timeout=120, cwd=tmp_path,
            env=dict(os.environ, TMPDIR=tempfile.gettempdir()),
        )
        if proc.returncode != 3 or "Traceback" in proc.stderr + proc.stdout or "error:" not in proc.stderr:
            problems.append(f"CLI on {name}: exit {proc.returncode}, stderr {proc.stderr[-400:]!r}")
    if spec.get("folder_symlink"):
        folder = tmp_path / "folder-with-link"
        folder.mkdir()
        (folder / "main.py").write_text('print("hello os")\n')
        (folder / "passwd").symlink_to("/etc/passwd")
        (folder / "up").symlink_to("/")
        try:
            grade_path(assignment, folder, sandbox=sandbox)
            problems.append("a folder with symlinks out of it was accepted")
        except SubmissionError as exc:
            if not re.search(spec["folder_symlink"], str(exc), re.IGNORECASE):
                problems.append(f"folder with symlinks: message {str(exc)!r}")
    for path in spec.get("escaped", []):
        if os.path.exists(path):
            problems.append(f"an archive member escaped to {path}")
    for p in tmp_path.rglob("hostile-escaped.py"):
        problems.append(f"an archive member escaped to {p}")
    return f"{refused}/{len(spec['archives'])} archives refused by intake"


def run_killed_grader(case: Path, assignment: Path, sandbox: Any, tmp_path: Path,
                      problems: list[str]) -> tuple[Any, str]:
    """kill -9 `grader run` while its container runs; the next DockerSandbox sweeps it; a re-run grades."""
    from grader.api import grade_path
    from grader.sandbox.engine import OWNER_LABEL

    child_tmp = tmp_path / "killed-grader-tmp"
    child_tmp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "grader.cli", "run", str(assignment), str(case / "submission"),
         "--json", str(tmp_path / "killed.json")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp_path,
        env=dict(os.environ, TMPDIR=str(child_tmp)),
    )
    owner = f"{socket.gethostname()}:{proc.pid}"
    SPAWNED.add(proc.pid)

    def theirs() -> list[Any]:
        return [c for c in _labelled(sandbox.engine) if c.labels.get(OWNER_LABEL) == owner]

    deadline = time.monotonic() + 60
    while not theirs() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    if not theirs():
        proc.kill()
        proc.wait()
        problems.append(f"the grader subprocess never started a container: {proc.stderr.read()[-400:]!r}")
        return None, "no container"
    time.sleep(0.5)  # the program is running inside it now
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    leftover = theirs()
    note = f"{len(leftover)} container(s) left by the killed grader"
    if (tmp_path / "killed.json").exists():
        problems.append("the killed grader still wrote its JSON result")
    _new_sandbox()  # a new grader starting: its constructor sweeps dead graders' containers
    if theirs():
        problems.append(f"the sweep at start left the killed grader's container: {[c.short_id for c in theirs()]}")
    leaked = sorted(p.name for p in child_tmp.iterdir())
    if leaked:
        note += f"; the killed grader's temp dirs stay on the host: {leaked}"
    result = grade_path(assignment, case / "submission", sandbox=sandbox, label=case.name)
    return result, note
