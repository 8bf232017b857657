"""Grading jobs as data: what a sender puts on the broker and what a worker gives back. Pure: no Redis here.

A job names everything by hash. The assignment's folder and the submission's folder travel as tar
archives made the same way for the same files (sorted names, no owners, no times), so the archive's
sha256 is the content's address: a sender uploads each once, a worker fetches each once and caches it.

    Job(build, assignment_blob, assignment_file, submission_blob, label, repeat, variant, job_id)
    result_key(job) = (submission blob, assignment blob + repeat + variant, build)   -> one result

`build` is the grader's version plus a hash of its own source files, so two machines that say the same
version number but run different code are told apart and a class is never graded by two graders.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
import uuid
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from grader import __version__
from grader.errors import InfrastructureError

__all__ = ["MAX_BLOB_BYTES", "Job", "BlobError", "build_id", "pack_folder", "sha256", "unpack_blob"]

MAX_BLOB_BYTES = 64 * 1024 * 1024     # an assignment folder or a submission, packed
_SKIP_DIRS = {"__pycache__", ".git", ".work", ".mypy_cache", ".pytest_cache"}


class BlobError(InfrastructureError):
    """A packed folder is too big, or a fetched one is not what its hash says or not safe to unpack."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=1)
def _source_hash() -> str:
    """sha256 over the grader package's own files (Python, templates, catalogs, the harness)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def build_id() -> str:
    """'0.2.0+1a2b3c4d5e6f': the version and the source it runs. Workers route and refuse by it."""
    return f"{__version__}+{_source_hash()}"


def pack_folder(folder: Path, *, limit: int = MAX_BLOB_BYTES) -> bytes:
    """The folder's regular files and folders as an uncompressed tar, the same bytes for the same content.

    Symbolic links and special files are left out (a submission's were refused at intake already)."""
    folder = Path(folder)
    buffer = io.BytesIO()
    total = 0
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS
                                 and not os.path.islink(os.path.join(dirpath, d)))
            base = Path(dirpath)
            relative_dir = base.relative_to(folder)
            if relative_dir != Path("."):
                tar.addfile(_info(relative_dir.as_posix(), tarfile.DIRTYPE, 0o755, 0))
            for name in sorted(filenames):
                path = base / name
                st = path.lstat()
                if not stat.S_ISREG(st.st_mode):
                    continue
                total += st.st_size
                if total > limit:
                    raise BlobError(f"{folder} is more than {limit // (1024 * 1024)} MiB: too big to send to a worker")
                mode = 0o755 if st.st_mode & 0o111 else 0o644
                with path.open("rb") as fh:
                    tar.addfile(_info((relative_dir / name).as_posix(), tarfile.REGTYPE, mode, st.st_size), fh)
    return buffer.getvalue()


def _info(name: str, kind: bytes, mode: int, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def unpack_blob(data: bytes, expected: str, dest: Path) -> None:
    """Check the archive against its hash, then unpack it into `dest` (made here; must not exist).

    Unpacked by the intake's own tar reader (grader/submission.py): relative names inside `dest` only, no
    links or devices, the same depth and name caps, and at most MAX_BLOB_BYTES written."""
    from grader.errors import SubmissionError
    from grader.submission import IntakeLimits, _Budget, _extract_tar_stream, _Tree

    if sha256(data) != expected:
        raise BlobError(f"the archive fetched for {expected[:12]} does not have that hash: refusing it")
    dest = Path(dest)
    dest.mkdir(parents=True)
    limits = IntakeLimits(max_total_bytes=MAX_BLOB_BYTES, max_entries=200_000)
    try:
        _extract_tar_stream(Path(f"{expected[:12]}.tar"), io.BytesIO(data), False, _Tree(dest, _Budget(limits, None)))
    except SubmissionError as exc:
        raise BlobError(f"the archive {expected[:12]} cannot be unpacked safely: {exc.message}") from None


@dataclass(frozen=True, slots=True)
class Job:
    """One grading request. Everything in it is the sender's; nothing in it is a student's to choose."""

    build: str
    assignment_blob: str
    assignment_file: str          # the assignment file's path inside its folder's archive
    submission_blob: str
    label: str = ""
    repeat: int | None = None
    variant: str | None = None
    job_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def result_key(self) -> str:
        """One result per (submission, assignment as asked, grader build): a redelivered or repeated job
        returns the stored one instead of grading again."""
        asked = f"{self.assignment_blob}/{self.assignment_file}/r{self.repeat or ''}/v{self.variant or ''}"
        return f"{self.submission_blob}:{sha256(asked.encode())[:24]}:{self.build}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Job:
        if not isinstance(data, dict):
            raise ValueError(f"a job is a JSON object, not {type(data).__name__}")
        known = {f: data[f] for f in cls.__dataclass_fields__ if f in data}
        for name in ("build", "assignment_blob", "assignment_file", "submission_blob"):
            if not isinstance(known.get(name), str) or not known[name]:
                raise ValueError(f"a job needs {name} as a string")
        for name in ("assignment_blob", "submission_blob"):
            if len(known[name]) != 64 or any(c not in "0123456789abcdef" for c in known[name]):
                raise ValueError(f"{name} is not a sha256")
        path = PurePosixPath(known["assignment_file"])
        if path.is_absolute() or ".." in path.parts:
            raise ValueError("assignment_file must be a path inside the assignment's folder")
        if known.get("repeat") is not None and (not isinstance(known["repeat"], int) or known["repeat"] < 1):
            raise ValueError("repeat must be a positive integer")
        return cls(**known)
