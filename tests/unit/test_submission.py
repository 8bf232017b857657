"""Submission intake: same files hash the same; hostile archives are refused, nothing escapes."""

from __future__ import annotations

import io
import os
import stat
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest

from grader.errors import SubmissionError
from grader.submission import (
    IntakeLimits,
    Submission,
    content_hash,
    discover,
    intake,
    student_id,
)

FILES = {"hello.py": b"import os\nos.fork()\nprint('hello os')\n", "lib/util.py": b"X = 1\n", "README": b"hi\n"}


# ----------------------------------------------------------------- builders


def make_folder(root: Path, files: dict[str, bytes] = FILES) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def make_zip(path: Path, files: dict[str, bytes] = FILES, prefix: str = "") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in files.items():
            zf.writestr(prefix + rel, data)
    return path


def make_tar(path: Path, files: dict[str, bytes] = FILES, mode: str = "w", prefix: str = "") -> Path:
    with tarfile.open(path, mode) as tf:
        for rel, data in files.items():
            info = tarfile.TarInfo(prefix + rel)
            info.size = len(data)
            info.mtime = 1_000_000
            tf.addfile(info, io.BytesIO(data))
    return path


def tar_with(path: Path, *members: tarfile.TarInfo, mode: str = "w") -> Path:
    """A tar holding one ordinary file plus the given (data-less) members."""
    with tarfile.open(path, mode) as tf:
        ok = tarfile.TarInfo("ok.py")
        ok.size = 3
        tf.addfile(ok, io.BytesIO(b"x=1"))
        for member in members:
            tf.addfile(member)
    return path


def tarinfo(name: str, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def assert_rejected(src: Path, dest: Path, fragment: str) -> SubmissionError:
    with pytest.raises(SubmissionError) as caught:
        intake(src, dest)
    message = str(caught.value)
    assert fragment in message, message
    assert "\n" not in message
    # Nothing left behind: neither a partial copy nor the final folder.
    assert not dest.exists() or list(dest.iterdir()) == []
    return caught.value


# ----------------------------------------------------------------- same files, same hash


def test_every_format_gives_the_same_files_and_hash(tmp_path: Path) -> None:
    sources = [
        make_folder(tmp_path / "folder"),
        make_zip(tmp_path / "a.zip"),
        make_zip(tmp_path / "wrapped.zip", prefix="hw1/"),
        make_tar(tmp_path / "a.tar"),
        make_tar(tmp_path / "a.tar.gz", mode="w:gz"),
        make_tar(tmp_path / "a.tgz", mode="w:gz", prefix="./"),
        make_tar(tmp_path / "a.tar.xz", mode="w:xz"),
        make_tar(tmp_path / "a.tar.bz2", mode="w:bz2"),
    ]
    subs = [intake(src, tmp_path / "out" / src.name.replace(".", "_")) for src in sources]
    assert {s.content_hash for s in subs} == {subs[0].content_hash}
    for sub in subs:
        assert sub.files == ["README", "hello.py", "lib/util.py"]
        assert (sub.path / "hello.py").read_bytes() == FILES["hello.py"]


def test_hash_ignores_mtime_and_sees_content(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "alice")
    first = intake(folder, tmp_path / "o1")
    os.utime(folder / "hello.py", (1, 1))
    assert intake(folder, tmp_path / "o2").content_hash == first.content_hash
    (folder / "hello.py").write_bytes(b"print('changed')\n")
    assert intake(folder, tmp_path / "o3").content_hash != first.content_hash
    # A file renamed with the same content is a different submission too.
    assert content_hash(first.path) == first.content_hash


def test_intake_names_the_student_and_replaces_an_old_copy(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "Kim Chul-su (2023).zip")
    dest = tmp_path / "out"
    sub = intake(archive, dest)
    assert isinstance(sub, Submission)
    assert sub.student == "Kim_Chul-su_2023"
    assert sub.path == dest / sub.student
    (sub.path / "stale.txt").write_text("left from last time")
    again = intake(archive, dest)
    assert not (again.path / "stale.txt").exists()
    assert sorted(p.name for p in dest.iterdir()) == [sub.student]


def test_macos_litter_is_dropped(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {**FILES, "__MACOSX/._hello.py": b"junk", ".DS_Store": b"junk"})
    assert intake(archive, tmp_path / "out").files == ["README", "hello.py", "lib/util.py"]


def test_lone_file_is_a_one_file_submission(tmp_path: Path) -> None:
    src = tmp_path / "bob.py"
    src.write_bytes(b"print(1)\n")
    sub = intake(src, tmp_path / "out")
    assert (sub.student, sub.files) == ("bob", ["bob.py"])


def test_executable_bit_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "x.tar"
    with tarfile.open(path, "w") as tf:
        info = tarfile.TarInfo("run.sh")
        info.size = 2
        info.mode = 0o4777  # setuid must not survive
        tf.addfile(info, io.BytesIO(b"ls"))
    sub = intake(path, tmp_path / "out")
    mode = (sub.path / "run.sh").stat().st_mode
    assert mode & 0o100 and not mode & (stat.S_ISUID | 0o002)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alice.zip", "alice"),
        ("bob.tar.gz", "bob"),
        ("../../etc/passwd", "etc_passwd"),
        ("김철수_123.tgz", "김철수_123"),
        ("a b;rm -rf.zip", "a_b_rm_-rf"),
        ("...", "student"),
    ],
)
def test_student_id(name: str, expected: str) -> None:
    assert student_id(name) == expected


# ----------------------------------------------------------------- hostile archives


def test_zip_slip_is_refused(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "evil.zip", {"ok.py": b"1", "../evil": b"pwned", "a/../../evil2": b"x"})
    assert_rejected(archive, tmp_path / "out", "leaves its folder")
    assert not (tmp_path / "evil").exists() and not (tmp_path / "out" / "evil").exists()


def test_tar_slip_is_refused(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "evil.tar.gz", {"ok.py": b"1", "../evil": b"pwned"}, mode="w:gz")
    assert_rejected(archive, tmp_path / "out", "leaves its folder")
    assert not (tmp_path / "evil").exists()


@pytest.mark.parametrize("name", ["/tmp/grader-evil-abs", "C:/Windows/evil", "\\\\server\\evil"])
def test_absolute_paths_are_refused(tmp_path: Path, name: str) -> None:
    assert_rejected(make_tar(tmp_path / "abs.tar", {name: b"x"}), tmp_path / "out", "absolute path")
    assert_rejected(make_zip(tmp_path / "abs.zip", {name: b"x"}), tmp_path / "out2", "absolute path")
    assert not Path("/tmp/grader-evil-abs").exists()


def test_tar_symlink_is_refused(tmp_path: Path) -> None:
    archive = tar_with(tmp_path / "link.tar", tarinfo("passwd", tarfile.SYMTYPE, "/etc/passwd"))
    assert_rejected(archive, tmp_path / "out", "symbolic link")


def test_tar_symlink_then_write_through_it_is_refused(tmp_path: Path) -> None:
    # The classic two-step escape: a link to a folder outside, then a file "inside" the link.
    path = tmp_path / "two-step.tar"
    with tarfile.open(path, "w") as tf:
        tf.addfile(tarinfo("escape", tarfile.SYMTYPE, str(tmp_path)))
        info = tarfile.TarInfo("escape/pwned")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"x"))
    assert_rejected(path, tmp_path / "out", "symbolic link")
    assert not (tmp_path / "pwned").exists()


def test_zip_symlink_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("passwd")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    assert_rejected(path, tmp_path / "out", "symbolic link")


def test_tar_hard_link_is_refused(tmp_path: Path) -> None:
    archive = tar_with(tmp_path / "hard.tar", tarinfo("shadow", tarfile.LNKTYPE, "/etc/shadow"))
    assert_rejected(archive, tmp_path / "out", "hard link")


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_tar_device_files_and_fifos_are_refused(tmp_path: Path, kind: bytes) -> None:
    member = tarinfo("dev", kind)
    member.devmajor, member.devminor = 1, 3
    assert_rejected(tar_with(tmp_path / "dev.tar", member), tmp_path / "out", "device file or FIFO")


def _write_zeros_zip(path: Path, size: int, name: str = "zeros.bin") -> Path:
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as out:
            for _ in range(size // len(chunk)):
                out.write(chunk)
    return path


def test_zip_bomb_is_refused_not_extracted(tmp_path: Path) -> None:
    bomb = _write_zeros_zip(tmp_path / "bomb.zip", 200 * 1024 * 1024)
    assert bomb.stat().st_size < 1024 * 1024
    assert_rejected(bomb, tmp_path / "out", "50 MiB")


def test_tgz_bomb_is_refused_not_extracted(tmp_path: Path) -> None:
    path = tmp_path / "bomb.tar.gz"
    size = 200 * 1024 * 1024

    class Zeros(io.RawIOBase):
        left = size

        def readable(self) -> bool:
            return True

        def readinto(self, buf: bytearray) -> int:  # type: ignore[override]
            n = min(len(buf), self.left)
            buf[:n] = bytes(n)
            self.left -= n
            return n

    with tarfile.open(path, "w:gz", compresslevel=1) as tf:
        info = tarfile.TarInfo("zeros.bin")
        info.size = size
        tf.addfile(info, io.BufferedReader(Zeros()))
    assert_rejected(path, tmp_path / "out", "50 MiB")


def test_tgz_bomb_hidden_in_skipped_litter_is_stopped_while_decompressing(tmp_path: Path) -> None:
    # __MACOSX members are skipped without being counted, so only the cap on the
    # decompressed tar stream itself can stop this one.
    path = tmp_path / "sneaky.tar.gz"
    size = 120 * 1024 * 1024
    with tarfile.open(path, "w:gz", compresslevel=1) as tf:
        info = tarfile.TarInfo("__MACOSX/zeros.bin")
        info.size = size
        tf.addfile(info, io.BytesIO(bytes(size)))
    assert_rejected(path, tmp_path / "out", "compression bomb")


def test_high_compression_ratio_is_refused_under_the_size_cap(tmp_path: Path) -> None:
    bomb = _write_zeros_zip(tmp_path / "ratio.zip", 20 * 1024 * 1024)
    assert_rejected(bomb, tmp_path / "out", "expands more than 100 times")


def test_zip_that_lies_about_its_sizes_is_refused(tmp_path: Path) -> None:
    # Declare 10 bytes in both headers while the data inflates to 4 MiB.
    path = _write_zeros_zip(tmp_path / "liar.zip", 4 * 1024 * 1024)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        real = zf.infolist()[0].file_size
    count = 0
    for fmt in ("<Q", "<I"):
        packed = struct.pack(fmt, real)
        start = 0
        while (pos := data.find(packed, start)) != -1:
            data[pos : pos + len(packed)] = struct.pack(fmt, 10)
            start = pos + 1
            count += 1
    assert count
    path.write_bytes(bytes(data))
    with pytest.raises(SubmissionError) as caught:
        intake(path, tmp_path / "out")
    assert "zip" in str(caught.value)
    assert not (tmp_path / "out" / "liar").exists()


def test_too_many_files_are_refused(tmp_path: Path) -> None:
    many = {f"f{i}.txt": b"" for i in range(2_001)}
    assert_rejected(make_zip(tmp_path / "many.zip", many), tmp_path / "out", "more than 2000 files")
    assert_rejected(make_tar(tmp_path / "many.tar", many), tmp_path / "out2", "more than 2000 files")


def test_limits_are_configurable(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "a.zip", {"big.bin": os.urandom(4096)})
    with pytest.raises(SubmissionError, match="more than 1 KiB"):
        intake(archive, tmp_path / "out", limits=IntakeLimits(max_total_bytes=1024))


def test_encrypted_and_garbage_archives_are_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"this is not a zip")
    assert_rejected(garbage, tmp_path / "out", "not a readable zip")
    not_tar = tmp_path / "garbage.tar.gz"
    not_tar.write_bytes(b"\x1f\x8b" + os.urandom(100))
    assert_rejected(not_tar, tmp_path / "out2", "not a readable tar")


def test_folder_symlink_out_of_tree_is_refused(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "alice")
    (folder / "passwd").symlink_to("/etc/passwd")
    assert_rejected(folder, tmp_path / "out", "points outside")


def test_folder_symlink_inside_tree_is_copied_as_a_file(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "alice")
    (folder / "main.py").symlink_to("hello.py")
    sub = intake(folder, tmp_path / "out")
    assert not (sub.path / "main.py").is_symlink()
    assert (sub.path / "main.py").read_bytes() == FILES["hello.py"]


def test_folder_fifo_is_refused(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "alice")
    os.mkfifo(folder / "pipe")
    assert_rejected(folder, tmp_path / "out", "FIFO")


def test_folder_over_the_cap_is_refused(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "alice", {f"f{i}": b"x" for i in range(20)})
    with pytest.raises(SubmissionError, match="more than 10 files"):
        intake(folder, tmp_path / "out", limits=IntakeLimits(max_entries=10))


# ----------------------------------------------------------------- discover


def test_discover_class_folder(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    make_folder(root / "alice")
    make_zip(root / "bob.zip")
    make_tar(root / "carol.tar.gz", mode="w:gz")
    make_zip(root / "alice.zip")  # clashes with the folder "alice"
    (root / ".hidden").mkdir()
    (root / "__MACOSX").mkdir()
    found = discover(root)
    assert [sid for sid, _ in found] == ["alice", "alice-2", "bob", "carol"]
    assert found[2][1] == root / "bob.zip"


def test_discover_lms_archive_of_folders_and_zips(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        for rel, data in FILES.items():
            zf.writestr(rel, data)
    lms = tmp_path / "Assignment 1 Download.zip"
    with zipfile.ZipFile(lms, "w") as zf:
        for rel, data in FILES.items():
            zf.writestr(f"Assignment 1/alice/{rel}", data)
        zf.writestr("Assignment 1/bob.zip", inner.getvalue())
    work = tmp_path / "work"
    found = discover(lms, work_dir=work)
    assert [sid for sid, _ in found] == ["alice", "bob"]
    subs = [intake(path, tmp_path / "clean", student=sid) for sid, path in found]
    assert subs[0].content_hash == subs[1].content_hash
    assert all(p.is_relative_to(work) for _, p in found)


def test_discover_refuses_a_hostile_class_archive(tmp_path: Path) -> None:
    evil = make_zip(tmp_path / "class.zip", {"alice/a.py": b"1", "../evil": b"x"})
    with pytest.raises(SubmissionError, match="leaves its folder"):
        discover(evil, work_dir=tmp_path / "work")
