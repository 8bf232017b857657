"""The real sandbox: one hardened container per submission runs the build and every run under strace."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import threading
import zlib
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from grader.errors import ImageError
from grader.sandbox.base import SandboxResult, run_in_sessions
from grader.sandbox.engine import ContainerSpec, Engine
from grader.sandbox.image import image_tag
from grader.sanitize import runtime_plan
from grader.sandbox.perturb import for_request
from grader.sandbox.records import BuildRecord, Limits, RunRecord, RunRequest
from grader.sandbox.tracing import STRACE_ARGS
from grader.sandbox.workdirs import scratch, sweep_dead

__all__ = ["DockerSandbox", "STRACE_ARGS", "STUDENT_ENV"]

HARNESS = Path(__file__).with_name("harness.py")
PACK_TRACE_CHARS = 1 << 20          # a log longer than this waits zlib-compressed (RunRecord.trace_packed)

# The program's whole environment: nothing is inherited from the grader (PITFALLS.md:
# PYTHONUNBUFFERED on the host made print() split lines).
STUDENT_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/work",
    "USER": "student",
    "LOGNAME": "student",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TMPDIR": "/tmp",
    "PYTHONDONTWRITEBYTECODE": "1",
}

STUDENT_UID = 1000
KILLER_UID = 1001                # the harness's killer process (see harness.Killer); no such user exists
HARNESS_PIDS = 7                 # init, harness, strace, killer, up to two preemption tickers, one spare
HARNESS_MEMORY = 96 * 2**20      # what the harness and strace need besides the program
BUILD_TIMEOUT_MS = 60_000
KILL_SLACK_MS = 3_000            # per run, past its time limit: the snapshot, the kill, the wipe


class DockerSandbox:
    """Runs submissions in containers on the local Docker engine."""

    def __init__(self, *, image: str | None = None, engine: Engine | None = None, sweep: bool = True) -> None:
        self.engine = engine or Engine()
        self.image = image or image_tag()
        # Fault injection for the sandbox's own tests only (harness.main reads it); empty otherwise.
        self.test_faults: dict[str, bool] = {}
        if self.engine.image_id(self.image) is None:
            raise ImageError(f"sandbox image {self.image!r} is missing", hint="run `grader setup`")
        if sweep:
            self.engine.sweep()
            sweep_dead()

    def run(
        self,
        submission: Path,
        requests: Sequence[RunRequest],
        *,
        limits: Limits,
        build: Sequence[str] | None = None,
    ) -> SandboxResult:
        result = run_in_sessions(self._session, submission, requests, limits=limits, build=build)
        return result

    def _session(self, submission: Path, requests: Sequence[RunRequest], limits: Limits,
                 build: Sequence[str] | None) -> tuple[SandboxResult, str | None]:
        """One container: the build, then every request's repeats; and, when the wipe between two
        runs did not finish, what it left (the runs after it are not in the result)."""
        with scratch("run-") as workdir:
            return self._run_in(workdir, submission, requests, limits, build)

    def _run_in(self, workdir: Path, submission: Path, requests: Sequence[RunRequest],
                limits: Limits, build: Sequence[str] | None) -> tuple[SandboxResult, str | None]:
        private = workdir / "grader"          # root-only inside the container
        private.mkdir(mode=0o700)
        (private / "out").mkdir(mode=0o700)
        shutil.copy2(HARNESS, private / "harness.py")
        public = workdir / "submission"       # world-readable copy, mounted read-only
        _copy_readable(submission, public)
        plan = {
            "uid": STUDENT_UID, "gid": STUDENT_UID, "user": "student", "killer_uid": KILLER_UID,
            "env": STUDENT_ENV,
            "strace_args": STRACE_ARGS,
            "limits": asdict(limits),
            "test_faults": dict(self.test_faults),
            "build": list(build) if build else None,
            "build_timeout_ms": BUILD_TIMEOUT_MS,
            "runs": [
                {"name": r.name, "command": list(r.command), "repeat": r.repeat,
                 "stdin_b64": base64.b64encode(r.stdin).decode("ascii"),
                 "stdout_mode": r.stdout_mode, "trace": r.trace, "collect": list(r.collect),
                 "perturbations": for_request(r),
                 "sanitizer": runtime_plan(r.sanitize) if r.sanitize else None}
                for r in requests
            ],
        }
        (private / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        tmpfs_opts = f"size={limits.tmpfs_bytes},mode=1777,exec,nosuid,nodev"
        spec = ContainerSpec(
            image=self.image,
            command=["/usr/bin/python3", "-I", "-S", "/grader/harness.py", "/grader/plan.json"],
            mounts={"/grader": (str(private), "rw"), "/submission": (str(public), "ro")},
            tmpfs={
                "/work": tmpfs_opts,
                "/tmp": tmpfs_opts,
                "/pristine": f"size={limits.tmpfs_bytes},mode=755,nosuid,nodev",
                "/trace": "size=1m,mode=700,nosuid,nodev,noexec",
                "/hooks": "size=64k,mode=755,nosuid,nodev,noexec",   # harness.HOOK_DIR (perturbation)
            },
            memory_bytes=limits.memory_bytes + HARNESS_MEMORY,
            pids=limits.pids + HARNESS_PIDS,
            nano_cpus=int(limits.cpus * 1e9),
            open_files=limits.open_files,
            shm_bytes=limits.tmpfs_bytes,
        )
        budget_s = (BUILD_TIMEOUT_MS / 1000 if build else 0) + 15 + sum(
            r.repeat * (limits.timeout_ms + KILL_SLACK_MS) / 1000 for r in requests
        )
        container = self.engine.run_container(spec)
        timer_fired = threading.Event()

        def backstop() -> None:
            timer_fired.set()
            self.engine.kill(container)

        timer = threading.Timer(budget_s, backstop)
        timer.daemon = True
        timer.start()
        try:
            status = self.engine.wait(container)
        finally:
            timer.cancel()
            logs = self.engine.logs(container) if not (private / "out" / "done.json").exists() else b""
            self.engine.remove(container)
        result = _collect(private / "out", requests, limits)
        done = private / "out" / "done.json"
        unclean = json.loads(done.read_text(encoding="utf-8")).get("unclean") if done.exists() else None
        result.image_id = self.engine.image_id(self.image) or ""
        for records in result.runs.values():
            for record in records:
                record.image_id = result.image_id
        if not (private / "out" / "done.json").exists():
            why = "the sandbox was stopped by the grader's backstop timer" if timer_fired.is_set() \
                else f"the sandbox ended early (status {status})"
            tail = logs.decode("utf-8", "replace").strip().splitlines()[-3:]
            result.internal_error = why + (": " + " | ".join(tail) if tail else "")
        return result, unclean


def _collect(out: Path, requests: Sequence[RunRequest], limits: Limits) -> SandboxResult:
    result = SandboxResult()
    build_file = out / "build.json"
    if build_file.exists():
        data = json.loads(build_file.read_text(encoding="utf-8"))
        result.build = BuildRecord(
            command=data["command"], exit_code=data["exit_code"],
            output=base64.b64decode(data["output"]), wall_ms=data["wall_ms"],
            timed_out=data.get("timed_out", False), sanitizer_evasions=list(data.get("sanitizer_evasions", [])),
        )
    for r_index, request in enumerate(requests):
        records: list[RunRecord] = []
        for repeat in range(request.repeat):
            name = f"run-{r_index}-{repeat}"
            path = out / f"{name}.json"
            if not path.exists():
                continue
            data = json.loads(path.read_text(encoding="utf-8"))
            trace_path = out / f"{name}.trace"
            text = trace_path.read_bytes().decode("utf-8", "replace") if trace_path.exists() else ""
            data["trace"] = text if len(text) <= PACK_TRACE_CHARS else ""
            data["limits"] = asdict(limits)
            data["build"] = None
            record = RunRecord.from_json(data)
            if len(text) > PACK_TRACE_CHARS:   # all of a submission's logs come back at once: keep big ones small
                record.trace_packed = zlib.compress(text.encode("utf-8"), 1)
            del text
            records.append(record)
        result.runs[request.name] = records
    return result


def _copy_readable(src: Path, dest: Path) -> None:
    """Copy a submission so the unprivileged user can read it; no links followed out of it.
    An explicit stack, not recursion: a submission's depth is the student's to choose."""
    dest.mkdir(mode=0o755)
    stack = [Path(".")]
    while stack:
        rel = stack.pop()
        with os.scandir(src / rel) as entries:
            for entry in entries:
                if entry.is_symlink():
                    continue
                target = dest / rel / entry.name
                if entry.is_dir(follow_symlinks=False):
                    target.mkdir(mode=0o755, exist_ok=True)
                    stack.append(rel / entry.name)
                elif entry.is_file(follow_symlinks=False):
                    shutil.copyfile(entry.path, target)
                    mode = entry.stat(follow_symlinks=False).st_mode
                    target.chmod(0o755 if mode & stat.S_IXUSR else 0o644)
    dest.chmod(0o755)
