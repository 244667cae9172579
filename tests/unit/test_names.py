"""Names, not codes, wherever a person reads (shared.names): every code of the contracts' closed lists has a Danish and
an English name, every target group the seeds and the tools use has one, and Denmark's 98 municipalities are there."""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any, Literal, get_args, get_origin

import pytest

import shared.contracts
from services.enrolment import seed
from shared import fund_rules
from shared.contracts import erasure, reassignment, vocabulary
from shared.names import NAMES, Kind, inline, municipality_label, name_of, names_of

# Each closed list of the contracts, by the kind of name its codes have.
KIND_OF: list[tuple[Any, Kind]] = [
    (vocabulary.Gender, "gender"),
    (vocabulary.LabourMarketStatus, "labour-market-status"),
    (vocabulary.LabourMarketStatusV2, "labour-market-status"),
    (vocabulary.EducationLevel, "education"),
    (vocabulary.EducationLevelV2, "education"),
    (vocabulary.Answer, "answer"),
    (vocabulary.Disadvantage, "disadvantage"),
    (vocabulary.Benefit, "benefit"),
    (vocabulary.BenefitV2, "benefit"),
    (vocabulary.Situation, "situation"),
    (vocabulary.SituationV1, "situation"),
    (vocabulary.SixMonthSituation, "situation"),
    (vocabulary.Improvement, "improvement"),
    (vocabulary.CheckClosedReason, "check-closed-reason"),
    (vocabulary.DropOutReason, "drop-out-reason"),
    (vocabulary.DropOutReasonV1, "drop-out-reason"),
    (vocabulary.WithdrawalReason, "withdrawal-reason"),
    (vocabulary.CorrectionReason, "correction-reason"),
    (vocabulary.Check, "check"),
    (vocabulary.Fund, "fund"),
    (vocabulary.Cr04Reading, "cr04-reading"),
    (vocabulary.ProviderKind, "provider-kind"),
    (vocabulary.CompanyKind, "company-kind"),
    (vocabulary.Scope, "scope"),
    (vocabulary.RegisterFinding, "register-finding"),
    (vocabulary.RegisterUse, "register-use"),
    (fund_rules.AgeBand, "age-band"),
    (fund_rules.AgeBandEsfPlus, "age-band"),
    (reassignment.ReassignmentReason, "reassignment-reason"),
    (erasure.ErasureBasis, "erasure-basis"),
]
# The figures are named by shared.figure_labels (tests/unit/test_figure_labels.py).
NAMED_ELSEWHERE = [vocabulary.FigureId]
CODES = sorted({(kind, code) for literal, kind in KIND_OF for code in get_args(literal)})


def _literals_of_the_contracts() -> list[Any]:
    found = []
    for module in pkgutil.iter_modules(shared.contracts.__path__, "shared.contracts."):
        for value in vars(importlib.import_module(module.name)).values():
            if get_origin(value) is Literal and value not in found:
                found.append(value)
    return found


def test_every_closed_list_of_the_contracts_has_a_kind_of_name() -> None:
    known = [literal for literal, _ in KIND_OF] + NAMED_ELSEWHERE
    unnamed = [literal for literal in _literals_of_the_contracts() if literal not in known]
    assert unnamed == [], "name the codes in shared/names.py and add the list to KIND_OF"


@pytest.mark.parametrize(("kind", "code"), CODES)
def test_every_code_of_the_contracts_has_a_danish_and_an_english_name(kind: Kind, code: str) -> None:
    danish, english = name_of(kind, code, "da"), name_of(kind, code, "en")
    assert danish and english and code not in (danish, english)


def test_every_target_group_the_seeds_and_the_tools_use_has_a_name() -> None:
    used = {group for subproject in seed.SUBPROJECTS.values() for group in subproject.target_groups}
    used |= set(seed.ILLUSTRATIVE_GROUPS) | {"war-veterans", "long-term-unemployed", "psychologically-vulnerable"}
    used |= {"stress-depression-strain-injuries", "deaf-and-hard-of-hearing", "young-neet"}
    for group in sorted(used):
        assert name_of("target-group", group, "da") != group and name_of("target-group", group, "en") != group


def test_every_kind_has_names_in_both_languages_and_no_empty_one() -> None:
    assert set(NAMES) == set(get_args(Kind))
    for kind in get_args(Kind):
        assert all(danish.strip() and english.strip() for danish, english in NAMES[kind].values()), kind


def test_the_98_municipalities_by_their_three_digit_codes() -> None:
    codes = list(NAMES["municipality"])
    assert len(codes) == len(set(codes)) == 98
    assert all(re.fullmatch(r"\d{3}", code) for code in codes)
    assert len(set(names_of("municipality", "da").values())) == 98
    assert set(seed.MUNICIPALITIES) <= set(codes)
    assert all(name_of("municipality", code, "da") == name for code, name in seed.MUNICIPALITIES.items())


def test_a_few_names() -> None:
    assert name_of("municipality", "751", "da") == name_of("municipality", "751", "en") == "Aarhus"
    assert name_of("municipality", "101", "da") == "København"
    assert name_of("municipality", "860", "en") == "Hjørring"
    assert municipality_label("751", "da") == "Aarhus (751)" and municipality_label("147") == "Frederiksberg (147)"
    assert name_of("target-group", "long-term-unemployed", "da") == "Langtidsledige"
    assert name_of("target-group", "psychologically-vulnerable", "en") == "Psychologically vulnerable"
    assert name_of("benefit", "kontanthjaelp", "da") == "Kontanthjælp"
    assert name_of("drop-out-reason", "no-show", "da") == "Mødte ikke op"


def test_a_code_without_a_name_is_shown_as_it_is_and_nothing_raises() -> None:
    assert name_of("target-group", "made-up-group", "da") == "made-up-group"
    assert name_of("no-such-kind", "751", "en") == "751"
    assert name_of("gender", None, "da") == ""
    assert municipality_label("999", "da") == "999"


def test_a_name_inside_a_sentence_keeps_its_abbreviations() -> None:
    assert inline("Mødte ikke op") == "mødte ikke op"
    assert inline("SU") == "SU" and inline("ISCED 0-2") == "ISCED 0-2"
