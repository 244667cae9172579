"""Retry, then dead-letter: a message that keeps failing is parked on its subscription's DLT and the stream goes on.

Invalid records (bad envelope, bad data) cannot improve with retries and go to the DLT at once. An outage of the
database or the network is not the message's fault: it is retried with growing pauses and never parked; after a
while the error propagates, the offset stays uncommitted and the record is delivered again. If publishing the dead
letter itself fails, the same happens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage
from sqlalchemy.exc import DBAPIError

from shared.consumer import AwaitingFact
from shared.envelope import InvalidEvent
from shared.logging import get_logger
from shared.topics import dead_letter_topic

log = get_logger(__name__)
MAX_REASON_CHARS = 500


def dead_letter_middleware(
    broker: KafkaBroker, *, service: str, retries: int = 3, backoff_seconds: float = 0.2
) -> Callable[..., BaseMiddleware]:
    """A broker middleware factory bound to this broker and service."""

    class DeadLetterMiddleware(BaseMiddleware):
        async def consume_scope(
            self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
        ) -> Any:
            failures = outages = 0
            while True:
                try:
                    return await call_next(msg)
                except InvalidEvent as exc:
                    await _park(broker, msg, service=service, reason="invalid", error=exc)
                    return None
                except Exception as exc:  # any failure: an outage is waited out, anything else retried then parked
                    if is_outage(exc):
                        outages += 1
                        if outages > OUTAGE_ATTEMPTS:
                            raise OutageOutlasted("still failing; the record will be delivered again") from exc
                        await _wait_out(exc, outages)
                        continue
                    failures += 1
                    if failures > retries:
                        await _park(broker, msg, service=service, reason="failed", error=exc)
                        return None
                    log.warning("consumer failed, retrying", attempt=failures, error=repr(exc))
                    await asyncio.sleep(backoff_seconds * 2 ** (failures - 1))

    return DeadLetterMiddleware


OUTAGE_ATTEMPTS = 8  # about 40 s of pauses, far below the consumer's max.poll.interval of 5 minutes
OUTAGE_MAX_PAUSE = 8.0


class OutageOutlasted(Exception):
    """The database or network stayed away through every retry; the record is redelivered, not parked."""


def is_outage(exc: BaseException) -> bool:
    """True if the error, or one it was raised from, says a connection failed (or a fact is late), not the message."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, AwaitingFact):
            return True
        if isinstance(seen, OSError | TimeoutError | asyncpg.PostgresConnectionError | asyncpg.InterfaceError):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, asyncpg.CannotConnectNowError | asyncpg.AdminShutdownError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _wait_out(exc: Exception, outages: int) -> None:
    pause = min(OUTAGE_MAX_PAUSE, 0.25 * 2 ** (outages - 1))
    log.warning("outage while consuming, waiting", pause=pause, error=repr(exc))
    await asyncio.sleep(pause)


async def _park(broker: KafkaBroker, msg: StreamMessage[Any], *, service: str, reason: str, error: Exception) -> None:
    record = msg.raw_message
    headers: dict[str, str] = {}
    for key, raw in record.headers or ():
        headers[key] = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    headers |= {
        "dlt_reason": reason,
        "dlt_error": f"{type(error).__name__}: {error}"[:MAX_REASON_CHARS],
        "dlt_topic": record.topic,
        "dlt_partition": str(record.partition),
        "dlt_offset": str(record.offset),
        "dlt_consumer": service,
    }
    target = dead_letter_topic(record.topic, service)
    await broker.publish(record.value or b"", target, key=record.key, headers=headers)
    log.error("message dead-lettered", dlt=target, reason=reason, error=headers["dlt_error"], offset=record.offset)
