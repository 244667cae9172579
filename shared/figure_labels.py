"""Every figure's short name, Danish and English, for a page's rows, bars and targets: the operator's (reporting) and
the administrator's target form (enrolment) read the same names. The definitions are longer and live with the
figures in reporting; the fund's own codes keep their code in front, as the fund's reports print them."""

from __future__ import annotations

from typing import Literal

Lang = Literal["da", "en"]

LABELS: dict[str, tuple[str, str]] = {
    # the programme's own figures
    "recruited": ("Henviste", "Referred"),
    "participants": ("Deltagere", "Participants"),
    "completed": ("Gennemført", "Completed"),
    "dropped-out": ("Afbrudt", "Dropped out"),
    "stopped-early-for-job-or-education": (
        "Stoppet før tid for job eller uddannelse",
        "Left early for job or education",
    ),
    "employed-upon-leaving": ("I job ved afslutning", "Employed upon leaving"),
    "employed-ordinary-upon-leaving": ("Ordinært job ved afslutning", "Ordinary job upon leaving"),
    "employed-self-employed-upon-leaving": ("Selvstændig ved afslutning", "Self-employed upon leaving"),
    "employed-social-economy-upon-leaving": (
        "Job i socialøkonomisk virksomhed ved afslutning",
        "Social-economy job upon leaving",
    ),
    "employed-flex-job-upon-leaving": ("Fleksjob ved afslutning", "Flex-job upon leaving"),
    "employed-wage-subsidy-upon-leaving": ("Løntilskud ved afslutning", "Wage-subsidy job upon leaving"),
    "employed-ordinary-or-supported-upon-leaving": (
        "Ordinær eller støttet beskæftigelse ved afslutning",
        "Ordinary or supported employment upon leaving",
    ),
    "job-seeking-upon-leaving": ("Jobsøgende ved afslutning", "Job-seeking upon leaving"),
    "inactive-at-entry-job-seeking-upon-leaving": (
        "Inaktive ved start, jobsøgende ved afslutning",
        "Inactive at entry, job-seeking upon leaving",
    ),
    "employed-six-months-after": ("I job efter 6 måneder", "Employed after six months"),
    "employed-ordinary-six-months-after": ("Ordinært job efter 6 måneder", "Ordinary job after six months"),
    "self-supporting": ("Selvforsørgende", "Self-supporting"),
    # the path
    "enrolled": ("Tilmeldt", "Enrolled"),
    "waitlisted": ("På venteliste", "Waiting list"),
    "withdrawn": ("Trukket tilbage før start", "Withdrew before starting"),
    "left": ("Afsluttet", "Left"),
    "outcome-recorded": ("Situation registreret", "Outcome recorded"),
    "six-month-result-recorded": ("6-måneders resultat registreret", "Six-month result recorded"),
    # ESF 2014-20 results
    "CR01": ("CR01 Inaktive, jobsøgende ved afslutning", "CR01 Inactive, job-seeking upon leaving"),
    "CR02": ("CR02 I uddannelse ved afslutning", "CR02 In education upon leaving"),
    "CR03": ("CR03 Kvalifikation opnået", "CR03 Qualification gained"),
    "CR04": ("CR04 I job ved afslutning", "CR04 Employed upon leaving"),
    "CR05": ("CR05 Udsatte med et resultat ved afslutning", "CR05 Disadvantaged with a result upon leaving"),
    "CR06": ("CR06 I job efter 6 måneder", "CR06 Employed after six months"),
    "CR07": ("CR07 Forbedret situation efter 6 måneder", "CR07 Improved situation after six months"),
    "CR08": ("CR08 Over 54, i job efter 6 måneder", "CR08 Over 54, employed after six months"),
    "CR09": ("CR09 Udsatte i job efter 6 måneder", "CR09 Disadvantaged, employed after six months"),
    # ESF 2014-20 outputs: participants at entry
    "unemployed": ("Ledige", "Unemployed"),
    "long-term-unemployed": ("Langtidsledige", "Long-term unemployed"),
    "inactive": ("Uden for arbejdsstyrken", "Inactive"),
    "inactive-not-in-education": ("Inaktive, ikke i uddannelse", "Inactive, not in education"),
    "employed": ("I beskæftigelse ved start", "Employed at entry"),
    "under-25": ("Under 25 år", "Below 25"),
    "over-54": ("Over 54 år", "Above 54"),
    "isced-0-2": ("Grundskole (ISCED 0-2)", "Primary or lower secondary (ISCED 0-2)"),
    "isced-3-4": ("Ungdomsuddannelse (ISCED 3-4)", "Upper secondary (ISCED 3-4)"),
    "isced-5-8": ("Videregående uddannelse (ISCED 5-8)", "Tertiary (ISCED 5-8)"),
    "disadvantaged": ("Udsatte", "Disadvantaged"),
    "with-disabilities": ("Med handicap", "With disabilities"),
    "migrants-and-minorities": ("Indvandrere og minoriteter", "Migrants and minorities"),
    "homeless": ("Hjemløse", "Homeless"),
    # ESF+
    "EECO01": ("EECO01 Deltagere i alt", "EECO01 Total participants"),
    "EECO13": ("EECO13 Tredjelandsstatsborgere", "EECO13 Third-country nationals"),
    "EECO14": ("EECO14 Udenlandsk baggrund", "EECO14 Foreign background"),
    "EECO15": ("EECO15 Minoriteter", "EECO15 Minorities"),
    "rural-areas": ("Fra landdistrikter", "From rural areas"),
    "EECR01": ("EECR01 Jobsøgende ved afslutning", "EECR01 Job-seeking upon leaving"),
    "EECR04": ("EECR04 I job ved afslutning", "EECR04 Employed upon leaving"),
    "in-education-upon-leaving": ("I uddannelse ved afslutning", "In education upon leaving"),
    "qualification-upon-leaving": ("Kvalifikation opnået ved afslutning", "Qualification gained upon leaving"),
    "improved-situation-six-months-after": (
        "Forbedret situation efter 6 måneder",
        "Improved situation after six months",
    ),
    "under-18": ("Under 18 år", "Below 18"),
    "18-29": ("18-29 år", "Aged 18-29"),
    "55-and-over": ("55 år og derover", "55 and over"),
    # the register round trip: six months after, as recorded and as the register found it
    "register-observed": ("Fundet i registeret (DREAM)", "Found in the register (DREAM)"),
    "register-agrees": ("Stemmer med registeret", "Agrees with the register"),
    "register-disagrees": ("Stemmer ikke med registeret", "Disagrees with the register"),
    "employed-six-months-after-self-reported": (
        "I job efter 6 måneder, registreret",
        "Employed after six months, recorded",
    ),
    "employed-six-months-after-register-observed": (
        "I job efter 6 måneder, ifølge registeret",
        "Employed after six months, per the register",
    ),
    "CR06-self-reported": ("CR06 registreret", "CR06 recorded"),
    "CR06-register-observed": ("CR06 ifølge registeret", "CR06 per the register"),
    "CR08-self-reported": ("CR08 registreret", "CR08 recorded"),
    "CR08-register-observed": ("CR08 ifølge registeret", "CR08 per the register"),
    "CR09-self-reported": ("CR09 registreret", "CR09 recorded"),
    "CR09-register-observed": ("CR09 ifølge registeret", "CR09 per the register"),
    # the quality of the records
    "follow-ups-due": ("Opfølgninger der venter", "Follow-ups waiting"),
    "follow-ups-overdue": ("Opfølgninger overskredet", "Follow-ups overdue"),
    "recorded-late": ("Registreret for sent", "Recorded too late"),
    "incomplete-records": ("Ufuldstændige oplysninger", "Incomplete records"),
    # firms, not people: the partner companies a grant counts
    "companies-recruited-commercial": ("Kommercielle virksomheder rekrutteret", "Commercial companies recruited"),
    "companies-recruited-social-economy": (
        "Socialøkonomiske virksomheder rekrutteret",
        "Social-economy companies recruited",
    ),
}


def label(figure_id: str, lang: Lang) -> str:
    """A figure's short name in the language (every figure has one: tests/unit/test_figure_labels.py)."""
    da, en = LABELS[figure_id]
    return da if lang == "da" else en
