"""Real servers for the tests, from Debian's packages, started on loopback in a private folder.

    with redis_server(password="s3cret") as redis:      # redis.url == "redis://:s3cret@127.0.0.1:PORT/0"
        ...
    with postgres_server() as pg:                        # pg.url == "postgresql://grader:PW@127.0.0.1:PORT/grader"
        ...

Each server gets a free port, its own data folder under a temporary directory, and is stopped (and its
folder removed) on exit. Nothing is mocked and nothing is skipped: when the package is missing the
fixture fails and says which package `scripts/test.sh` installs.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PostgresServer", "RedisServer", "free_port", "listening", "postgres_server", "redis_server", "self_signed"]


def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before answering: {_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer on 127.0.0.1:{port} within {timeout:.0f} s: {_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@dataclass(frozen=True)
class RedisServer:
    host: str
    port: int
    password: str
    folder: Path
    ca_file: Path | None = None        # set when the server speaks TLS only (its self-signed certificate)

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        if self.ca_file is not None:
            return f"rediss://{auth}{self.host}:{self.port}/0?ssl_cert_reqs=required&ssl_ca_certs={self.ca_file}"
        return f"redis://{auth}{self.host}:{self.port}/0"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with Debian's openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    if shutil.which("openssl") is None:
        raise RuntimeError("openssl is missing: scripts/test.sh installs Debian's openssl package")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


@contextlib.contextmanager
def redis_server(*, password: str | None = None, tls: bool = False) -> Iterator[RedisServer]:
    """A redis-server on 127.0.0.1 with a password (random unless given), no persistence; with tls, it
    answers only TLS, with a self-signed certificate the URL names as the CA to trust."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is missing: scripts/test.sh installs Debian's redis-server package")
    password = secrets.token_hex(12) if password is None else password
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="grader-redis-") as folder:
        log = Path(folder) / "redis.log"
        args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", folder, "--save", "",
                "--appendonly", "no", "--protected-mode", "yes", "--logfile", str(log)]
        ca_file = None
        if tls:
            ca_file, key = self_signed(Path(folder))
            args[args.index("--port") + 1] = "0"
            args += ["--tls-port", str(port), "--tls-cert-file", str(ca_file), "--tls-key-file", str(key),
                     "--tls-ca-cert-file", str(ca_file), "--tls-auth-clients", "no"]
        if password:
            args += ["--requirepass", password]
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            _wait_port(port, proc, "redis-server", log)
            yield RedisServer("127.0.0.1", port, password, Path(folder), ca_file)
        finally:
            _stop(proc)


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    database: str
    folder: Path

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{self.database}"


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is missing: scripts/test.sh installs Debian's postgresql package")
    return found[-1]


@contextlib.contextmanager
def postgres_server(*, database: str = "grader") -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of its own on 127.0.0.1 (password auth for a `grader` role that owns `database`).

    As root the cluster runs as Debian's `postgres` user (initdb refuses root)."""
    initdb, postgres = _pg_bin("initdb"), _pg_bin("postgres")
    password = secrets.token_hex(12)
    port = free_port()
    as_root = os.geteuid() == 0
    with tempfile.TemporaryDirectory(prefix="grader-pg-") as folder:
        base = Path(folder)
        data, sockets, log = base / "data", base / "sock", base / "postgres.log"
        sockets.mkdir()
        data.mkdir(mode=0o700)
        pwfile = base / "pw"
        pwfile.write_text("bootstrap\n")
        demote: dict[str, object] = {}
        if as_root:
            entry = pwd.getpwnam("postgres")
            os.chmod(folder, 0o755)
            for path in (sockets, pwfile, data):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            log.touch()
            os.chown(log, entry.pw_uid, entry.pw_gid)
            demote = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        made = subprocess.run([initdb, "-D", str(data), "-U", "postgres", "--pwfile", str(pwfile), "-A", "scram-sha-256",
                        "-E", "UTF8", "--locale", "C"], capture_output=True, text=True, **demote)  # type: ignore[arg-type]
        if made.returncode != 0:
            raise RuntimeError(f"initdb failed: {made.stderr.strip() or made.stdout.strip()}")
        proc = subprocess.Popen(
            [postgres, "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(sockets),
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200"],
            stdin=subprocess.DEVNULL, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
            **demote)  # type: ignore[arg-type]
        try:
            _wait_port(port, proc, "postgres", log)
            env = {**os.environ, "PGPASSWORD": "bootstrap"}
            sql = (f"CREATE ROLE grader LOGIN PASSWORD '{password}' CREATEDB; "
                   f"CREATE DATABASE {database} OWNER grader;")
            for statement in sql.split("; "):
                for _ in range(50):    # the server answers on the port a moment before it takes logins
                    done = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d",
                                           "postgres", "-v", "ON_ERROR_STOP=1", "-c", statement],
                                          env=env, capture_output=True, text=True)
                    if done.returncode == 0 or "starting up" not in done.stderr:
                        break
                    time.sleep(0.2)
                if done.returncode != 0:
                    raise RuntimeError(f"setting up PostgreSQL failed: {done.stderr.strip()}")
            yield PostgresServer("127.0.0.1", port, "grader", password, database, base)
        finally:
            _stop(proc)
