"""The sandbox image: its inputs, its tag (a hash of them), and the two ways to build it."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from grader.errors import ImageError

if TYPE_CHECKING:
    from grader.sandbox.engine import Engine

__all__ = [
    "SUITE",
    "packages",
    "image_tag",
    "apt_mirror",
    "build_with_debootstrap",
    "build_with_dockerfile",
    "ensure_image",
]

SUITE = "bookworm"
REPOSITORY = "grader-sandbox"
BASE_IMAGE = "debian:bookworm-slim"   # docker/Dockerfile's base, when a registry provides it
RECIPE_VERSION = "1"   # bump when the build steps below change what lands in the image
STUDENT_UID = 1000


def _package_file() -> str:
    return resources.files("grader.sandbox").joinpath("packages.txt").read_text(encoding="utf-8")


def packages() -> list[str]:
    """The image's Debian packages (grader/sandbox/packages.txt)."""
    return [line.strip() for line in _package_file().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def image_tag() -> str:
    """`grader-sandbox:<hash>` over everything that decides the image's contents."""
    digest = hashlib.sha256()
    for part in (RECIPE_VERSION, SUITE, str(STUDENT_UID), *packages()):
        digest.update(part.encode() + b"\0")
    return f"{REPOSITORY}:{digest.hexdigest()[:16]}"


def _sources_entries() -> list[tuple[str, str]]:
    """(uri, suites) pairs from the machine's apt sources, both one-line and deb822 styles."""
    entries: list[tuple[str, str]] = []
    roots = [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]
    for path in roots:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if path.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(
                    (k.strip().lower(), v.strip())
                    for k, _, v in (line.partition(":") for line in stanza.splitlines() if ":" in line and not line.startswith("#"))
                )
                types = fields.get("types", "").split()
                if "deb" in types:
                    for uri in fields.get("uris", "").split():
                        entries.append((uri, fields.get("suites", "")))
        else:
            for line in text.splitlines():
                parts = re.sub(r"\[[^]]*\]", "", line).split()
                if len(parts) >= 3 and parts[0] == "deb":
                    entries.append((parts[1], " ".join(parts[2:])))
    return entries


def apt_mirror(suite: str = SUITE) -> str:
    """The Debian mirror this machine's apt configuration names for `suite` (never hard-coded)."""
    for uri, suites in _sources_entries():
        names = suites.split()
        if suite in names and "security" not in uri:
            return uri.rstrip("/")
    raise ImageError(
        f"no Debian mirror for {suite!r} found in /etc/apt/sources.list or sources.list.d",
        hint="add a `deb` line for the suite, or build with docker/Dockerfile where a registry is reachable",
    )


def _run(cmd: list[str], log: Path) -> None:
    with log.open("ab") as fh:
        fh.write(("$ " + " ".join(cmd) + "\n").encode())
        fh.flush()
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        raise ImageError(f"{cmd[0]} failed (exit {proc.returncode}); see {log}: " + " | ".join(tail))


def build_with_debootstrap(engine: Engine, tag: str, *, log: Path, workdir: Path | None = None) -> str:
    """debootstrap the package list into a root filesystem and `docker import` it."""
    if os.geteuid() != 0:
        raise ImageError("building the sandbox image with debootstrap needs root", hint="run `sudo grader setup`")
    if shutil.which("debootstrap") is None:
        raise ImageError("debootstrap is not installed", hint="apt-get install debootstrap (grader setup does it)")
    mirror = apt_mirror()
    tmp = Path(tempfile.mkdtemp(prefix="grader-rootfs-", dir=workdir))
    rootfs = tmp / "rootfs"
    try:
        _run(["debootstrap", "--variant=minbase", f"--include={','.join(packages())}",
              SUITE, str(rootfs), mirror], log)
        _run(["chroot", str(rootfs), "useradd", "--uid", str(STUDENT_UID), "--no-create-home",
              "--home-dir", "/work", "--shell", "/bin/sh", "student"], log)
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man",
                     "usr/share/locale", "usr/share/info"):
            target = rootfs / junk
            if target.is_dir():
                for child in target.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        child.unlink(missing_ok=True)
        tarball = tmp / "rootfs.tar"
        _run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(tarball), "."], log)
        return engine.import_rootfs(
            tarball, tag,
            changes=["ENV PATH=/usr/local/bin:/usr/bin:/bin", 'CMD ["/bin/sh"]',
                     f"LABEL grader.image.inputs={tag.partition(':')[2]}"],
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_with_dockerfile(engine: Engine, tag: str, *, context: Path) -> str:
    """Build docker/Dockerfile (needs a registry for the Debian base image)."""
    dockerfile = context / "docker" / "Dockerfile"
    if not dockerfile.is_file():
        raise ImageError(f"{dockerfile} not found", hint="run from a clone of the grader repository")
    return engine.build_dockerfile(context, tag, dockerfile="docker/Dockerfile")


def ensure_image(engine: Engine, *, builder: str = "auto", log: Path, context: Path | None = None,
                 force: bool = False) -> tuple[str, str, bool]:
    """Return (tag, image id, built_now); builds only when the tagged image is missing."""
    tag = image_tag()
    existing = engine.image_id(tag)
    if existing and not force:
        return tag, existing, False
    if builder == "auto" and context is not None and engine.image_id(BASE_IMAGE):
        builder = "dockerfile"  # the registry's base image is here already: use the Dockerfile
    if builder == "dockerfile":
        if context is None:
            raise ImageError("the Dockerfile builder needs the repository checkout", hint="pass --context")
        return tag, build_with_dockerfile(engine, tag, context=context), True
    return tag, build_with_debootstrap(engine, tag, log=log), True
