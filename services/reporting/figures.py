"""Every figure the report computes: a stable id, a definition a caseworker understands (Danish and English), and
the rule that picks the people it counts, as an SQL condition on a participant's row `p` of the projection and
the programme's settings `s` (catalogue_programme).

Each figure counts people, each once; rules follow DOMAIN.md (the fund's definitions and guidance). The catalogue's
targets name figures by these ids (shared.contracts.FigureId).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from shared import fund_rules

Group = Literal["programme", "funnel", "esf-result", "esf-output", "esf-plus", "register", "quality"]


def one_of(values: Iterable[str]) -> str:
    """An SQL list of fixed values (the fund's sets), sorted so that the text is stable: ('a', 'b')."""
    return "(" + ", ".join(f"'{v}'" for v in sorted(values)) + ")"


EMPLOYED_AT_ENTRY = f"p.labour_market_status IN {one_of(fund_rules.EMPLOYED_AT_ENTRY)}"
INACTIVE_AT_ENTRY = "p.labour_market_status IN ('inactive', 'inactive-not-in-education')"
DISADVANTAGED = (
    "'yes' IN (coalesce(p.disability, ''), coalesce(p.migrant, ''), coalesce(p.minority, ''),"
    " coalesce(p.homeless, ''), coalesce(p.other_disadvantage, ''))"
)
UPON_LEAVING = "p.upon_leaving_situation"


def upon_leaving_is(situation: str) -> str:
    """The condition that the situation upon leaving is the one given."""
    return f"{UPON_LEAVING} = '{situation}'"


SELF_SUPPORTING = f"{UPON_LEAVING} IN {one_of(fund_rules.EMPLOYED)}"
# "ordinær eller støttet beskæftigelse" (a grant's words): every kind of job, flex-jobs and wage subsidies included
ORDINARY_OR_SUPPORTED = (*fund_rules.EMPLOYED, "flex-job", "wage-subsidy-job")
CR04_READING = f"(s.cr04_reading IS DISTINCT FROM 'not-employed-at-entry' OR NOT {EMPLOYED_AT_ENTRY})"


def employed_by_settings(situation: str) -> str:
    """Employment of a situation by the programme's settings `s` (the fund's defaults where it has none yet)."""
    return (
        f"({situation} IN {one_of(fund_rules.EMPLOYED)}"
        f" OR ({situation} = 'flex-job' AND s.flex_job_counts_as_employment IS NOT FALSE)"
        f" OR ({situation} = 'wage-subsidy-job' AND s.wage_subsidy_counts_as_employment IS TRUE))"
    )


# Six months after, three readings: what the caseworker recorded (self-reported), what the register found
# (register-observed: DREAM, imported in intake), and what counts, by the programme's setting: with "decide" the
# register's finding where it tells a situation, else the caseworker's record. The fund's six-month figures count the
# third; the register round trip shows the first two beside it. An improvement only the caseworker can tell.
REGISTER_DECIDES = "(s.register_results = 'decide' AND p.register_situation IS NOT NULL)"
SIX_MONTHS_EMPLOYED = {
    "self-reported": "p.employed_six_months",
    "register-observed": employed_by_settings("p.register_situation"),
}
SIX_MONTHS_EMPLOYED["counted"] = (
    f"(CASE WHEN {REGISTER_DECIDES} THEN {SIX_MONTHS_EMPLOYED['register-observed']} ELSE p.employed_six_months END)"
)
SIX_MONTHS_SITUATION = {
    "self-reported": "p.six_months_situation",
    "register-observed": "p.register_situation",
    "counted": f"(CASE WHEN {REGISTER_DECIDES} THEN p.register_situation ELSE p.six_months_situation END)",
}
EMPLOYED_SIX_MONTHS = SIX_MONTHS_EMPLOYED["counted"]
READINGS = {
    "self-reported": ("som registreret af sagsbehandleren", "as the caseworker recorded it"),
    "register-observed": ("som fundet i registeret", "as the register found it"),
}


def register_agrees(agrees: bool) -> str:
    """The register's finding and the caseworker's counted record compared (shared.fund_rules.REGISTER_AGREES)."""
    pairs = " OR ".join(
        f"(p.register_finding = '{finding}' AND p.six_months_situation IN {one_of(situations)})"
        for finding, situations in sorted(fund_rules.REGISTER_AGREES.items())
    )
    compared = (
        f"p.register_finding IN {one_of(fund_rules.REGISTER_AGREES)} AND p.six_months_situation IS NOT NULL"
        " AND p.six_months_situation <> 'unreachable'"
    )
    return f"{compared} AND {'' if agrees else 'NOT '}({pairs})"


# A record incomplete on gender, employment status, age or education counts in the grand total only (the fund).
COMPLETE = (
    "p.gender IS NOT NULL AND p.labour_market_status IS NOT NULL AND p.age_band IS NOT NULL"
    " AND p.education_level IS NOT NULL AND p.education_level <> 'unknown'"
)


@dataclass(frozen=True)
class Figure:
    """A number of people in the report."""

    id: str
    group: Group
    da: str
    en: str
    where: str


def _f(id_: str, group: Group, da: str, en: str, where: str) -> Figure:
    return Figure(id_, group, da, en, where)


def _result(id_: str, group: Group, da: str, en: str, where: str) -> Figure:
    """A figure of leavers or their results: only someone who started has left (a never-started person withdrew)."""
    return Figure(id_, group, da, en, f"p.started AND ({where})")


FIGURES: tuple[Figure, ...] = (
    # --- the programme's own figures (the seeds' results page and the grants' targets) ---
    _f("recruited", "programme", "Henviste borgere.", "Citizens referred to the programme.", "p.referred"),
    _f(
        "participants",
        "programme",
        "Deltagere, der er startet på et forløb.",
        "Participants who started a course.",
        "p.started",
    ),
    _result(
        "completed",
        "programme",
        "Deltagere, hvis seneste forløb er gennemført.",
        "Participants whose final course was completed.",
        "p.completed",
    ),
    _result(
        "dropped-out",
        "programme",
        "Deltagere, der afbrød deres seneste forløb.",
        "Participants who left their final course early.",
        "p.dropped_out",
    ),
    _result(
        "stopped-early-for-job-or-education",
        "programme",
        "Stoppet før tid på grund af job eller uddannelse.",
        "Left early because of a job or education.",
        "p.dropped_out AND p.drop_out_reason IN ('job', 'education')",
    ),
    _result(
        "employed-upon-leaving",
        "programme",
        "I beskæftigelse inden for fire uger efter afslutning.",
        "In employment within four weeks after leaving.",
        "p.employed_upon_leaving",
    ),
    _result(
        "employed-ordinary-upon-leaving",
        "programme",
        "I ordinær beskæftigelse ved afslutning.",
        "In ordinary employment upon leaving.",
        upon_leaving_is("ordinary-employment"),
    ),
    _result(
        "employed-self-employed-upon-leaving",
        "programme",
        "Selvstændige ved afslutning.",
        "Self-employed upon leaving.",
        upon_leaving_is("self-employed"),
    ),
    _result(
        "employed-social-economy-upon-leaving",
        "programme",
        "Ansat i en socialøkonomisk virksomhed ved afslutning.",
        "Employed in a social-economy enterprise upon leaving.",
        upon_leaving_is("social-economy-employment"),
    ),
    _result(
        "employed-flex-job-upon-leaving",
        "programme",
        "I fleksjob ved afslutning.",
        "In a flex-job upon leaving.",
        upon_leaving_is("flex-job"),
    ),
    _result(
        "employed-wage-subsidy-upon-leaving",
        "programme",
        "I job med løntilskud ved afslutning.",
        "In a wage-subsidy job upon leaving.",
        upon_leaving_is("wage-subsidy-job"),
    ),
    _result(
        "employed-ordinary-or-supported-upon-leaving",
        "programme",
        "I ordinær eller støttet beskæftigelse ved afslutning: ordinært job, job i en socialøkonomisk virksomhed,"
        " selvstændig, fleksjob eller job med løntilskud.",
        "In ordinary or supported employment upon leaving: an ordinary job, a job in a social-economy enterprise,"
        " self-employed, a flex-job or a wage-subsidy job.",
        f"{UPON_LEAVING} IN {one_of(ORDINARY_OR_SUPPORTED)}",
    ),
    _result(
        "job-seeking-upon-leaving",
        "programme",
        "Jobsøgende ved afslutning.",
        "Job-seeking upon leaving.",
        f"{UPON_LEAVING} = 'job-seeking'",
    ),
    _result(
        "inactive-at-entry-job-seeking-upon-leaving",
        "programme",
        "Uden for arbejdsstyrken ved start og jobsøgende ved afslutning.",
        "Inactive at entry and job-seeking upon leaving.",
        f"{INACTIVE_AT_ENTRY} AND {UPON_LEAVING} = 'job-seeking'",
    ),
    _result(
        "employed-six-months-after",
        "programme",
        "I beskæftigelse seks måneder efter afslutning.",
        "In employment six months after leaving.",
        EMPLOYED_SIX_MONTHS,
    ),
    _result(
        "employed-ordinary-six-months-after",
        "programme",
        "I ordinær beskæftigelse seks måneder efter afslutning (ikke fleksjob, løntilskud eller socialøkonomisk job).",
        "In ordinary employment six months after leaving (not a flex-job, wage subsidy or social-economy job).",
        f"{SIX_MONTHS_SITUATION['counted']} = 'ordinary-employment'",
    ),
    _result(
        "self-supporting",
        "programme",
        "Selvforsørgende ved afslutning: ordinært job, socialøkonomisk job eller selvstændig.",
        "Self-supporting upon leaving: an ordinary or social-economy job, or self-employed.",
        SELF_SUPPORTING,
    ),
    # --- the path, from referral to employment six months after ---
    _f("enrolled", "funnel", "Tilmeldt et forløb.", "Enrolled on a course.", "p.enrolled"),
    _f("waitlisted", "funnel", "Sat på venteliste.", "Put on a waiting list.", "p.waitlisted"),
    _f("withdrawn", "funnel", "Trukket tilbage før start.", "Withdrew before starting.", "p.withdrawn"),
    _result(
        "left",
        "funnel",
        "Afsluttet: gennemført eller afbrudt.",
        "Left: completed or dropped out.",
        "p.left_on IS NOT NULL",
    ),
    _result(
        "outcome-recorded",
        "funnel",
        "Situationen ved afslutning er registreret, så den tæller.",
        "The situation upon leaving is recorded in time to count.",
        f"{UPON_LEAVING} IS NOT NULL",
    ),
    _result(
        "six-month-result-recorded",
        "funnel",
        "Resultatet seks måneder efter er registreret, så det tæller (eller fundet i registeret, hvor det afgør).",
        "The six-month result is recorded in time to count (or found in the register, where it decides).",
        f"{SIX_MONTHS_SITUATION['counted']} IS NOT NULL",
    ),
    # --- ESF 2014-20 common result indicators (Regulation (EU) No 1304/2013, Annex I) ---
    _result(
        "CR01",
        "esf-result",
        "Uden for arbejdsstyrken ved start, jobsøgende ved afslutning.",
        "Inactive participants engaged in job searching upon leaving.",
        f"{INACTIVE_AT_ENTRY} AND {UPON_LEAVING} = 'job-seeking'",
    ),
    _result(
        "CR02",
        "esf-result",
        "I uddannelse ved afslutning.",
        "Participants in education or training upon leaving.",
        f"{UPON_LEAVING} = 'education'",
    ),
    _result(
        "CR03",
        "esf-result",
        "Har opnået en kvalifikation ved afslutning.",
        "Participants gaining a qualification upon leaving.",
        "p.qualification_gained IS TRUE",
    ),
    _result(
        "CR04",
        "esf-result",
        "I beskæftigelse, også som selvstændig, ved afslutning (programmets læsning).",
        "Participants in employment, including self-employment, upon leaving (the programme's reading).",
        f"p.employed_upon_leaving AND {CR04_READING}",
    ),
    _result(
        "CR05",
        "esf-result",
        "Udsatte deltagere, der søger job, er i uddannelse, har fået en kvalifikation eller er i job ved afslutning.",
        "Disadvantaged participants job searching, in education, gaining a qualification or employed upon leaving.",
        f"{DISADVANTAGED} AND ({UPON_LEAVING} IN ('job-seeking', 'education') OR p.qualification_gained IS TRUE"
        " OR p.employed_upon_leaving)",
    ),
    _result(
        "CR06",
        "esf-result",
        "I beskæftigelse seks måneder efter afslutning.",
        "Participants in employment six months after leaving.",
        EMPLOYED_SIX_MONTHS,
    ),
    _result(
        "CR07",
        "esf-result",
        "I job ved start og med en forbedret situation seks måneder efter.",
        "Participants with an improved labour-market situation six months after leaving.",
        f"{EMPLOYED_AT_ENTRY} AND p.employed_six_months AND p.improvement IS NOT NULL AND p.improvement <> 'none'",
    ),
    _result(
        "CR08",
        "esf-result",
        "Over 54 år ved start og i beskæftigelse seks måneder efter.",
        "Participants above 54 years of age in employment six months after leaving.",
        f"p.age_band = 'over-54' AND {EMPLOYED_SIX_MONTHS}",
    ),
    _result(
        "CR09",
        "esf-result",
        "Udsatte deltagere i beskæftigelse seks måneder efter.",
        "Disadvantaged participants in employment six months after leaving.",
        f"{DISADVANTAGED} AND {EMPLOYED_SIX_MONTHS}",
    ),
    # --- ESF 2014-20 output indicators: participants at entry ---
    _f(
        "unemployed",
        "esf-output",
        "Ledige ved start, også langtidsledige.",
        "Unemployed at entry, including long-term unemployed.",
        "p.started AND p.labour_market_status = 'unemployed'",
    ),
    _f(
        "long-term-unemployed",
        "esf-output",
        "Langtidsledige ved start.",
        "Long-term unemployed at entry.",
        "p.started AND p.labour_market_status = 'unemployed' AND p.long_term_unemployed IS TRUE",
    ),
    _f(
        "inactive",
        "esf-output",
        "Uden for arbejdsstyrken ved start.",
        "Inactive at entry.",
        f"p.started AND {INACTIVE_AT_ENTRY}",
    ),
    _f(
        "inactive-not-in-education",
        "esf-output",
        "Uden for arbejdsstyrken og ikke i uddannelse ved start.",
        "Inactive, not in education or training, at entry.",
        "p.started AND p.labour_market_status = 'inactive-not-in-education'",
    ),
    _f(
        "employed",
        "esf-output",
        "I beskæftigelse, også som selvstændig, ved start.",
        "Employed, including self-employed, at entry.",
        f"p.started AND {EMPLOYED_AT_ENTRY}",
    ),
    _f(
        "under-25",
        "esf-output",
        "Under 25 år ved start.",
        "Below 25 years of age at entry.",
        "p.started AND p.age_band = 'under-25'",
    ),
    _f(
        "over-54",
        "esf-output",
        "Over 54 år ved start.",
        "Above 54 years of age at entry.",
        "p.started AND p.age_band = 'over-54'",
    ),
    _f(
        "isced-0-2",
        "esf-output",
        "Højst grundskole eller ungdomsuddannelse på lavt niveau (ISCED 0-2).",
        "With primary or lower secondary education (ISCED 0-2).",
        "p.started AND p.education_level = 'isced-0-2'",
    ),
    _f(
        "isced-3-4",
        "esf-output",
        "Gymnasial eller erhvervsuddannelse (ISCED 3-4).",
        "With upper secondary or post-secondary education (ISCED 3-4).",
        "p.started AND p.education_level = 'isced-3-4'",
    ),
    _f(
        "isced-5-8",
        "esf-output",
        "Videregående uddannelse (ISCED 5-8).",
        "With tertiary education (ISCED 5-8).",
        "p.started AND p.education_level = 'isced-5-8'",
    ),
    _f(
        "disadvantaged",
        "esf-output",
        "Udsatte: handicap, indvandrer- eller minoritetsbaggrund, hjemløs eller andet.",
        "Disadvantaged: disability, migrant or minority background, homeless, or other.",
        f"p.started AND {DISADVANTAGED}",
    ),
    _f(
        "with-disabilities",
        "esf-output",
        "Med handicap.",
        "Participants with disabilities.",
        "p.started AND p.disability = 'yes'",
    ),
    _f(
        "migrants-and-minorities",
        "esf-output",
        "Indvandrere, udenlandsk baggrund eller minoriteter.",
        "Migrants, participants with a foreign background, minorities.",
        "p.started AND (p.migrant = 'yes' OR p.minority = 'yes')",
    ),
    _f(
        "homeless",
        "esf-output",
        "Hjemløse eller udelukket fra boligmarkedet.",
        "Homeless or affected by housing exclusion.",
        "p.started AND p.homeless = 'yes'",
    ),
    # --- ESF+ 2021-27 (Regulation (EU) 2021/1057, Annex I): the codes confirmed from a source, and the age bands ---
    _f("EECO01", "esf-plus", "Deltagere i alt.", "Total participants.", "p.started"),
    # EECO13: not a citizen of the Union (SFC support portal, "Definitions for EECO13 (Third-country nationals),
    # EECO14 (Participants with a foreign background), EECO15 (Minorities)", 13 April 2023)
    _f(
        "EECO13",
        "esf-plus",
        "Tredjelandsstatsborgere: deltagere, der ikke er statsborgere i et EU-land.",
        "Third-country nationals: participants who are not citizens of the Union.",
        "p.started AND p.third_country_national = 'yes'",
    ),
    _f(
        "EECO14",
        "esf-plus",
        "Deltagere med udenlandsk baggrund.",
        "Participants with a foreign background.",
        "p.started AND p.migrant = 'yes'",
    ),
    _f(
        "EECO15",
        "esf-plus",
        "Deltagere fra minoriteter.",
        "Participants from minorities.",
        "p.started AND p.minority = 'yes'",
    ),
    # From rural areas (Regulation (EU) 2021/1057, Annex I, 1.2); its code is not confirmed from a source, so the
    # figure goes by its name
    _f(
        "rural-areas",
        "esf-plus",
        "Deltagere fra landdistrikter.",
        "Participants from rural areas.",
        "p.started AND p.rural_area = 'yes'",
    ),
    _result(
        "EECR01",
        "esf-plus",
        "Søger job ved afslutning.",
        "Participants engaged in job searching upon leaving.",
        f"{UPON_LEAVING} = 'job-seeking'",
    ),
    _result(
        "EECR04",
        "esf-plus",
        "I beskæftigelse, også som selvstændig, ved afslutning.",
        "Participants in employment, including self-employment, upon leaving.",
        "p.employed_upon_leaving",
    ),
    # Annex I's other results of 2021/1057, by name: their EECR codes are not confirmed from a source
    _result(
        "in-education-upon-leaving",
        "esf-plus",
        "I uddannelse ved afslutning.",
        "Participants in education or training upon leaving.",
        f"{UPON_LEAVING} = 'education'",
    ),
    _result(
        "qualification-upon-leaving",
        "esf-plus",
        "Har opnået en kvalifikation ved afslutning.",
        "Participants gaining a qualification upon leaving.",
        "p.qualification_gained IS TRUE",
    ),
    _result(
        "improved-situation-six-months-after",
        "esf-plus",
        "I job ved start og med en forbedret situation seks måneder efter.",
        "Participants with an improved labour-market situation six months after leaving.",
        f"{EMPLOYED_AT_ENTRY} AND p.employed_six_months AND p.improvement IS NOT NULL AND p.improvement <> 'none'",
    ),
    _f(
        "under-18",
        "esf-plus",
        "Under 18 år ved start.",
        "Below 18 years of age at entry.",
        "p.started AND p.age_band_esf_plus = 'under-18'",
    ),
    _f(
        "18-29",
        "esf-plus",
        "18-29 år ved start.",
        "18 to 29 years of age at entry.",
        "p.started AND p.age_band_esf_plus = '18-29'",
    ),
    _f(
        "55-and-over",
        "esf-plus",
        "55 år eller derover ved start.",
        "55 years of age and above at entry.",
        "p.started AND p.age_band_esf_plus = '55-and-over'",
    ),
    # --- the register round trip: six months after, as recorded, as the register found it, and how they agree ---
    _result(
        "register-observed",
        "register",
        "Resultater efter seks måneder, som registeret (DREAM) har fundet for den sidste afslutning.",
        "Six-month results the register (DREAM) has found for the final exit.",
        "p.register_finding IS NOT NULL",
    ),
    _result(
        "register-agrees",
        "register",
        "Sagsbehandlerens resultat efter seks måneder stemmer med registerets.",
        "The caseworker's six-month result agrees with the register's.",
        register_agrees(True),
    ),
    _result(
        "register-disagrees",
        "register",
        "Sagsbehandlerens resultat efter seks måneder stemmer ikke med registerets.",
        "The caseworker's six-month result disagrees with the register's.",
        register_agrees(False),
    ),
    *(
        _result(
            f"{figure}-{reading}",
            "register",
            f"{da} ({READINGS[reading][0]}).",
            f"{en} ({READINGS[reading][1]}).",
            where.format(employed=SIX_MONTHS_EMPLOYED[reading]),
        )
        for figure, da, en, where in (
            (
                "employed-six-months-after",
                "I beskæftigelse seks måneder efter afslutning",
                "In employment six months after leaving",
                "{employed}",
            ),
            ("CR06", "CR06 I beskæftigelse seks måneder efter", "CR06 In employment six months after", "{employed}"),
            (
                "CR08",
                "CR08 Over 54 år og i beskæftigelse seks måneder efter",
                "CR08 Above 54 and in employment six months after",
                "p.age_band = 'over-54' AND {employed}",
            ),
            (
                "CR09",
                "CR09 Udsatte deltagere i beskæftigelse seks måneder efter",
                "CR09 Disadvantaged participants in employment six months after",
                f"{DISADVANTAGED} AND {{employed}}",
            ),
        )
        for reading in ("self-reported", "register-observed")
    ),
    # --- data quality ---
    _result(
        "follow-ups-due",
        "quality",
        "Opfølgninger, der venter på at blive registreret.",
        "Follow-ups waiting to be recorded.",
        "'open' IN (coalesce(p.leaving_check, ''), coalesce(p.six_month_check, ''))",
    ),
    _result(
        "follow-ups-overdue",
        "quality",
        "Opfølgninger, der er overskredet.",
        "Follow-ups overdue.",
        "'overdue' IN (coalesce(p.leaving_check, ''), coalesce(p.six_month_check, ''))",
    ),
    _result(
        "recorded-late",
        "quality",
        "Resultater registreret for sent til at tælle.",
        "Results recorded too late to count.",
        "p.upon_leaving_late OR p.six_months_late",
    ),
    _f(
        "incomplete-records",
        "quality",
        "Deltagere med ufuldstændige oplysninger (køn, status, alder, uddannelse).",
        "Participants incomplete on gender, status, age or education.",
        f"p.started AND NOT ({COMPLETE})",
    ),
)
BY_ID = {f.id: f for f in FIGURES}

# Which fund's indicators a programme reports: ESF 2014-20 (Regulation (EU) No 1304/2013, Annex I: CO and CR codes,
# ages below 25 and above 54) or ESF+ 2021-27 (Regulation (EU) 2021/1057, Annex I: EECO and EECR codes, ages below
# 18, 18-29 and 55 and over). The programme's own figures, its path and the quality of its records are in both.
ONLY_ESF_2014_2020 = frozenset(
    {"under-25", "over-54", "inactive-not-in-education", "migrants-and-minorities", "disadvantaged"}
    | {f"{cr}-{reading}" for cr in ("CR06", "CR08", "CR09") for reading in ("self-reported", "register-observed")}
)


# The age band a breakdown shows: ESF+'s bands (below 18, 18-29, 30-54, 55 and over) for an ESF+ programme, ESF
# 2014-20's (below 25, 25-54, above 54) otherwise; `s` is the participant's programme (catalogue_programme).
AGE_BAND = "CASE WHEN s.fund = 'esf-plus-2021-2027' THEN p.age_band_esf_plus ELSE p.age_band END"


def reported_for(fund: str, register_results: str = "verify") -> tuple[Figure, ...]:
    """The figures a programme of this fund reports, in the order of the figure table: the register's readings
    unless it does not use the register, the caseworkers' beside the counted ones only where the register decides
    (else they are the same people)."""
    esf_plus = fund == "esf-plus-2021-2027"
    return tuple(
        f
        for f in FIGURES
        if not (esf_plus and (f.group == "esf-result" or f.id in ONLY_ESF_2014_2020))
        and not (not esf_plus and f.group == "esf-plus")
        and not (f.group == "register" and register_results == "off")
        and not (f.id.endswith("-self-reported") and register_results != "decide")
    )


CR04_READINGS = {
    "every-participant": ("CR04 tæller alle deltagere i job ved afslutning.", "CR04 counts every participant."),
    "not-employed-at-entry": (
        "CR04 tæller kun deltagere, der ikke var i job ved start.",
        "CR04 counts only participants not employed at entry.",
    ),
}


# The dashboard's monthly series: the date each is counted by, and who counts.
TRENDS = {  # series -> (the date it is counted by, an extra condition)
    "referrals": ("p.referred_on", "true"),
    "starts": ("p.entered_on", "p.started"),
    "exits": ("p.left_on", "p.started"),
    "employed-upon-leaving": ("p.left_on", "p.started AND p.employed_upon_leaving"),
}
