"""The gauges a service samples in the background: its outbox backlog, its consumer lag, whether its dependencies
answer, and whatever else it adds (follow-up its due reminders, intake its audit chain)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.lag import LagProbe
from shared.logging import get_logger
from shared.metrics import CONSUMER_LAG, DEPENDENCY_UP, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE

log = get_logger(__name__)
Sample = Callable[[], Awaitable[None]]
SAMPLE_SECONDS = 15.0  # Prometheus scrapes every 15-30 s; the lag probe opens two Kafka clients per read

OUTBOX_STATE = text(
    "SELECT count(*) AS backlog, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest"
    " FROM outbox_message WHERE published_at IS NULL"
)


async def database_answers(engine: AsyncEngine) -> bool:
    """Whether the database answers a statement now (in the bounded time of shared/outages.py)."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - a check reports, it does not raise
        log.warning("database does not answer", error=repr(exc))
        return False
    return True


async def kafka_answers(broker: KafkaBroker) -> bool:
    """Whether the broker answers now."""
    return bool(await broker.ping(timeout=2.0))


@dataclass
class Sampler:
    """Sets a service's gauges every few seconds, until cancelled; one failed reading does not stop the next."""

    service: str
    engine: AsyncEngine
    broker: KafkaBroker
    lag: LagProbe
    extra: Sequence[Sample] = field(default_factory=tuple)
    seconds: float = SAMPLE_SECONDS

    async def run(self) -> None:
        """Sample, then wait, for ever."""
        while True:
            await self.sample()
            await asyncio.sleep(self.seconds)

    async def sample(self) -> None:
        """Read every gauge once."""
        for reading in (self._outbox, self._lag, *self.extra):
            try:
                await reading()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - a gauge left at its last value says less than a log line
                log.warning("gauge not sampled", gauge=getattr(reading, "__name__", "?"), error=repr(exc))

    async def _outbox(self) -> None:
        up = await database_answers(self.engine)
        DEPENDENCY_UP.labels(self.service, "database").set(1 if up else 0)
        DEPENDENCY_UP.labels(self.service, "kafka").set(1 if await kafka_answers(self.broker) else 0)
        if not up:
            return
        async with self.engine.connect() as conn:
            row = (await conn.execute(OUTBOX_STATE)).one()
        OUTBOX_BACKLOG.labels(self.service).set(row.backlog)
        OUTBOX_OLDEST_AGE.labels(self.service).set(float(row.oldest))

    async def _lag(self) -> None:
        lag = await self.lag.read()
        if lag is None:
            return
        for topic, partitions in lag.items():
            CONSUMER_LAG.labels(self.service, topic).set(sum(partitions.values()))
