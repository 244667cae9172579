"""A server we run as a child process in its own process group: stop it gently, or kill it as a crash would."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
from typing import IO


class ChildServer:
    """Lifecycle shared by the Kafka broker and the PostgreSQL server; subclasses start `_proc` and say how to stop."""

    stop_signal: signal.Signals = signal.SIGTERM

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The process id while it runs."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def is_running(self) -> bool:
        """True while the process is alive."""
        return self.pid is not None

    def _started(self, proc: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        # Run in their own session, Ctrl-C does not reach them: stop them when this interpreter exits.
        self._proc = proc
        atexit.register(self.stop)
        return proc

    def stop(self, timeout: float = 30) -> None:
        """Shut down cleanly with the server's own stop signal, killing it after timeout."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(self.stop_signal)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._reap()

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as a crash would (children must not outlive it)."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self._reap()

    def _reap(self) -> None:
        """Forget a finished process, close its log and let the subclass tidy up."""
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
