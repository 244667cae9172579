"""One participant's whole path over HTTP, through all four services on the real broker, database and SMTP server."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import jsonschema
import pytest
from markupsafe import escape

from deploy.mailcatcher import read_messages
from deploy.stack import Stack
from deploy.synthetic import SyntheticCitizen, referral_body, synthetic_citizen
from services.intake.audit.check import check_chain
from services.topology import topics_to_provision
from shared.clock import today_in_copenhagen
from shared.contracts import REGISTRY
from shared.fund_rules import add_months
from shared.topics import SENDERS
from tests.fixtures.companions import SHOWN, companions
from tests.fixtures.kafka_tools import eventually, read_topic
from tests.fixtures.personal_data import found_in_logs, found_in_mail, found_in_tables, found_on_topics
from tests.fixtures.stack import CASEWORKER_EMAIL
from tests.schema_files import schema_for

pytestmark = pytest.mark.stack
# Synthetic contact details: they must never leave intake's encrypted column either.
CONTACT = {"phone": "+45 71 72 73 74", "email": "journey.citizen@example.org", "address": "Journeyvej 7, 8000 Aarhus C"}
COLUMNS = ("referred", "enrolled", "completed", "employed_upon_leaving", "employed_six_months")


async def _counts(reporting: httpx.AsyncClient) -> dict[str, int]:
    """Rummelig plus's report columns, each a number: the companions walked first make every one at least 5."""
    response = await reporting.get("/report")
    assert response.status_code == 200, response.text
    [programme] = [p for p in response.json()["programmes"] if p["programme_id"] == "rummelig-plus"]
    counts = {c: programme["counts"][c] for c in COLUMNS}
    assert all(isinstance(n, int) and n >= SHOWN for n in counts.values()), counts
    return counts


async def _command(intake: httpx.AsyncClient, participant_id: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await intake.post(f"/participants/{participant_id}/{path}", json=body)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text}"
    answer: dict[str, Any] = response.json()
    assert answer["status"] == "accepted"
    return answer


def _reminders_for(stack: Stack, case_reference: str) -> list[EmailMessage]:
    return [m for m in read_messages(stack.mail_dir) if case_reference in str(m["Subject"])]


@pytest.fixture(scope="module")
def citizen() -> SyntheticCitizen:
    """A synthetic citizen of the journey."""
    return synthetic_citizen(random.Random(20261123))


@pytest.fixture(scope="module")
async def journey(
    stack: Stack, intake: httpx.AsyncClient, reporting: httpx.AsyncClient, citizen: SyntheticCitizen
) -> dict[str, Any]:
    """Drive the whole path once; the tests below look at what it left behind."""
    await companions(stack, intake, seed=20261123_00)  # so that the report shows each column as a number
    before = await _counts(reporting)
    today = today_in_copenhagen()
    left_on = add_months(today, -7)
    started_on = left_on - timedelta(days=60)

    enrolled_on = started_on - timedelta(days=7)
    referred = await intake.post(
        "/referrals",
        json=referral_body(citizen, referred_on=(enrolled_on - timedelta(days=7)).isoformat(), contact=CONTACT),
    )
    assert referred.status_code == 201, referred.text
    pid, case_reference = referred.json()["participant_id"], referred.json()["case_reference"]

    enrolled = await _command(
        intake, pid, "enrolment", {"course_id": "plus-aarhus-2026", "enrolled_on": enrolled_on.isoformat()}
    )
    assert enrolled["fact"]["type"] == "enrolment.confirmed"
    assert (await _command(intake, pid, "start", {"started_on": started_on.isoformat()}))["fact"]["type"] == (
        "participation.started"
    )
    completed = await _command(intake, pid, "completion", {"completed_on": left_on.isoformat()})
    assert completed["fact"]["data"]["left_on"] == left_on.isoformat()
    outcome = await _command(
        intake,
        pid,
        "leaving-outcome",
        {"situation": "ordinary-employment", "observed_on": (left_on + timedelta(days=10)).isoformat()},
    )
    assert outcome["fact"]["type"] == "leaving-outcome.recorded"

    reminders = await eventually(lambda: _async(_reminders_for(stack, case_reference)), timeout=30)
    six_month = [m for m in reminders if "six-month" in str(m["Subject"])]
    assert six_month, [str(m["Subject"]) for m in reminders]

    result = await _command(
        intake, pid, "six-month-result", {"situation": "ordinary-employment", "observed_on": today.isoformat()}
    )
    assert result["fact"]["data"]["employed"] is True

    async def counted() -> dict[str, int] | None:
        after = await _counts(reporting)
        return after if after["employed_six_months"] > before["employed_six_months"] else None

    after = await eventually(counted, timeout=30)
    read = await intake.get(f"/participants/{pid}")  # the journey's one read of personal data
    assert read.status_code == 200 and read.json()["contact"] == CONTACT
    return {
        "pid": pid,
        "case_reference": case_reference,
        "before": before,
        "after": after,
        "left_on": left_on,
        "reminder": six_month[0],
    }


async def _async(value: Any) -> Any:
    return value


async def test_the_report_counts_the_participant_in_every_column(journey: dict[str, Any]) -> None:
    for column in COLUMNS:
        assert journey["after"][column] == journey["before"][column] + 1, column


async def test_the_six_month_reminder_reaches_the_caseworker_without_personal_data(
    journey: dict[str, Any], citizen: SyntheticCitizen
) -> None:
    reminder: EmailMessage = journey["reminder"]
    assert reminder["To"] == CASEWORKER_EMAIL
    due = journey["left_on"]
    text = reminder.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert journey["case_reference"] in text
    assert due.isoformat() in text  # the leaving date
    assert (add_months(due, 6) + timedelta(weeks=8)).isoformat() in text  # the last day a result counts
    assert f"/cases/{journey['case_reference']}" in text
    whole = reminder.as_string()
    assert citizen.cpr not in whole and citizen.cpr.replace("-", "") not in whole
    assert citizen.name not in whole


async def test_no_caught_email_holds_a_cpr_number_a_name_or_contact_details(
    journey: dict[str, Any], stack: Stack, citizen: SyntheticCitizen
) -> None:
    caught, found = found_in_mail(stack, [citizen.cpr, citizen.cpr.replace("-", ""), citizen.name, *CONTACT.values()])
    assert caught  # the journey's reminders at least
    assert found == []


async def test_each_reminder_is_sent_once(journey: dict[str, Any], stack: Stack, intake: httpx.AsyncClient) -> None:
    # Both of the journey's checks are recorded (fulfilled), so no round of the reminder loop claims them any more:
    # a second send could only come from a claim made before. The loop sends everything it claimed in one round
    # before it claims again, so once a marker participant whose checks fell due only now has been reminded about,
    # every earlier claim has been sent, and a double send would show.
    assert [key for key in stack.services if key.startswith("followup")] == ["followup"]  # one reminder loop
    left_on = add_months(today_in_copenhagen(), -7)  # both checks due at once
    enrolled_on = left_on - timedelta(days=61)
    body = referral_body(synthetic_citizen(random.Random(20261124)), referred_on=enrolled_on.isoformat())
    referred = await intake.post("/referrals", json=body)
    assert referred.status_code == 201, referred.text
    marker, marker_case = referred.json()["participant_id"], referred.json()["case_reference"]
    await _command(
        intake, marker, "enrolment", {"course_id": "plus-aarhus-2026", "enrolled_on": enrolled_on.isoformat()}
    )
    await _command(intake, marker, "start", {"started_on": (left_on - timedelta(days=60)).isoformat()})
    await _command(intake, marker, "completion", {"completed_on": left_on.isoformat()})
    await eventually(lambda: _async(_reminders_for(stack, marker_case)), timeout=30)
    six_month = [m for m in _reminders_for(stack, journey["case_reference"]) if "six-month" in str(m["Subject"])]
    assert len(six_month) == 1
    assert len({m["Message-ID"] for m in _reminders_for(stack, journey["case_reference"])}) == len(
        _reminders_for(stack, journey["case_reference"])
    )


async def test_the_timeline_shows_every_step_in_order(journey: dict[str, Any], intake: httpx.AsyncClient) -> None:
    body = (await intake.get(f"/participants/{journey['pid']}/timeline")).json()
    types = [e["type"] for e in body["events"]]
    for earlier, later in [
        ("referral.registered", "enrolment.confirmed"),
        ("enrolment.confirmed", "participation.started"),
        ("participation.started", "participation.completed"),
        ("participation.completed", "leaving-outcome.recorded"),
        ("leaving-outcome.recorded", "six-month-result.recorded"),
    ]:
        assert types.index(earlier) < types.index(later), types
    assert "reminder.sent" in types
    assert body["pending_commands"] == []


async def test_no_record_on_any_topic_carries_a_cpr_number_or_a_name(
    journey: dict[str, Any], stack: Stack, citizen: SyntheticCitizen
) -> None:
    forbidden = [citizen.cpr, citizen.cpr.replace("-", ""), citizen.name, *citizen.name.split(), *CONTACT.values()]
    scanned, found = await found_on_topics(stack, forbidden)
    assert scanned > 10
    assert found == []


async def test_every_event_on_the_fact_and_command_topics_is_where_it_belongs_and_validates_against_its_schema(
    journey: dict[str, Any], stack: Stack
) -> None:
    checked = 0
    for spec in topics_to_provision():
        if spec.name.endswith(".dlt"):
            continue
        for record in await read_topic(stack.kafka.bootstrap_servers, spec.name):
            headers = {k: v.decode("utf-8", "replace") for k, v in record.headers}
            if not headers.get("ce_source", "").startswith("rummelig/"):
                continue  # written by a test on purpose (poison, duplicates), not by a service
            carried = REGISTRY.types_on(spec.name)
            assert headers["ce_type"] in carried, f"{headers['ce_type']} does not belong on {spec.name}"
            assert headers["ce_source"] == f"rummelig/{SENDERS[spec.name]}"
            schema = schema_for(headers["ce_type"], int(headers["ce_dataversion"]))
            jsonschema.validate(json.loads(record.value), schema)
            checked += 1
    assert checked > 10


async def test_no_log_line_of_any_part_carries_the_cpr_number_or_the_name(
    journey: dict[str, Any], stack: Stack, citizen: SyntheticCitizen
) -> None:
    logs, found = found_in_logs(stack, [citizen.cpr, citizen.cpr.replace("-", ""), citizen.name, *CONTACT.values()])
    assert logs >= 6  # four services, the mail catcher, PostgreSQL, Kafka
    assert found == []


async def test_no_table_of_any_service_holds_the_citizens_personal_data_in_the_clear(
    journey: dict[str, Any], stack: Stack, citizen: SyntheticCitizen
) -> None:
    forbidden = [citizen.cpr, citizen.cpr.replace("-", ""), citizen.name, *CONTACT.values()]
    scanned, found = await found_in_tables(stack, forbidden)
    assert scanned > 50
    assert found == []


async def test_the_audit_log_has_exactly_one_entry_for_the_journeys_one_read_of_personal_data(
    journey: dict[str, Any], stack: Stack
) -> None:
    connection = await asyncpg.connect(stack.postgres.dsn("intake"))
    try:
        entries = await connection.fetch(
            "SELECT actor, role, action FROM audit_entry WHERE participant_id = $1", UUID(journey["pid"])
        )
    finally:
        await connection.close()
    # the timeline test reads the timeline, the access-request test answers one: both are reads of their own
    personal = [tuple(e) for e in entries if e["action"] not in ("read-timeline", "access-request")]
    assert personal == [("cw-aarhus", "caseworker", "read-personal-data")]


async def test_the_access_request_holds_every_fact_of_the_journey_and_its_read_of_personal_data(
    journey: dict[str, Any], stack: Stack, intake: httpx.AsyncClient, citizen: SyntheticCitizen
) -> None:
    pid = journey["pid"]
    timeline = (await intake.get(f"/participants/{pid}/timeline")).json()["events"]
    token = stack.token(role="data-protection-officer", email="dpo@example.org", subject="journey-dpo")
    async with httpx.AsyncClient(
        base_url=stack.url("intake"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as dpo:
        doc = (await dpo.get(f"/participants/{pid}/access-request")).json()
        page = await dpo.get(f"/participants/{pid}/access-request", params={"format": "html"})
    assert doc["personal_data"]["cpr"] == citizen.cpr.replace("-", "")
    assert doc["personal_data"]["name"] == citizen.name
    assert doc["personal_data"]["contact"] == CONTACT
    held = [f["id"] for f in doc["facts"]]
    assert held[: len(timeline)] == [e["id"] for e in timeline]  # every fact, in the timeline's order
    types = {f["type"] for f in doc["facts"]}
    assert {
        "referral.registered",
        "enrolment.confirmed",
        "participation.started",
        "participation.completed",
        "followup.check-scheduled",
        "leaving-outcome.recorded",
        "reminder.sent",
        "six-month-result.recorded",
        "followup.check-closed",
    } <= types
    assert "reminder" in {r["kind"] for r in doc["reminders"]}
    reads = [(r["actor"], r["action"]) for r in doc["reads"]]
    assert ("cw-aarhus", "read-personal-data") in reads
    assert reads[-1] == ("journey-dpo", "access-request")
    assert page.status_code == 200 and str(escape(citizen.name)) in page.text


async def test_the_audit_chain_of_the_stack_holds(journey: dict[str, Any], stack: Stack) -> None:
    verdict = await check_chain(stack.postgres.url("intake"))
    assert verdict.broken is None, verdict
    assert verdict.count >= 2


async def test_a_leaving_outcome_observed_after_four_weeks_is_kept_and_the_caseworker_told_it_will_not_count(
    journey: dict[str, Any], intake: httpx.AsyncClient
) -> None:
    left_on = today_in_copenhagen() - timedelta(days=40)
    enrolled_on = left_on - timedelta(days=61)
    body = referral_body(synthetic_citizen(random.Random(20261125)), referred_on=enrolled_on.isoformat())
    referred = await intake.post("/referrals", json=body)
    assert referred.status_code == 201, referred.text
    pid = referred.json()["participant_id"]
    await _command(intake, pid, "enrolment", {"course_id": "plus-aarhus-2026", "enrolled_on": enrolled_on.isoformat()})
    await _command(intake, pid, "start", {"started_on": (left_on - timedelta(days=60)).isoformat()})
    await _command(intake, pid, "completion", {"completed_on": left_on.isoformat()})

    late = await _command(
        intake,
        pid,
        "leaving-outcome",
        {"situation": "ordinary-employment", "observed_on": today_in_copenhagen().isoformat()},
    )
    assert (late["fact"]["data"]["counts"], late["fact"]["data"]["late"]) == (False, True)
    assert "will not count upon leaving" in late["notice"]
    in_time = await _command(
        intake,
        pid,
        "leaving-outcome",
        {"situation": "job-seeking", "observed_on": (left_on + timedelta(days=3)).isoformat()},
    )
    assert in_time["fact"]["data"]["counts"] is True and "notice" not in in_time
