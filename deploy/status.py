"""python -m deploy.status (or ./deploy/up status): each part of the running launcher, from its state file.

The launcher's supervisor writes launcher.json in the state folder on every change; this reads it and checks that the
launcher and every pid it names are alive. Exit status 1 when no launcher runs from that folder.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from deploy.stack import DEFAULT_STATE
from deploy.supervisor import STATE_FILE


def _alive(pid: int | None, created: float | None = None) -> bool:
    """True when pid is a live process (not a zombie), and the same one if its start time is given."""
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return created is None or abs(proc.create_time() - created) < 0.01
    except psutil.NoSuchProcess:
        return False


def _duration(seconds: float) -> str:
    """'2h05m', '3m07s' or '12s': one word, so that the table splits on spaces."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def read(state_dir: Path) -> dict[str, Any] | None:
    """The state file of a launcher that still runs from state_dir, or None."""
    try:
        state: dict[str, Any] = json.loads((state_dir / STATE_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    supervisor = state.get("supervisor", {})
    return state if _alive(supervisor.get("pid"), supervisor.get("created")) else None


def render(state: dict[str, Any], now: float | None = None) -> str:
    """A table of the parts: state, pid, uptime, restarts, last exit (and when a restart is due)."""
    now = time.time() if now is None else now
    supervisor = state["supervisor"]
    lines = [
        f"launcher pid {supervisor['pid']}, {supervisor['state']}, up {_duration(now - supervisor['created'])}",
        f"{'part':<12} {'state':<11} {'pid':>8} {'uptime':>8} {'restarts':>8}  last exit",
    ]
    for name, part in state["parts"].items():
        shown, pid, uptime, last = part["state"], part["pid"], "-", part["last_exit"] or "-"
        if shown == "running" and not _alive(pid):
            shown = "gone"  # exited a moment ago: the supervisor has not yet written that it restarts it
        elif shown == "running" and part["since"]:
            uptime = _duration(now - part["since"])
        if shown == "restarting" and part["next_try"]:
            last += f"; next try in {_duration(part['next_try'] - now)}"
        lines.append(f"{name:<12} {shown:<11} {pid or '-':>8} {uptime:>8} {part['restarts']:>8}  {last}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table, or say that no launcher runs (exit status 1)."""
    parser = argparse.ArgumentParser(prog="deploy/up status", description=__doc__)
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("RUMMELIG_STATE_DIR", DEFAULT_STATE)),
        help="the launcher's state folder (default: .state/)",
    )
    args = parser.parse_args(argv)
    state = read(args.state_dir.resolve())
    if state is None:
        print(f"No launcher runs from {args.state_dir.resolve()} (start one with ./deploy/up).", file=sys.stderr)
        return 1
    print(render(state))
    return 0


if __name__ == "__main__":
    sys.exit(main())
