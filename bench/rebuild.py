"""The rebuild of reporting's projection from the log, beside Kafka's own consumer reading the same records.

    .venv/bin/python -m bench.rebuild [--events 1000000]

Starts Kafka and PostgreSQL in a temporary folder, provisions the topics, migrates reporting's database, puts
`--events` facts on the referral topic (referral.registered of distinct synthetic participants, keyed by participant,
as intake publishes them), then times `services.reporting.rebuild` over them and, as the reference in the same run,
Kafka's ConsumerPerformance tool reading the same topic. Prints both rates and the ratio; the goal is 30,000
events/s for the rebuild.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from datetime import date
from pathlib import Path
from uuid import UUID

from aiokafka import AIOKafkaProducer

from bench.pipeline import kafka_consumer_reference
from deploy.kafka import KafkaBroker
from deploy.ports import free_port
from deploy.postgres import PostgresServer
from deploy.stack import ROOT
from services.reporting.rebuild import rebuild
from services.topology import topics_to_provision
from shared.contracts import DisadvantagesAtEntry, ReferralRegistered, to_event
from shared.kafka import provision_topics
from shared.logging import configure_logging
from shared.migrate import upgrade
from shared.topics import REFERRAL_EVENTS

GOAL = 30_000.0


def fact(i: int) -> ReferralRegistered:
    """The i-th synthetic participant's referral, as intake publishes it."""
    return ReferralRegistered(
        participant_id=UUID(int=i + 1),
        case_reference=f"RUM-{i + 1:07d}",
        programme_id="bench-programme",
        subproject_id=f"sub-{i % 22:02d}",
        municipality=("751", "727", "766")[i % 3],
        caseworker_email="cw@example.org",
        referred_on=date(2025, 1, 1),
        target_group="long-term-unemployed",
        gender=("female", "male", "non-binary")[i % 3],
        age_band="25-54",
        under_25=False,
        over_54=False,
        age_band_esf_plus="30-54",
        labour_market_status="unemployed",
        months_unemployed=14,
        long_term_unemployed=True,
        education_level="isced-3-4",
        benefit="kontanthjaelp",
        disadvantages=DisadvantagesAtEntry(),
    )


async def produce(bootstrap: str, n: int) -> float:
    """Put n facts on the referral topic; seconds it took."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20)
    await producer.start()
    try:
        t0 = time.perf_counter()
        pending = []
        for i in range(n):
            event = to_event(fact(i), source="rummelig/intake")
            headers = [(k, v.encode()) for k, v in event.headers().items()]
            pending.append(
                await producer.send(REFERRAL_EVENTS, event.value(), key=event.subject.encode(), headers=headers)
            )
            if len(pending) >= 5_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return time.perf_counter() - t0
    finally:
        await producer.stop()


async def main(n: int) -> None:
    """Start Kafka and PostgreSQL, fill the topic, rebuild, read it with Kafka's tool, print."""
    configure_logging("bench", level=logging.WARNING)
    state = Path(tempfile.mkdtemp(prefix="rummelig-bench-rebuild-"))
    kafka = KafkaBroker(state / "kafka", port=free_port(), controller_port=free_port())
    postgres = PostgresServer(state / "postgres", port=free_port())
    await asyncio.gather(asyncio.to_thread(kafka.start), asyncio.to_thread(postgres.start))
    try:
        await postgres.ensure_database("reporting")
        await asyncio.to_thread(upgrade, postgres.url("reporting"), ROOT / "services" / "reporting" / "migrations")
        await provision_topics(kafka.bootstrap_servers, topics_to_provision())
        print(f"[bench] producing {n:,} facts ...", flush=True)
        produced = await produce(kafka.bootstrap_servers, n)
        print(f"[bench] produced in {produced:.1f} s; rebuilding ...", flush=True)
        began = time.monotonic()

        def progress(line: str) -> None:  # each stage as it comes, with the time since the start
            print(f"[rebuild +{time.monotonic() - began:6.1f} s] {line}", flush=True)

        done = await rebuild(postgres.url("reporting"), kafka.bootstrap_servers, progress=progress)
        reference = await asyncio.to_thread(kafka_consumer_reference, kafka.bootstrap_servers, REFERRAL_EVENTS, n)
    finally:
        kafka.stop()
        postgres.stop()
    print(f"\n{n:,} facts on {REFERRAL_EVENTS}")
    print(f"  Kafka's ConsumerPerformance (the reference)   {reference:>10,.0f} records/s")
    print(f"  rebuild into a fresh projection and switch    {done.rate:>10,.0f} events/s ({done.seconds:.1f} s)")
    print(f"  rebuild / Kafka: {done.rate / reference:.3f}")
    verdict = "met" if done.rate >= GOAL else "NOT met"
    print(f"  goal: at least {GOAL:,.0f} events/s: {done.rate:,.0f}, {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    asyncio.run(main(args.events))
