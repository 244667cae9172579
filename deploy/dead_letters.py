"""Look at and replay dead letters once the cause is fixed.

    python -m deploy.dead_letters list   --bootstrap 127.0.0.1:9092 --topic intake.referral.events --service reporting
    python -m deploy.dead_letters replay --bootstrap 127.0.0.1:9092 --topic intake.referral.events --service reporting

Replay puts each parked record back on its original topic with its original key and headers (the dlt_* headers
removed). Every consumer of that topic sees it again, and those that had already applied it skip it by its event
id. The replayer reads the dead-letter topic in a consumer group of its own, so each dead letter is replayed once.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.topics import dead_letter_topic

DLT_HEADERS = ("dlt_reason", "dlt_error", "dlt_topic", "dlt_partition", "dlt_offset", "dlt_consumer")


@dataclass(frozen=True)
class DeadLetter:
    """One parked record."""

    offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]

    def header(self, name: str) -> str:
        """A header as text ('' if absent)."""
        return next((v.decode("utf-8", "replace") for k, v in self.headers if k == name), "")


async def _drain(consumer: AIOKafkaConsumer, topic: str) -> list[DeadLetter]:
    """Everything from the group's position to the current end of the (single-partition) dead-letter topic."""
    partition = TopicPartition(topic, 0)
    end = (await consumer.end_offsets([partition]))[partition]
    letters: list[DeadLetter] = []
    while await consumer.position(partition) < end:
        for records in (await consumer.getmany(partition, timeout_ms=1000)).values():
            letters += [DeadLetter(r.offset, r.key, r.value or b"", list(r.headers)) for r in records]
    return letters


async def list_dead_letters(bootstrap: str, topic: str, service: str) -> list[DeadLetter]:
    """Every record on a subscription's dead-letter topic, without consuming it."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        dlt = dead_letter_topic(topic, service)
        consumer.assign([TopicPartition(dlt, 0)])
        await consumer.seek_to_beginning(TopicPartition(dlt, 0))
        return await _drain(consumer, dlt)
    finally:
        await consumer.stop()


async def replay(bootstrap: str, topic: str, service: str) -> list[DeadLetter]:
    """Republish the dead letters not replayed before onto their original topic; returns them."""
    dlt = dead_letter_topic(topic, service)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"dead-letter-replay.{service}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await consumer.start()
    await producer.start()
    try:
        consumer.assign([TopicPartition(dlt, 0)])
        letters = await _drain(consumer, dlt)
        for letter in letters:
            original = letter.header("dlt_topic") or topic
            headers = [(k, v) for k, v in letter.headers if k not in DLT_HEADERS]
            await producer.send_and_wait(original, letter.value, key=letter.key, headers=headers)
        if letters:
            # Committed only after every send was acknowledged: a crash before this replays again, which is harmless.
            await consumer.commit({TopicPartition(dlt, 0): letters[-1].offset + 1})
        return letters
    finally:
        await producer.stop()
        await consumer.stop()


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m deploy.dead_letters", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=("list", "replay"))
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic", required=True, help="the original topic")
    parser.add_argument("--service", required=True, help="the consuming service whose dead letters to handle")
    args = parser.parse_args(argv)
    if args.action == "replay":
        print(f"replayed {len(asyncio.run(replay(args.bootstrap, args.topic, args.service)))} dead letters")
        return 0
    for letter in asyncio.run(list_dead_letters(args.bootstrap, args.topic, args.service)):
        print(
            f"{letter.offset}\t{letter.header('ce_type') or '?'}\t{letter.header('dlt_reason')}\t"
            f"{letter.header('dlt_error')}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
