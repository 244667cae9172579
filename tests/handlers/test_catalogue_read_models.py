"""The catalogue's read models in intake and reporting, through their consumers, on a real migrated PostgreSQL.

Each record on the compacted catalogue topic is an entry's whole state: it lands in both read models, a later record
of the same entry replaces it, a duplicate changes nothing. Reporting keeps no contact data; intake keeps neither
targets nor companies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from services.intake.catalogue import queries as intake_catalogue
from services.reporting import queries as reporting_catalogue
from services.reporting.queries import TargetInForce
from services.topology import subscriptions
from shared.contracts import (
    CompanyPublished,
    CoursePublished,
    FigureId,
    TargetPublished,
    TargetStep,
    to_event,
)
from shared.db import SessionMaker
from shared.registry import Contract
from shared.topics import CATALOGUE_EVENTS
from tests.fixtures.database import Databases
from tests.fixtures.events import SETTINGS, programme, subproject
from tests.fixtures.handlers import apply, deliver, execute, processed, row, rows


@pytest.fixture
def intake(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    """Sessions on intake's database."""
    return service_sessions("intake")


@pytest.fixture
def reporting(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    """Sessions on reporting's database."""
    return service_sessions("reporting")


def an_id(kind: str) -> str:
    """An id of its own for one test: the session's databases are shared by every test."""
    return f"{kind}-{uuid4().hex[:12]}"


def course(course_id: str, programme_id: str, subproject_id: str, **changes: Any) -> CoursePublished:
    fields: dict[str, Any] = {
        "course_id": course_id,
        "programme_id": programme_id,
        "subproject_id": subproject_id,
        "municipality": "751",
        "starts_on": date(2018, 2, 1),
        "ends_on": date(2018, 6, 30),
        "capacity": 12,
    }
    return CoursePublished(**(fields | changes))


def target(
    target_id: str,
    programme_id: str,
    *steps: tuple[int, date],
    subproject_id: str | None = None,
    figure: FigureId = "participants",
) -> TargetPublished:
    return TargetPublished(
        target_id=target_id,
        programme_id=programme_id,
        subproject_id=subproject_id,
        figure=figure,
        steps=[TargetStep(number=n, effective_on=d) for n, d in steps],
    )


def company(company_id: str, programme_id: str, subproject_id: str) -> CompanyPublished:
    return CompanyPublished(
        company_id=company_id,
        programme_id=programme_id,
        kind="social-economy",
        recruited_on=date(2018, 3, 1),
        subproject_ids=[subproject_id],
    )


async def by_id(sessions: SessionMaker, table: str, entry_id: str) -> dict[str, Any] | None:
    return await row(sessions, f"SELECT * FROM {table} WHERE id = :id", id=entry_id)


async def steps_of(sessions: SessionMaker, target_id: str) -> list[tuple[date, int]]:
    found = await rows(
        sessions,
        "SELECT effective_on, number FROM catalogue_target_step WHERE target_id = :t ORDER BY effective_on",
        t=target_id,
    )
    return [(r["effective_on"], r["number"]) for r in found]


async def in_force(sessions: SessionMaker, target_id: str, on: date) -> int | None:
    async with sessions() as session:
        return await reporting_catalogue.target_in_force(session, target_id, on)


async def test_every_kind_of_entry_lands_in_both_read_models(intake: SessionMaker, reporting: SessionMaker) -> None:
    pid, sid, cid, tid, coid = an_id("p"), an_id("s"), an_id("c"), an_id("t"), an_id("co")
    shared_kinds: list[Contract] = [programme(pid), subproject(sid, pid), course(cid, pid, sid)]
    for fact in shared_kinds:
        await deliver(intake, "intake", fact)
    for fact in [*shared_kinds, target(tid, pid, (550, date(2017, 9, 1))), company(coid, pid, sid)]:
        await deliver(reporting, "reporting", fact)

    assert await by_id(intake, "catalogue_programme", pid) == {
        "id": pid,
        "title": "Rummelig test",
        "starts_on": date(2017, 9, 1),
        "ends_on": date(2020, 12, 31),
        "fund": "esf-2014-2020",
    }
    assert await by_id(intake, "catalogue_subproject", sid) == {
        "id": sid,
        "programme_id": pid,
        "municipalities": ["751", "727"],
        "target_groups": ["long-term-unemployed"],
        "starts_on": date(2017, 9, 1),
        "ends_on": date(2020, 12, 31),
        "scope": "regional",
    }
    the_course = {
        "id": cid,
        "programme_id": pid,
        "subproject_id": sid,
        "municipality": "751",
        "starts_on": date(2018, 2, 1),
        "ends_on": date(2018, 6, 30),
        "capacity": 12,
    }
    # intake also keeps what its pages call the course: nothing here, as the course was published without a title
    assert await by_id(intake, "catalogue_course", cid) == the_course | {"title": None, "location": None}
    assert await by_id(reporting, "catalogue_course", cid) == the_course
    assert await by_id(reporting, "catalogue_programme", pid) == {
        "id": pid,
        "title": "Rummelig test",
        "operator": "Testkommune",
        "region": "Midtjylland",
        "starts_on": date(2017, 9, 1),
        "ends_on": date(2020, 12, 31),
        "fund": "esf-2014-2020",
        "flex_job_counts_as_employment": True,
        "wage_subsidy_counts_as_employment": False,
        "cr04_reading": "every-participant",
        "min_cell": 5,
        "six_month_result_grace_days": 90,
        "register_results": "verify",
    }
    assert await by_id(reporting, "catalogue_subproject", sid) == {
        "id": sid,
        "programme_id": pid,
        "title": "Veje til job",
        "provider_kind": "municipality",
        "municipalities": ["751", "727"],
        "target_groups": ["long-term-unemployed"],
        "starts_on": date(2017, 9, 1),
        "ends_on": date(2020, 12, 31),
        "scope": "regional",
        "illustrative": False,
    }
    assert await by_id(reporting, "catalogue_target", tid) == {
        "id": tid,
        "programme_id": pid,
        "subproject_id": None,
        "figure": "participants",
    }
    assert await steps_of(reporting, tid) == [(date(2017, 9, 1), 550)]
    assert await by_id(reporting, "catalogue_company", coid) == {
        "id": coid,
        "programme_id": pid,
        "kind": "social-economy",
        "recruited_on": date(2018, 3, 1),
        "subproject_ids": [sid],
    }


async def test_the_helpers_intake_will_check_referrals_with_read_the_read_model(intake: SessionMaker) -> None:
    pid, sid = an_id("p"), an_id("s")
    await deliver(intake, "intake", programme(pid))
    await deliver(intake, "intake", subproject(sid, pid, municipalities=["101"]))

    async with intake() as session:
        found_programme = await intake_catalogue.programme(session, pid)
        found_subproject = await intake_catalogue.subproject_serving(session, sid)
        assert await intake_catalogue.programme(session, an_id("p")) is None
        assert await intake_catalogue.subproject_serving(session, an_id("s")) is None
    assert found_programme is not None and found_programme.ends_on == date(2020, 12, 31)
    assert found_subproject is not None
    assert (found_subproject.programme_id, found_subproject.municipalities) == (pid, ["101"])


async def test_an_amended_target_answers_the_number_in_force_on_each_date(reporting: SessionMaker) -> None:
    pid, tid = an_id("p"), an_id("t")
    await deliver(reporting, "reporting", target(tid, pid, (550, date(2017, 9, 1))))
    # The amendment publishes the target's whole state again: the original, then the new number from its date.
    await deliver(reporting, "reporting", target(tid, pid, (550, date(2017, 9, 1)), (810, date(2019, 3, 1))))

    assert await steps_of(reporting, tid) == [(date(2017, 9, 1), 550), (date(2019, 3, 1), 810)]
    assert await in_force(reporting, tid, date(2017, 8, 31)) is None
    assert await in_force(reporting, tid, date(2018, 6, 1)) == 550
    assert await in_force(reporting, tid, date(2019, 2, 28)) == 550
    assert await in_force(reporting, tid, date(2019, 3, 1)) == 810
    assert await in_force(reporting, tid, date(2020, 6, 1)) == 810
    assert await in_force(reporting, an_id("t"), date(2020, 6, 1)) is None


async def test_the_targets_of_a_programme_each_with_the_number_in_force(reporting: SessionMaker) -> None:
    pid, sid = an_id("p"), an_id("s")
    await deliver(reporting, "reporting", target(f"{pid}-a", pid, (550, date(2017, 9, 1)), (810, date(2019, 3, 1))))
    social = target(
        f"{pid}-b", pid, (40, date(2018, 1, 1)), subproject_id=sid, figure="companies-recruited-social-economy"
    )
    await deliver(reporting, "reporting", social)
    await deliver(reporting, "reporting", target(an_id("t"), an_id("p"), (7, date(2017, 9, 1))))  # not this one's

    async with reporting() as session:
        early = await reporting_catalogue.targets_of(session, pid, date(2017, 12, 31))
        late = await reporting_catalogue.targets_of(session, pid, date(2020, 6, 1))
        assert await reporting_catalogue.targets_of(session, an_id("p"), date(2020, 6, 1)) == []

    assert early == [
        TargetInForce(f"{pid}-a", None, "participants", 550),
        TargetInForce(f"{pid}-b", sid, "companies-recruited-social-economy", None),
    ]
    assert late == [
        TargetInForce(f"{pid}-a", None, "participants", 810),
        TargetInForce(f"{pid}-b", sid, "companies-recruited-social-economy", 40),
    ]


async def test_a_later_record_of_an_entry_replaces_it_in_both_read_models(
    intake: SessionMaker, reporting: SessionMaker
) -> None:
    pid, sid, cid = an_id("p"), an_id("s"), an_id("c")
    # An extension and a smaller minimum cell; a sub-project narrowed and renamed; a course with more seats.
    extended = programme(pid, ends_on=date(2022, 6, 30), settings=SETTINGS.model_copy(update={"min_cell": 3}))
    narrower = subproject(sid, pid, municipalities=["751"], scope="local", title="Veje til uddannelse")
    for sessions, service in ((intake, "intake"), (reporting, "reporting")):
        for fact in (programme(pid), subproject(sid, pid), course(cid, pid, sid)):
            await deliver(sessions, service, fact)
        for fact in (extended, narrower, course(cid, pid, sid, capacity=15)):
            await deliver(sessions, service, fact)

    for sessions in (intake, reporting):
        found_programme = await by_id(sessions, "catalogue_programme", pid)
        found_subproject = await by_id(sessions, "catalogue_subproject", sid)
        found_course = await by_id(sessions, "catalogue_course", cid)
        assert found_programme is not None and found_programme["ends_on"] == date(2022, 6, 30)
        assert found_subproject is not None
        assert (found_subproject["municipalities"], found_subproject["scope"]) == (["751"], "local")
        assert found_course is not None and found_course["capacity"] == 15
    reported_programme = await by_id(reporting, "catalogue_programme", pid)
    reported_subproject = await by_id(reporting, "catalogue_subproject", sid)
    assert reported_programme is not None and reported_programme["min_cell"] == 3
    assert reported_subproject is not None and reported_subproject["title"] == "Veje til uddannelse"


async def test_a_target_record_replaces_its_steps_whole(reporting: SessionMaker) -> None:
    pid, tid = an_id("p"), an_id("t")
    await deliver(reporting, "reporting", target(tid, pid, (550, date(2017, 9, 1)), (810, date(2019, 3, 1))))
    # The target set again with another first date: the old steps do not linger.
    await deliver(reporting, "reporting", target(tid, pid, (600, date(2018, 1, 1)), (810, date(2019, 3, 1))))

    assert await steps_of(reporting, tid) == [(date(2018, 1, 1), 600), (date(2019, 3, 1), 810)]
    assert await in_force(reporting, tid, date(2017, 12, 31)) is None


async def test_a_duplicate_delivery_changes_nothing_even_after_a_later_record(
    intake: SessionMaker, reporting: SessionMaker
) -> None:
    pid, tid = an_id("p"), an_id("t")
    first = to_event(target(tid, pid, (550, date(2017, 9, 1))), source="tests")
    assert await apply(reporting, "reporting", first) is True
    await deliver(reporting, "reporting", target(tid, pid, (550, date(2017, 9, 1)), (810, date(2019, 3, 1))))
    before = (await by_id(reporting, "catalogue_target", tid), await steps_of(reporting, tid))

    assert await apply(reporting, "reporting", first) is False  # redelivered, as after a crash before the commit

    assert (await by_id(reporting, "catalogue_target", tid), await steps_of(reporting, tid)) == before
    assert await in_force(reporting, tid, date(2020, 6, 1)) == 810

    published = to_event(programme(pid), source="tests")
    assert await apply(intake, "intake", published) is True
    once = await by_id(intake, "catalogue_programme", pid)
    assert await apply(intake, "intake", published) is False
    assert await by_id(intake, "catalogue_programme", pid) == once


async def test_reporting_keeps_no_coordinator_email_anywhere(reporting: SessionMaker, intake: SessionMaker) -> None:
    pid, sid = an_id("p"), an_id("s")
    email = f"koordinator-{uuid4().hex[:8]}@aarhus.example.dk"
    await deliver(reporting, "reporting", subproject(sid, pid, coordinator_email=email))
    await deliver(intake, "intake", subproject(sid, pid, coordinator_email=email))

    for sessions in (reporting, intake):
        found = await by_id(sessions, "catalogue_subproject", sid)
        assert found is not None
        assert not any("email" in column for column in found), found
        assert email not in str(found.values())
    # Every row of every table of reporting's database, as text: no email address at all, this one or another.
    tables = await rows(reporting, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    assert "catalogue_subproject" in {t["table_name"] for t in tables}
    for name in (t["table_name"] for t in tables):
        hits = await row(reporting, f'SELECT count(*) AS n FROM "{name}" AS r WHERE r::text LIKE :at', at="%@%")
        assert hits == {"n": 0}, name


async def test_intake_skips_targets_and_companies_without_failing(intake: SessionMaker) -> None:
    pid, tid, coid = an_id("p"), an_id("t"), an_id("co")
    for fact in (target(tid, pid, (550, date(2017, 9, 1))), company(coid, pid, an_id("s"))):
        event = to_event(fact, source="tests")
        assert await apply(intake, "intake", event, topic=CATALOGUE_EVENTS) is False  # not its business
        assert not await processed(intake, "intake", event.id)
    tables = await rows(intake, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    assert {"catalogue_target", "catalogue_target_step", "catalogue_company"}.isdisjoint(
        t["table_name"] for t in tables
    )


def test_intake_and_reporting_subscribe_to_the_catalogue() -> None:
    readers = {service for service, topics in subscriptions().items() if CATALOGUE_EVENTS in topics}
    assert {"intake", "reporting"} <= readers


async def reach_of(intake: SessionMaker, cache: intake_catalogue.ReachCache, pid: str, sid: str) -> Any:
    async with intake() as session:
        return await cache.reach(session, pid, sid)


async def test_referrals_keep_the_catalogue_they_check_while_listening_and_forget_it_when_it_changes(
    intake: SessionMaker, databases: Databases
) -> None:
    pid, sid = an_id("p"), an_id("s")
    await deliver(intake, "intake", programme(pid))
    await deliver(intake, "intake", subproject(sid, pid, municipalities=["101"]))
    cache = intake_catalogue.ReachCache()

    # not listening (not started, or the line lost): nothing is kept, every referral reads the read model
    assert (await reach_of(intake, cache, pid, sid)).municipalities == ["101"]
    await execute(intake, "UPDATE catalogue_subproject SET municipalities = '[\"102\"]' WHERE id = :id", id=sid)
    assert (await reach_of(intake, cache, pid, sid)).municipalities == ["102"]

    listener = asyncio.create_task(cache.listen(databases.dsn("intake")))
    try:
        await asyncio.wait_for(cache.listening.wait(), timeout=10)
        assert (await reach_of(intake, cache, pid, sid)).municipalities == ["102"]
        # a change behind the consumer's back is not seen: the answer is kept
        await execute(intake, "UPDATE catalogue_subproject SET municipalities = '[\"103\"]' WHERE id = :id", id=sid)
        assert (await reach_of(intake, cache, pid, sid)).municipalities == ["102"]
        # a change through the consumer (any replica's) is announced on commit and forgotten here
        forgotten = asyncio.Event()
        forget = cache.forget

        def forgetting() -> None:
            forget()
            forgotten.set()

        cache.forget = forgetting  # type: ignore[method-assign]
        await deliver(intake, "intake", subproject(sid, pid, municipalities=["727"]))
        await asyncio.wait_for(forgotten.wait(), timeout=10)
        assert (await reach_of(intake, cache, pid, sid)).municipalities == ["727"]
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
    assert not cache.listening.is_set()
