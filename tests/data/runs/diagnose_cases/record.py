"""The issue-11 diagnosis cases, run in the real sandbox: record.py [--show] [--lang ko] [CASE ...] (default: all).

--show runs each case and prints its diagnoses and evidence (in --lang) instead of recording it.
Each case is a one-file program here (a .c is built with gcc -O0 -pthread). Recording writes
tests/data/runs/diag_<case>.json (RunRecord.to_json()); tests/engine/test_diagnose_engine.py runs the
same programs through `run_case` on the real engine.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from grader.sandbox.docker_sandbox import DockerSandbox
from grader.sandbox.records import Limits, RunRecord, RunRequest, StdoutMode

HERE = Path(__file__).resolve().parent
RUNS = HERE.parent

# case -> (program file, stdout mode, time limit in ms)
CASES: dict[str, tuple[str, StdoutMode, int]] = {
    "pipe_relay_hang": ("pipe_relay_hang.c", "pipe", 1500),
    "pause": ("pause.c", "pipe", 1500),
    "cond_wait": ("cond_wait.c", "pipe", 1500),
    "join_forever": ("join_forever.c", "pipe", 1500),
    "sleep": ("sleep.py", "pipe", 1500),
    "poll": ("poll.c", "pipe", 1500),
    "lost_sigchld": ("lost_sigchld.c", "pipe", 2500),
    "orphan_init": ("orphan_init.py", "pipe", 3000),
    "zombie_reaped": ("zombie_reaped.py", "pipe", 3000),
    "fork_buffer_pty": ("fork_buffer_pty.c", "pty", 3000),
    "syntax_error": ("syntax_error.py", "pipe", 3000),
    "crash_before_fork": ("crash_before_fork.py", "pipe", 3000),
    "failed_execvp": ("failed_execvp.py", "pipe", 3000),
    "linger": ("linger.py", "pipe", 1500),
    "mp_hang": ("mp_hang.py", "pipe", 2500),
}


def run_case(name: str, sandbox: DockerSandbox | None = None) -> RunRecord:
    """Run one case's program once in the real sandbox."""
    program, mode, timeout_ms = CASES[name]
    source = HERE / program
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp) / "sub"
        sub.mkdir()
        build = None
        if source.suffix == ".c":
            shutil.copy(source, sub / "main.c")
            build = ["gcc", "-O0", "-pthread", "-o", "main", "main.c"]
            command: tuple[str, ...] = ("./main",)
        else:
            shutil.copy(source, sub / "main.py")
            command = ("/usr/bin/python3", "main.py")
        result = (sandbox or DockerSandbox()).run(
            sub, [RunRequest(name=name, command=command, stdout_mode=mode)],
            limits=Limits(timeout_ms=timeout_ms), build=build)
    if result.build is not None and not result.build.ok:
        raise RuntimeError(result.build.output.decode("utf-8", "replace"))
    [record] = result.runs[name]
    return record


def load_case(name: str) -> RunRecord:
    """The recorded run of one case."""
    return RunRecord.from_json(json.loads((RUNS / f"diag_{name}.json").read_text()))


def show(record: RunRecord, lang: str) -> str:
    """The diagnoses of one run as a student reads them, with their evidence."""
    from grader.diagnose import diagnose_run
    from grader.grading import read_run
    from grader.report.i18n import diagnosis_text, evidence_text

    execution = read_run(record).execution
    out = []
    for d in diagnose_run(execution, record):
        out.append(f"  [{d.code}] {diagnosis_text(d, lang).text}")
        for e in d.evidence:
            shown = evidence_text(e, lang)
            out.append(f"      {shown.label}:")
            out.extend(f"        - {line}" for line in shown.lines)
    return "\n".join(out) or "  (no diagnosis)"


def main() -> None:
    args = sys.argv[1:]
    showing = "--show" in args
    lang = args[args.index("--lang") + 1] if "--lang" in args else "en"
    names = [a for a in args if not a.startswith("--") and a != lang] or list(CASES)
    sandbox = DockerSandbox()
    for name in names:
        record = run_case(name, sandbox)
        if showing:
            print(f"== {name}\n{show(record, lang)}")
            continue
        (RUNS / f"diag_{name}.json").write_text(json.dumps(record.to_json(), indent=1) + "\n")
        print(name, "stopped_for", record.stopped_for, "exit", record.exit_code, "signal", record.signal,
              "final_tasks", [(t.get("tid"), t.get("call")) for t in record.final_tasks])


if __name__ == "__main__":
    main()
