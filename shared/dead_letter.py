"""Retry, then dead-letter: a message that keeps failing is parked on its subscription's DLT and the stream goes on.

Invalid records (bad envelope, bad data) cannot improve with retries and go to the DLT at once. If publishing the
dead letter itself fails, the error propagates, the offset is not committed and the record is delivered again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import BaseMiddleware
from faststream.kafka import KafkaBroker
from faststream.message import StreamMessage

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
            for attempt in range(retries + 1):
                try:
                    return await call_next(msg)
                except InvalidEvent as exc:
                    await _park(broker, msg, service=service, reason="invalid", error=exc)
                    return None
                except Exception as exc:  # noqa: BLE001 - any failure is retried, then parked
                    if attempt == retries:
                        await _park(broker, msg, service=service, reason="failed", error=exc)
                        return None
                    log.warning("consumer failed, retrying", attempt=attempt + 1, error=repr(exc))
                    await asyncio.sleep(backoff_seconds * 2**attempt)
            return None

    return DeadLetterMiddleware


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
