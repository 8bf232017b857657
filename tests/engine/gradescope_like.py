"""A Gradescope-like container on the real engine: made from the sandbox image, root, no network,
no Docker socket, only the capabilities a grading container has (see docs/platforms.md), with
an autograder zip unpacked into /autograder/source and its setup.sh run offline."""

from __future__ import annotations

import io
import json
import os
import socket
import tarfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
from grader.sandbox.image import image_tag

LABEL = "grader.test.gradescope-like"
CAPS = ["SYS_PTRACE", "SETUID", "SETGID", "DAC_READ_SEARCH", "KILL"]

# Unpack keeping the modes, as Gradescope does (zipfile alone drops the executable bits).
UNPACK = """
import os, sys, zipfile
zf = zipfile.ZipFile(sys.argv[1])
for info in zf.infolist():
    zf.extract(info, sys.argv[2])
    mode = (info.external_attr >> 16) & 0o777
    if mode:
        os.chmod(os.path.join(sys.argv[2], info.filename), mode)
"""


@dataclass
class Exec:
    code: int
    stdout: str
    stderr: str
    seconds: float


class GradescopeLike:
    """One container; `exec` runs a command in it as root."""

    def __init__(self, *, hide_container: bool = False, extra_caps: tuple[str, ...] = (),
                 network: str = "none", without: tuple[str, ...] = ()) -> None:
        # without: capabilities a platform withholds, e.g. ("SYS_PTRACE",) for PrairieLearn's hosted graders
        self.client = docker.from_env()
        self.container = self.client.containers.run(
            # init=True: an init that reaps, as a platform's container has; `sleep` as pid 1 would keep
            # the zombies of one test's grader run forever and their count against the next test's task limit.
            image_tag(), ["sleep", "3600"], detach=True, network_mode=network, init=True,
            cap_drop=["ALL"], cap_add=[c for c in (*CAPS, *extra_caps) if c not in without], cgroupns="private" if hide_container else None,
            labels={LABEL: f"{socket.gethostname()}:{os.getpid()}"}, name=f"gs-like-{uuid.uuid4().hex[:10]}",
        )
        if hide_container:
            # What a bare machine shows: no /.dockerenv, no container names in pid 1's cgroups.
            self.exec(["rm", "-f", "/.dockerenv"])

    def exec(self, argv: list[str], *, env: dict[str, str] | None = None) -> Exec:
        started = time.monotonic()
        code, (out, err) = self.container.exec_run(argv, demux=True, environment=env)
        return Exec(code, (out or b"").decode("utf-8", "replace"), (err or b"").decode("utf-8", "replace"),
                    time.monotonic() - started)

    def put(self, folder: str, files: dict[str, bytes]) -> None:
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
        self.exec(["mkdir", "-p", folder])
        self.container.put_archive(folder, buf.getvalue())

    def install(self, zip_path: Path) -> Exec:
        """Unpack the autograder zip where Gradescope does and run setup.sh (offline)."""
        self.put("/autograder", {"autograder.zip": zip_path.read_bytes()})
        self.exec(["mkdir", "-p", "/autograder/source", "/autograder/submission", "/autograder/results"])
        self.exec(["python3", "-c", UNPACK, "/autograder/autograder.zip", "/autograder/source"])
        self.exec(["rm", "/autograder/autograder.zip"])
        self.exec(["cp", "/autograder/source/run_autograder", "/autograder/run_autograder"])
        return self.exec(["sh", "/autograder/source/setup.sh"])

    def submit(self, files: dict[str, bytes]) -> Exec:
        """A fresh submission folder and one run of run_autograder."""
        self.exec(["sh", "-c", "rm -rf /autograder/submission /autograder/results; "
                               "mkdir -p /autograder/submission /autograder/results"])
        self.put("/autograder/submission", files)
        return self.exec(["/autograder/run_autograder"])

    def results(self) -> dict[str, Any]:
        out = self.exec(["cat", "/autograder/results/results.json"])
        assert out.code == 0, out.stderr
        data: dict[str, Any] = json.loads(out.stdout)
        return data

    def remove(self) -> None:
        self.container.remove(force=True)
