"""`grader setup` and `grader doctor`: install and start the engine, build the image, say what is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.errors import EngineError, GraderError
from grader.sandbox.engine import Engine
from grader.sandbox.image import ensure_image, image_tag

__all__ = ["setup", "doctor", "DoctorLine", "ensure_engine"]

LOG_DIR = Path(os.environ.get("GRADER_LOG_DIR", "/var/log/grader"))
ENGINE_WAIT_S = 60


def _say(msg: str, echo: Callable[[str], None] | None) -> None:
    if echo is not None:
        echo(msg)


def _apt_install(packages: list[str], echo: Callable[[str], None] | None) -> None:
    if os.geteuid() != 0:
        raise EngineError(f"{', '.join(packages)} missing and we are not root", hint="run `sudo grader setup`")
    if shutil.which("apt-get") is None:
        raise EngineError(f"{', '.join(packages)} missing and this is not a Debian-like machine",
                          hint="install Docker and debootstrap with your system's package manager")
    _say(f"installing {' '.join(packages)} with apt-get", echo)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / "apt.log"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    with log.open("ab") as fh:
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", *packages]):
            if subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, check=False).returncode:
                raise EngineError(f"`{' '.join(cmd)}` failed", hint=f"see {log}")


def ensure_engine(echo: Callable[[str], None] | None = None) -> Engine:
    """An answering engine: install docker.io if dockerd is missing, start dockerd if it is down."""
    try:
        return Engine(timeout_s=300)
    except EngineError:
        pass
    if shutil.which("dockerd") is None:
        _apt_install(["docker.io"], echo)
    if os.geteuid() != 0:
        raise EngineError("the Docker engine is not running and only root can start it",
                          hint="run `sudo grader setup` or start the docker service")
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / "dockerd.log"
    _say(f"starting dockerd in the background (log: {log})", echo)
    with log.open("ab") as fh:
        subprocess.Popen(["dockerd"], stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    deadline = time.monotonic() + ENGINE_WAIT_S
    last: EngineError | None = None
    while time.monotonic() < deadline:
        try:
            return Engine(timeout_s=300)
        except EngineError as exc:
            last = exc
            time.sleep(0.5)
    raise EngineError(f"dockerd did not answer within {ENGINE_WAIT_S} s ({last})", hint=f"see {log}")


def setup(*, builder: str = "auto", force: bool = False, context: Path | None = None,
          echo: Callable[[str], None] | None = None) -> str:
    """Make the machine ready to grade; return the image tag. Idempotent."""
    if shutil.which("debootstrap") is None and builder != "dockerfile":
        try:
            engine_probe = Engine(timeout_s=30)
            have_image = engine_probe.image_id(image_tag()) is not None
        except EngineError:
            have_image = False
        if not have_image:
            _apt_install(["debootstrap"], echo)
    engine = ensure_engine(echo)
    _say(f"engine: Docker {engine.version()}", echo)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    tag, _image_id, built = ensure_image(engine, builder=builder, log=LOG_DIR / "image-build.log",
                                        context=context, force=force)
    if built:
        _say(f"built sandbox image {tag} in {time.monotonic() - started:.0f} s", echo)
    else:
        _say(f"sandbox image {tag} is up to date", echo)
    removed = engine.sweep()
    if removed:
        _say(f"removed {removed} leftover sandbox container(s)", echo)
    return tag


@dataclass(slots=True)
class DoctorLine:
    name: str
    ok: bool
    detail: str


def doctor() -> list[DoctorLine]:
    """What is present and what is missing, in plain words."""
    lines: list[DoctorLine] = []
    lines.append(DoctorLine("dockerd installed", shutil.which("dockerd") is not None,
                            shutil.which("dockerd") or "not found: `grader setup` installs docker.io"))
    lines.append(DoctorLine("debootstrap installed", shutil.which("debootstrap") is not None,
                            shutil.which("debootstrap") or "not found: needed only to build the image"))
    try:
        engine = Engine(timeout_s=20)
    except GraderError as exc:
        lines.append(DoctorLine("engine answering", False, str(exc)))
        return lines
    lines.append(DoctorLine("engine answering", True, f"Docker {engine.version()}"))
    tag = image_tag()
    image = engine.image_id(tag)
    lines.append(DoctorLine("sandbox image", image is not None,
                            f"{tag} ({image[:19]})" if image else f"{tag} missing: run `grader setup`"))
    if image is None:
        return lines
    code, output = engine.run_probe(tag, ["sh", "-c", "strace -f -q -u student -o /dev/null -- /usr/bin/python3 -c 'import os; os.fork()' && echo traced"])
    text = output.decode("utf-8", "replace").strip()
    lines.append(DoctorLine("tracing inside a container", code == 0 and "traced" in text,
                            "strace -f follows a fork as the unprivileged user" if code == 0 else text[-200:]))
    leftovers = sum(1 for _ in engine.labelled())
    lines.append(DoctorLine("no leftover sandboxes", leftovers == 0,
                            "none" if leftovers == 0 else f"{leftovers} labelled container(s): `grader setup` removes them"))
    return lines
