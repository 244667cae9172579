"""Supervision of the local stack: a part that exits unbidden is reaped at once and started again, with backoff.

The rules it keeps: a part stopped on purpose is never restarted; each exit is told in one line (which part, its exit
code or signal, the restart count) with the end of its log; restarts wait 1 s, doubling to 30 s, and start from 1 s
again once a part has stayed up a minute; a stop wins over every wait, and nothing is started after it. Every change
is written atomically to a small state file (launcher.json) that `python -m deploy.status` reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import psutil

from deploy.child import ChildServer, Halted, describe_exit, exited_unreaped, reap_group

State = Literal["starting", "running", "restarting", "stopped"]
STATE_FILE = "launcher.json"


@dataclass(frozen=True)
class Backoff:
    """How long to wait before each restart in a row."""

    first: float = 1.0
    factor: float = 2.0
    most: float = 30.0
    settled_after: float = 60.0  # a part up this long starts again from `first` when it next exits

    def delay(self, attempt: int) -> float:
        """The wait before the attempt-th restart in a row (1 is the first)."""
        return float(min(self.most, self.first * self.factor ** max(attempt - 1, 0)))


@dataclass(frozen=True)
class Part:
    """What the supervisor needs of a part, as functions of the stack that owns it."""

    name: str
    pid: Callable[[], int | None]
    exited: Callable[[], int | None]  # its exit status once it ended unbidden (then reaped), else None
    start: Callable[[], Awaitable[None]]  # start it again, return once it serves, raise if it does not
    tail: Callable[[int], str]  # the last lines of its log


@dataclass
class Record:
    """A part as the state file shows it."""

    state: State = "starting"
    pid: int | None = None
    since: float | None = None  # wall-clock time of its last start
    restarts: int = 0
    last_exit: str | None = None
    next_try: float | None = None  # wall-clock time of the restart it waits for
    in_a_row: int = field(default=0, repr=False)  # restarts since it last stayed up settled_after
    up_at: float = field(default=0.0, repr=False)  # monotonic time of its last start


class Supervisor:
    """Watches the parts of a running stack and restarts those that exit; `stop` before the stack stops them."""

    def __init__(
        self,
        parts: Sequence[Part],
        *,
        log: Callable[[str], None] = print,
        state_file: Path | None = None,
        backoff: Backoff = Backoff(),  # frozen: one shared default is safe
        interval: float = 0.2,
        tail_lines: int = 10,
    ) -> None:
        self.parts = {part.name: part for part in parts}
        self.log = log
        self.state_file = state_file
        self.backoff = backoff
        self.interval = interval
        self.tail_lines = tail_lines
        self.records = {name: Record() for name in self.parts}
        self.phase = "idle"  # not supervising: no state file is written
        self._halted = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._write_lock = threading.Lock()

    # --- the launcher's side -----------------------------------------------------------------------------------
    def announce(self) -> None:
        """Say in the state file that the stack is starting (before any part runs)."""
        self._halted.clear()
        self.phase = "starting"
        self._save()

    def start(self) -> None:
        """Watch every part from now on (needs the running event loop); the parts must be running."""
        self._halted.clear()
        self._loop = asyncio.get_running_loop()
        now, wall = time.monotonic(), time.time()
        for name, part in self.parts.items():
            record = self.records[name]
            record.state, record.pid = "running", part.pid()
            record.since = _started_at(record.pid) or wall
            record.up_at = now - (wall - record.since)
        self.phase = "running"
        self._save()
        self._tasks["_watch"] = self._loop.create_task(self._watch(), name="supervisor")

    @property
    def running(self) -> bool:
        """True while it watches."""
        return self.phase == "running" and not self._halted.is_set()

    def stop(self) -> None:
        """Stop watching and call off every restart under way, at once; safe from any thread and twice."""
        self._halted.set()
        if self.phase in ("starting", "running"):
            self.phase = "stopping"
            for record in self.records.values():
                if record.state != "running":
                    record.state, record.next_try = "stopped", None
            self._save()
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._cancel()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing left to cancel
                loop.call_soon_threadsafe(self._cancel)

    def close(self) -> None:
        """The stack has stopped: no state file is left to say otherwise."""
        self.stop()
        with self._write_lock:
            self.phase = "stopped"
            if self.state_file is not None:
                self.state_file.unlink(missing_ok=True)

    async def wait_stopped(self) -> None:
        """Return once the watch and every restart have ended (after stop)."""
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.wait(tasks)

    # --- watching ----------------------------------------------------------------------------------------------
    def _cancel(self) -> None:
        for task in self._tasks.values():
            task.cancel()

    async def _watch(self) -> None:
        while not self._halted.is_set():
            for name, part in self.parts.items():
                if self._halted.is_set() or self.records[name].state != "running":
                    continue
                try:
                    code = part.exited()
                except Exception as exc:  # noqa: BLE001 - one part's trouble must not end the watch over the others
                    self.log(f"supervisor: could not check {name}: {exc!r}")
                    continue
                if code is not None:
                    self._tasks[name] = asyncio.create_task(self._restart(part, code), name=f"restart {name}")
            await asyncio.sleep(self.interval)

    async def _restart(self, part: Part, code: int) -> None:
        record = self.records[part.name]
        up = time.monotonic() - record.up_at
        if up >= self.backoff.settled_after:
            record.in_a_row = 0
        last = describe_exit(code)
        what = f"exited ({last}) after {up:.1f} s"
        while not self._halted.is_set():
            record.in_a_row += 1
            record.restarts += 1
            delay = self.backoff.delay(record.in_a_row)
            record.state, record.pid, record.last_exit = "restarting", None, last
            record.next_try = time.time() + delay
            self._save()
            tail = "\n".join(f"    | {line}" for line in part.tail(self.tail_lines).splitlines())
            self.log(f"{part.name} {what}; restart {record.restarts} in {delay:g} s. The end of its log:\n{tail}")
            await asyncio.sleep(delay)
            if self._halted.is_set():
                return
            began = time.monotonic()
            try:
                await part.start()
            except Halted:  # the stack is stopping, or the part was stopped on purpose meanwhile
                record.state, record.next_try = "stopped", None
                self._save()
                return
            except Exception as exc:  # noqa: BLE001 - any failure to start is one more exit, told and retried
                reason = (str(exc).splitlines() or [type(exc).__name__])[0]
                last = f"did not come back ({reason})"
                what = f"{last} after {time.monotonic() - began:.1f} s"
                continue
            record.state, record.pid, record.next_try = "running", part.pid(), None
            record.since, record.up_at = time.time(), time.monotonic()
            self._save()
            ready = time.monotonic() - began
            self.log(f"{part.name} is back: pid {record.pid}, restart {record.restarts}, ready in {ready:.1f} s")
            return

    # --- the state file ----------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """What the state file holds: who supervises, and each part's state."""
        me = psutil.Process()
        parts = {}
        for name, record in self.records.items():
            shown = asdict(record)
            del shown["in_a_row"], shown["up_at"]
            parts[name] = shown
        return {
            "supervisor": {"pid": me.pid, "created": me.create_time(), "state": self.phase, "updated": time.time()},
            "parts": parts,
        }

    def _save(self) -> None:
        if self.state_file is None or self.phase in ("idle", "stopped"):
            return  # not supervising, or closed: a late write must not bring back the file close removed
        with self._write_lock:
            text = json.dumps(self.snapshot(), indent=1)
            tmp = self.state_file.with_name(f".{self.state_file.name}.{os.getpid()}.tmp")
            tmp.write_text(text)
            tmp.replace(self.state_file)  # a reader sees the old file or the new one, never half of one


def server_part(name: str, server: ChildServer, start: Callable[[], Awaitable[None]], log: Path) -> Part:
    """A Kafka or PostgreSQL server as a part: it knows itself whether it ended unbidden."""
    return Part(name, lambda: server.pid, server.exited, start, partial(_tail, log))


def process_part(
    name: str, current: Callable[[], subprocess.Popen[bytes] | None], start: Callable[[], Awaitable[None]], log: Path
) -> Part:
    """A process the stack holds (a service, the mail catcher) as a part; `current` gives it, None once stopped."""

    def pid() -> int | None:
        proc = current()
        return proc.pid if proc is not None and not exited_unreaped(proc) else None

    def exited() -> int | None:
        proc = current()
        return reap_group(proc) if proc is not None and exited_unreaped(proc) else None

    return Part(name, pid, exited, start, partial(_tail, log))


def _tail(path: Path, lines: int) -> str:
    """The end of a log file."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


def _started_at(pid: int | None) -> float | None:
    """When a process started (wall-clock time), if it runs."""
    try:
        return psutil.Process(pid).create_time() if pid else None
    except psutil.Error:
        return None
