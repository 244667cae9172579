"""The intake benchmark's pure parts: percentiles, rates, the report's ratio and goals, the synthetic bodies."""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter

import pytest

from bench.intake import (
    REST,
    CpuProbe,
    Measurement,
    RawConnection,
    combine_others,
    cpu_ms_per_request,
    cpu_per_request_report,
    distinct_bodies,
    parse_head,
    percentile,
    report,
)
from services.intake.referrals.schemas import ReferralIn


@pytest.mark.parametrize(
    ("q", "expected"),
    [(50, 50.0), (99, 99.0), (100, 100.0), (1, 1.0), (0, 1.0)],
)
def test_the_percentile_is_the_nearest_rank(q: float, expected: float) -> None:
    assert percentile([float(v) for v in range(1, 101)], q) == expected


def test_the_percentile_of_one_value_is_that_value_and_of_none_is_nan() -> None:
    assert percentile([7.0], 50) == percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_the_rate_counts_successes_per_second_and_failures_do_not_count() -> None:
    m = Measurement(seconds=2.0, latencies_ms=[5.0] * 10, errors=Counter({"HTTP 409": 4}))
    assert m.rate == 5.0
    assert Measurement().rate == 0.0


def _measurement(per_second: int, latency_ms: float) -> Measurement:
    return Measurement(seconds=1.0, latencies_ms=[latency_ms] * per_second)


def test_the_report_gives_the_ratio_and_says_which_goals_are_met() -> None:
    lines = report(bare=_measurement(1000, 10.0), intake=_measurement(600, 50.0))
    text = "\n".join(lines)
    assert "0.60" in text
    assert lines[-2].endswith(" met") and "NOT" not in lines[-2]
    assert lines[-1].endswith(" met") and "NOT" not in lines[-1]


def test_the_report_says_not_met_below_half_the_reference_and_at_a_slow_p99() -> None:
    lines = report(bare=_measurement(1000, 10.0), intake=_measurement(400, 100.0))
    assert "0.40" in "\n".join(lines)
    assert lines[-2].endswith("NOT met")
    assert lines[-1].endswith("NOT met")  # 100 ms is not below 100 ms


def test_the_report_names_the_errors() -> None:
    intake = Measurement(seconds=1.0, latencies_ms=[1.0], errors=Counter({"HTTP 409": 3, "ReadTimeout": 1}))
    text = "\n".join(report(bare=_measurement(10, 1.0), intake=intake))
    assert "HTTP 409 x3" in text and "ReadTimeout x1" in text


def test_the_bodies_are_distinct_citizens_that_intake_accepts() -> None:
    bodies = distinct_bodies(300)
    cprs = {json.loads(b)["cpr"] for b in bodies}
    assert len(cprs) == 300
    for body in bodies[:20]:
        assert ReferralIn.model_validate_json(body).programme_id == "rummelig-plus"


def test_an_answers_head_gives_status_length_and_whether_the_server_closes() -> None:
    head = b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\nContent-Length: 42\r\n\r\n"
    assert parse_head(head) == (201, 42, False)
    assert parse_head(b"HTTP/1.1 409 Conflict\r\ncontent-length: 7\r\nConnection: close\r\n\r\n") == (409, 7, True)


def test_an_answer_without_content_length_is_refused() -> None:
    with pytest.raises(ValueError, match="Content-Length"):
        parse_head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")


async def test_a_raw_connection_posts_reads_whole_answers_and_reconnects_after_a_closing_one() -> None:
    seen: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await reader.readuntil(b"\r\n\r\n"):
            length = next(
                int(v) for k, _, v in (ln.partition(b":") for ln in head.split(b"\r\n")) if k == b"content-length"
            )
            seen.append(await reader.readexactly(length))
            close = len(seen) == 2
            writer.write(
                b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n"
                + (b"connection: close\r\n" if close else b"")
                + b"\r\n{}"
            )
            await writer.drain()
            if close:
                writer.close()
                return

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connection = RawConnection(f"http://127.0.0.1:{port}/referrals", {"content-type": "application/json"})
    try:
        assert [await connection.post(b'{"n": %d}' % i) for i in range(3)] == [201, 201, 201]
    finally:
        connection.close()
        server.close()
    assert seen == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']


def _cpu(server: float, postgres: float, machine: float) -> dict[str, float]:
    return {
        "load generator (this process)": 1.0,
        "server under test": server,
        "PostgreSQL": postgres,
        "Kafka": 0.5,
        "enrolment": 2.0,
        "followup": 1.0,
        "reporting": 0.5,
        CpuProbe.MACHINE: machine,
    }


def test_cpu_per_request_is_milliseconds_per_success_with_the_rest_of_the_machine_as_its_own_group() -> None:
    per = cpu_ms_per_request(_cpu(server=10.0, postgres=4.0, machine=25.0), requests=1000)
    assert per["server under test"] == pytest.approx(10.0)
    assert per["enrolment"] == pytest.approx(2.0)
    assert per[REST] == pytest.approx(25.0 - 19.0)
    assert per[CpuProbe.MACHINE] == pytest.approx(25.0)


def test_the_rest_is_never_negative_and_no_request_gives_nan() -> None:
    assert cpu_ms_per_request(_cpu(server=10.0, postgres=4.0, machine=18.0), requests=10)[REST] == 0.0
    assert math.isnan(cpu_ms_per_request(_cpu(server=1.0, postgres=1.0, machine=9.0), requests=0)["PostgreSQL"])


def test_the_former_table_keeps_enrolment_followup_and_reporting_in_one_row() -> None:
    combined = combine_others(_cpu(server=10.0, postgres=4.0, machine=25.0))
    assert combined["enrolment, followup, reporting"] == pytest.approx(3.5)
    assert "enrolment" not in combined
    assert list(combined)[-1] == CpuProbe.MACHINE


def test_the_per_request_table_puts_the_services_first_and_each_beside_the_bare_run() -> None:
    lines = cpu_per_request_report(
        _cpu(server=2.0, postgres=1.0, machine=8.0), 1000, _cpu(server=10.0, postgres=4.0, machine=25.0), 500
    )
    names = [line[:44].strip() for line in lines[2:]]
    assert names[:6] == [
        "server under test (bare app / intake)",
        "enrolment",
        "followup",
        "reporting",
        "PostgreSQL",
        "Kafka",
    ]
    assert names[-3:] == [REST, CpuProbe.MACHINE, "(requests answered 201)"]
    postgres = next(line for line in lines if line.startswith("PostgreSQL"))
    assert postgres.split() == ["PostgreSQL", "1.00", "8.00"]
