"""Outbox-to-Kafka pipeline throughput beside Kafka's and PostgreSQL's own rates, measured in one run on one machine.

    .venv/bin/python -m bench.pipeline [--events 1000000]

Starts its own Kafka broker and PostgreSQL in a temporary folder, then measures, for the same number of
records of the same size and keying:
  1. Kafka's own producer (org.apache.kafka.tools.ProducerPerformance, acks=all, idempotent) — a reference;
  2. PostgreSQL's batched insert of the very outbox rows (COPY into an outbox-shaped table, in transactions of
     as many rows as the pipeline writes per transaction) — a reference;
  3. a bare aiokafka producer from Python (the client our services use), keyed, idempotent;
  4. our pipeline: events written to the outbox in transactions of 50, published by the relay, end to end;
  5. Kafka's own consumer (org.apache.kafka.tools.ConsumerPerformance) reading the records the pipeline
     published — the reference for anything that reads them back.
The pipeline can go no faster than the slower of 1 and 2 (it does both), so its end-to-end rate is printed as a
fraction of min(Kafka producer, PostgreSQL batched insert): issue 22's goal is stated against that bound. For the
pipeline's phase it also prints the CPU each part spent per record: this process (the writer and the relay), PostgreSQL
and Kafka.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import asyncpg
from aiokafka import AIOKafkaProducer
from sqlalchemy import text
from sqlmodel import SQLModel

from bench.intake import CpuProbe
from deploy.kafka import KafkaBroker, ensure_jars, jar_cache_dir
from deploy.ports import free_port
from deploy.postgres import PostgresServer
from shared.db import asyncpg_dsn, create_engine, create_sessionmaker
from shared.envelope import CloudEvent
from shared.kafka import provision_topics
from shared.logging import configure_logging
from shared.outbox import OUTBOX_COLUMNS, OutboxMessage, add_to_outbox, outbox_values
from shared.relay import OutboxRelay, RecordProducer
from shared.topics import TopicSpec

PARTICIPANTS = 500
TRANSACTION = 50
# A million records: 20,000 mostly measured the JVM's warm-up. A whole run takes under 5 minutes on two cores
# (2026-12-05: 275 s, the pipeline 184 s of it); --events lowers it for a quick look.
DEFAULT_EVENTS = 1_000_000

# The outbox table's shape (shared.outbox.OutboxMessage: its columns, unique event id and partial index), under
# another name, so the reference inserts rows into what the pipeline inserts them into, minus the ORM.
REFERENCE_TABLE = "bench_outbox_copy"
REFERENCE_DDL = [
    f"""CREATE TABLE {REFERENCE_TABLE} (
        id bigserial PRIMARY KEY,
        event_id varchar(36) NOT NULL UNIQUE,
        topic varchar(249) NOT NULL,
        key varchar(100) NOT NULL,
        headers jsonb NOT NULL,
        payload text NOT NULL,
        created_at timestamptz NOT NULL,
        published_at timestamptz
    )""",
    f"CREATE INDEX ix_{REFERENCE_TABLE}_unpublished ON {REFERENCE_TABLE} (id) WHERE published_at IS NULL",
]


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
    return producer_performance_rate(out)


def producer_performance_rate(out: str) -> float:
    """Records per second from ProducerPerformance's output (its last line is the whole run's summary)."""
    return float(re.findall(r"([\d.]+) records/sec", out)[-1])


def consumer_performance_rate(out: str) -> float:
    """Records per second (nMsg.sec) from ConsumerPerformance's CSV output: its last data line."""
    last = [line for line in out.splitlines() if re.match(r"^\d{4}-", line)][-1]
    return float(last.split(",")[5])


def kafka_consumer_reference(bootstrap: str, topic: str, n: int) -> float:
    """Kafka's own consumer benchmark over the records of a topic: records per second."""
    out = subprocess.run(
        [
            "java",
            "-Xmx512m",
            "-cp",
            f"{ensure_jars()}/*:{tools_jar()}",
            "org.apache.kafka.tools.ConsumerPerformance",
            "--bootstrap-server",
            bootstrap,
            "--topic",
            topic,
            "--messages",
            str(n),
            "--group",
            "bench-consumer-perf",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return consumer_performance_rate(out)


def outbox_rows(events: list[CloudEvent], topic: str) -> list[tuple[object, ...]]:
    """The outbox rows the pipeline writes for these events, as COPY records (headers as JSON text)."""
    rows = []
    for event in events:
        values = outbox_values(event, topic=topic)
        values["headers"] = json.dumps(values["headers"])
        rows.append(tuple(values[c] for c in OUTBOX_COLUMNS))
    return rows


async def postgres_reference(dsn: str, rows: list[tuple[object, ...]]) -> float:
    """PostgreSQL's batched insert: COPY of the rows, TRANSACTION rows to a transaction, one connection: rows/s."""
    conn = await asyncpg.connect(dsn)
    try:
        for statement in REFERENCE_DDL:
            await conn.execute(statement)
        t0 = time.perf_counter()
        for start in range(0, len(rows), TRANSACTION):
            async with conn.transaction():
                await conn.copy_records_to_table(
                    REFERENCE_TABLE, records=rows[start : start + TRANSACTION], columns=OUTBOX_COLUMNS
                )
        return len(rows) / (time.perf_counter() - t0)
    finally:
        await conn.close()


@dataclass(frozen=True)
class Rates:
    """Records per second of every measurement of one run."""

    kafka_producer: float
    kafka_consumer: float
    postgres_insert: float
    aiokafka: float
    outbox_writes: float
    pipeline: float

    @property
    def bound(self) -> float:
        """What the pipeline can reach at most: it both inserts every row and produces every record."""
        return min(self.kafka_producer, self.postgres_insert)


def report(n: int, size: int, rates: Rates, seconds: float) -> list[str]:
    """Each figure beside its reference, and the pipeline as a fraction of the slower of its two references."""
    bound_name = "Kafka producer" if rates.kafka_producer <= rates.postgres_insert else "PostgreSQL insert"
    rows = [
        ("Kafka's own producer (ProducerPerformance) - reference", rates.kafka_producer, None, ""),
        (
            f"PostgreSQL COPY of the outbox rows, {TRANSACTION} per transaction - reference",
            rates.postgres_insert,
            None,
            "",
        ),
        ("Kafka's own consumer (ConsumerPerformance) - reference", rates.kafka_consumer, None, ""),
        ("bare aiokafka producer (Python)", rates.aiokafka, rates.kafka_producer, "Kafka producer"),
        (
            f"outbox writes alone ({TRANSACTION} events per transaction)",
            rates.outbox_writes,
            rates.postgres_insert,
            "PostgreSQL insert",
        ),
        ("our pipeline end to end: outbox write -> relay -> Kafka", rates.pipeline, rates.bound, bound_name),
    ]
    lines = [
        f"{n} records of about {size} bytes (value + headers), 6 partitions, acks=all, idempotent, one broker",
        f"(the whole run, start and stop of Kafka and PostgreSQL included: {seconds:.0f} s)",
        "",
        f"{'what':<70}{'records/s':>12}{'vs':>6}  reference",
    ]
    for label, rate, reference, name in rows:
        ratio = f"{rate / reference:>6.0%}" if reference else f"{'':>6}"
        lines.append(f"{label:<70}{rate:>12,.0f}{ratio}  {name}".rstrip())
    lines += [
        "",
        f"pipeline / min(Kafka producer, PostgreSQL insert) = {rates.pipeline:,.0f} / {rates.bound:,.0f} "
        f"= {rates.pipeline / rates.bound:.1%}  (the bound is the {bound_name})",
    ]
    return lines


def cpu_report(used: dict[str, float], records: int) -> list[str]:
    """CPU microseconds per record of each part during the pipeline's phase."""
    lines = [f"CPU during the pipeline's phase, microseconds per record ({os.cpu_count()} cores):"]
    parts = {name: seconds for name, seconds in used.items() if name != CpuProbe.MACHINE}
    rest = used.get(CpuProbe.MACHINE, 0.0) - sum(parts.values())
    for name, seconds in [
        *parts.items(),
        ("the rest of the machine", rest),
        (CpuProbe.MACHINE, used[CpuProbe.MACHINE]),
    ]:
        lines.append(f"{name:<52}{seconds / records * 1e6:>10.1f}")
    return lines


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


async def outbox_pipeline(
    db_url: str, bootstrap: str, topic: str, events: list[CloudEvent], cpu: CpuProbe
) -> tuple[float, float, dict[str, float]]:
    """Write through the outbox while the relay publishes: (write rate, end-to-end rate) in events per second, and the
    CPU seconds each part of `cpu` used meanwhile."""
    engine = create_engine(db_url)
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: SQLModel.metadata.create_all(c, tables=[OutboxMessage.__table__]))  # type: ignore[attr-defined]
        await conn.execute(text("TRUNCATE outbox_message"))
    sessions = create_sessionmaker(engine)
    producer = RecordProducer({"bootstrap_servers": bootstrap})  # the relay's own, as every service runs it
    await producer.start()
    dsn = asyncpg_dsn(db_url)
    relay = OutboxRelay(dsn=dsn, publisher=producer, poll_seconds=0.05, batch_size=500)
    relay_task = asyncio.create_task(relay.run())
    check = await asyncpg.connect(dsn)
    try:
        before = cpu.read()
        t0 = time.perf_counter()
        for start in range(0, len(events), TRANSACTION):
            async with sessions() as session, session.begin():
                for event in events[start : start + TRANSACTION]:
                    add_to_outbox(session, event, topic=topic)
        written = time.perf_counter() - t0
        while await check.fetchval("SELECT count(*) FROM outbox_message WHERE published_at IS NULL"):
            await asyncio.sleep(0.02)
        total = time.perf_counter() - t0
        after = cpu.read()
        return len(events) / written, len(events) / total, {name: after[name] - before[name] for name in after}
    finally:
        relay_task.cancel()
        await asyncio.gather(relay_task, return_exceptions=True)
        await check.close()
        await producer.stop()
        await engine.dispose()


async def main(n: int) -> None:
    """Start Kafka and PostgreSQL, run the five measurements, print them side by side."""
    began = time.perf_counter()
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
        progress(f"Kafka's producer, {n:,} records ...")
        producer = await asyncio.to_thread(kafka_reference, kafka.bootstrap_servers, topics[0], n, size)
        progress("PostgreSQL's batched insert ...")
        insert = await postgres_reference(postgres.dsn("bench"), outbox_rows(events, topics[2]))
        progress("bare aiokafka producer ...")
        bare = await aiokafka_reference(kafka.bootstrap_servers, topics[1], events)
        progress("the pipeline ...")
        probe = CpuProbe(
            {
                "this process (the writer and the relay)": [(os.getpid(), False)],
                "PostgreSQL": [(postgres.pid or 0, True)],
                "Kafka": [(kafka.pid or 0, True)],
            }
        )
        written, pipeline, used = await outbox_pipeline(
            postgres.url("bench"), kafka.bootstrap_servers, topics[2], events, probe
        )
        progress("Kafka's consumer over the pipeline's records ...")
        consumer = await asyncio.to_thread(kafka_consumer_reference, kafka.bootstrap_servers, topics[2], n)
    finally:
        kafka.stop()
        postgres.stop()
    rates = Rates(
        kafka_producer=producer,
        kafka_consumer=consumer,
        postgres_insert=insert,
        aiokafka=bare,
        outbox_writes=written,
        pipeline=pipeline,
    )
    print("\n" + "\n".join(report(n, size, rates, time.perf_counter() - began)))
    print("\n" + "\n".join(cpu_report(used, n)))


def progress(line: str) -> None:
    """Say on stderr which measurement runs, with the time (the whole run takes minutes)."""
    print(f"[bench] {time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS)
    asyncio.run(main(parser.parse_args().events))
