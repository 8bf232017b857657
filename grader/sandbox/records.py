"""What the sandbox is asked to do (RunRequest, Limits) and what it hands back (RunRecord).

Plain data: no Docker here, so the pure stages and the replay sandbox share it.
Units: times in ms, sizes in bytes.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["BuildRecord", "CollectedFile", "Isolation", "Limits", "RunRecord", "RunRequest", "StdoutMode"]

StdoutMode = Literal["pipe", "pty"]
Isolation = Literal["submission", "run"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for one sandboxed run. Defaults an OS course can live with."""

    timeout_ms: int = 10_000          # wall clock per run
    memory_bytes: int = 256 * 2**20   # memory and memory+swap (no swap)
    pids: int = 64                    # tasks (processes and threads) the program may have at once
    cpus: float = 1.0                 # CPU quota, in CPUs
    output_bytes: int = 64 * 2**10    # per stream (stdout, stderr)
    tmpfs_bytes: int = 64 * 2**20     # the writable work dir (and /tmp, /dev/shm each)
    open_files: int = 256             # RLIMIT_NOFILE
    file_bytes: int = 32 * 2**20      # RLIMIT_FSIZE: largest file the program may write
    trace_bytes: int = 16 * 2**20     # the strace log is cut (and the run stopped) beyond this


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One command to run (repeat times) inside a sandbox for one submission."""

    name: str                         # the test's name, for records and messages
    command: tuple[str, ...]
    repeat: int = 1
    stdin: bytes = b""
    stdout_mode: StdoutMode = "pipe"
    trace: bool = True
    isolation: Isolation = "submission"   # "run": each repeat in a fresh container (own network namespace)
    collect: tuple[str, ...] = ()     # files (relative to the work dir) the harness copies out after each run
    perturb: Literal["off", "light", "heavy"] = "off"   # schedule perturbation (grader.sandbox.perturb)
    perturb_seed: int = 0             # repeat i runs with seed perturb_seed + perturb_first + i
    perturb_first: int = 0            # the repeat index of this request's first run (a fresh container per
                                      # repeat runs each as a request of its own)
    sanitize: Literal["thread", "address", "undefined"] | None = None   # built with this sanitizer: its
                                      # report is collected from a log the program cannot read (grader.sanitize)


@dataclass(slots=True)
class BuildRecord:
    """The result of the optional build step (e.g. gcc)."""

    command: list[str]
    exit_code: int | None
    output: bytes                     # compiler's stdout+stderr, capped
    wall_ms: int
    timed_out: bool = False
    # With a sanitizer: what in the built files changes what it reports (a hook symbol it defines, a
    # no_sanitize attribute in a source), found by the harness after the build; empty: nothing.
    sanitizer_evasions: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


@dataclass(slots=True)
class CollectedFile:
    """A file the program left in its work dir, copied by the harness once the run's processes had ended.

    Only a regular file is read, and never through a symbolic link; at most COLLECT_BYTES of it are kept.
    """

    path: str                         # relative to the work dir, as the check names it
    status: Literal["ok", "missing", "symlink", "not_regular", "unreadable", "refused"]
    data: bytes = b""                 # its first bytes (all of it unless truncated)
    size: int = 0                     # its size in bytes when copied
    truncated: bool = False           # larger than what was kept


@dataclass(slots=True)
class RunRecord:
    """Exactly what happened in one run. Nothing here is parsed from the program's output."""

    name: str
    repeat_index: int
    command: list[str]
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_total: int = 0             # bytes the program wrote to stdout (kept or not)
    stderr_total: int = 0
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    stdout_channel: str | None = None # strace's name for the stdout pipe, e.g. "pipe:[123]"
    stderr_channel: str | None = None
    stdout_mode: StdoutMode = "pipe"
    exit_code: int | None = None      # exit status of the program's first process
    signal: str | None = None         # signal that killed it, e.g. "SIGKILL"
    wall_ms: int = 0
    cpu_ms: int = 0                   # user+system CPU of the program and its descendants
    timed_out: bool = False
    oom_killed: bool = False
    pids_limit_hit: bool = False
    output_limit_hit: bool = False
    trace: str = ""                   # the raw strace -f log ("" while it is packed: see unpack_trace)
    trace_packed: bytes = b""         # a large log zlib-compressed as the sandbox collected it, so a
                                      # submission's capped logs wait at a tenth of their size
    trace_truncated: bool = False
    image_id: str = ""
    adopter: int = 1                  # pid that adopts the program's orphans: 1 in a Docker sandbox (the
                                      # container's init, docker-init); under the local backend the grader's
                                      # own process, a subreaper (PR_SET_CHILD_SUBREAPER)
    stopped_for: str | None = None    # why the harness killed what was left: timeout (the main
                                      # process was still running at the time limit), output,
                                      # trace (log over its cap) or linger (the main process had
                                      # ended; tasks it left were still running at the time limit).
                                      # Set only when the grader really stopped a task: the tasks
                                      # are in final_tasks.
    stopped_at_ms: int | None = None  # when the grader stopped them, ms from the run's start
    main_ended_ms: int | None = None  # when the main process ended, ms from the run's start
                                      # (None: it was still running when the grader
                                      # stopped the run)
    start_failed: str | None = None   # the command could not be started (not found, not executable)
    internal_error: str | None = None # the grader's own failure for this run, if any
    build: BuildRecord | None = None
    limits: Limits = field(default_factory=Limits)
    # Tasks still alive when the run was stopped (timeout, output limit, linger), read from /proc
    # by the harness just before the kill: these are the tasks the grader ended. Each: {"tid",
    # "tgid", "state", "comm", "wchan", "syscall" (the raw /proc text), "call" (the syscall's
    # name, from the image's own headers; None when running, not in a call, or when the number
    # is not in the headers: then "nr" is set and the call is unknown, never guessed), "nr",
    # "args" (up to 6 ints), "fd" ({"fd", "target", "mode"} when the call's first argument is a
    # descriptor: "target" as /proc/TID/fd names it, e.g. "pipe:[123]", None if not open; "mode"
    # "r" | "w" | "rw"), "fds" (poll/ppoll/select/pselect6/epoll_wait*: the descriptors waited
    # on, each {"fd", "target", "mode", "wants": "read" | "write" | "events 0x.."}, at most 64)}.
    final_tasks: list[dict[str, Any]] = field(default_factory=list)
    # For each target in final_tasks' "fd" and "fds": every student process that still held it
    # open then (the waiting task's own process included):
    # {"pipe:[123]": [{"pid": 62, "fd": 4, "mode": "w"}, ...]}.
    open_ends: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    files: list[CollectedFile] = field(default_factory=list)  # RunRequest.collect, as the harness copied them
    # The schedule perturbation this run had (grader.sandbox.perturb.RunPerturbation.to_json, with
    # "applied_cpus": the CPUs the harness really pinned it to); None: not perturbed.
    perturbation: dict[str, Any] | None = None
    # With RunRequest.sanitize: the sanitizer's log as the harness read it after the run: {"kind",
    # "log_dir", "exit_code" (the code it ends a program with after a report), "files": [{"name",
    # "status" (ok | symlink | not_regular | foreign | linked | unreadable), "size", "data_b64"}],
    # "more_files"}. None: not sanitized.
    sanitizer: dict[str, Any] | None = None

    @property
    def failed_to_start(self) -> bool:
        return self.start_failed is not None

    def trace_text(self) -> str:
        """The raw log as text, packed or not (leaves the record as it is)."""
        if self.trace_packed:
            return zlib.decompress(self.trace_packed).decode("utf-8", "replace")
        return self.trace

    def unpack_trace(self) -> None:
        """Put a packed log back as `trace` text (idempotent)."""
        if self.trace_packed:
            self.trace = self.trace_text()
            self.trace_packed = b""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("trace_packed", None)
        if self.trace_packed:
            out["trace"] = self.trace_text()
        for key in ("stdout", "stderr"):
            out[key] = base64.b64encode(getattr(self, key)).decode("ascii")
        if self.build is not None:
            out["build"]["output"] = base64.b64encode(self.build.output).decode("ascii")
        for item in out.get("files", []):
            item["data_b64"] = base64.b64encode(item.pop("data")).decode("ascii")
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        data = dict(data)
        data.pop("trace_packed", None)
        for key in ("stdout", "stderr"):
            data[key] = base64.b64decode(data.get(key, ""))
        build = data.get("build")
        if build is not None:
            build = dict(build)
            build["output"] = base64.b64decode(build.get("output", ""))
            data["build"] = BuildRecord(**build)
        if "limits" in data and isinstance(data["limits"], dict):
            data["limits"] = Limits(**data["limits"])
        data["files"] = [CollectedFile(path=f["path"], status=f["status"], data=base64.b64decode(f.get("data_b64", "")),
                                       size=f.get("size", 0), truncated=f.get("truncated", False))
                         for f in data.get("files", [])]
        return cls(**data)
