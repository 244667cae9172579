"""Processes a launcher left running when it was killed: recorded with their start times, stopped at the next start.

A pid alone could by then belong to another program; a pid with the same start time is the same process.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import psutil

RECORD = "processes.json"


def _read(state_dir: Path) -> dict[str, list[float]]:
    try:
        return json.loads((state_dir / RECORD).read_text())  # type: ignore[no-any-return]
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _write(state_dir: Path, records: dict[str, list[float]]) -> None:
    tmp = state_dir / f".{RECORD}.tmp"
    tmp.write_text(json.dumps(records))
    tmp.replace(state_dir / RECORD)


def remember(state_dir: Path, name: str, pid: int | None) -> None:
    """Record a started process (its pid and start time)."""
    if pid is None:
        return
    records = _read(state_dir)
    records[name] = [pid, psutil.Process(pid).create_time()]
    _write(state_dir, records)


def forget(state_dir: Path, name: str) -> None:
    """Drop the record of a process that was stopped in order."""
    records = _read(state_dir)
    if records.pop(name, None) is not None:
        _write(state_dir, records)


def stop_leftovers(state_dir: Path, log: Callable[[str], None] = print, timeout: float = 20) -> list[str]:
    """Stop (SIGTERM, then SIGKILL) every recorded process still alive; returns their names."""
    stopped: list[tuple[str, psutil.Process]] = []
    for name, (pid, started) in _read(state_dir).items():
        try:
            proc = psutil.Process(int(pid))
            if abs(proc.create_time() - started) > 0.01:
                continue  # the pid was reused by an unrelated process
            os.killpg(proc.pid, signal.SIGTERM)  # each part runs in a process group of its own
            stopped.append((name, proc))
        except (psutil.NoSuchProcess, ProcessLookupError, PermissionError):
            continue
    _, alive = psutil.wait_procs([p for _, p in stopped], timeout=timeout)
    for proc in alive:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _write(state_dir, {})
    if stopped:
        log(f"stopped what an earlier run left behind: {', '.join(name for name, _ in stopped)}")
    return [name for name, _ in stopped]
