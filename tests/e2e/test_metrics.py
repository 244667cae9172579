"""On the whole stack: after a small cohort has walked its paths, each service's /metrics shows what it did (requests
by route template, events consumed and published, handlers, batches, lag, outbox, emails, the audit chain, the
catalogue cache), and no label value anywhere is a participant id, case reference, CPR number or name."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import timedelta
from uuid import uuid4

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from deploy.simulate import Mix, drive, plan
from deploy.stack import SERVICES, Stack
from shared.clock import today_in_copenhagen
from shared.metrics import COMMON_METRICS
from tests.fixtures.kafka_tools import eventually
from tests.fixtures.simulation import simulation_catalogue, until_intake_knows

pytestmark = pytest.mark.stack
Samples = dict[str, list[Sample]]  # metric family name -> its samples
# What a personal value would look like if one slipped into a label: an id, a CPR number with or without its dash
PERSONAL_SHAPES = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-|\b\d{6}-?\d{4}\b")


async def _scrape(stack: Stack, service: str) -> Samples:
    async with httpx.AsyncClient(base_url=stack.url(service), timeout=10) as client:
        answer = await client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {family.name: family.samples for family in text_string_to_metric_families(answer.text)}


def _total(samples: Samples, family: str, suffix: str = "", **labels: str) -> float:
    """The sum of a family's samples (of one suffix: _count of a histogram) whose labels include `labels`."""
    return sum(
        s.value
        for s in samples.get(family, [])
        if s.name == family + suffix and all(s.labels.get(k) == v for k, v in labels.items())
    )


async def test_every_service_shows_what_it_did_and_no_label_is_personal(stack: Stack) -> None:
    programme = f"metrics-{uuid4().hex[:8]}"
    courses = await simulation_catalogue(stack, programme)
    mix = Mix(subprojects=courses, municipalities={"751": 1.0}, target_groups={"long-term-unemployed": 1.0})
    cohort = plan(mix, 6, random.Random(21), first=today_in_copenhagen() - timedelta(days=300))

    def caseworker(municipality: str) -> str:
        return stack.token(role="caseworker", municipality=municipality, email=f"cw-{municipality}@example.dk")

    await until_intake_knows(stack, programme)
    ids = await drive(stack.url("intake"), caseworker, programme, cohort)
    async with httpx.AsyncClient(
        base_url=stack.url("intake"), headers={"Authorization": f"Bearer {caseworker('751')}"}, timeout=10
    ) as api:
        assert (await api.get(f"/participants/{ids[0]}")).status_code == 200  # a read of personal data, audited
        assert (await api.get(f"/participants/{uuid4()}")).status_code == 404

    async def reporting_has_them() -> bool:
        conn = await asyncpg.connect(stack.postgres.dsn("reporting"))
        try:
            return bool(
                await conn.fetchval("SELECT count(*) FROM participant_progress WHERE programme_id = $1", programme)
                == len(ids)
            )
        finally:
            await conn.close()

    await eventually(reporting_has_them, timeout=60)

    async def scraped_after_a_reminder() -> dict[str, Samples] | None:
        scraped = {service: await _scrape(stack, service) for service in SERVICES}
        return scraped if _total(scraped["followup"], "rummelig_reminders_sent", "_total", kind="reminder") else None

    # a planned six-month result of "none" leaves a check open past its date: its reminder goes out at once
    scraped: dict[str, Samples] = await eventually(scraped_after_a_reminder, timeout=60)

    for service, samples in scraped.items():
        # the parser names a counter's family without its _total
        missing = [n for n in (*COMMON_METRICS, "process_cpu_seconds_total") if n.removesuffix("_total") not in samples]
        assert not missing, f"{service} lacks {missing}"
        # its own consumer applied records, a batch at a time, each handled by a handler it timed
        assert _total(samples, "rummelig_events_consumed", "_total", service=service, outcome="applied") > 0, service
        assert _total(samples, "rummelig_consumer_batch_records", "_count", service=service) > 0, service
        assert _total(samples, "rummelig_handler_duration_seconds", "_count", service=service) > 0, service
        assert _total(samples, "rummelig_dependency_up", service=service, dependency="database") == 1, service
        assert _total(samples, "rummelig_dependency_up", service=service, dependency="kafka") == 1, service
        gauges = ("rummelig_outbox_backlog_messages", "rummelig_outbox_oldest_unpublished_age_seconds")
        assert all(samples[g] for g in gauges), f"{service}: the outbox gauges were never sampled"
        assert samples["rummelig_consumer_lag_records"], f"{service}: lag never sampled"
    intake, enrolment = scraped["intake"], scraped["enrolment"]
    # requests by route template: the referral form's route, not the path of one participant
    assert _total(intake, "rummelig_http_requests", "_total", method="POST", route="/referrals", status="201") >= 6
    read = _total(intake, "rummelig_http_requests", "_total", route="/participants/{participant_id}", status="200")
    assert read >= 1 and _total(intake, "rummelig_http_requests", "_total", status="404") >= 1
    assert _total(intake, "rummelig_http_request_duration_seconds", "_count", route="/referrals") >= 6
    assert _total(intake, "rummelig_events_published", "_total", type="referral.registered") >= 6
    assert _total(enrolment, "rummelig_events_published", "_total", type="enrolment.confirmed") >= 6
    assert _total(intake, "rummelig_audit_chain_appends", "_total") >= 1
    assert _total(intake, "rummelig_audit_chain_intact") == 1  # checked when intake started
    assert _total(intake, "rummelig_catalogue_cache_lookups", "_total") >= 6
    assert "rummelig_reminders_due" in scraped["followup"]

    # No label value is personal: none is one of the cohort's ids, case references, CPR numbers or names
    conn = await asyncpg.connect(stack.postgres.dsn("intake"))
    try:
        references = [r["case_reference"] for r in await conn.fetch("SELECT case_reference FROM participant")]
    finally:
        await conn.close()
    personal = {*ids, *references}
    for who in cohort:
        personal |= {who.citizen.cpr, who.citizen.cpr.replace("-", ""), *who.citizen.name.split()}
    values: dict[str, set[str]] = defaultdict(set)
    for service, samples in scraped.items():
        for family in samples.values():
            for sample in family:
                for label, value in sample.labels.items():
                    values[value].add(f"{service}:{sample.name}{{{label}}}")
    leaks = {value: where for value, where in values.items() if value in personal or PERSONAL_SHAPES.search(value)}
    leaks |= {  # a name inside a longer value (a route, a topic) is as bad
        value: where for value, where in values.items() for word in personal if len(word) > 3 and word in value
    }
    assert not leaks, leaks
