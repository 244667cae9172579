"""The grant's targets in the report: each with its number in force, its value, its label and what it counts; the
company targets count the partner companies recruited (firms, shown as they are), never an "x"."""

from __future__ import annotations

from datetime import date

from services.enrolment.seed import TARGETS
from services.reporting.figures import reported_for
from shared.contracts import CompanyPublished, FigureId, Situation, TargetPublished, TargetStep
from tests.fixtures.cohort import LEFT, Cohort, day
from tests.fixtures.events import leaving_outcome_recorded, programme, six_month_result_recorded


def target(cohort: Cohort, target_id: str, figure: FigureId, number: int) -> TargetPublished:
    return TargetPublished(
        target_id=f"{cohort.programme}-{target_id}",
        programme_id=cohort.programme,
        figure=figure,
        steps=[TargetStep(number=number, effective_on=date(2017, 9, 1))],
    )


def company(cohort: Cohort, n: int, kind: str) -> CompanyPublished:
    return CompanyPublished(
        company_id=f"{cohort.programme}-{kind[:3]}-{n}",
        programme_id=cohort.programme,
        kind=kind,
        recruited_on=date(2018, 3, 1),
        subproject_ids=[],
    )


async def test_the_company_targets_show_how_many_companies_were_recruited_even_below_the_minimum_cell(
    cohort: Cohort,
) -> None:
    await cohort.facts(programme(cohort.programme))
    await cohort.facts(
        target(cohort, "commercial", "companies-recruited-commercial", 20),
        target(cohort, "social", "companies-recruited-social-economy", 5),
        *(company(cohort, n, "commercial") for n in range(12)),
        *(company(cohort, n, "social-economy") for n in range(3)),
    )
    report = await cohort.report(min_cell=5)
    shown = {t["figure"]: (t["value"], t["number"]) for t in report["targets"]}
    assert shown == {"companies-recruited-commercial": (12, 20), "companies-recruited-social-economy": (3, 5)}
    assert report["companies_recruited"] == {"commercial": 12, "social-economy": 3}


async def test_every_target_carries_its_label_and_what_it_counts_in_both_languages(cohort: Cohort) -> None:
    await cohort.facts(programme(cohort.programme))
    await cohort.facts(
        target(cohort, "social", "employed-social-economy-upon-leaving", 40),
        target(cohort, "companies", "companies-recruited-commercial", 20),
    )
    await cohort.participant()
    for shown in (await cohort.report())["targets"]:
        assert shown["label"]["da"] and shown["label"]["en"] and shown["figure"] not in shown["label"].values()
        assert shown["definition"]["da"] and shown["definition"]["en"]


async def test_ordinary_or_supported_employment_counts_every_kind_of_job_whatever_the_programme_calls_employment(
    cohort: Cohort,
) -> None:
    # the programme counts neither flex-jobs nor wage subsidies as employment; the grant's target counts both
    await cohort.facts(programme(cohort.programme))
    situations: list[Situation] = ["ordinary-employment", "ordinary-employment", "flex-job", "wage-subsidy-job"]
    situations += ["social-economy-employment", "self-employed", "job-seeking", "education"]
    for situation in situations:
        pid = await cohort.participant()
        await cohort.facts(leaving_outcome_recorded(pid, situation, observed_on=day(7), left_on=LEFT))
    values = await cohort.values()
    assert values["employed-ordinary-or-supported-upon-leaving"] == 6
    assert values["self-supporting"] == 4


async def test_ordinary_employment_six_months_after_counts_ordinary_jobs_only(cohort: Cohort) -> None:
    await cohort.facts(programme(cohort.programme))
    for situation in ("ordinary-employment", "flex-job", "social-economy-employment", "self-employed"):
        pid = await cohort.participant()
        await cohort.facts(six_month_result_recorded(pid, situation, observed_on=date(2026, 10, 1), left_on=LEFT))
    values = await cohort.values()
    assert values["employed-ordinary-six-months-after"] == 1
    assert values["employed-six-months-after"] >= 3


def test_the_seed_grants_targets_count_what_the_applications_say() -> None:
    figures = {target_id: t.figure for target_id, t in TARGETS.items()}
    # Rummelig imidt: "200 af disse kommer i ordinær eller støttet beskæftigelse"
    assert figures["rim-self-supporting"] == "employed-ordinary-or-supported-upon-leaving"
    # Varig tilknytning: "På længere sigt er det målet, at 36 personer opnår ordinær beskæftigelse"
    assert figures["varig-employed-long-run"] == "employed-ordinary-six-months-after"


async def test_a_programme_reports_the_indicators_of_its_fund(cohort: Cohort) -> None:
    for fund, shown, not_shown in (
        ("esf-2014-2020", "CR06", "EECR04"),
        ("esf-plus-2021-2027", "EECR04", "CR06"),
    ):
        cohort.programme = f"{cohort.programme[:20]}-{fund[:7]}"
        await cohort.facts(programme(cohort.programme, fund=fund))
        await cohort.participant()
        ids = [f["id"] for f in (await cohort.report())["figures"]]
        assert ids == [f.id for f in reported_for(fund)]
        assert shown in ids and not_shown not in ids


async def test_an_esf_plus_programme_breaks_ages_down_by_esf_plus_bands_a_2014_20_one_by_its_own(
    cohort: Cohort,
) -> None:
    for fund, bands in (
        ("esf-2014-2020", {"under-25", "25-54"}),
        ("esf-plus-2021-2027", {"18-29", "30-54"}),
    ):
        cohort.programme = f"{cohort.programme[:20]}-age-{fund[4:8]}"
        await cohort.facts(programme(cohort.programme, fund=fund))
        for _ in range(3):
            await cohort.participant()
            await cohort.participant(entered={"age_band": "under-25", "age_band_esf_plus": "18-29", "under_25": True})
        participants = next(f for f in (await cohort.report())["figures"] if f["id"] == "participants")
        assert set(participants["breakdowns"]["age_band"]["cells"]) == bands
        assert sum(participants["breakdowns"]["age_band"]["cells"].values()) == participants["value"] == 6
