"""Import a DREAM-style register extract into intake: `python -m services.intake.register_import FILE`.

Every row is checked first; a file with a fault is refused and nothing is stored. The rows are then matched by the
keyed CPR hash, a slice at a time: a person referred to no programme here leaves nothing behind; a matched one is
audited, and each six-month check of theirs that fell due within the extract gets its finding published. Killed
halfway, the same command on the same file resumes where it stopped. The file is read, never copied.

Exit status: 0 imported (or imported before), 1 refused, 2 misconfigured.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from services.intake.register.domain import ExtractRefused
from services.intake.register.imports import Imported, Progress, import_file
from services.intake.settings import IntakeSettings
from shared.auth import Principal
from shared.db import create_engine, create_sessionmaker

PROG = "python -m services.intake.register_import"


def operator(name: str) -> Principal:
    """Who imports from the command line, as the audit log names them."""
    return Principal(
        subject=f"rummelig/intake/register-import/{name}"[:200],
        email="intake@rummelig.invalid",
        roles=frozenset({"administrator"}),
        municipality=None,
    )


def progress_bar(stream: TextIO = sys.stderr, width: int = 30, clock: Callable[[], float] = time.monotonic) -> Progress:
    """A progress bar on a terminal; elsewhere a line at most every two seconds."""
    tty = stream.isatty()
    shown = [0.0]

    def show(done: int, rows: int, matched: int, observed: int) -> None:
        now = clock()
        if not tty and now - shown[0] < 2 and done < rows:
            return
        shown[0] = now
        filled = width * done // max(rows, 1)
        line = (
            f"[{'#' * filled}{'.' * (width - filled)}] {100 * done // max(rows, 1):3d}% "
            f"{done:,}/{rows:,} rows, {matched:,} participants matched, {observed:,} findings"
        )
        print(f"\r{line}" if tty else line, end="" if tty and done < rows else "\n", file=stream, flush=True)

    return show


async def run(path: Path, settings: IntakeSettings, *, actor: str, today: date) -> Imported:
    """Import the file into the database intake's settings name."""
    engine = create_engine(settings.database_url, pool_size=1, statement_seconds=None)
    try:
        with path.open("rb") as file:
            return await import_file(
                file,
                create_sessionmaker(engine),
                settings.vault(),
                principal=operator(actor),
                max_bytes=settings.register_max_bytes,
                today=today,
                progress=progress_bar(),
            )
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, import, and say how it went."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("file", type=Path, help="the extract: CSV, UTF-8, comma or semicolon separated")
    parser.add_argument("--actor", default=getpass.getuser(), help="who imports, for the audit log")
    args = parser.parse_args(argv)
    try:
        settings = IntakeSettings()  # from the environment, as the service reads it
    except ValidationError as exc:
        print(f"register_import: invalid settings:\n{exc}", file=sys.stderr)
        return 2
    if not args.file.is_file():
        print(f"register_import: {args.file} is not a file", file=sys.stderr)
        return 2
    try:
        done = asyncio.run(run(args.file, settings, actor=args.actor, today=date.today()))
    except ExtractRefused as refused:
        print(f"register_import: refused ({refused.code}): {refused.message}; nothing was stored", file=sys.stderr)
        return 1
    if done.already_done:
        print(f"this extract was imported before (import {done.import_id}): nothing to do")
    else:
        again = " (resumed)" if done.resumed else ""
        print(
            f"imported{again} {done.rows:,} rows (import {done.import_id}): {done.matched:,} participants matched, "
            f"{done.observed:,} six-month findings published"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
