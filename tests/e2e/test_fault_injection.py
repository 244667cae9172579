"""Faults injected into a running, supervised stack under a steady load of whole participant paths: each service is
killed with -9 in turn, then the Kafka broker, then PostgreSQL, and the launcher's supervisor brings each back. Then
every step a client was told had happened is in every service's records and in the report exactly once, nothing is
dead-lettered, no answer was a 500 (a 503 during an outage is right). Finally a service sent SIGTERM while Kafka and
PostgreSQL are frozen exits within 7 s. Marked `faults`; it runs its own stack, bounded by the pytest timeout."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

import asyncpg
import psutil
import pytest
import pytest_asyncio

from deploy.child import ChildServer
from deploy.simulate import Mix, plan
from deploy.stack import SERVICES, Stack, StackConfig
from services.topology import topics_to_provision
from tests.fixtures.fault_load import Load
from tests.fixtures.kafka_tools import eventually, read_topic
from tests.fixtures.simulation import simulation_catalogue, until_intake_knows

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]
WALKERS = 6
AFTER_EACH_FAULT = 4  # participants walked to the end after a part is back, before the next fault
# the facts a caseworker's command or referral makes, each counted per participant against what the client was told
ONE_OF = "WHERE participant_id = ANY($1::uuid[])"
COMMAND_FACTS = (
    "referral.registered",
    "enrolment.confirmed",
    "enrolment.waitlisted",
    "participation.started",
    "participation.completed",
    "participation.dropped-out",
    "participation.withdrawn",
    "leaving-outcome.recorded",
    "six-month-result.recorded",
)


@pytest_asyncio.fixture(loop_scope="session")
async def supervised(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """A stack of the test's own, supervised as ./deploy/up runs it."""
    config = StackConfig.on_free_ports(
        tmp_path_factory.mktemp("faults"),
        supervise=True,
        reminder_poll_seconds=1.0,
        outbox_poll_seconds=0.5,
        command_wait_seconds=10.0,
        environment="test",
    )
    stack = Stack(config, log=lambda line: print(f"[faults] {line}"))
    try:
        await stack.start()
        yield stack
    finally:
        stack.stop()


def _restarts(stack: Stack, part: str) -> int:
    return int(stack.supervisor.snapshot()["parts"][part]["restarts"])


def _pid(stack: Stack, part: str) -> int:
    pid = {"kafka": stack.kafka.pid, "postgres": stack.postgres.pid}.get(part) or stack.services[part].pid
    assert pid is not None, f"{part} is not running"
    return pid


async def _crash(stack: Stack, load: Load, part: str) -> None:
    """kill -9 a part as a crash would; wait until the supervisor has it back and the load has moved on."""
    before = _restarts(stack, part)
    os.kill(_pid(stack, part), signal.SIGKILL)
    began = time.monotonic()

    async def back() -> bool:
        return _restarts(stack, part) > before and stack.supervisor.snapshot()["parts"][part]["state"] == "running"

    await eventually(back, timeout=120, interval=0.5)
    await asyncio.gather(*(stack.wait_healthy(name, timeout=120) for name in SERVICES))
    await load.progressed(AFTER_EACH_FAULT)
    print(f"[faults] {part} killed, back and serving after {time.monotonic() - began:.1f} s")


async def _rows(stack: Stack, database: str, query: str, *args: object) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(stack.postgres.dsn(database))
    try:
        return [dict(r) for r in await conn.fetch(query, *args)]
    finally:
        await conn.close()


EXPECTED = (
    "enrolled",
    "waitlisted",
    "withdrawn",
    "started",
    "completed",
    "dropped_out",
    "upon_leaving_situation",
    "six_months_situation",
)


def _expected_progress(facts: list[str], results: dict[str, Any]) -> dict[str, Any]:
    """What reporting must hold of one participant, from what the client was told."""
    return {
        "enrolled": "enrolment.confirmed" in facts,
        "waitlisted": "enrolment.waitlisted" in facts,
        "withdrawn": "participation.withdrawn" in facts,
        "started": "participation.started" in facts,
        "completed": "participation.completed" in facts,
        "dropped_out": "participation.dropped-out" in facts,
        "upon_leaving_situation": results.get("leaving-outcome", {}).get("situation"),
        "six_months_situation": results.get("six-month-result", {}).get("situation"),
    }


@contextmanager
def _frozen(*servers: ChildServer) -> Iterator[None]:
    """Every process of the servers stopped (SIGSTOP), as hung machines; thawed afterwards whatever happened."""
    stopped: list[psutil.Process] = []
    try:
        for server in servers:
            assert server.pid is not None
            main = psutil.Process(server.pid)
            main.suspend()  # first, so that it starts no one while its children are stopped
            stopped.append(main)
            for child in main.children(recursive=True):
                child.suspend()
                stopped.append(child)
        yield
    finally:
        for process in stopped:
            process.resume()


async def test_faults_lose_nothing_double_nothing_and_a_stop_wins_over_a_frozen_outage(supervised: Stack) -> None:
    stack = supervised
    programme = f"faults-{uuid4().hex[:8]}"
    courses = await simulation_catalogue(stack, programme)
    await until_intake_knows(stack, programme)
    mix = Mix(subprojects=courses, municipalities={"751": 0.6, "727": 0.4}, target_groups={"war-veterans": 1.0})
    # enough for the whole test: a day apart from about 2.5 years ago (inside the programme), every check due
    cohort = plan(mix, 600, random.Random(2112))

    def caseworker(municipality: str) -> str:
        return stack.token(role="caseworker", municipality=municipality, email=f"cw-{municipality}@example.dk")

    load = Load(stack.url("intake"), caseworker, programme, cohort)
    load.start(WALKERS)
    try:
        await load.progressed(AFTER_EACH_FAULT)
        for part in (*SERVICES, "kafka", "postgres"):
            await _crash(stack, load, part)
    finally:
        await load.stop()  # each walker finishes its participant; a failure in one is raised here
    told = load.told

    # every service has caught up: reporting holds each participant the clients were told was referred
    ids = list(told.facts)

    async def settled() -> bool:  # every reader has caught up with the last commands' facts
        progress = await _rows(stack, "reporting", f"SELECT * FROM participant_progress {ONE_OF}", ids)
        shown = {str(row["participant_id"]): {k: row[k] for k in EXPECTED} for row in progress}
        return shown == {pid: _expected_progress(told.facts[pid], told.results[pid]) for pid in ids}

    await eventually(settled, timeout=120, interval=1.0)

    # intake: each fact told, on the case's timeline exactly once; no fact a client was not told
    timeline = await _rows(stack, "intake", f"SELECT participant_id, event_type FROM timeline_entry {ONE_OF}", ids)
    recorded: dict[str, Counter[str]] = {pid: Counter() for pid in told.facts}
    for entry in timeline:
        if entry["event_type"] in COMMAND_FACTS:
            recorded[str(entry["participant_id"])][entry["event_type"]] += 1
    for pid, facts in told.facts.items():
        assert recorded[pid] == Counter(facts), (pid, recorded[pid], facts)
    # enrolment: one participation each, in the state the client was told
    participations = {
        str(r["participant_id"]): r
        for r in await _rows(stack, "enrolment", f"SELECT * FROM participation {ONE_OF}", ids)
    }
    for pid, facts in told.facts.items():
        if "enrolment.confirmed" in facts:
            assert (participations[pid]["started_on"] is not None) == ("participation.started" in facts), pid
    # follow-up: the checks of one exit for each who left, each once
    deadlines = await _rows(
        stack, "followup", f"SELECT participant_id, check_kind, exit_number FROM deadline {ONE_OF}", ids
    )
    checks = Counter((str(d["participant_id"]), d["check_kind"], d["exit_number"]) for d in deadlines)
    assert all(n == 1 for n in checks.values()) and {number for _, _, number in checks} <= {1}
    left = {
        pid
        for pid, facts in told.facts.items()
        if {"participation.completed", "participation.dropped-out"} & set(facts)
    }
    assert {pid for pid, _, _ in checks} == left
    # nothing was parked, no answer was a server's fault
    dead = {
        spec.name: len(await read_topic(stack.kafka.bootstrap_servers, spec.name))
        for spec in topics_to_provision()
        if spec.name.endswith(".dlt")
    }
    assert sum(dead.values()) == 0, {t: n for t, n in dead.items() if n}
    assert told.statuses[500] == 0, told.statuses
    steps = sum(len(f) for f in told.facts.values())
    print(
        f"[faults] {len(told.facts)} participants, {steps} steps told done, each recorded once by intake, enrolment, "
        f"follow-up and reporting; {len(checks)} checks scheduled once each; dead letters 0; answers "
        f"{dict(sorted(told.statuses.items()))}; {told.transport_errors} requests cut off by a kill and sent again"
    )

    # a stop wins over an outage: intake, sent SIGTERM while Kafka and PostgreSQL are frozen, exits within 7 s
    stack.supervisor.stop()  # this exit is asked for: not to be restarted
    intake = stack.services["intake"]
    with _frozen(stack.kafka, stack.postgres):
        began = time.monotonic()
        intake.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(intake.wait, 7)
        took = time.monotonic() - began
    print(f"[faults] intake stopped {took:.1f} s after SIGTERM with Kafka and PostgreSQL frozen (exit {code})")
    assert took < 7
