"""Every Docker SDK call the grader makes, behind one class (the only module that imports docker)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
from docker.types import Ulimit

import docker
from grader.errors import EngineError, ImageError
from grader.sandbox.workdirs import alive

__all__ = ["LABEL", "OWNER_LABEL", "OWNER_START_LABEL", "ContainerSpec", "Engine", "owner_id", "owner_labels"]

LABEL = "grader.sandbox"          # on every container the grader starts
OWNER_LABEL = "grader.owner"      # "<hostname>:<pid>" of the grader process that started it
OWNER_START_LABEL = "grader.owner.start"   # that process's start time (clock ticks since boot), so a
                                           # reused pid is not taken for the owner


@dataclass(slots=True)
class ContainerSpec:
    """What one sandbox container looks like. Sizes in bytes."""

    image: str
    command: list[str]
    mounts: dict[str, tuple[str, str]]         # container path -> (host path, "ro"|"rw")
    tmpfs: dict[str, str]                      # container path -> mount options
    memory_bytes: int
    pids: int
    nano_cpus: int
    open_files: int
    shm_bytes: int
    cap_add: tuple[str, ...] = ("SETUID", "SETGID", "SYS_PTRACE", "DAC_READ_SEARCH")


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _start_time(pid: int) -> str | None:
    """A process's start time in clock ticks since boot (/proc/PID/stat field 22), or None."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_labels() -> dict[str, str]:
    """The labels every container this process starts carries."""
    labels = {LABEL: "1", OWNER_LABEL: owner_id()}
    start = _start_time(os.getpid())
    if start is not None:
        labels[OWNER_START_LABEL] = start
    return labels


def is_leftover(labels: dict[str, str], status: str, host: str) -> bool:
    """Whether a sandbox container is this host's to remove: its grader process is gone.

    - Owner on another host (another machine or another container sharing this engine):
      never. Its pids mean nothing here; its own grader sweeps it.
    - Owner on this host: when that pid is gone, or now belongs to a process that started
      later than the owner did (a reused pid).
    - No owner label (graders before owner labels): only when it is no longer running; a
      running one may be any grader's live sandbox.
    """
    owner = labels.get(OWNER_LABEL, "")
    if not owner:
        return status in ("created", "exited", "dead")
    owner_host, _, pid = owner.rpartition(":")
    if owner_host != host or not pid.isdigit():
        return False
    if not alive(int(pid)):
        return True
    started = labels.get(OWNER_START_LABEL)
    return started is not None and _start_time(int(pid)) not in (None, started)


class Engine:
    """A connection to the Docker engine."""

    def __init__(self, *, timeout_s: int = 120) -> None:
        try:
            self._client = docker.from_env(timeout=timeout_s)
            self._client.ping()
        except docker.errors.DockerException as exc:
            raise EngineError(
                f"the Docker engine is not answering ({exc.__class__.__name__})",
                hint="run `grader setup` as root to install and start it",
            ) from exc

    # ----- images -----
    def image_id(self, tag: str) -> str | None:
        try:
            return str(self._client.images.get(tag).id)
        except docker.errors.ImageNotFound:
            return None
        except docker.errors.APIError as exc:
            raise EngineError(f"the engine failed to look up image {tag!r}: {exc.explanation}") from exc

    def import_rootfs(self, tarball: Path, tag: str, *, changes: list[str]) -> str:
        repository, _, version = tag.partition(":")
        try:
            with tarball.open("rb") as fh:
                self._client.api.import_image_from_data(
                    fh, repository=repository, tag=version or "latest", changes=changes
                )
        except docker.errors.APIError as exc:
            raise ImageError(f"docker import of {tarball} failed: {exc.explanation}") from exc
        image = self.image_id(tag)
        if image is None:
            raise ImageError(f"docker import reported success but {tag!r} is not there")
        return image

    def build_dockerfile(self, context: Path, tag: str, *, dockerfile: str) -> str:
        try:
            image, _logs = self._client.images.build(
                path=str(context), dockerfile=dockerfile, tag=tag, rm=True, pull=False,
                labels={"grader.image.inputs": tag.partition(":")[2]},
            )
        except (docker.errors.BuildError, docker.errors.APIError) as exc:
            raise ImageError(f"docker build of {context} failed: {exc}") from exc
        return str(image.id)

    # ----- containers -----
    def run_container(self, spec: ContainerSpec) -> Any:
        """Create and start a hardened container; the caller must `remove` it."""
        try:
            container = self._client.containers.create(
                spec.image,
                spec.command,
                labels=owner_labels(),
                network_mode="none",
                read_only=True,
                cap_drop=["ALL"],
                cap_add=list(spec.cap_add),
                security_opt=["no-new-privileges"],
                init=True,
                # A private IPC namespace: SysV objects and POSIX message queues are this
                # container's alone. Docker mounts an mqueue fs of that namespace at /dev/mqueue,
                # which the harness empties between runs (a tmpfs there would not be the queues).
                ipc_mode="private",
                pids_limit=spec.pids,
                mem_limit=spec.memory_bytes,
                memswap_limit=spec.memory_bytes,
                nano_cpus=spec.nano_cpus,
                shm_size=spec.shm_bytes,
                tmpfs=spec.tmpfs,
                volumes={host: {"bind": path, "mode": mode} for path, (host, mode) in spec.mounts.items()},
                ulimits=[Ulimit(name="core", soft=0, hard=0),
                         Ulimit(name="nofile", soft=max(spec.open_files, 256), hard=max(spec.open_files, 256))],
                working_dir="/",
                user="0:0",
                environment={"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
                log_config={"type": "json-file", "config": {"max-size": "1m", "max-file": "1"}},
                # No TIME_WAIT: runs share the container's network namespace, and a port one run
                # closed must be free for the next (a fresh namespace per run needs isolation: run).
                sysctls={"net.ipv4.tcp_max_tw_buckets": "0"},
                stdin_open=False,
                tty=False,
            )
            container.start()
        except docker.errors.ImageNotFound as exc:
            raise ImageError(f"sandbox image {spec.image!r} is missing", hint="run `grader setup`") from exc
        except docker.errors.APIError as exc:
            raise EngineError(f"the engine could not start a sandbox: {exc.explanation}") from exc
        return container

    def wait(self, container: Any) -> int:
        try:
            status = container.wait()
        except docker.errors.NotFound:
            return -1
        except docker.errors.APIError as exc:
            raise EngineError(f"lost the sandbox container while waiting: {exc.explanation}") from exc
        return int(status.get("StatusCode", -1))

    def logs(self, container: Any, *, limit: int = 8192) -> bytes:
        try:
            data: bytes = container.logs(stdout=True, stderr=True, tail=200)
        except docker.errors.APIError:
            return b""
        return data[-limit:]

    def kill(self, container: Any) -> None:
        try:
            container.kill()
        except docker.errors.APIError:
            pass  # already gone or stopped

    def remove(self, container: Any) -> None:
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError:
            pass  # removal in progress elsewhere; the sweep will catch it

    def labelled(self) -> Iterator[Any]:
        """Every sandbox container on this engine (another grader may be removing some meanwhile)."""
        try:
            found = self._client.containers.list(all=True, filters={"label": LABEL}, ignore_removed=True)
        except docker.errors.APIError as exc:
            raise EngineError(f"the engine could not list sandbox containers: {exc.explanation}") from exc
        yield from found

    def sweep(self) -> int:
        """Remove this host's leftover sandbox containers: those whose grader process is gone
        (see is_leftover). Other hosts' containers, running or not, are never touched."""
        removed = 0
        host = socket.gethostname()
        for container in self.labelled():
            if is_leftover(dict(container.labels), str(container.status), host):
                self.remove(container)
                removed += 1
        return removed

    def run_probe(self, image: str, command: list[str]) -> tuple[int, bytes]:
        """Run a short command in a throwaway container (for `grader doctor`)."""
        try:
            output = self._client.containers.run(
                image, command, remove=True, network_mode="none", labels=owner_labels(),
                cap_drop=["ALL"], cap_add=["SETUID", "SETGID", "SYS_PTRACE", "DAC_READ_SEARCH"],
                security_opt=["no-new-privileges"], stdout=True, stderr=True,
            )
            return 0, bytes(output)
        except docker.errors.ContainerError as exc:
            return int(exc.exit_status), bytes(exc.stderr or b"")
        except docker.errors.APIError as exc:
            return -1, str(exc.explanation).encode()

    def version(self) -> str:
        return str(self._client.version().get("Version", "?"))
