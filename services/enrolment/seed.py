"""The seed catalogue: the seeds' two programmes with their real periods and targets, their sub-projects, courses
and partner companies, and one illustrative programme running today. python -m services.enrolment.seed writes it;
running it again changes nothing.

Sub-projects, companies and dates the seeds do not give are marked illustrative (in the data, or in the reason).
The enrolment service also seeds it at start when ENROLMENT_SEED_DEMO_CATALOGUE is on (the launcher's default).
"""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.catalogue import queries, service
from services.enrolment.catalogue.domain import CVR_WEIGHTS
from services.enrolment.catalogue.schemas import (
    AmendmentIn,
    CompanyIn,
    CourseIn,
    ExtensionIn,
    ProgrammeIn,
    SubprojectIn,
    TargetIn,
)
from services.enrolment.settings import EnrolmentSettings
from shared.db import create_engine, create_sessionmaker, run, unit_of_work
from shared.rejection import Rejection

SEED_LOCK_KEY = 0x53454544  # "SEED"
RIM, VARIG = "rummelig-imidt", "varig-tilknytning"
PLUS = "rummelig-plus"  # illustrative: a programme running today, for new referrals in the demo and the tests
PROGRAMMES: dict[str, ProgrammeIn] = {
    RIM: ProgrammeIn(
        title="Rummelig imidt",
        operator="Projekter iMidt (LO Midtjylland)",
        region="Midtjylland",
        starts_on=date(2015, 9, 18),
        ends_on=date(2020, 12, 31),  # illustrative: the grant's first end, before the 2019 extension
        fund="esf-2014-2020",
    ),
    VARIG: ProgrammeIn(
        title="Varig tilknytning til arbejdsmarkedet",
        operator="Corolab",
        region="Sjælland",
        starts_on=date(2020, 10, 20),
        ends_on=date(2023, 3, 31),
        fund="esf-2014-2020",
    ),
    PLUS: ProgrammeIn(
        title="Rummelig plus (illustrativt ESF-plus-program)",
        operator="Projekter iMidt (illustrativ)",
        region="Midtjylland",
        starts_on=date(2024, 1, 1),
        ends_on=date(2029, 12, 31),
        fund="esf-plus-2021-2027",
        cr04_reading="not-employed-at-entry",
    ),
}
EXTENSIONS: dict[str, list[ExtensionIn]] = {
    RIM: [
        ExtensionIn(
            ends_on=date(2021, 12, 31),
            decided_on=date(2019, 3, 1),
            reason="Forlænget et år (nyhedsbrev 14, forår 2019); beslutningsdatoen er illustrativ",
        ),
        ExtensionIn(
            ends_on=date(2022, 2, 28),
            decided_on=date(2021, 9, 1),
            reason="Slutdato 28.02.2022 (resultatsiden); beslutningsdatoen er illustrativ",
        ),
    ]
}


def _target(programme: str, figure: str, number: int, subproject: str | None = None) -> TargetIn:
    starts = PROGRAMMES[programme].starts_on
    return TargetIn.model_validate(
        {"programme_id": programme, "subproject_id": subproject, "figure": figure, "number": number, "set_on": starts}
    )


TARGETS: dict[str, TargetIn] = {
    "rim-completed": _target(RIM, "completed", 550),
    "rim-employed-social-economy": _target(RIM, "employed-social-economy-upon-leaving", 40),
    "rim-employed-ordinary": _target(RIM, "employed-ordinary-upon-leaving", 50),
    "rim-job-seeking": _target(RIM, "job-seeking-upon-leaving", 50),
    "rim-employed-six-months": _target(RIM, "employed-six-months-after", 37),
    "rim-participants": _target(RIM, "participants", 600),
    # "200 af disse kommer i ordinær eller støttet beskæftigelse" (the application, section 7)
    "rim-self-supporting": _target(RIM, "employed-ordinary-or-supported-upon-leaving", 200),
    "rim-psych-odder-participants": _target(RIM, "participants", 40, "psych-vulnerable-odder"),
    "varig-recruited": _target(VARIG, "recruited", 120),
    "varig-completed": _target(VARIG, "completed", 120),
    "varig-employed-social-economy": _target(VARIG, "employed-social-economy-upon-leaving", 24),
    "varig-employed-commercial": _target(VARIG, "employed-ordinary-upon-leaving", 24),
    "varig-inactive-job-seeking": _target(VARIG, "inactive-at-entry-job-seeking-upon-leaving", 48),
    # "På længere sigt er det målet, at 36 personer opnår ordinær beskæftigelse" (the application's effects)
    "varig-employed-long-run": _target(VARIG, "employed-ordinary-six-months-after", 36),
    "varig-companies-commercial": _target(VARIG, "companies-recruited-commercial", 20),
    "varig-companies-social-economy": _target(VARIG, "companies-recruited-social-economy", 5),
    "plus-participants": _target(PLUS, "participants", 300),
    "plus-employed-upon-leaving": _target(PLUS, "employed-upon-leaving", 90),
}
AMENDMENTS: dict[str, list[AmendmentIn]] = {
    "rim-completed": [
        AmendmentIn(
            number=810,
            effective_on=date(2019, 3, 1),
            reason="Måltallet øget til 810 ved forlængelsen (nyhedsbrev 14, forår 2019); datoen er illustrativ",
        )
    ]
}

# Region Midtjylland's municipalities that the sub-projects serve: 11, as in the results page.
MUNICIPALITIES = {
    "751": "Aarhus",
    "727": "Odder",
    "766": "Hedensted",
    "615": "Horsens",
    "740": "Silkeborg",
    "657": "Herning",
    "756": "Ikast-Brande",
    "791": "Viborg",
    "730": "Randers",
    "779": "Skive",
    "760": "Ringkøbing-Skjern",
}
ILLUSTRATIVE_GROUPS = (
    "psychologically-vulnerable",
    "early-retirement-pensioners",
    "young-neet",
    "refugees-after-language-course",
    "people-with-disabilities",
    "long-term-unemployed",
)


def _subproject(**fields: object) -> SubprojectIn:
    return SubprojectIn.model_validate({"programme_id": RIM, "scope": "local", **fields})


def _illustrative_subprojects() -> dict[str, SubprojectIn]:
    """Eighteen made-up sub-projects, so Rummelig imidt has its 22 across 11 municipalities."""
    codes = list(MUNICIPALITIES)
    out: dict[str, SubprojectIn] = {}
    for n in range(1, 19):
        code = codes[n % len(codes)]
        group = ILLUSTRATIVE_GROUPS[n % len(ILLUSTRATIVE_GROUPS)]
        out[f"rim-illustrative-{n:02d}"] = _subproject(
            title=f"Illustrativt delprojekt {n}, {MUNICIPALITIES[code]}",
            provider_kind="ngo" if n % 5 == 0 else "municipality",
            provider=f"Eksempel-NGO {n}" if n % 5 == 0 else f"{MUNICIPALITIES[code]} Kommune",
            municipalities=[code],
            target_groups=[group],
            coordinator_email=f"koordinator-{n:02d}@illustrativ.example.dk",
            starts_on=date(2016 + n % 4, 1 + n % 12, 1),
            ends_on=date(2019 + n % 3, 6, 30),
            illustrative=True,
        )
    return out


SUBPROJECTS: dict[str, SubprojectIn] = {
    "war-veterans-aarhus": _subproject(
        title="Krigsveteraner, Aarhus",
        provider_kind="municipality",
        provider="Aarhus Kommune",
        municipalities=["751"],
        target_groups=["war-veterans"],
        coordinator_email="veterankoordinator@aarhus.example.dk",
        starts_on=date(2016, 4, 1),  # illustrative: the seeds give only the end (March 2019)
        ends_on=date(2019, 3, 31),
    ),
    "flex-job-odder": _subproject(
        title="Flere i fleksjob, Odder (med Respektrum)",
        provider_kind="municipality",
        provider="Odder Kommune med Respektrum",
        municipalities=["727"],
        target_groups=["stress-depression-strain-injuries"],
        coordinator_email="fleksjob@odder.example.dk",
        starts_on=date(2016, 8, 1),  # illustrative
        ends_on=date(2019, 3, 31),
    ),
    "deaf-hedensted": _subproject(
        title="Døve og hørehæmmede langtidsledige, Castberggård, Hedensted",
        provider_kind="ngo",
        provider="Castberggård Job- og Udviklingscenter",
        municipalities=["766", "615", "751", "740"],
        target_groups=["deaf-and-hard-of-hearing"],
        coordinator_email="koordinator@castberggaard.example.dk",
        starts_on=date(2016, 9, 1),  # illustrative
        ends_on=date(2019, 3, 31),
        scope="regional",
    ),
    "psych-vulnerable-odder": _subproject(
        title="Psykisk sårbare, Odder (med SIND)",
        provider_kind="ngo",
        provider="SIND",
        municipalities=["727"],
        target_groups=["psychologically-vulnerable"],
        coordinator_email="koordinator@sind-odder.example.dk",
        starts_on=date(2019, 3, 16),
        ends_on=date(2020, 9, 30),
    ),
    **_illustrative_subprojects(),
    "plus-aarhus": SubprojectIn(
        programme_id=PLUS,
        title="Rummelig plus, Aarhus og omegn",
        provider_kind="municipality",
        provider="Aarhus Kommune",
        municipalities=["751", "727", "766"],
        target_groups=["war-veterans", "long-term-unemployed", "psychologically-vulnerable"],
        coordinator_email="koordinator@plus-aarhus.example.dk",
        starts_on=date(2024, 1, 1),
        ends_on=date(2029, 12, 31),
        scope="regional",
        illustrative=True,
    ),
    "varig-holbaek": SubprojectIn(
        programme_id=VARIG,
        title="Småjob og virksomhedsbuddies, Holbæk",
        provider_kind="municipality",
        provider="Holbæk Kommune",
        municipalities=["316"],
        target_groups=["long-term-unemployed"],
        coordinator_email="koordinator@holbaek.example.dk",
        starts_on=date(2021, 1, 1),
        ends_on=date(2023, 3, 31),
        scope="local",
        illustrative=True,
    ),
}


def synthetic_cvr(n: int) -> str:
    """A made-up CVR number with a valid check: seven digits from n, then the digit that makes it divisible by 11."""
    for last in range(10):
        digits = f"{39000000 + n * 10 + last:08d}"
        if sum(int(d) * w for d, w in zip(digits, CVR_WEIGHTS, strict=True)) % 11 == 0:
            return digits
    return synthetic_cvr(n + 5000)  # no digit fits this stem (the check would need 10): take another


def _company(n: int, programme: str, kind: str, subprojects: list[str], recruited_on: date) -> CompanyIn:
    label = "Socialøkonomisk" if kind == "social-economy" else "Kommerciel"
    return CompanyIn.model_validate(
        {
            "programme_id": programme,
            "cvr": synthetic_cvr(n),
            "name": f"{label} eksempelvirksomhed {n} (illustrativ)",
            "kind": kind,
            "recruited_on": recruited_on,
            "subproject_ids": subprojects,
        }
    )


COMPANIES: dict[str, CompanyIn] = {
    "rim-company-1": _company(1, RIM, "commercial", ["war-veterans-aarhus"], date(2017, 2, 1)),
    "rim-company-2": _company(2, RIM, "commercial", ["flex-job-odder"], date(2017, 5, 1)),
    "rim-company-3": _company(3, RIM, "social-economy", ["psych-vulnerable-odder"], date(2019, 4, 1)),
    "rim-company-4": _company(4, RIM, "social-economy", ["deaf-hedensted"], date(2017, 9, 1)),
    "varig-company-1": _company(11, VARIG, "commercial", ["varig-holbaek"], date(2021, 3, 1)),
    "varig-company-2": _company(12, VARIG, "commercial", ["varig-holbaek"], date(2021, 6, 1)),
    "varig-company-3": _company(13, VARIG, "social-economy", ["varig-holbaek"], date(2021, 9, 1)),
}


def _course(subproject_id: str, **fields: object) -> CourseIn:
    return CourseIn.model_validate({"subproject_id": subproject_id, **fields})


def _illustrative_courses() -> dict[str, CourseIn]:
    """One course for each illustrative sub-project, over its whole period."""
    out: dict[str, CourseIn] = {}
    for subproject_id, subproject in SUBPROJECTS.items():
        if not subproject_id.startswith("rim-illustrative-"):
            continue
        code = subproject.municipalities[0]
        out[f"{subproject_id}-course"] = _course(
            subproject_id,
            title=f"Illustrativt forløb, {MUNICIPALITIES[code]}",
            location=f"Jobcenter {MUNICIPALITIES[code]}",
            municipality=code,
            starts_on=subproject.starts_on,
            ends_on=subproject.ends_on,
            capacity=15,
        )
    return out


# Courses of the seeds' sub-projects inside their real periods (the course dates themselves are illustrative), and
# the running course of the illustrative current programme, which the demo's new referrals and the tests use.
COURSES: dict[str, CourseIn] = {
    "vet-aarhus-2017": _course(
        "war-veterans-aarhus",
        title="Indslusningsforløb for veteraner, Aarhus",
        location="Veteranhjemmet, Aarhus",
        municipality="751",
        starts_on=date(2017, 1, 9),
        ends_on=date(2018, 12, 14),
        capacity=25,
        waiting_list_open=True,
    ),
    "flex-odder-2017": _course(
        "flex-job-odder",
        title="Fleksjob efter stress og nedslidning, Odder",
        location="Respektrum, Odder",
        municipality="727",
        starts_on=date(2017, 2, 6),
        ends_on=date(2018, 12, 14),
        capacity=24,
        waiting_list_open=True,
    ),
    "deaf-hedensted-2017": _course(
        "deaf-hedensted",
        title="Døve og hørehæmmede langtidsledige",
        location="Castberggård, Hedensted",
        municipality="766",
        starts_on=date(2017, 3, 6),
        ends_on=date(2019, 3, 29),
        capacity=18,
    ),
    "psych-odder-2019": _course(
        "psych-vulnerable-odder",
        title="Psykisk sårbare i job, Odder",
        location="SIND, Odder",
        municipality="727",
        starts_on=date(2019, 4, 1),
        ends_on=date(2020, 9, 30),
        capacity=40,  # the seeds' 40 places
    ),
    **_illustrative_courses(),
    "varig-holbaek-2021": _course(
        "varig-holbaek",
        title="Småjob med virksomhedsbuddy, Holbæk",
        location="Jobcenter Holbæk",
        municipality="316",
        starts_on=date(2021, 3, 1),
        ends_on=date(2023, 3, 31),
        capacity=30,
    ),
    "plus-aarhus-2026": _course(
        "plus-aarhus",
        title="Indslusningsforløb, Aarhus (illustrativt)",
        location="Jobcenter Aarhus",
        municipality="751",
        starts_on=date(2026, 1, 5),
        ends_on=date(2029, 6, 29),
        capacity=25,
        waiting_list_open=True,
    ),
}


async def seed_catalogue(session: AsyncSession) -> list[Rejection]:
    """Write the whole seed catalogue through the catalogue's own use cases; returns any refusals (none expected)."""
    refused: list[Rejection] = []
    # Replicas starting together seed one after the other: the second finds everything there and changes nothing.
    await run(session, text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEED_LOCK_KEY})

    def check(outcome: object) -> None:
        if isinstance(outcome, Rejection):
            refused.append(outcome)

    for programme_id, programme in PROGRAMMES.items():
        check(await service.put_programme(session=session, programme_id=programme_id, programme_in=programme))
        for extension in EXTENSIONS.get(programme_id, []):
            current = await queries.programme_period(session=session, programme_id=programme_id)
            if current is not None and current.ends_on < extension.ends_on:
                check(
                    await service.extend_programme(session=session, programme_id=programme_id, extension_in=extension)
                )
    for subproject_id, subproject in SUBPROJECTS.items():
        check(await service.put_subproject(session=session, subproject_id=subproject_id, subproject_in=subproject))
    for target_id, target in TARGETS.items():
        outcome = await service.put_target(session=session, target_id=target_id, target_in=target)
        check(outcome)
        for amendment in AMENDMENTS.get(target_id, []):
            if not isinstance(outcome, Rejection) and amendment.effective_on not in {
                a.effective_on for a in outcome.amendments
            }:
                check(await service.amend_target(session=session, target_id=target_id, amendment_in=amendment))
    for company_id, company in COMPANIES.items():
        check(await service.put_company(session=session, company_id=company_id, company_in=company))
    for course_id, course in COURSES.items():
        check(await service.put_course(session=session, course_id=course_id, course_in=course))
    return refused


async def main() -> None:
    """Seed the catalogue in the database ENROLMENT_DATABASE_URL names."""
    settings = EnrolmentSettings()
    engine = create_engine(settings.database_url, statement_seconds=None)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            refused = await seed_catalogue(session)
    finally:
        await engine.dispose()
    if refused:
        raise SystemExit("seed refused: " + "; ".join(f"{r.reason}: {r.detail}" for r in refused))
    print("catalogue seeded")


if __name__ == "__main__":
    asyncio.run(main())
