"""`grader serve` on a port something else holds: a clear error and exit 2, and it never says "serving"."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from site_helpers import ROOT, copy_assignment


def test_a_taken_port_is_an_error_and_serving_is_never_said(tmp_path: Path) -> None:
    course = tmp_path / "course"
    course.mkdir()
    copy_assignment(course / "fork-hello", "fork-hello")
    (course / "course.yaml").write_text("title: Taken\nassignments:\n  - path: fork-hello\n", encoding="utf-8")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "grader.cli", "serve", str(course), "--port", str(port),
                               "--workers", "1"], cwd=ROOT, capture_output=True, timeout=120,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    out = done.stdout.decode() + done.stderr.decode()
    assert done.returncode == 2, out
    assert f"cannot listen on 127.0.0.1:{port}" in out, out
    assert "serving" not in out and "Traceback" not in out, out
