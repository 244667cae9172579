"""Intake's pure rules: what a referral must contain, and the pseudonymous fact it yields for the indicators."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from services.intake.commands.domain import enrolment_date_problem
from services.intake.domain import real_date_problem
from services.intake.personal_data.domain import consent_erasure_due_on, erasure_note_problem
from services.intake.referrals.domain import characteristics_on_referral, format_case_reference, referral_registered
from services.intake.referrals.schemas import ReferralIn
from shared.clock import today_in_copenhagen
from shared.contracts import ReferralRegistered
from shared.fund_rules import age_band, age_band_esf_plus

PARTICIPANT = UUID("00000000-0000-4000-8000-000000000001")
NAME = "Testa Østergård-Personsen"
REFERRED_ON = date(2025, 6, 15)


def body(**changes: Any) -> dict[str, Any]:
    """A valid referral body, with some fields changed (a value of None removes the field)."""
    data: dict[str, Any] = {
        "cpr": "150670-1233",
        "name": NAME,
        "consent": True,
        "consent_text_version": "samtykke-2024-1",
        "programme_id": "rummelig-imidt",
        "subproject_id": "veterans-aarhus",
        "target_group": "war-veterans",
        "labour_market_status": "unemployed",
        "months_unemployed": 14,
        "education_level": "isced-3-4",
        "benefit": "kontanthjaelp",
        "disadvantages": {"disability": "yes", "minority": "refused"},
        "referred_on": REFERRED_ON.isoformat(),
    }
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def registered(referral: ReferralIn, today: date = date(2026, 1, 10)) -> ReferralRegistered:
    return referral_registered(
        referral.to_referral(),
        participant_id=PARTICIPANT,
        case_reference="RUM-000042",
        municipality="751",
        caseworker_email="sagsbehandler@kommune.dk",
        today=today,
    )


def refusal(data: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        ReferralIn.model_validate(data)
    return caught.value


# --- the request body ---------------------------------------------------------------------------------------------


def test_a_complete_referral_is_accepted_and_keeps_the_cpr_as_ten_digits() -> None:
    referral = ReferralIn.model_validate(body())
    assert referral.cpr == "1506701233"
    assert referral.name == NAME
    assert referral.to_referral().cpr.birth_date == date(1970, 6, 15)
    assert referral.referred_on == REFERRED_ON


def test_a_referral_without_consent_is_refused() -> None:
    assert "consent is required" in str(refusal(body(consent=None)))


def test_a_referral_with_consent_false_is_refused() -> None:
    error = refusal(body(consent=False))
    assert "consent is required" in str(error)


def test_an_unknown_extra_field_is_refused() -> None:
    error = refusal(body(nickname="Testa"))
    assert any(e["loc"] == ("nickname",) and e["type"] == "extra_forbidden" for e in error.errors())


@pytest.mark.parametrize(
    "name",
    [
        "Testa Personsen 2",
        "R2D2",
        "<script>alert(1)</script>",
        "Testa <script>",
        "Robert'); DROP TABLE participant;--",
        "",
        "   ",
        "-Testa",
        "Testa_Personsen",
    ],
)
def test_a_name_with_digits_markup_or_code_is_refused(name: str) -> None:
    error = refusal(body(name=name))
    assert any(e["loc"] == ("name",) for e in error.errors())


@pytest.mark.parametrize("name", ["Åse Ærø", "Mary-Ann O'Brien", "J. R. Hansen", "Zoë Nørgaard", "Олена Шевченко"])
def test_names_in_any_script_with_hyphens_apostrophes_and_dots_are_accepted(name: str) -> None:
    assert ReferralIn.model_validate(body(name=name)).name == name


@pytest.mark.parametrize("cpr", ["310290-1234", "ABCDEF-1234", "010190-123", "010190-12345", "0101901234x"])
def test_an_invalid_cpr_is_refused(cpr: str) -> None:
    error = refusal(body(cpr=cpr))
    assert any(e["loc"] == ("cpr",) for e in error.errors())


def test_a_cpr_written_in_non_ascii_digits_is_refused() -> None:
    arabic_indic = "150670-1233".translate({ord(str(d)): chr(0x0660 + d) for d in range(10)})
    error = refusal(body(cpr=arabic_indic))
    assert any(e["loc"] == ("cpr",) for e in error.errors())


def test_a_cpr_failing_modulus_11_is_accepted() -> None:
    assert ReferralIn.model_validate(body(cpr="010190-1234")).cpr == "0101901234"


def test_a_referral_dated_in_the_future_is_refused() -> None:
    error = refusal(body(referred_on=(today_in_copenhagen() + timedelta(days=2)).isoformat()))
    assert "future" in str(error)


@pytest.mark.parametrize(
    ("day", "problem"),
    [
        (date(2026, 1, 11), "the date is in the future"),
        (date(2026, 1, 10), None),
        (date(2000, 1, 1), None),
        (date(1999, 12, 31), "the date is before 2000"),
    ],
)
def test_a_real_date_is_not_after_today_nor_before_2000(day: date, problem: str | None) -> None:
    assert real_date_problem(day, today=date(2026, 1, 10)) == problem


def test_a_referral_dated_before_2000_is_refused() -> None:
    assert "before 2000" in str(refusal(body(referred_on="1999-12-31")))


def test_each_disadvantage_is_answered_on_its_own_and_an_unanswered_one_was_not_asked() -> None:
    answers = ReferralIn.model_validate(body()).disadvantages
    assert answers.model_dump() == {
        "disability": "yes",
        "migrant_or_foreign_background": "not-asked",
        "minority": "refused",
        "homeless_or_housing_exclusion": "not-asked",
        "other_disadvantage": "not-asked",
        "third_country_national": "not-asked",
        "rural_area": "not-asked",
    }


@pytest.mark.parametrize(
    "disadvantages",
    [{"left_handed": "yes"}, {"disability": "maybe"}, {"disability": True}, ["disability"], "disability"],
)
def test_an_unknown_disadvantage_or_answer_is_refused(disadvantages: object) -> None:
    error = refusal(body(disadvantages=disadvantages))
    assert any(e["loc"][0] == "disadvantages" for e in error.errors())


@pytest.mark.parametrize(
    "changes",
    [
        {"consent_text_version": None},  # consent without the text it was given to
        {"legal_basis": "public-task"},  # consent given on another basis
        {"legal_basis": "public-task", "consent": None},  # still a text version
        {"legal_basis": "contract", "consent": None, "consent_text_version": None},
    ],
)
def test_the_legal_basis_decides_whether_consent_is_recorded(changes: dict[str, Any]) -> None:
    refusal(body(**changes))


def test_on_a_public_authoritys_task_no_consent_is_needed() -> None:
    referral = ReferralIn.model_validate(body(legal_basis="public-task", consent=None, consent_text_version=None))
    assert (referral.legal_basis, referral.consent) == ("public-task", None)


@pytest.mark.parametrize(
    ("status", "months", "accepted"),
    [
        ("unemployed", 14, True),
        ("unemployed", None, False),  # how long is needed to tell long-term
        ("unemployed", -1, False),
        ("inactive", 3, False),  # months only for the unemployed
        ("inactive-not-in-education", None, True),
        ("self-employed", None, True),
        ("long-term-unemployed", None, False),  # derived now, no longer stated
    ],
)
def test_months_of_unemployment_are_given_for_the_unemployed_only(
    status: str, months: int | None, accepted: bool
) -> None:
    data = body(labour_market_status=status, months_unemployed=months)  # None removes the field
    if accepted:
        ReferralIn.model_validate(data)
    else:
        refusal(data)


@pytest.mark.parametrize(
    ("cpr", "months", "long_term"),
    [
        ("160600-4232", 7, True),  # 24 on the referral date: over 6 months is long-term
        ("160600-4232", 6, False),
        ("150600-4231", 7, False),  # 25 that day: over 12 months
        ("150600-4231", 13, True),
        ("150670-1233", 12, False),
    ],
)
def test_long_term_unemployment_is_derived_from_the_months_and_the_age(cpr: str, months: int, long_term: bool) -> None:
    fact = registered(ReferralIn.model_validate(body(cpr=cpr, months_unemployed=months)))
    assert (fact.labour_market_status, fact.months_unemployed, fact.long_term_unemployed) == (
        "unemployed",
        months,
        long_term,
    )


@pytest.mark.parametrize(
    "benefit", ["selvforsoergelses-og-hjemrejseydelse", "overgangsydelse", "revalideringsydelse", "su", "unknown"]
)
def test_the_benefits_of_the_seeds_target_groups_are_accepted(benefit: str) -> None:
    assert registered(ReferralIn.model_validate(body(benefit=benefit))).benefit == benefit


@pytest.mark.parametrize(
    ("contact", "accepted"),
    [
        (
            {
                "phone": "+45 12 34 56 78",
                "email": "borger@example.org",
                "address": "Vestergade 12, 2. th., 8000 Aarhus C",
            },
            True,
        ),
        ({"phone": "12345678"}, True),
        ({"phone": "call me"}, False),
        ({"email": "not-an-email"}, False),
        ({"address": "<script>alert(1)</script>"}, False),
        ({"fax": "12345678"}, False),
    ],
)
def test_contact_details_are_checked(contact: dict[str, str], accepted: bool) -> None:
    if accepted:
        ReferralIn.model_validate(body(contact=contact))
    else:
        assert any(e["loc"][0] == "contact" for e in refusal(body(contact=contact)).errors())


def test_the_responsible_caseworker_may_be_another_than_the_one_registering() -> None:
    fact = registered(ReferralIn.model_validate(body(responsible_caseworker_email="kollega@kommune.dk")))
    assert fact.caseworker_email == "kollega@kommune.dk"


# --- the fact it yields -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "band"),
    [(0, "under-25"), (24, "under-25"), (25, "25-54"), (54, "25-54"), (55, "over-54"), (90, "over-54")],
)
def test_age_band_boundaries(age: int, band: str) -> None:
    assert age_band(age) == band


@pytest.mark.parametrize(
    ("age", "band"),
    [(17, "under-18"), (18, "18-29"), (29, "18-29"), (30, "30-54"), (54, "30-54"), (55, "55-and-over")],
)
def test_esf_plus_age_band_boundaries(age: int, band: str) -> None:
    assert age_band_esf_plus(age) == band


def test_the_fact_carries_the_esf_plus_band_at_entry() -> None:
    assert registered(ReferralIn.model_validate(body(cpr="150670-1233"))).age_band_esf_plus == "55-and-over"
    assert registered(ReferralIn.model_validate(body(cpr="160600-4232"))).age_band_esf_plus == "18-29"


@pytest.mark.parametrize(
    ("cpr", "band", "under_25", "over_54"),
    [
        ("160600-4232", "under-25", True, False),  # born 16 June 2000: 24 on 15 June 2025
        ("150600-4231", "25-54", False, False),  # born 15 June 2000: 25 that day
        ("160670-1233", "25-54", False, False),  # born 16 June 1970: 54 on 15 June 2025
        ("150670-1233", "over-54", False, True),  # born 15 June 1970: 55 that day
    ],
)
def test_the_age_band_is_the_age_on_the_referral_date(cpr: str, band: str, under_25: bool, over_54: bool) -> None:
    fact = registered(ReferralIn.model_validate(body(cpr=cpr, referred_on=REFERRED_ON.isoformat())))
    assert fact.referred_on == REFERRED_ON
    assert fact.age_band == band
    assert fact.under_25 is under_25
    assert fact.over_54 is over_54


def test_without_a_referral_date_the_age_is_taken_on_the_day_of_registration() -> None:
    referral = ReferralIn.model_validate(body(cpr="150600-4231", referred_on=None))
    assert registered(referral, today=date(2025, 6, 14)).age_band == "under-25"
    fact = registered(referral, today=date(2025, 6, 15))
    assert fact.age_band == "25-54"
    assert fact.referred_on == date(2025, 6, 15)


@pytest.mark.parametrize(("cpr", "gender"), [("150670-1233", "male"), ("150670-1234", "female")])
def test_the_gender_defaults_to_the_legal_sex_in_the_cpr_number(cpr: str, gender: str) -> None:
    assert registered(ReferralIn.model_validate(body(cpr=cpr))).gender == gender


def test_a_given_gender_overrides_the_cpr_number() -> None:
    odd = registered(ReferralIn.model_validate(body(cpr="150670-1233", gender="non-binary")))
    even = registered(ReferralIn.model_validate(body(cpr="150670-1234", gender="male")))
    assert odd.gender == "non-binary"
    assert even.gender == "male"


def test_the_fact_carries_the_characteristics_for_the_indicators() -> None:
    fact = registered(ReferralIn.model_validate(body()))
    assert fact.participant_id == PARTICIPANT
    assert fact.case_reference == "RUM-000042"
    assert fact.municipality == "751"
    assert fact.caseworker_email == "sagsbehandler@kommune.dk"
    assert (fact.programme_id, fact.subproject_id, fact.target_group) == (
        "rummelig-imidt",
        "veterans-aarhus",
        "war-veterans",
    )
    assert (fact.labour_market_status, fact.months_unemployed, fact.long_term_unemployed) == ("unemployed", 14, True)
    assert fact.education_level == "isced-3-4"
    assert fact.benefit == "kontanthjaelp"
    assert (fact.disadvantages.disability, fact.disadvantages.minority) == ("yes", "refused")


def test_the_fact_holds_neither_the_cpr_number_nor_the_name() -> None:
    contact = {"phone": "12345678", "email": "borger@example.org", "address": "Vestergade 12"}
    fact = registered(ReferralIn.model_validate(body(cpr="150670-1233", contact=contact)))
    dumped = json.dumps(fact.model_dump(mode="json"), ensure_ascii=False)
    as_json = fact.model_dump_json()
    for text in (dumped, as_json, repr(fact)):
        for forbidden in ("1506701233", "150670-1233", "150670", NAME, "Testa", "Østergård", "Personsen", "Vestergade"):
            assert forbidden not in text
    assert not {"cpr", "name", "contact"} & set(fact.model_dump())
    assert "12345678" not in as_json and "borger@example.org" not in as_json


@pytest.mark.parametrize(
    ("number", "reference"), [(42, "RUM-000042"), (1, "RUM-000001"), (999999, "RUM-999999"), (1234567, "RUM-1234567")]
)
def test_a_case_reference_is_rum_and_at_least_six_digits(number: int, reference: str) -> None:
    assert format_case_reference(number) == reference


def test_an_enrolment_cannot_precede_the_referral() -> None:
    problem = enrolment_date_problem(date(2026, 1, 4), referred_on=date(2026, 1, 5))
    assert problem is not None
    assert (problem.reason, problem.field) == ("enrolled-before-referral", "enrolled_on")
    assert enrolment_date_problem(date(2026, 1, 5), referred_on=date(2026, 1, 5)) is None


@pytest.mark.parametrize(
    ("legal_basis", "withdrawn_on", "erased_on", "due"),
    [
        ("consent", date(2026, 3, 2), None, date(2026, 4, 1)),
        ("consent", None, None, None),
        ("consent", date(2026, 3, 2), date(2026, 4, 1), None),
        ("public-task", None, None, None),
    ],
    ids=["withdrawn", "not-withdrawn", "already-erased", "public-task"],
)
def test_data_resting_on_withdrawn_consent_are_due_for_erasure_the_set_days_later(
    legal_basis: str, withdrawn_on: date | None, erased_on: date | None, due: date | None
) -> None:
    assert (
        consent_erasure_due_on(legal_basis=legal_basis, withdrawn_on=withdrawn_on, erased_on=erased_on, days=30) == due
    )


@pytest.mark.parametrize(
    "note",
    ["Asked by Østergård-Personsen", "TESTA called", "cpr 150670-1233", "1506701233 per letter", "testa"],
)
def test_an_erasure_note_naming_the_citizen_is_refused(note: str) -> None:
    refused = erasure_note_problem(note, cpr_digits="1506701233", name=NAME)
    assert refused is not None and (refused.reason, refused.field) == ("note-names-the-citizen", "note")


@pytest.mark.parametrize("note", ["Ticket 2026-118", "Requested in writing on 2026-11-02", "Contested"])
def test_an_erasure_note_that_names_nobody_is_kept(note: str) -> None:
    assert erasure_note_problem(note, cpr_digits="1506701233", name=NAME) is None


def test_a_referral_after_the_first_entry_changes_where_the_case_belongs_and_no_characteristic_at_entry() -> None:
    entry = {"labour_market_status": "inactive", "referred_on": "2025-01-06", "municipality": "751", "gender": "female"}
    stated = {"labour_market_status": "employed", "referred_on": "2026-01-05", "municipality": "727", "gender": "male"}
    assert characteristics_on_referral(stated, at_entry=entry) == {
        "labour_market_status": "inactive",
        "referred_on": "2025-01-06",
        "municipality": "727",
        "gender": "male",
    }
    assert characteristics_on_referral(stated, at_entry=None) == stated  # not entered yet: the referral states them
