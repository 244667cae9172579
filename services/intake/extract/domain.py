"""The fund's participant extract: what the managing authority asks for each half-year, one row per participant.

One record per participant for the fund: the entry is the first start (as corrected), the exit is the final one (a
participant who started again after leaving has no exit until they leave again), and the results are those that
count for that final exit. Everything is folded from the facts on intake's timeline; the characteristics at entry
come from the referral and from `participant.entered` (ages judged on the start date).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.intake.domain import wire_name
from shared import contracts


class Facts:
    """The timeline's facts the extract is folded from, by the wire names the contracts give them."""

    STARTED = wire_name(contracts.ParticipationStarted)
    START_CORRECTED = wire_name(contracts.StartCorrected)
    COMPLETED = wire_name(contracts.ParticipationCompleted)
    DROPPED_OUT = wire_name(contracts.ParticipationDroppedOut)
    LEAVING_DATE_CORRECTED = wire_name(contracts.LeavingDateCorrected)
    DROP_OUT_REASON_CORRECTED = wire_name(contracts.DropOutReasonCorrected)
    ENTERED = wire_name(contracts.ParticipantEntered)
    LEAVING_OUTCOME = wire_name(contracts.LeavingOutcomeRecorded)
    SIX_MONTH_RESULT = wire_name(contracts.SixMonthResultRecorded)


FACT_TYPES = tuple(value for name, value in vars(Facts).items() if name.isupper())

# (column, Danish heading) in the order the extract shows them
COLUMNS: tuple[tuple[str, str], ...] = (
    ("cpr", "CPR-nummer"),
    ("case_reference", "sagsreference"),
    ("programme_id", "program"),
    ("subproject_id", "delprojekt"),
    ("municipality", "kommune"),
    ("target_group", "målgruppe"),
    ("entered_on", "startdato"),
    ("left_on", "slutdato"),
    ("exit", "afslutning"),
    ("drop_out_reason", "årsag til frafald"),
    ("gender", "køn"),
    ("age_band", "aldersgruppe"),
    ("age_band_esf_plus", "aldersgruppe (ESF+)"),
    ("under_25", "under 25"),
    ("over_54", "over 54"),
    ("labour_market_status", "beskæftigelsesstatus"),
    ("months_unemployed", "måneder ledig"),
    ("long_term_unemployed", "langtidsledig"),
    ("education_level", "uddannelsesniveau (ISCED)"),
    ("benefit", "ydelse"),
    ("disability", "handicap"),
    ("migrant_or_foreign_background", "migrant eller udenlandsk baggrund"),
    ("minority", "minoritet"),
    ("homeless_or_housing_exclusion", "hjemløs eller udelukket fra bolig"),
    ("other_disadvantage", "anden ulempe"),
    ("third_country_national", "tredjelandsstatsborger"),
    ("rural_area", "fra landdistrikt"),
    ("upon_leaving_situation", "situation ved afslutning"),
    ("upon_leaving_employed", "i beskæftigelse ved afslutning"),
    ("qualification_gained", "kvalifikation opnået"),
    ("upon_leaving_observed_on", "situation ved afslutning observeret"),
    ("six_months_situation", "situation efter seks måneder"),
    ("six_months_employed", "i beskæftigelse efter seks måneder"),
    ("improvement", "forbedret situation"),
    ("six_months_observed_on", "situation efter seks måneder observeret"),
)
DISADVANTAGES = (
    "disability",
    "migrant_or_foreign_background",
    "minority",
    "homeless_or_housing_exclusion",
    "other_disadvantage",
    "third_country_national",
    "rural_area",
)


@dataclass(frozen=True)
class Fact:
    """One fact on the timeline, in the order intake received it."""

    type: str
    data: dict[str, Any]


@dataclass
class _Exit:
    left_on: date
    kind: str
    reason: str | None


@dataclass
class Path:
    """A participant's path as the fund counts it."""

    starts: list[date] = field(default_factory=list)
    exits: list[_Exit] = field(default_factory=list)
    entered: dict[str, Any] = field(default_factory=dict)
    upon_leaving: dict[int | None, dict[str, Any]] = field(default_factory=dict)  # by exit number
    six_months: dict[int | None, dict[str, Any]] = field(default_factory=dict)

    @property
    def entered_on(self) -> date | None:
        """The fund's entry: the first start."""
        return min(self.starts, default=None)

    @property
    def final_exit(self) -> _Exit | None:
        """The latest exit, unless the participant started again after it."""
        if not self.exits:
            return None
        last = max(self.exits, key=lambda e: e.left_on)
        return None if any(s > last.left_on for s in self.starts) else last

    def result(self, results: dict[int | None, dict[str, Any]]) -> dict[str, Any] | None:
        """The counting result of the final exit (a v1 fact names no exit: it is taken for the only one)."""
        if self.final_exit is None:
            return None
        return results.get(len(self.exits)) or results.get(None)


def path_of(facts: Iterable[Fact]) -> Path:
    """Fold a participant's facts, in timeline order, into their path."""
    path = Path()
    for fact in facts:
        data = fact.data
        match fact.type:
            case Facts.STARTED:
                path.starts.append(date.fromisoformat(data["started_on"]))
            case Facts.START_CORRECTED:
                _replace(path.starts, date.fromisoformat(data["previous_started_on"]), data["started_on"])
            case Facts.COMPLETED | Facts.DROPPED_OUT:
                kind = "completed" if fact.type == Facts.COMPLETED else "dropped-out"
                path.exits.append(_Exit(date.fromisoformat(data["left_on"]), kind, data.get("reason")))
            case Facts.LEAVING_DATE_CORRECTED:
                previous = date.fromisoformat(data["previous_left_on"])
                for an_exit in reversed(path.exits):
                    if an_exit.left_on == previous:
                        an_exit.left_on = date.fromisoformat(data["left_on"])
                        break
            case Facts.DROP_OUT_REASON_CORRECTED:
                dropped = [e for e in path.exits if e.kind == "dropped-out"]
                if dropped:
                    max(dropped, key=lambda e: e.left_on).reason = data["drop_out_reason"]
            case Facts.ENTERED:
                path.entered = data
            case Facts.LEAVING_OUTCOME | Facts.SIX_MONTH_RESULT:
                if data.get("counts", True):  # a v1 fact knew no late records: it counts
                    results = path.upon_leaving if fact.type == Facts.LEAVING_OUTCOME else path.six_months
                    results[data.get("exit_number")] = data
    return path


def _replace(starts: list[date], previous: date, corrected: str) -> None:
    for i in range(len(starts) - 1, -1, -1):
        if starts[i] == previous:
            starts[i] = date.fromisoformat(corrected)
            return


def in_period(path: Path, start: date, end: date) -> bool:
    """The fund asks for the participants who entered or left in the period."""
    final = path.final_exit
    entered = path.entered_on
    return (entered is not None and start <= entered <= end) or (final is not None and start <= final.left_on <= end)


def extract_row(*, cpr: str | None, case_reference: str, characteristics: dict[str, Any], path: Path) -> dict[str, Any]:
    """One participant's row: None where nothing is known (or, for an erased participant, the CPR number)."""
    final = path.final_exit
    entered = path.entered
    upon_leaving = path.result(path.upon_leaving) or {}
    six_months = path.result(path.six_months) or {}
    answers = characteristics.get("disadvantages") or {}
    if not isinstance(answers, dict):  # a referral before v3 listed the disadvantages that apply
        answers = {name: ("yes" if name in answers else "no") for name in DISADVANTAGES}
    return {
        "cpr": cpr,
        "case_reference": case_reference,
        "programme_id": characteristics.get("programme_id"),
        "subproject_id": characteristics.get("subproject_id"),
        "municipality": characteristics.get("municipality"),
        "target_group": characteristics.get("target_group"),
        "entered_on": path.entered_on,
        "left_on": final.left_on if final else None,
        "exit": final.kind if final else None,
        "drop_out_reason": final.reason if final else None,
        "gender": characteristics.get("gender"),
        # judged on the start date where intake has published the entry; the referral's own otherwise
        **{
            key: entered.get(key, characteristics.get(key))
            for key in ("age_band", "age_band_esf_plus", "under_25", "over_54", "long_term_unemployed")
        },
        "labour_market_status": characteristics.get("labour_market_status"),
        "months_unemployed": characteristics.get("months_unemployed"),
        "education_level": characteristics.get("education_level"),
        "benefit": characteristics.get("benefit"),
        **{name: answers.get(name, "not-asked") for name in DISADVANTAGES},
        "upon_leaving_situation": upon_leaving.get("situation"),
        "upon_leaving_employed": upon_leaving.get("employed"),
        "qualification_gained": upon_leaving.get("qualification_gained"),
        "upon_leaving_observed_on": _date(upon_leaving.get("observed_on")),
        "six_months_situation": six_months.get("situation"),
        "six_months_employed": six_months.get("employed"),
        "improvement": six_months.get("improvement"),
        "six_months_observed_on": _date(six_months.get("observed_on")),
    }


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def cell(value: Any) -> Any:
    """A value as a spreadsheet shows it: yes/no in Danish, dates and numbers as they are, nothing as empty."""
    if value is True:
        return "ja"
    if value is False:
        return "nej"
    return "" if value is None else value


def table(rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """The headings and the rows, ready for CSV or a sheet."""
    return [[heading for _, heading in COLUMNS], *([cell(row[c]) for c, _ in COLUMNS] for row in rows)]
