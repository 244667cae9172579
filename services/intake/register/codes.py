"""DREAM's weekly benefit codes, read as the register's findings: a table, each row with its source and how sure.

DREAM (the Danish Agency for Labour Market and Recruitment's spell database) gives each person one three-digit code
per ISO week; a blank week is a week without public benefit. Where a person received several benefits in a week,
DREAM keeps one by priority (unemployment over cash benefit, sickness benefit over activation): the week shows the
strongest, not every one ("DREAM, version juni 2015", docplayer.dk/3576558).

Sources:
  [PMC] Table 2 of BMC Public Health 23:224 (2023), doi:10.1186/s12889-023-15106-y, which groups DREAM's codes as
        "not benefit recipient" (blank, 121, 651, 652, 661, 881), "health-related benefit" (750, 753-758, 760,
        763-768, 771, 775, 781, 783, 785, 810, 813-818, 890, 893) and "other benefit" (every other code).
  [STAR] carstennielsen/DREAMtoolsR R/u.spells.R, by the agency's own staff: a blank week is no benefit; 651 and 652
        are exits to education; 997, 998 and 999 end a spell without an outcome (pension, death, emigration).
  [inferred] the benefit named is our reading of the groups above and of DREAM's usual blocks (1xx unemployment,
        2xx activation, 6xx early retirement, 7xx cash benefit, rehabilitation and pension, 8xx sickness), not
        seen in a published code list. DREAM's own code list (STAR) was not reachable from where this was written:
        the rows marked inferred are to be confirmed against it before the register decides anything in production
        (the programme setting `verify`, the default, only shows the finding beside the caseworker's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.contracts import RegisterFinding

Sureness = Literal["stated", "grouped", "inferred"]


@dataclass(frozen=True)
class CodeRange:
    """Codes first..last (inclusive) and what a week of them shows."""

    first: int
    last: int
    finding: RegisterFinding | None  # None: read as a week without benefit, as the source groups it
    meaning: str
    source: str
    sureness: Sureness


# Narrow rows first: the first row holding a code decides.
CODES: tuple[CodeRange, ...] = (
    CodeRange(121, 121, None, "grouped with no benefit (holiday pay from an unemployment fund?)", "PMC", "grouped"),
    CodeRange(651, 652, "education", "SU, the state education grant (education)", "STAR, PMC", "stated"),
    CodeRange(661, 661, "education", "adult-education support, grouped with SU", "PMC", "grouped"),
    CodeRange(881, 881, "other-benefit", "maternity or parental benefit (barselsdagpenge)", "PMC", "inferred"),
    CodeRange(890, 890, "sickness-benefit", "sickness benefit (sygedagpenge)", "PMC", "grouped"),
    CodeRange(893, 893, "sickness-benefit", "sickness benefit, another scheme", "PMC", "grouped"),
    CodeRange(781, 785, "disability-pension", "disability pension (førtidspension)", "PMC", "grouped"),
    CodeRange(771, 775, "job-seeking", "ledighedsydelse: unemployed, awaiting a flex-job", "PMC", "inferred"),
    CodeRange(810, 818, "flex-job", "flex-job (fleksjob)", "PMC", "inferred"),
    CodeRange(750, 768, "other-benefit", "rehabilitation (revalidering, forrevalidering)", "PMC", "grouped"),
    CodeRange(997, 999, "left-the-register", "out: old-age pension, death, emigration", "STAR", "stated"),
    CodeRange(111, 199, "job-seeking", "unemployment insurance benefit while unemployed (a-dagpenge)", "", "inferred"),
    CodeRange(211, 299, "job-seeking", "activation of unemployment-benefit recipients", "", "inferred"),
    CodeRange(611, 699, "retired", "voluntary early retirement (efterløn) and transitional benefits", "", "inferred"),
    CodeRange(100, 999, "other-benefit", "any other: cash benefit, leave, activation", "PMC", "grouped"),
)


def _row(code: str) -> CodeRange | None:
    number = int(code)
    return next((row for row in CODES if row.first <= number <= row.last), None)


def finding_of_code(code: str) -> RegisterFinding | None:
    """What a week of this code shows; None for a week read as without benefit."""
    row = _row(code)
    return row.finding if row is not None else "other-benefit"


def is_known(code: str) -> bool:
    """Whether the code is in DREAM's range of benefit codes (100-999)."""
    return _row(code) is not None
