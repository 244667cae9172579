"""The loop that runs a round of due work every few seconds, whatever one round meets."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from shared.logging import get_logger

log = get_logger(__name__)


async def every(seconds: float, work: Callable[[], Awaitable[object]], *, what: str) -> None:
    """Run `work` now and then every `seconds` until cancelled; a failed round is logged and the next one tries again
    (claims are leased, so nothing a failed round claimed stays stuck)."""
    while True:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the next round tries again; leases expire
            log.warning(f"{what} round failed", error=repr(exc))
        await asyncio.sleep(seconds)
