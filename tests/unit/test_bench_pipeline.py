"""The pipeline benchmark's pure parts: the Java tools' output read, the outbox rows, the report and its bound."""

from __future__ import annotations

import json

import pytest

from bench.intake import CpuProbe
from bench.pipeline import (
    TRANSACTION,
    Rates,
    consumer_performance_rate,
    cpu_report,
    outbox_rows,
    producer_performance_rate,
    report,
    sample_event,
)
from shared.outbox import OUTBOX_COLUMNS


def _rates(*, producer: float = 100_000.0, insert: float = 40_000.0, pipeline: float = 10_000.0) -> Rates:
    return Rates(
        kafka_producer=producer,
        kafka_consumer=300_000.0,
        postgres_insert=insert,
        aiokafka=20_000.0,
        outbox_writes=12_000.0,
        pipeline=pipeline,
    )


def test_the_producer_tools_rate_is_read_from_its_summary_line() -> None:
    out = (
        "49981 records sent, 9994.2 records/sec (3.90 MB/sec), 2.1 ms avg latency, 120.0 ms max latency.\n"
        "500000 records sent, 123456.7 records/sec (48.23 MB/sec), 80.5 ms avg latency, 400.0 ms max latency, "
        "60 ms 50th, 300 ms 95th, 380 ms 99th, 399 ms 99.9th.\n"
    )
    assert producer_performance_rate(out) == 123456.7


def test_the_consumer_tools_rate_is_nmsg_per_second_of_its_last_data_line() -> None:
    out = (
        "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms\n"
        "2026-12-05 09:12:00:000, 2026-12-05 09:12:02:000, 190.7, 95.4, 500000, 250000.0, 300\n"
    )
    assert consumer_performance_rate(out) == 250000.0


def test_the_bound_is_the_slower_of_kafkas_producer_and_postgresqls_insert() -> None:
    assert _rates(producer=100_000, insert=40_000).bound == 40_000
    assert _rates(producer=30_000, insert=40_000).bound == 30_000


def test_the_report_gives_the_pipeline_as_a_fraction_of_the_bound_and_names_it() -> None:
    lines = report(500_000, 409, _rates(producer=100_000, insert=40_000, pipeline=10_000), 300.0)
    assert lines[-1] == (
        "pipeline / min(Kafka producer, PostgreSQL insert) = 10,000 / 40,000 = 25.0%"
        "  (the bound is the PostgreSQL insert)"
    )
    pipeline = next(line for line in lines if line.startswith("our pipeline end to end"))
    assert pipeline.endswith("10,000   25%  PostgreSQL insert")


def test_every_figure_stands_beside_its_reference_and_the_references_beside_none() -> None:
    lines = report(500_000, 409, _rates(producer=30_000, insert=40_000, pipeline=15_000), 300.0)
    by_label = {line[:70].strip(): line[70:] for line in lines if line[:70].strip() and len(line) > 70}
    assert by_label["bare aiokafka producer (Python)"].split() == ["20,000", "67%", "Kafka", "producer"]
    assert by_label[f"outbox writes alone ({TRANSACTION} events per transaction)"].split() == [
        "12,000",
        "30%",
        "PostgreSQL",
        "insert",
    ]
    assert by_label["our pipeline end to end: outbox write -> relay -> Kafka"].split()[1:] == [
        "50%",
        "Kafka",
        "producer",
    ]
    assert by_label["Kafka's own producer (ProducerPerformance) - reference"].split() == ["30,000"]
    assert all(line == line.rstrip() for line in lines)


def test_the_reference_inserts_the_very_rows_the_pipeline_writes() -> None:
    events = [sample_event(i) for i in range(3)]
    rows = outbox_rows(events, "bench.outbox")
    assert len(rows) == 3
    row = dict(zip(OUTBOX_COLUMNS, rows[0], strict=True))
    assert row["event_id"] == str(events[0].id)
    assert row["key"] == events[0].subject
    assert row["payload"] == events[0].value().decode()
    assert json.loads(str(row["headers"])).items() >= events[0].headers().items()


@pytest.mark.parametrize("n", [0, 1])
def test_the_report_reads_for_any_number_of_records(n: int) -> None:
    assert report(n, 409, _rates(), 1.0)[0].startswith(f"{n} records of about 409 bytes")


def test_the_cpu_report_gives_each_part_and_the_rest_in_microseconds_per_record() -> None:
    used = {"this process (the writer and the relay)": 2.0, "PostgreSQL": 1.0, "Kafka": 0.5, CpuProbe.MACHINE: 4.0}
    lines = cpu_report(used, 100_000)
    figures = {line[:52].strip(): float(line[52:]) for line in lines[1:]}
    assert figures == {
        "this process (the writer and the relay)": 20.0,
        "PostgreSQL": 10.0,
        "Kafka": 5.0,
        "the rest of the machine": 5.0,
        CpuProbe.MACHINE: 40.0,
    }
