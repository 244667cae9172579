"""A server we run as a child process in its own process group: stop it gently, or kill it as a crash would.

A child that ends without being asked is reaped with the stragglers of its process group (PostgreSQL's backends
outlive a killed postmaster), so neither its pid nor its shared memory stays taken. A start can be called off: once
`halt` is set no new process is launched, and a start waiting for its server to be ready kills it and gives up.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import threading
import time
from typing import IO, Any

import psutil


class Halted(RuntimeError):
    """The stack is stopping: a start was called off."""


def exited_unreaped(proc: subprocess.Popen[bytes]) -> bool:
    """True when the process has ended; a zombie is left unreaped, so its pid still names its process group."""
    if proc.returncode is not None:
        return True
    try:
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # reaped by someone else
        return proc.poll() is not None
    return info is not None


def reap_group(proc: subprocess.Popen[bytes], wait: float = 5.0) -> int:
    """SIGKILL a process's group (what is left of it once the leader ended), reap the leader and wait a little for the
    others to go; returns its exit status (negative: the signal that ended it)."""
    if proc.returncode is not None:
        return proc.returncode  # reaped already: its id may name someone else's group by now
    # Killed while the zombie leader still holds the group's id, so the id cannot belong to anyone else yet.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    code = proc.wait()
    deadline = time.monotonic() + wait
    while _group_members(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return code


def _group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group."""
    members = []
    for candidate in psutil.process_iter(["status"]):
        try:
            if os.getpgid(candidate.pid) == pgid and candidate.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(candidate.pid)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def describe_exit(code: int) -> str:
    """'exit code 1' or 'killed by SIGKILL'."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class ChildServer:
    """Lifecycle shared by the Kafka broker and the PostgreSQL server; subclasses `_launch` it and say how to stop."""

    stop_signal: signal.Signals = signal.SIGTERM

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._lock = threading.RLock()
        self._stopping = False  # the exit under way was asked for: not a crash
        self.halt = threading.Event()  # set by the stack when it stops; the stack may share one with its parts

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        proc = self._proc
        return proc.pid if proc is not None and not exited_unreaped(proc) else None

    def is_running(self) -> bool:
        """True while the process is alive."""
        return self.pid is not None

    def start(self) -> None:
        """Start the server and return once it serves (each subclass knows how)."""
        raise NotImplementedError

    def exited(self) -> int | None:
        """The exit status of a process that ended without being asked, reaped with its group; else None."""
        with self._lock:
            proc = self._proc
            if proc is None or self._stopping or not exited_unreaped(proc):
                return None
            code = reap_group(proc)
            self._reap()
            return code

    def _launch(self, argv: list[str], **popen: Any) -> subprocess.Popen[bytes]:
        """Start the process, in a session of its own, unless the stack is stopping."""
        with self._lock:
            if self.halt.is_set():
                self._reap()  # closes the log the subclass opened
                raise Halted(f"{type(self).__name__} not started: stopping")
            proc = subprocess.Popen(argv, start_new_session=True, **popen)
            self._proc = proc
        # In their own session Ctrl-C does not reach them: stop them when this interpreter exits.
        atexit.register(self.stop)
        return proc

    def _check_halt(self) -> None:
        """Called while waiting for the server: give up at once when the stack is stopping."""
        if self.halt.is_set():
            self.kill()
            raise Halted(f"{type(self).__name__} start called off: stopping")

    def _clear_crash(self) -> None:
        """Reap a process that died unnoticed (no supervisor), with its group, before a new start."""
        with self._lock:
            proc = self._proc
            if proc is not None and exited_unreaped(proc):
                reap_group(proc)
                self._reap()

    def stop(self, timeout: float = 30) -> None:
        """Shut down cleanly with the server's own stop signal, killing it after timeout."""
        with self._lock:
            proc, self._stopping = self._proc, True
        try:
            if proc is not None and exited_unreaped(proc):
                reap_group(proc)  # it died unnoticed: its stragglers go with it
            elif proc is not None:
                proc.send_signal(self.stop_signal)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    reap_group(proc)
            self._reap()
        finally:
            self._stopping = False

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as a crash would (children must not outlive it)."""
        with self._lock:
            proc, self._stopping = self._proc, True
        try:
            if proc is not None:
                reap_group(proc)
            self._reap()
        finally:
            self._stopping = False

    def _reap(self) -> None:
        """Forget a finished process, close its log and let the subclass tidy up."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is not None:
                self._proc = None
                atexit.unregister(self.stop)
            if self._proc is None:
                if self._log is not None:
                    self._log.close()
                    self._log = None
                self._after_exit()

    def _after_exit(self) -> None:
        """What a subclass removes once the process is gone."""
