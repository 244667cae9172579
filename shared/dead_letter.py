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
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from sqlalchemy.exc import DBAPIError

from shared.consumer import AwaitingFact
from shared.envelope import InvalidEvent
from shared.logging import get_logger
from shared.metrics import CONSUMER_RETRIES, DEAD_LETTERS
from shared.topics import dead_letter_topic

log = get_logger(__name__)
MAX_REASON_CHARS = 500


async def settle(
    broker: KafkaBroker,
    record: ConsumerRecord[Any, Any],
    attempt: Callable[[], Awaitable[object]],
    *,
    service: str,
    failed_with: Exception | None = None,
    retries: int = 3,
    backoff_seconds: float = 0.2,
    fact_waits: int | None = None,
) -> None:
    """Apply one record on its own: retried after a bug, waited for through an outage, else parked on its DLT.

    `failed_with` is the error of a try already made (in its poll's batch): it counts as the first attempt.
    Raises OutageOutlasted when an outage outlasts the waiting: the record is then delivered again; and
    FactStillAwaited after `fact_waits` waits for a fact from another topic, where the caller can read it again later.
    """
    failures = outages = 0
    error = failed_with
    while True:
        if error is None:
            try:
                await attempt()
                return
            except Exception as exc:  # noqa: BLE001 - any failure is judged below
                error = exc
        if isinstance(error, InvalidEvent):
            await _park(broker, record, service=service, reason="invalid", error=error)
            return
        if is_outage(error):
            outages += 1
            if fact_waits is not None and outages > fact_waits and _awaits_fact(error):
                raise FactStillAwaited("the fact has not come: the record is read again with a later poll") from error
            if outages > OUTAGE_ATTEMPTS:
                raise OutageOutlasted("still failing; the record will be delivered again") from error
            CONSUMER_RETRIES.labels(service, "outage").inc()
            await _wait_out(error, outages)
        else:
            failures += 1
            if failures > retries:
                await _park(broker, record, service=service, reason="failed", error=error)
                return
            CONSUMER_RETRIES.labels(service, "failure").inc()
            log.warning("consumer failed, retrying", attempt=failures, error=repr(error))
            await asyncio.sleep(backoff_seconds * 2 ** (failures - 1))
        error = None


OUTAGE_ATTEMPTS = 8  # about 40 s of pauses, far below the consumer's max.poll.interval of 5 minutes
OUTAGE_MAX_PAUSE = 8.0


def _awaits_fact(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, AwaitingFact):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class FactStillAwaited(Exception):
    """A record still waits for a fact from another topic: it goes back to be read with a later poll, which can bring
    the fact (waiting where it is, the consumer would fetch nothing new)."""


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


async def _park(
    broker: KafkaBroker, record: ConsumerRecord[Any, Any], *, service: str, reason: str, error: Exception
) -> None:
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
    DEAD_LETTERS.labels(service, record.topic, reason).inc()
    log.error("message dead-lettered", dlt=target, reason=reason, error=headers["dlt_error"], offset=record.offset)
