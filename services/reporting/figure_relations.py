"""How the figures relate, for suppression: figures whose parts add up to another in every cell, and figures that
count the very same people. A hidden count must not be given away by either (services.reporting.suppression)."""

from __future__ import annotations

from services.reporting.figures import FIGURES, upon_leaving_is
from shared import fund_rules


def counting_upon_leaving(situation: str) -> str:
    """The figure that counts the people in one situation upon leaving."""
    condition = upon_leaving_is(situation)
    return next(f.id for f in FIGURES if f.where in (condition, f"p.started AND ({condition})"))


# Figures that add up to another in every cell, their parts excluding each other: suppression must weigh them together.
EMPLOYED_KINDS_ALWAYS = tuple(counting_upon_leaving(s) for s in sorted(fund_rules.EMPLOYED))


def identities(*, flex_job_is_employment: bool, wage_subsidy_is_employment: bool) -> list[tuple[str, tuple[str, ...]]]:
    """(whole, parts) pairs that hold for the programme's settings."""
    employed = (
        *EMPLOYED_KINDS_ALWAYS,
        *(("employed-flex-job-upon-leaving",) if flex_job_is_employment else ()),
        *(("employed-wage-subsidy-upon-leaving",) if wage_subsidy_is_employment else ()),
    )
    return [
        ("left", ("completed", "dropped-out")),
        ("employed-upon-leaving", employed),
        ("self-supporting", EMPLOYED_KINDS_ALWAYS),
        (
            "employed-ordinary-or-supported-upon-leaving",
            (*EMPLOYED_KINDS_ALWAYS, "employed-flex-job-upon-leaving", "employed-wage-subsidy-upon-leaving"),
        ),
        ("participants", ("unemployed", "inactive", "employed")),
    ]


def twins(cr04_reading: str, register_results: str = "verify") -> list[tuple[str, ...]]:
    """Groups of figures that count the very same people (the fund's code beside the programme's name for it; six
    months after, the counted reading beside the caseworkers' unless the register decides)."""
    employed = ("employed-upon-leaving", "EECR04", *(("CR04",) if cr04_reading == "every-participant" else ()))
    recorded = ("employed-six-months-after-self-reported", "CR06-self-reported")
    counted = ("employed-six-months-after", "CR06")
    return [
        ("participants", "EECO01"),
        employed,
        *([counted, recorded] if register_results == "decide" else [(*counted, *recorded)]),
        ("employed-six-months-after-register-observed", "CR06-register-observed"),
        ("job-seeking-upon-leaving", "EECR01"),
        ("inactive-at-entry-job-seeking-upon-leaving", "CR01"),
    ]


def contained(cr04_reading: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(part, wholes): the part's people are among the wholes' in every cell (a reader knows it from the definitions):
    every figure of people who started among the participants, and CR04 as the programme reads it."""
    started = tuple((f.id, ("participants",)) for f in FIGURES if f.where.startswith("p.started") and f.id != "EECO01")
    if cr04_reading != "not-employed-at-entry":
        return started
    return (*started, ("CR04", ("unemployed", "inactive")))


def rest_contained(cr04_reading: str) -> tuple[tuple[tuple[str, str], tuple[str, ...]], ...]:
    """((part, whole), wholes): the rest of a nested figure is among the wholes' people (EECR04 - CR04, where CR04
    leaves out those employed at entry, are among the employed at entry)."""
    return ((("CR04", "EECR04"), ("employed",)),) if cr04_reading == "not-employed-at-entry" else ()


# The figures the operator hands in to the fund: shown as numbers in the programme-to-date report unless they are
# themselves 1 to min_cell-1 (complementary suppression hides cells of the breakdowns instead). Every figure a target
# is measured against is one as well (services.reporting.figures_report adds them).
HEADLINE = (
    "participants",
    "EECO01",
    "completed",
    "stopped-early-for-job-or-education",
    "employed-upon-leaving",
    "employed-six-months-after",
    "self-supporting",
)

# (part, whole): the part counts some of the whole's people, and the rest are a count too, never shown but as easily
# worked out (EECR04 - CR04 = the employed upon leaving who were employed at entry, where CR04 counts only the others).
NESTED = (
    ("CR04", "EECR04"),
    ("CR01", "EECR01"),
    ("CR08", "CR06"),
    ("CR09", "CR06"),
    *(
        (f"{cr}-{reading}", f"CR06-{reading}")
        for cr in ("CR08", "CR09")
        for reading in ("self-reported", "register-observed")
    ),
    ("employed-six-months-after-register-observed", "register-observed"),
    ("register-agrees", "register-observed"),
    ("register-disagrees", "register-observed"),
    ("stopped-early-for-job-or-education", "dropped-out"),
    ("long-term-unemployed", "unemployed"),
    ("inactive-not-in-education", "inactive"),
)

# The dashboard's monthly series beside the figure whose people they count, by the period kind that dates them
# (None: only the programme-to-date total; the referral date is no period a report is asked for).
SERIES = {
    "referrals": ("recruited", None),
    "starts": ("participants", "entry"),
    "exits": ("left", "leaving"),
    "employed-upon-leaving": ("employed-upon-leaving", "leaving"),
}
