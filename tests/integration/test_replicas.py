"""Replicas share the work: two enrolment processes answer every command once; three follow-up processes send every
reminder once; a follow-up killed in the middle of a batch loses none and doubles at most the one in flight."""

from __future__ import annotations

import asyncio
import os
import random
import signal
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller

from deploy.mailcatcher import read_messages
from deploy.ports import free_port
from deploy.stack import Stack
from deploy.synthetic import referral_body, synthetic_citizen
from shared.clock import today_in_copenhagen
from shared.fund_rules import add_months
from shared.topics import PARTICIPATION_EVENTS
from tests.fixtures.kafka_tools import eventually, read_topic

pytestmark = pytest.mark.stack
PARTICIPANTS = 6
COURSE = "plus-aarhus-2026"


@pytest.fixture(scope="module")
async def replicas(stack: Stack) -> AsyncIterator[list[str]]:
    """A second enrolment process and two more follow-up processes, healthy."""
    keys = [stack.start_replica("enrolment", free_port())]
    keys += [stack.start_replica("followup", free_port()) for _ in range(2)]
    try:
        await asyncio.gather(*(stack.wait_healthy(key) for key in keys))
        yield keys
    finally:
        for key in keys:
            stack.stop_service(key)


async def _deadlines(stack: Stack, participant_ids: list[str]) -> list[dict[str, Any]]:
    """The open checks of these participants in follow-up's database, with whether their next step is far off."""
    conn = await asyncpg.connect(stack.postgres.dsn("followup"))
    try:
        rows = await conn.fetch(
            "SELECT participant_id, check_kind, step, locked_until, next_at > now() + interval '1 day' AS next_far_off"
            " FROM deadline WHERE participant_id = ANY($1::uuid[]) AND status = 'open'",
            participant_ids,
        )
        return [dict(r) for r in rows]
    finally:
        await conn.close()


async def _facts(stack: Stack, database: str, query: str, participant_ids: list[str]) -> dict[str, Counter[str]]:
    """For each participant, how often each `t` the query finds (its column `p` the participant), counted."""
    conn = await asyncpg.connect(stack.postgres.dsn(database))
    try:
        found: dict[str, Counter[str]] = {pid: Counter() for pid in participant_ids}
        for row in await conn.fetch(
            f"SELECT p::text, t FROM ({query}) q WHERE p::text = ANY($1::text[])", participant_ids
        ):
            found[row["p"]][row["t"]] += 1
        return found
    finally:
        await conn.close()


async def _published(stack: Stack, topic: str, participant_ids: list[str]) -> dict[str, Counter[str]]:
    """For each participant, how many distinct events of each type are on the topic."""
    seen: dict[str, set[tuple[str, str]]] = {pid: set() for pid in participant_ids}
    for record in await read_topic(stack.kafka.bootstrap_servers, topic):
        headers = {k: v.decode() for k, v in record.headers}
        subject = headers.get("ce_subject", "")
        if subject in seen:
            seen[subject].add((headers["ce_id"], headers["ce_type"]))
    return {pid: Counter(kind for _, kind in events) for pid, events in seen.items()}


async def _make_due(stack: Stack, participant_id: str) -> None:
    """Let a participant's leaving-outcome check fall due now, as if 15 days had passed since the exit."""
    conn = await asyncpg.connect(stack.postgres.dsn("followup"))
    try:
        await conn.execute(
            "UPDATE deadline SET left_on = left_on - 15, due_on = due_on - 15, counts_until = counts_until - 15,"
            " next_at = now() WHERE participant_id = $1 AND status = 'open' AND check_kind = 'leaving-outcome'",
            participant_id,
        )
    finally:
        await conn.close()


async def _due_checks(stack: Stack, n: int) -> list[str]:
    """n six-month checks that fell due yesterday, written straight into follow-up's tables; their case references."""
    left_on = add_months(today_in_copenhagen(), -6) - timedelta(days=1)
    due = add_months(left_on, 6)
    cases = [f"RUM-8{uuid4().int % 10**5:05d}" for _ in range(n)]
    conn = await asyncpg.connect(stack.postgres.dsn("followup"))
    try:
        async with conn.transaction():
            for case in cases:
                pid = uuid4()
                await conn.execute(
                    "INSERT INTO followup_case (participant_id, case_reference, caseworker_email, exits, on_course)"
                    " VALUES ($1, $2, 'cw@example.org', 1, false)",
                    pid,
                    case,
                )
                await conn.execute(
                    "INSERT INTO deadline (participant_id, check_kind, exit_number, left_on, due_on, counts_until,"
                    " late_result_days, status, step, next_at, attempts)"
                    " VALUES ($1, 'six-month', 1, $2, $3, $4, 56, 'open', 0, now(), 0)",
                    pid,
                    left_on,
                    due,
                    due + timedelta(days=56),
                )
    finally:
        await conn.close()
    return cases


async def _reminded(stack: Stack, cases: list[str]) -> int:
    """How many of these cases' checks have had their first reminder recorded."""
    conn = await asyncpg.connect(stack.postgres.dsn("followup"))
    try:
        found: int = await conn.fetchval(
            "SELECT count(*) FROM deadline d JOIN followup_case c USING (participant_id)"
            " WHERE c.case_reference = ANY($1::text[]) AND d.step >= 1 AND d.locked_until IS NULL",
            cases,
        )
        return found
    finally:
        await conn.close()


def _message_ids(mail_dir: Path, cases: list[str]) -> Counter[str]:
    """How often each Message-ID of mail about these cases was caught."""
    wanted = set(cases)
    return Counter(str(m["Message-ID"]) for m in read_messages(mail_dir) if any(c in str(m["Subject"]) for c in wanted))


async def _complete(intake: httpx.AsyncClient, rng: random.Random, left_on: date) -> tuple[str, str]:
    """Refer, enrol, start and complete one participant; returns the participant id and the case reference."""
    referred_on = left_on - timedelta(days=45)
    referral = referral_body(synthetic_citizen(rng), referred_on=referred_on.isoformat())
    referred = (await intake.post("/referrals", json=referral)).json()
    pid = referred["participant_id"]
    for path, body in [
        ("enrolment", {"course_id": COURSE, "enrolled_on": (left_on - timedelta(days=40)).isoformat()}),
        ("start", {"started_on": (left_on - timedelta(days=30)).isoformat()}),
        ("completion", {"completed_on": left_on.isoformat()}),
    ]:
        response = await intake.post(f"/participants/{pid}/{path}", json=body, headers={"Prefer": "wait=10"})
        assert response.status_code == 200, response.text
    return pid, referred["case_reference"]


@contextmanager
def _paused(stack: Stack, keys: list[str]) -> Iterator[None]:
    """Freeze processes (SIGSTOP) and let them go on afterwards (SIGCONT), as if they were very slow."""
    pids = [stack.services[key].pid for key in keys]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


async def test_with_two_replicas_each_command_is_answered_once_and_each_reminder_sent_once(
    replicas: list[str], stack: Stack, intake: httpx.AsyncClient
) -> None:
    rng = random.Random(2)
    left_on = add_months(today_in_copenhagen(), -7)
    cases: list[str] = []
    participants: list[str] = []
    for _ in range(PARTICIPANTS):
        pid, case = await _complete(intake, rng, left_on)
        participants.append(pid)
        cases.append(case)

    def reminders() -> Counter[str]:
        found: Counter[str] = Counter()
        for message in read_messages(stack.mail_dir):
            subject = str(message["Subject"])
            found.update(case for case in cases if case in subject)
        return found

    # Left seven months ago: the leaving outcome can no longer count and is given up without a word; the six-month
    # result is asked for once.
    async def all_sent() -> bool:
        return len(reminders()) == PARTICIPANTS

    await eventually(all_sent, timeout=60)

    # Each sending is recorded once and the next step is days away: from now on no round of any replica can claim
    # these checks again, so any second send must come from a claim made before this point.
    async def recorded() -> bool:
        rows = await _deadlines(stack, participants)
        return len(rows) == PARTICIPANTS and all(
            r["check_kind"] == "six-month" and r["step"] == 2 and r["locked_until"] is None and r["next_far_off"]
            for r in rows
        )

    await eventually(recorded, timeout=30)

    # A replica sends everything it claimed in one round before it claims again. So once a replica has sent a
    # marker reminder that fell due only now, every claim it made earlier has been sent too, double sends included.
    # Each replica gets a marker of its own: the other one is frozen while the marker falls due and is sent.
    followups = [key for key in stack.services if key == "followup" or key.startswith("followup-replica-")]
    assert len(followups) == 3, followups
    markers = [(await _complete(intake, rng, today_in_copenhagen()))[0] for _ in followups]  # due in 2 weeks

    async def scheduled() -> bool:
        return len(await _deadlines(stack, markers)) == 2 * len(markers)

    await eventually(scheduled, timeout=30)
    for key, marker in zip(followups, markers, strict=True):
        with _paused(stack, [other for other in followups if other != key]):
            await _make_due(stack, marker)  # as if two weeks had passed

            async def marker_sent(marker: str = marker) -> bool:
                return any(
                    r["check_kind"] == "leaving-outcome" and r["step"] == 1 for r in await _deadlines(stack, [marker])
                )

            await eventually(marker_sent, timeout=30)  # sent by `key`, the only one awake

    assert set(reminders().values()) == {1}
    for key in replicas:
        assert stack.services[key].poll() is None, f"{key} died:\n{stack.log_tail(key)}"
    # Facts per command: each command answered by one of two enrolment processes, each fact applied once by every
    # reader whichever follow-up process read it: enrolment published each once (one event id per fact on its topic:
    # the relay deletes what it published, and a batch it published again would carry the same ids), intake's
    # timeline holds each once, follow-up scheduled the one exit's two checks once.
    path = Counter({"enrolment.confirmed": 1, "participation.started": 1, "participation.completed": 1})
    published = await _published(stack, PARTICIPATION_EVENTS, participants)
    on_timeline = await _facts(
        stack, "intake", "SELECT participant_id AS p, event_type AS t FROM timeline_entry", participants
    )
    for pid in participants:
        assert published[pid] == path, pid
        assert Counter({t: n for t, n in on_timeline[pid].items() if t in path}) == path, pid
    checks = await _facts(
        stack,
        "followup",
        "SELECT participant_id AS p, check_kind || ' ' || exit_number AS t FROM deadline",
        participants,
    )
    assert all(checks[pid] == Counter({"leaving-outcome 1": 1, "six-month 1": 1}) for pid in participants), checks


async def test_three_follow_up_processes_over_200_due_checks_send_200_emails_with_no_duplicate_message_id(
    replicas: list[str], stack: Stack
) -> None:
    cases = await _due_checks(stack, 200)

    async def all_recorded() -> bool:
        return await _reminded(stack, cases) == 200

    await eventually(all_recorded, timeout=120)
    # Every check's reminder is recorded and its next step a week away: nothing more can be sent about them.
    ids = _message_ids(stack.mail_dir, cases)
    assert len(ids) == 200
    assert set(ids.values()) == {1}


class _SlowServer:
    """An SMTP server that takes its time over each message, so that a sender can be killed in the middle of a batch."""

    def __init__(self, port: int) -> None:
        self.messages: list[EmailMessage] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.3)
        self.messages.append(BytesParser(policy=policy.default).parsebytes(envelope.original_content or b""))
        return "250 OK"


async def test_follow_up_killed_in_the_middle_of_a_batch_loses_no_reminder_and_doubles_at_most_the_one_in_flight(
    replicas: list[str], stack: Stack
) -> None:
    followups = [key for key in stack.services if key == "followup" or key.startswith("followup-replica-")]
    server = _SlowServer(free_port())
    server.controller.start()
    settings = {
        "SMTP_PORT": str(server.controller.port),
        "REMINDER_LEASE_SECONDS": "2",
        "REMINDER_POLL_SECONDS": "0.5",
    }
    try:
        with _paused(stack, followups):  # only the processes of this test send
            cases = await _due_checks(stack, 30)
            first = stack.start_replica("followup", free_port(), settings)

            async def some_sent() -> bool:
                return len(server.messages) >= 5

            await eventually(some_sent, timeout=60)
            stack.stop_service(first, kill=True)  # SIGKILL, in the middle of its work
            sent_before = len(server.messages)
            assert sent_before < 30
            second = stack.start_replica("followup", free_port(), settings)
            try:

                async def all_recorded() -> bool:
                    return await _reminded(stack, cases) == 30

                await eventually(all_recorded, timeout=90)
            finally:
                stack.stop_service(second)
    finally:
        server.controller.stop()
    ids = Counter(str(m["Message-ID"]) for m in server.messages if any(c in str(m["Subject"]) for c in cases))
    assert len(ids) == 30  # none lost
    assert sum(ids.values()) - 30 <= 1  # the documented window: accepted by the server, not yet recorded
