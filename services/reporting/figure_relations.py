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


def twins(cr04_reading: str) -> list[tuple[str, ...]]:
    """Groups of figures that count the very same people (the fund's code beside the programme's name for it)."""
    employed = ("employed-upon-leaving", "EECR04", *(("CR04",) if cr04_reading == "every-participant" else ()))
    return [
        ("participants", "EECO01"),
        employed,
        ("employed-six-months-after", "CR06"),
        ("job-seeking-upon-leaving", "EECR01"),
        ("inactive-at-entry-job-seeking-upon-leaving", "CR01"),
    ]
