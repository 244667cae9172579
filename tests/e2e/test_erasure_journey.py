"""Erasure on the real stack: after it, the citizen's CPR number, name and contact details are found nowhere, the
report's counts are unchanged, the timeline still answers, every service has dropped what led back to them, and the
caseworker has been emailed that the case's personal data were erased."""

from __future__ import annotations

import random
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest

from deploy.mailcatcher import read_messages
from deploy.stack import Stack
from deploy.synthetic import SyntheticCitizen, referral_body, synthetic_citizen
from shared.clock import today_in_copenhagen
from tests.fixtures.companions import SHOWN, companions
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.personal_data import found_in_logs, found_in_mail, found_in_tables, found_on_topics
from tests.fixtures.stack import CASEWORKER_EMAIL

pytestmark = pytest.mark.stack
CONTACT = {"phone": "+45 61 62 63 64", "email": "erased.citizen@example.org", "address": "Glemmevej 3, 8000 Aarhus C"}
COLUMNS = ("referred", "enrolled")


async def _fetch(stack: Stack, database: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(stack.postgres.dsn(database))
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


async def _counts(reporting: httpx.AsyncClient) -> dict[str, int]:
    """Rummelig plus's report columns, each a number: the companions walked first make every one at least 5."""
    response = await reporting.get("/report")
    assert response.status_code == 200, response.text
    [programme] = [p for p in response.json()["programmes"] if p["programme_id"] == "rummelig-plus"]
    counts = {c: programme["counts"][c] for c in COLUMNS}
    assert all(isinstance(n, int) and n >= SHOWN for n in counts.values()), counts
    return counts


@pytest.fixture(scope="module")
def citizen() -> SyntheticCitizen:
    """The citizen whose data are erased."""
    return synthetic_citizen(random.Random(20261124_17))


@pytest.fixture(scope="module")
async def erased(
    stack: Stack, intake: httpx.AsyncClient, reporting: httpx.AsyncClient, citizen: SyntheticCitizen
) -> dict[str, Any]:
    """Refer, enrol and start the citizen, read their data once, then erase them as the administrator."""
    await companions(stack, intake, seed=20261124_00)  # so that the report shows each column as a number
    before = await _counts(reporting)
    enrolled_on = today_in_copenhagen() - timedelta(days=14)
    body = referral_body(citizen, referred_on=(enrolled_on - timedelta(days=7)).isoformat(), contact=CONTACT)
    referred = await intake.post("/referrals", json=body)
    assert referred.status_code == 201, referred.text
    pid = referred.json()["participant_id"]
    for path, command in [
        ("enrolment", {"course_id": "plus-aarhus-2026", "enrolled_on": enrolled_on.isoformat()}),
        ("start", {"started_on": (enrolled_on + timedelta(days=7)).isoformat()}),
    ]:
        answer = await intake.post(f"/participants/{pid}/{path}", json=command)
        assert answer.status_code == 200 and answer.json()["status"] == "accepted", answer.text
    assert (await intake.get(f"/participants/{pid}")).status_code == 200

    async def counted() -> dict[str, int] | None:
        now = await _counts(reporting)
        return now if all(now[c] == before[c] + 1 for c in COLUMNS) else None

    counted_before = await eventually(counted, timeout=30)
    admin = stack.token(role="administrator", subject="dpo", email="dpo@example.org")
    async with httpx.AsyncClient(
        base_url=stack.url("intake"), headers={"Authorization": f"Bearer {admin}"}, timeout=30
    ) as administrator:
        answer = await administrator.post(f"/participants/{pid}/erasure", json={"reason": "request"})
        again = await administrator.post(f"/participants/{pid}/erasure", json={"reason": "request"})
    assert answer.status_code == 200, answer.text
    assert again.json() == answer.json()

    async def everywhere() -> bool | None:
        reporting_row = await _fetch(
            stack, "reporting", "SELECT erased FROM participant_progress WHERE participant_id = $1", UUID(pid)
        )
        followup_row = await _fetch(
            stack, "followup", "SELECT case_reference FROM followup_case WHERE participant_id = $1", UUID(pid)
        )
        timeline = (await intake.get(f"/participants/{pid}/timeline")).json()
        told = "participant.erased" in [e["type"] for e in timeline["events"]]
        done = (
            reporting_row and reporting_row[0]["erased"] and followup_row and followup_row[0]["case_reference"] is None
        )
        return True if done and told else None

    await eventually(everywhere, timeout=30)
    case = referred.json()["case_reference"]

    async def notice() -> EmailMessage | None:
        mails = [
            m for m in read_messages(stack.mail_dir) if case in str(m["Subject"]) and "slettet" in str(m["Subject"])
        ]
        return mails[0] if mails else None

    mail = await eventually(notice, timeout=30)  # read before the mail scan below, so that it covers the notice
    return {
        "pid": pid,
        "case": case,
        "notice": mail,
        "counted_before": counted_before,
        "counted_after": await _counts(reporting),
    }


def _forbidden(citizen: SyntheticCitizen) -> list[str]:
    return [citizen.cpr, citizen.cpr.replace("-", ""), citizen.name, *CONTACT.values()]


async def test_intake_keeps_no_key_no_ciphertext_and_no_hash_of_the_citizen(
    erased: dict[str, Any], stack: Stack
) -> None:
    [row] = await _fetch(
        stack,
        "intake",
        "SELECT status, cpr_hash, cpr_encrypted, name_encrypted, contact_encrypted, legacy_key_id FROM participant"
        " WHERE id = $1",
        UUID(erased["pid"]),
    )
    assert dict(row) == {
        "status": "erased",
        "cpr_hash": None,
        "cpr_encrypted": None,
        "name_encrypted": None,
        "contact_encrypted": None,
        "legacy_key_id": None,
    }
    assert (
        await _fetch(stack, "intake", "SELECT 1 FROM participant_key WHERE participant_id = $1", UUID(erased["pid"]))
        == []
    )


async def test_the_timeline_still_answers_and_the_personal_part_is_gone(
    erased: dict[str, Any], intake: httpx.AsyncClient, citizen: SyntheticCitizen
) -> None:
    timeline = await intake.get(f"/participants/{erased['pid']}/timeline")
    assert timeline.status_code == 200
    assert [e["type"] for e in timeline.json()["events"]][:3] == [
        "referral.registered",
        "enrolment.confirmed",
        "participation.started",
    ]
    assert (await intake.get(f"/participants/{erased['pid']}")).status_code == 410
    assert (await intake.post("/search/participants", json={"cpr": citizen.cpr})).json()["total"] == 0


async def test_the_caseworker_is_emailed_once_and_follow_up_then_forgets_the_case(
    erased: dict[str, Any], stack: Stack
) -> None:
    mail: EmailMessage = erased["notice"]
    assert str(mail["To"]) == CASEWORKER_EMAIL
    text = mail.get_body(("plain",))
    assert text is not None and "efter en anmodning om sletning" in str(text.get_content())
    assert len([m for m in read_messages(stack.mail_dir) if erased["case"] in str(m["Subject"])]) == 1

    async def recorded() -> list[asyncpg.Record] | None:
        sql = "SELECT case_reference, caseworker_email, basis FROM erasure_notice WHERE participant_id = $1"
        found = await _fetch(stack, "followup", sql + " AND sent_at IS NOT NULL", UUID(erased["pid"]))
        return found or None  # the SMTP server accepts the email a moment before the sender records it

    [notice] = await eventually(recorded, timeout=10)
    assert dict(notice) == {"case_reference": None, "caseworker_email": None, "basis": "request"}


async def test_the_report_counts_are_unchanged_by_the_erasure(erased: dict[str, Any]) -> None:
    assert erased["counted_after"] == erased["counted_before"]


async def test_the_citizens_data_are_found_in_no_table_topic_log_or_email(
    erased: dict[str, Any], stack: Stack, citizen: SyntheticCitizen
) -> None:
    forbidden = _forbidden(citizen)
    assert (await found_in_tables(stack, forbidden))[1] == []
    assert (await found_on_topics(stack, forbidden))[1] == []
    assert found_in_logs(stack, forbidden)[1] == []
    assert found_in_mail(stack, forbidden)[1] == []
