"""The distributed grading job format: content-addressed archives, safe unpacking, the idempotence key."""

from __future__ import annotations

import io
import tarfile

import pytest

from grader.distributed.jobs import BlobError, Job, build_id, pack_folder, sha256, unpack_blob


def _folder(tmp_path, name="sub"):
    folder = tmp_path / name
    (folder / "src").mkdir(parents=True)
    (folder / "hello.py").write_text("print('hello os')\n")
    (folder / "src" / "run.sh").write_text("#!/bin/sh\n")
    (folder / "src" / "run.sh").chmod(0o755)
    return folder


def test_same_content_packs_to_the_same_bytes(tmp_path):
    one, two = _folder(tmp_path, "a"), _folder(tmp_path, "b")
    (two / "hello.py").touch()          # a newer mtime changes nothing
    assert pack_folder(one) == pack_folder(two)
    (two / "hello.py").write_text("print('bye')\n")
    assert pack_folder(one) != pack_folder(two)


def test_unpack_round_trip_keeps_files_and_exec_bit(tmp_path):
    data = pack_folder(_folder(tmp_path))
    dest = tmp_path / "out"
    unpack_blob(data, sha256(data), dest)
    assert (dest / "hello.py").read_text() == "print('hello os')\n"
    assert (dest / "src" / "run.sh").stat().st_mode & 0o111


def test_unpack_refuses_a_wrong_hash_and_unsafe_members(tmp_path):
    data = pack_folder(_folder(tmp_path))
    with pytest.raises(BlobError, match="does not have that hash"):
        unpack_blob(data, "0" * 64, tmp_path / "x")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("../escape")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    bad = buffer.getvalue()
    with pytest.raises(BlobError, match="cannot be unpacked safely: the archive has a path that leaves its folder"):
        unpack_blob(bad, sha256(bad), tmp_path / "y")
    assert not (tmp_path / "escape").exists()


def test_pack_refuses_a_folder_over_the_limit(tmp_path):
    with pytest.raises(BlobError, match="too big"):
        pack_folder(_folder(tmp_path), limit=5)


def test_result_key_ignores_label_and_job_id_but_not_build_or_repeat():
    base = Job(build="0.2.0+abc", assignment_blob="a" * 64, assignment_file="assignment.yaml",
               submission_blob="b" * 64, label="kim")
    same = Job(build="0.2.0+abc", assignment_blob="a" * 64, assignment_file="assignment.yaml",
               submission_blob="b" * 64, label="lee")
    assert base.job_id != same.job_id and base.result_key() == same.result_key()
    assert Job(**{**base.to_dict(), "build": "0.2.1+abc"}).result_key() != base.result_key()
    assert Job(**{**base.to_dict(), "repeat": 3}).result_key() != base.result_key()


def test_from_dict_validates():
    job = Job(build=build_id(), assignment_blob="a" * 64, assignment_file="x/assignment.yaml",
              submission_blob="b" * 64)
    assert Job.from_dict(job.to_dict()) == job
    for bad in ({**job.to_dict(), "assignment_file": "../etc/passwd"}, {**job.to_dict(), "submission_blob": "zz"},
                {**job.to_dict(), "repeat": 0}, ["not", "a", "dict"]):
        with pytest.raises(ValueError):
            Job.from_dict(bad)


def test_build_id_carries_the_version_and_a_source_hash():
    from grader import __version__

    version, _, source = build_id().partition("+")
    assert version == __version__ and len(source) == 12


def test_a_broker_url_is_shown_without_its_password() -> None:
    from grader.distributed.broker import queue_name, redacted

    assert redacted("redis://:s3cret@10.0.0.5:6379/0") == "redis://:***@10.0.0.5:6379/0"
    assert redacted("rediss://grader:s3cret@broker.example:6380/1?ssl_cert_reqs=required") == \
        "rediss://grader:***@broker.example:6380/1?ssl_cert_reqs=required"
    assert redacted("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert queue_name("0.2.0+abc") == "grader.0.2.0+abc"


def test_a_broker_url_that_is_not_redis_is_a_usage_error() -> None:
    from grader.distributed.broker import connect
    from grader.errors import UsageError

    with pytest.raises(UsageError, match="expected redis://"):
        connect("amqp://guest:secret@localhost//")
