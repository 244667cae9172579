"""The relay's partitioner puts every key where Kafka's default partitioner (and so FastStream's producer) does."""

from __future__ import annotations

import random
from uuid import UUID

from aiokafka.partitioner import DefaultPartitioner

from shared.relay import partition_of


def test_each_key_goes_to_the_partition_the_default_partitioner_picks() -> None:
    draw = random.Random(22)
    keys = [str(UUID(int=draw.getrandbits(128))).encode() for _ in range(2_000)] + [b"", b"x", "ø".encode()]
    for partitions in (1, 3, 6, 12):
        everything = list(range(partitions))
        for key in keys + keys[:50]:  # and again, from the kept hashes
            assert partition_of(key, everything, everything) == DefaultPartitioner()(key, everything, everything)


def test_a_record_without_key_goes_to_an_available_partition() -> None:
    assert {partition_of(None, [0, 1, 2, 3], [1, 3]) for _ in range(50)} <= {1, 3}
