"""Submission intake: find each student's submission and copy it safely into a clean folder.

A submission arrives as a folder, a .zip, or a .tar (plain, .gz/.tgz, .bz2, .xz).
Archives are extracted here, member by member, never with ``extractall``: names
are checked (no absolute paths, no ``..``), links and special files are refused,
and sizes are capped both by what the archive declares and by the bytes really
written. A refused submission raises :class:`SubmissionError` with one line a
student can read; the batch turns it into that student's error result.

The content hash covers relative paths and file contents only (not modes,
mtimes or the archive format), so the same files always hash the same.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import re
import shutil
import stat
import tarfile
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from grader.errors import SubmissionError, UsageError
from grader.result import Diagnosis, Evidence, Message, N_

if TYPE_CHECKING:
    from grader.spec.schema import Assignment

__all__ = [
    "CLASS_ARCHIVE_LIMITS",
    "IntakeLimits",
    "Submission",
    "VariantChoice",
    "choose_variant",
    "lone_file_name",
    "content_hash",
    "discover",
    "intake",
    "is_archive",
    "student_id",
]

_MiB = 1024 * 1024
_CHUNK = 64 * 1024
# Below this many bytes a high compression ratio is harmless (a small file of
# spaces compresses 1000:1); the ratio cap only bites beyond it.
_RATIO_ALLOWANCE = 1 * _MiB
_MAX_DEPTH = 32
_MAX_NAME_BYTES = 255

_ARCHIVE_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".txz", ".tar", ".zip")
# Operating-system litter that archivers add; never part of a submission.
_JUNK_DIRS = frozenset({"__MACOSX"})
_JUNK_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


@dataclass(frozen=True, slots=True)
class IntakeLimits:
    """Caps applied while copying or extracting one submission."""

    max_total_bytes: int = 50 * _MiB   # sum of file sizes, declared and actually written
    max_entries: int = 2_000           # files and folders
    max_ratio: float = 100.0           # uncompressed bytes per compressed byte (beyond 1 MiB)


# The class archive an LMS hands out holds every student's submission.
CLASS_ARCHIVE_LIMITS = IntakeLimits(max_total_bytes=4096 * _MiB, max_entries=200_000, max_ratio=100.0)


@dataclass(slots=True)
class Submission:
    """One student's submission, copied into a clean folder."""

    student: str
    path: Path                       # the clean folder the grader reads
    files: list[str] = field(default_factory=list)  # relative POSIX paths, sorted
    content_hash: str = ""           # sha256 hex over sorted (path, content)


# --------------------------------------------------------------------------- names


def is_archive(path: Path) -> bool:
    """True when the file name says zip or tar (compressed or not)."""
    name = path.name.lower()
    return any(name.endswith(s) for s in _ARCHIVE_SUFFIXES)


def _strip_suffix(name: str) -> str:
    lower = name.lower()
    for suffix in _ARCHIVE_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    # Only a short extension that starts with a letter: "kim.2023-10-01.12.30" keeps its dots.
    match = re.search(r"\.[A-Za-z][A-Za-z0-9]{0,7}$", name)
    return name[: match.start()] if match and match.start() > 0 else name


def student_id(name: str, *, strip_extension: bool = True) -> str:
    """A safe student id from a folder or file name: no extension, no path characters."""
    base = unicodedata.normalize("NFC", _strip_suffix(name) if strip_extension else name)
    # Word characters include Hangul and other letters; everything else becomes "_".
    cleaned = re.sub(r"[^\w.@-]+", "_", base).strip("._-")
    cleaned = cleaned[:100]
    return cleaned or "student"


def _member_parts(raw_name: str) -> tuple[str, ...]:
    """The checked relative path of an archive member; raises on anything unsafe."""
    if "\x00" in raw_name:
        raise SubmissionError(f"the archive has a file name with a NUL byte: {raw_name!r}", code="nul_in_name",
                              params={"name": raw_name})
    name = raw_name.replace("\\", "/")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise SubmissionError(f"the archive has an absolute path: {raw_name!r}", code="absolute_path",
                              params={"name": raw_name})
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if ".." in parts:
        raise SubmissionError(f"the archive has a path that leaves its folder: {raw_name!r}", code="leaves_folder",
                              params={"name": raw_name})
    if len(parts) > _MAX_DEPTH:
        raise SubmissionError(f"the archive nests folders too deeply: {raw_name!r}", code="too_deep",
                              params={"name": raw_name, "max_depth": _MAX_DEPTH})
    for part in parts:
        if len(part.encode("utf-8", "surrogateescape")) > _MAX_NAME_BYTES:
            raise SubmissionError(f"the archive has a file name that is too long: {raw_name[:60]!r}...",
                                  code="name_too_long", params={"name": raw_name[:60], "max_bytes": _MAX_NAME_BYTES})
    return parts


def _is_junk(parts: tuple[str, ...]) -> bool:
    if any(p in _JUNK_DIRS for p in parts):
        return True
    # "._name" files are macOS resource forks that tar and zip pick up.
    return bool(parts) and (parts[-1] in _JUNK_FILES or parts[-1].startswith("._"))


# --------------------------------------------------------------------------- budget


class _Budget:
    """Counts entries and bytes against the caps; raises the student-facing error."""

    def __init__(self, limits: IntakeLimits, compressed_bytes: int | None) -> None:
        self.limits = limits
        self.compressed_bytes = compressed_bytes
        self.entries = 0
        self.declared = 0
        self.written = 0

    def _ratio_cap(self) -> float | None:
        if self.compressed_bytes is None:
            return None
        return max(_RATIO_ALLOWANCE, self.limits.max_ratio * max(self.compressed_bytes, 1))

    def entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise SubmissionError(
                f"the submission has more than {self.limits.max_entries} files and folders",
                code="too_many_entries", params={"limit": self.limits.max_entries},
            )

    def declare(self, size: int) -> None:
        self.declared += max(size, 0)
        self._check(self.declared, "declares")

    def write(self, size: int) -> None:
        self.written += size
        self._check(self.written, "holds")

    def _check(self, total: int, verb: str) -> None:
        cap = self.limits.max_total_bytes
        if total > cap:
            raise SubmissionError(
                f"the submission {verb} more than {_human(cap)} of files (limit {_human(cap)})",
                code="too_big_declared" if verb == "declares" else "too_big", params={"limit_bytes": cap},
            )
        ratio_cap = self._ratio_cap()
        if ratio_cap is not None and total > ratio_cap:
            raise SubmissionError(
                f"the archive expands more than {self.limits.max_ratio:g} times its size "
                "(a compression bomb?); it was not extracted",
                code="expands_ratio", params={"ratio": self.limits.max_ratio},
            )


def _human(n: int) -> str:
    if n >= _MiB:
        return f"{n / _MiB:g} MiB"
    if n >= 1024:
        return f"{n / 1024:g} KiB"
    return f"{n} bytes"


# --------------------------------------------------------------------------- writing


class _Tree:
    """A fresh folder that members are written into; never holds a link, so paths cannot escape."""

    def __init__(self, root: Path, budget: _Budget) -> None:
        self.root = root
        self.budget = budget
        self.seen: set[tuple[str, ...]] = set()

    def _mkdirs(self, parts: tuple[str, ...]) -> Path:
        path = self.root
        for i, part in enumerate(parts):
            path = path / part
            if parts[: i + 1] not in self.seen:
                self.seen.add(parts[: i + 1])
                self.budget.entry()
            if path.is_file():
                raise SubmissionError(f"the archive has {'/'.join(parts[: i + 1])!r} as both a file and a folder",
                                      code="file_and_folder", params={"name": "/".join(parts[: i + 1])})
            path.mkdir(mode=0o755, exist_ok=True)
        return path

    def add_dir(self, parts: tuple[str, ...]) -> None:
        if parts:
            self._mkdirs(parts)

    def add_file(self, parts: tuple[str, ...], source: IO[bytes], *, executable: bool = False) -> None:
        if not parts:
            return
        parent = self._mkdirs(parts[:-1])
        target = parent / parts[-1]
        if parts in self.seen:
            if target.is_dir():
                raise SubmissionError(f"the archive has {'/'.join(parts)!r} as both a file and a folder",
                                      code="file_and_folder", params={"name": "/".join(parts)})
        else:
            self.seen.add(parts)
            self.budget.entry()
        # O_NOFOLLOW: the tree never holds links, but refuse to write through one regardless.
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(target, flags, 0o755 if executable else 0o644)
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(_CHUNK):
                self.budget.write(len(chunk))
                out.write(chunk)


# --------------------------------------------------------------------------- zip


def _extract_zip(archive: Path, tree: _Tree) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SubmissionError(f"{archive.name!r} is not a readable zip archive ({exc})", code="unreadable_zip",
                              params={"name": archive.name, "detail": str(exc)}) from None
    with zf:
        infos = zf.infolist()
        members: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
        # First pass: everything the archive declares, before a byte is written.
        for info in infos:
            parts = _member_parts(info.filename)
            if _is_junk(parts):
                continue
            mode = info.external_attr >> 16
            kind = stat.S_IFMT(mode)
            if kind == stat.S_IFLNK:
                raise SubmissionError(f"the archive holds a symbolic link, which is not allowed: {info.filename!r}",
                                      code="symlink", params={"name": info.filename})
            if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise SubmissionError(f"the archive holds a special file, which is not allowed: {info.filename!r}",
                                      code="special_file", params={"name": info.filename})
            if info.flag_bits & 0x1:
                raise SubmissionError("the zip archive is password-protected; submit it without a password",
                                      code="password_protected")
            if not info.is_dir():
                tree.budget.declare(info.file_size)
            members.append((info, parts))
        if len(members) > tree.budget.limits.max_entries:
            raise SubmissionError(
                f"the submission has more than {tree.budget.limits.max_entries} files and folders",
                code="too_many_entries", params={"limit": tree.budget.limits.max_entries},
            )
        try:
            for info, parts in members:
                if info.is_dir():
                    tree.add_dir(parts)
                    continue
                with zf.open(info) as source:
                    tree.add_file(parts, source, executable=bool((info.external_attr >> 16) & 0o111))
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise SubmissionError(f"{archive.name!r} is a damaged or unsupported zip archive ({exc})",
                                  code="damaged_zip", params={"name": archive.name, "detail": str(exc)}) from None


# --------------------------------------------------------------------------- tar


class _CountingReader:
    """A read-only stream that stops once more than `limit` bytes came through it."""

    def __init__(self, raw: _ByteStream, limit: int) -> None:
        self.raw = raw
        self.limit = limit
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size if size is not None and size >= 0 else _CHUNK)
        self.count += len(data)
        if self.count > self.limit:
            raise SubmissionError(
                f"the archive expands to more than {_human(self.limit)} "
                "(a compression bomb?); it was not extracted",
                code="expands_size", params={"limit_bytes": self.limit},
            )
        return data


class _ByteStream(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def close(self) -> None: ...


# Decompressors by magic number; a tar with none of these is read as it is.
_DECOMPRESSORS: dict[bytes, Callable[[Path], _ByteStream]] = {  # closed by _open_decompressed
    b"\x1f\x8b": lambda path: gzip.GzipFile(path, "rb"),
    b"BZh": lambda path: bz2.BZ2File(path, "rb"),
    b"\xfd7zXZ\x00": lambda path: lzma.LZMAFile(path, "rb"),
}


@contextmanager
def _open_decompressed(archive: Path) -> Iterator[tuple[_ByteStream, bool]]:
    """The archive's decompressed byte stream, and whether it was compressed."""
    with archive.open("rb") as probe:
        magic = probe.read(6)
    opener = next((open_ for prefix, open_ in _DECOMPRESSORS.items() if magic.startswith(prefix)), None)
    with ExitStack() as stack:
        if opener is None:
            yield stack.enter_context(archive.open("rb")), False
        else:
            stream = opener(archive)
            stack.callback(stream.close)
            yield stream, True


def _extract_tar(archive: Path, tree: _Tree) -> None:
    with _open_decompressed(archive) as (stream, compressed):
        _extract_tar_stream(archive, stream, compressed, tree)


def _extract_tar_stream(archive: Path, stream: _ByteStream, compressed: bool, tree: _Tree) -> None:
    limits = tree.budget.limits
    # A tar stream is its files plus 512-byte headers (more for long names): cap the
    # decompressed stream too, so a bomb is stopped before tarfile walks all of it.
    stream_cap = limits.max_total_bytes + 2048 * (limits.max_entries + 16) + _MiB
    if compressed:
        ratio_cap = max(_RATIO_ALLOWANCE, limits.max_ratio * max(archive.stat().st_size, 1)) + 2048 * (
            limits.max_entries + 16
        )
        stream_cap = int(min(stream_cap, ratio_cap))
    reader = _CountingReader(stream, stream_cap)
    try:
        with tarfile.open(fileobj=reader, mode="r|") as tf:  # type: ignore[call-overload]
            for member in tf:
                _extract_tar_member(tf, member, tree)
    except SubmissionError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        raise SubmissionError(f"{archive.name!r} is not a readable tar archive ({exc})", code="unreadable_tar",
                              params={"name": archive.name, "detail": str(exc)}) from None


def _extract_tar_member(tf: tarfile.TarFile, member: tarfile.TarInfo, tree: _Tree) -> None:
    parts = _member_parts(member.name)
    if _is_junk(parts):
        return
    if member.issym():
        raise SubmissionError(f"the archive holds a symbolic link, which is not allowed: {member.name!r}",
                              code="symlink", params={"name": member.name})
    if member.islnk():
        raise SubmissionError(f"the archive holds a hard link, which is not allowed: {member.name!r}",
                              code="hard_link", params={"name": member.name})
    if member.ischr() or member.isblk() or member.isfifo() or member.isdev():
        raise SubmissionError(f"the archive holds a device file or FIFO, which is not allowed: {member.name!r}",
                              code="device_file", params={"name": member.name})
    if member.issparse():
        raise SubmissionError(f"the archive holds a sparse file, which is not supported: {member.name!r}",
                              code="sparse_file", params={"name": member.name})
    if member.isdir():
        tree.add_dir(parts)
        return
    if not member.isfile():
        raise SubmissionError(f"the archive holds an entry of an unknown type: {member.name!r}",
                              code="unknown_entry", params={"name": member.name})
    tree.budget.declare(member.size)
    source = tf.extractfile(member)
    if source is None:  # pragma: no cover - isfile() members always have data
        raise SubmissionError(f"cannot read {member.name!r} from the archive", code="unreadable_member",
                              params={"name": member.name})
    with source:
        tree.add_file(parts, source, executable=bool(member.mode & 0o111))


# --------------------------------------------------------------------------- folders


def _copy_folder(folder: Path, tree: _Tree) -> None:
    root = folder.resolve()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        current = Path(dirpath)
        rel = current.relative_to(folder).parts
        dirnames.sort()
        kept: list[str] = []
        for name in dirnames:
            path = current / name
            parts = (*rel, name)
            if _is_junk(parts):
                continue
            if path.is_symlink():
                raise SubmissionError(f"the folder holds a symbolic link to a folder, which is not allowed: {'/'.join(parts)!r}",
                                      code="folder_symlink_dir", params={"name": "/".join(parts)})
            tree.add_dir(_member_parts("/".join(parts)))
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            path = current / name
            parts = _member_parts("/".join((*rel, name)))
            if _is_junk(parts):
                continue
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                target = path.resolve()
                if not target.is_relative_to(root) or not target.is_file():
                    raise SubmissionError(
                        f"the folder holds a symbolic link that points outside it: {'/'.join(parts)!r}",
                        code="folder_symlink_outside", params={"name": "/".join(parts)},
                    )
                info = target.stat()
                path = target
            if not stat.S_ISREG(info.st_mode):
                raise SubmissionError(f"the folder holds a device file, FIFO or socket: {'/'.join(parts)!r}",
                                      code="folder_special_file", params={"name": "/".join(parts)})
            tree.budget.declare(info.st_size)
            # O_NOFOLLOW/O_NONBLOCK: the file may have been swapped for a link or FIFO since lstat.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise SubmissionError(f"the folder holds a device file, FIFO or socket: {'/'.join(parts)!r}",
                                      code="folder_special_file", params={"name": "/".join(parts)})
            with os.fdopen(fd, "rb") as source:
                tree.add_file(parts, source, executable=bool(info.st_mode & 0o111))


# --------------------------------------------------------------------------- public API


def _files_under(root: Path) -> list[str]:
    out: list[str] = []
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            out.append((Path(dirpath) / name).relative_to(root).as_posix())
    return sorted(out)


def content_hash(root: Path, files: list[str] | None = None) -> str:
    """sha256 over every file's relative path and contents, in sorted path order."""
    digest = hashlib.sha256()
    for rel in sorted(files if files is not None else _files_under(root)):
        name = rel.encode("utf-8", "surrogateescape")
        digest.update(len(name).to_bytes(8, "big") + name)
        path = root / rel
        digest.update(path.stat().st_size.to_bytes(8, "big"))
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _unwrap_single_folder(root: Path) -> None:
    """Students often archive their folder, not its contents: lift a lone top-level folder."""
    entries = list(root.iterdir())
    if len(entries) != 1 or not entries[0].is_dir():
        return
    lone = entries[0]
    holding = root / f".unwrap-{os.getpid()}"
    lone.rename(holding)
    for child in holding.iterdir():
        child.rename(root / child.name)
    holding.rmdir()


def intake(
    path: Path,
    dest: Path,
    *,
    student: str | None = None,
    limits: IntakeLimits = IntakeLimits(),
    unwrap: bool = True,
) -> Submission:
    """Copy one submission (folder, zip or tar) into ``dest/<student>`` safely and hash it.

    Raises SubmissionError with a one-line, student-facing message when the
    submission is unsafe, too big or unreadable; nothing is left behind then.
    """
    path = Path(path)
    dest = Path(dest)
    sid = student if student is not None else student_id(path.name, strip_extension=not path.is_dir())
    if not os.path.lexists(path):
        raise SubmissionError(f"submission {str(path)!r} does not exist", code="missing", params={"name": str(path)})
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{sid}.", suffix=".partial", dir=dest))
    try:
        if path.is_symlink():
            raise SubmissionError(f"submission {path.name!r} is a symbolic link", code="submission_symlink",
                                  params={"name": path.name})
        kind = _kind(path)
        compressed = path.stat().st_size if kind in ("zip", "tar") else None
        tree = _Tree(staging, _Budget(limits, compressed))
        if kind == "folder":
            _copy_folder(path, tree)
        elif kind == "zip":
            _extract_zip(path, tree)
        elif kind == "tar":
            _extract_tar(path, tree)
        else:
            # A lone file (hello.py) is a submission of that one file.
            tree.budget.declare(path.stat().st_size)
            with path.open("rb") as source:
                tree.add_file(_member_parts(path.name), source)
        if unwrap:
            _unwrap_single_folder(staging)
        files = _files_under(staging)
        digest = content_hash(staging, files)
        final = dest / sid
        if os.path.lexists(final):
            _remove(final)
        staging.rename(final)
    except SubmissionError:
        _remove(staging)
        raise
    except OSError as exc:
        _remove(staging)
        raise SubmissionError(f"submission {path.name!r} could not be copied: {exc.strerror or exc}",
                              code="copy_failed", params={"name": path.name, "detail": exc.strerror or str(exc),
                                                          "errno": exc.errno}) from None
    except BaseException:
        _remove(staging)
        raise
    return Submission(student=sid, path=final, files=files, content_hash=digest)


def _kind(path: Path) -> str:
    """"folder", "zip", "tar" or "file", from the name first and the contents second."""
    if path.is_dir():
        return "folder"
    if not path.is_file():
        raise SubmissionError(f"submission {path.name!r} is neither a folder nor a regular file",
                              code="not_a_file", params={"name": path.name})
    name = path.name.lower()
    if name.endswith(".zip"):
        return "zip"
    if is_archive(path):
        return "tar"
    if zipfile.is_zipfile(path):
        return "zip"
    return "file"


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _candidates(folder: Path) -> Iterator[Path]:
    for child in sorted(folder.iterdir(), key=lambda p: p.name):
        if child.name.startswith(".") or child.name in _JUNK_DIRS or child.name in _JUNK_FILES:
            continue
        yield child


def _unwrap_class_folder(folder: Path) -> Path:
    """Descend through lone wrapper folders ("Assignment 1/") that hold only submissions."""
    while True:
        entries = list(_candidates(folder))
        if len(entries) != 1 or not entries[0].is_dir() or entries[0].is_symlink():
            return folder
        inner = list(_candidates(entries[0]))
        if not inner or not all(e.is_dir() or is_archive(e) for e in inner):
            return folder
        folder = entries[0]


def discover(
    submissions: Path,
    *,
    work_dir: Path | None = None,
    limits: IntakeLimits = CLASS_ARCHIVE_LIMITS,
) -> list[tuple[str, Path]]:
    """List (student id, submission path) for a class folder or a class archive.

    A folder holds one sub-folder or archive (or lone file) per student. An
    archive is extracted safely into ``work_dir`` (a temporary folder if not
    given) and read the same way. Ids are unique: a clash gets ``-2``, ``-3``...
    """
    submissions = Path(submissions)
    if not submissions.exists():
        raise SubmissionError(f"submissions {str(submissions)!r} do not exist", code="class_missing",
                              params={"name": str(submissions)})
    if submissions.is_file():
        if not is_archive(submissions) and not zipfile.is_zipfile(submissions):
            raise SubmissionError(f"{submissions.name!r} is neither a folder nor a zip/tar archive",
                                  code="not_an_archive", params={"name": submissions.name})
        base = Path(work_dir) if work_dir is not None else Path(tempfile.mkdtemp(prefix="grader-class-"))
        extracted = intake(submissions, base, student="class", limits=limits, unwrap=False)
        # An LMS archive may wrap everything in one folder ("Assignment 1/").
        folder = _unwrap_class_folder(extracted.path)
    else:
        folder = submissions
    found: list[tuple[str, Path]] = []
    taken: set[str] = set()
    for child in _candidates(folder):
        sid = student_id(child.name, strip_extension=not child.is_dir())
        unique, n = sid, 1
        while unique.casefold() in taken:
            n += 1
            unique = f"{sid}-{n}"
        taken.add(unique.casefold())
        found.append((unique, child))
    return found


# --------------------------------------------------------------------------- variants

VARIANT_AMBIGUOUS = N_("The submission has the files of more than one way to do this assignment: {variants}. "
                       "The grader cannot tell which one to grade, so nothing was run. Submit the files of "
                       "one of them only.")
VARIANT_NONE = N_("The submission has the files of none of the ways to do this assignment: {variants}. "
                  "Nothing was run.")
VARIANT_FILES = "{variant}: {files}"     # no words of its own to translate
FILES_LABEL = N_("files in the submission")


@dataclass(frozen=True, slots=True)
class VariantChoice:
    """Which variant of an assignment grades a submission, or why none can."""

    assignment: Assignment         # the resolved variant (or the assignment itself when it has none)
    problem: Diagnosis | None = None   # the submission fits no variant, or more than one: nothing runs


def _variant_phrase(name: str, files: Sequence[str]) -> Message:
    return Message(VARIANT_FILES, {"variant": name, "files": list(files)})


def choose_variant(assignment: Assignment, present: Collection[str], *, explicit: str | None = None) -> VariantChoice:
    """The variant whose required files are all in `present` (relative POSIX paths), or `explicit`.

    An explicit name that is not a variant is the caller's mistake (UsageError). With no explicit name:
    exactly one complete variant is chosen; two or more is a problem naming each (nothing runs); none
    complete picks the variant with the most of its files present, so the missing files are named
    (none at all is a problem naming each variant's files).
    """
    if not assignment.variants:
        if explicit is not None:
            raise UsageError(f"--variant {explicit!r}: the assignment {assignment.id!r} has no variants")
        return VariantChoice(assignment)
    if explicit is not None:
        if explicit not in assignment.variants:
            raise UsageError(f"--variant {explicit!r}: the assignment {assignment.id!r} has the variants "
                             + ", ".join(assignment.variants))
        return VariantChoice(assignment.for_variant(explicit))
    have = set(present)
    complete = [name for name, spec in assignment.variants.items() if all(f in have for f in spec.files)]
    if len(complete) == 1:
        return VariantChoice(assignment.for_variant(complete[0]))
    listed = sorted(present)[:40]
    if len(complete) > 1:
        phrases = [_variant_phrase(name, assignment.variants[name].files) for name in complete]
        message = Message(VARIANT_AMBIGUOUS, {"variants": phrases, "candidates": complete})
        return VariantChoice(assignment.for_variant(complete[0]), _problem("variant_ambiguous", message, listed))
    partial = {name: sum(f in have for f in spec.files) for name, spec in assignment.variants.items()}
    best = max(partial.values())
    leaders = [name for name, count in partial.items() if count == best]
    if best > 0 and len(leaders) == 1:
        return VariantChoice(assignment.for_variant(leaders[0]))   # its missing files are named when graded
    phrases = [_variant_phrase(name, spec.files) for name, spec in assignment.variants.items()]
    message = Message(VARIANT_NONE, {"variants": phrases, "candidates": list(assignment.variants)})
    first = next(iter(assignment.variants))
    return VariantChoice(assignment.for_variant(first), _problem("variant_none", message, listed))


def _problem(code: str, message: Message, listed: list[str]) -> Diagnosis:
    return Diagnosis(code=code, message=message.english, params=dict(message.params), template=message.template,
                     evidence=[Evidence(label=FILES_LABEL, lines=listed)])


def lone_file_name(assignment: Assignment, path: Path, *, variant: str | None = None) -> str | None:
    """The required file a lone submitted file stands for, whatever its own name, or None.

    Without variants (or with `variant` chosen): the one required file, when there is one. With variants:
    the one file of the only single-file variant whose file has the lone file's extension (hello.c for
    printf_before_fork.c); None when that is not exactly one.
    """
    if variant is not None and assignment.variants:
        assignment = assignment.for_variant(variant) if variant in assignment.variants else assignment
    if not assignment.variants:
        return assignment.files[0] if len(assignment.files) == 1 else None
    suffix = path.suffix.lower()
    fits = [spec.files[0] for spec in assignment.variants.values()
            if len(spec.files) == 1 and Path(spec.files[0]).suffix.lower() == suffix]
    return fits[0] if len(fits) == 1 else None
