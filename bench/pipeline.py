"""Outbox-to-Kafka pipeline throughput beside Kafka's own producer, measured in one run on one machine.

    .venv/bin/python -m bench.pipeline [--events 20000]

Starts its own Kafka broker and PostgreSQL in a temporary folder, then measures, for the same number of
records of the same size:
  1. Kafka's own producer (org.apache.kafka.tools.ProducerPerformance, acks=all, idempotent) — the reference;
  2. a bare aiokafka producer from Python (the client our services use), keyed, idempotent;
  3. our pipeline: events written to the outbox in transactions of 50, published by the relay, end to end.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import subprocess
import tempfile
import time
from pathlib import Path
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker as FastStreamBroker
from sqlalchemy import text
from sqlmodel import SQLModel

from deploy.kafka import KafkaBroker, ensure_jars, jar_cache_dir
from deploy.ports import free_port
from deploy.postgres import PostgresServer
from shared.db import asyncpg_dsn, create_engine, create_sessionmaker
from shared.envelope import CloudEvent
from shared.kafka import provision_topics
from shared.logging import configure_logging
from shared.outbox import OutboxMessage, add_to_outbox
from shared.relay import OutboxRelay
from shared.topics import TopicSpec

PARTICIPANTS = 500
TRANSACTION = 50


def sample_event(i: int) -> CloudEvent:
    """An event of realistic size: a participation fact with ids and dates."""
    return CloudEvent(
        type="participation.completed",
        version=1,
        source="rummelig/bench",
        subject=str(uuid4()) if i < 0 else f"00000000-0000-4000-8000-{i % PARTICIPANTS:012d}",
        data={
            "participant_id": f"00000000-0000-4000-8000-{i % PARTICIPANTS:012d}",
            "course_id": "plus-aarhus-2026",
            "left_on": "2026-04-20",
        },
    )


def tools_jar() -> Path:
    """kafka-tools (ProducerPerformance), fetched once beside the broker's jars."""
    target = jar_cache_dir().parent / "tools"
    jar = target / "kafka-tools-4.1.1.jar"
    if not jar.exists():
        subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "dependency:copy",
                "-Dartifact=org.apache.kafka:kafka-tools:4.1.1",
                f"-DoutputDirectory={target}",
            ],
            check=True,
            cwd=tempfile.gettempdir(),
        )
    return jar


def kafka_reference(bootstrap: str, topic: str, n: int, size: int) -> float:
    """Kafka's own producer benchmark: records per second."""
    classpath = f"{ensure_jars()}/*:{tools_jar()}"
    out = subprocess.run(
        [
            "java",
            "-Xmx512m",
            "-cp",
            classpath,
            "org.apache.kafka.tools.ProducerPerformance",
            "--topic",
            topic,
            "--num-records",
            str(n),
            "--record-size",
            str(size),
            "--throughput",
            "-1",
            "--producer-props",
            f"bootstrap.servers={bootstrap}",
            "acks=all",
            "enable.idempotence=true",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.findall(r"([\d.]+) records/sec", out)
    return float(match[-1])


async def aiokafka_reference(bootstrap: str, topic: str, events: list[CloudEvent]) -> float:
    """A bare Python producer sending the same records: records per second."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        t0 = time.perf_counter()
        futures = [
            await producer.send(
                topic, e.value(), key=e.subject.encode(), headers=[(k, v.encode()) for k, v in e.headers().items()]
            )
            for e in events
        ]
        await asyncio.gather(*futures)
        return len(events) / (time.perf_counter() - t0)
    finally:
        await producer.stop()


async def outbox_pipeline(db_url: str, bootstrap: str, topic: str, events: list[CloudEvent]) -> tuple[float, float]:
    """Write through the outbox while the relay publishes: (write rate, end-to-end rate) in events per second."""
    engine = create_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: SQLModel.metadata.create_all(c, tables=[OutboxMessage.__table__]))  # type: ignore[attr-defined]
        await conn.execute(text("TRUNCATE outbox_message"))
    sessions = create_sessionmaker(engine)
    broker = FastStreamBroker(bootstrap, enable_idempotence=True, acks="all")
    await broker.start()
    dsn = asyncpg_dsn(db_url)
    relay = OutboxRelay(dsn=dsn, publisher=broker, poll_seconds=0.05, batch_size=500)
    relay_task = asyncio.create_task(relay.run())
    check = await asyncpg.connect(dsn)
    try:
        t0 = time.perf_counter()
        for start in range(0, len(events), TRANSACTION):
            async with sessions() as session, session.begin():
                for event in events[start : start + TRANSACTION]:
                    add_to_outbox(session, event, topic=topic)
        written = time.perf_counter() - t0
        while await check.fetchval("SELECT count(*) FROM outbox_message WHERE published_at IS NULL"):
            await asyncio.sleep(0.02)
        total = time.perf_counter() - t0
        return len(events) / written, len(events) / total
    finally:
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await check.close()
        await broker.stop()
        await engine.dispose()


async def main(n: int) -> None:
    """Start Kafka and PostgreSQL, run the three measurements, print them side by side."""
    configure_logging("bench", level=logging.WARNING)
    state = Path(tempfile.mkdtemp(prefix="rummelig-bench-"))
    kafka = KafkaBroker(state / "kafka", port=free_port(), controller_port=free_port())
    postgres = PostgresServer(state / "postgres", port=free_port())
    await asyncio.gather(asyncio.to_thread(kafka.start), asyncio.to_thread(postgres.start))
    try:
        await postgres.ensure_database("bench")
        topics = ["bench.kafka-perf", "bench.aiokafka", "bench.outbox"]
        await provision_topics(kafka.bootstrap_servers, [TopicSpec(t) for t in topics])
        events = [sample_event(i) for i in range(n)]
        size = len(events[0].value()) + sum(len(k) + len(v) for k, v in events[0].headers().items())
        reference = await asyncio.to_thread(kafka_reference, kafka.bootstrap_servers, topics[0], n, size)
        bare = await aiokafka_reference(kafka.bootstrap_servers, topics[1], events)
        written, pipeline = await outbox_pipeline(postgres.url("bench"), kafka.bootstrap_servers, topics[2], events)
    finally:
        kafka.stop()
        postgres.stop()
    print(f"\n{n} records of about {size} bytes (value + headers), 6 partitions, acks=all, idempotent, one broker\n")
    print(f"{'what':<58}{'records/s':>12}{'vs Kafka':>10}")
    for label, rate in [
        ("Kafka's own producer (ProducerPerformance) - reference", reference),
        ("bare aiokafka producer (Python)", bare),
        (f"outbox writes alone ({TRANSACTION} events per transaction)", written),
        ("our pipeline end to end: outbox write -> relay -> Kafka", pipeline),
    ]:
        print(f"{label:<58}{rate:>12,.0f}{rate / reference:>9.0%}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    asyncio.run(main(parser.parse_args().events))
