"""The words the contracts are made of: codes, patterns and the closed lists of values a field may take.

A list that changed kept its old spelling under a versioned name (SituationV1, BenefitV2), which only old versions use.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, WithJsonSchema

# The age bands at entry are the fund's, defined with the rules that derive them.
from shared.fund_rules import AgeBand as AgeBand
from shared.fund_rules import AgeBandEsfPlus as AgeBandEsfPlus

Code = str  # programme-defined codes, constrained by the pattern below
CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,49}$"
# A staff member's work email on the wire: validated in full (EmailStr) where it enters (the referral, the catalogue),
# checked for its shape where it is read back. Full validation on every consumer was two fifths of the CPU a rebuild
# spends on a referral event (py-spy, bench/rebuild.py); the published schema stays `format: email`.
WorkEmail = Annotated[
    str,
    StringConstraints(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    WithJsonSchema({"type": "string", "format": "email"}),
]
Gender = Literal["female", "male", "non-binary"]
LabourMarketStatusV2 = Literal["unemployed", "long-term-unemployed", "inactive", "employed"]
# v3: the status as stated; whether unemployment is long-term is derived from its months (fund_rules).
LabourMarketStatus = Literal["employed", "self-employed", "unemployed", "inactive", "inactive-not-in-education"]
EducationLevelV2 = Literal["isced-0-2", "isced-3-4", "isced-5-8"]
EducationLevel = Literal["isced-0-2", "isced-3-4", "isced-5-8", "unknown"]
Answer = Literal["yes", "no", "refused", "not-asked"]  # a sensitive characteristic, as the citizen answered
Disadvantage = Literal["disability", "migrant-or-minority", "other-disadvantage"]
BenefitV2 = Literal[
    "kontanthjaelp",
    "uddannelseshjaelp",
    "dagpenge",
    "sygedagpenge",
    "ledighedsydelse",
    "ressourceforloebsydelse",
    "foertidspension",
    "none",
]
# v3 adds the benefits the seeds' target groups receive, and "unknown".
Benefit = Literal[
    "kontanthjaelp",
    "uddannelseshjaelp",
    "dagpenge",
    "sygedagpenge",
    "ledighedsydelse",
    "ressourceforloebsydelse",
    "revalideringsydelse",
    "selvforsoergelses-og-hjemrejseydelse",
    "overgangsydelse",
    "su",
    "foertidspension",
    "none",
    "unknown",
]
SituationV1 = Literal[
    "ordinary-employment",
    "social-economy-employment",
    "flex-job",
    "self-employed",
    "education",
    "job-seeking",
    "inactive",
    "pension",
    "unknown",
]
# v2: a wage-subsidy job (løntilskud) apart; whether it, or a flex-job, counts as employment is the programme's setting.
Situation = Literal[
    "ordinary-employment",
    "social-economy-employment",
    "flex-job",
    "wage-subsidy-job",
    "self-employed",
    "education",
    "job-seeking",
    "inactive",
    "pension",
    "unknown",
]
# Six months after leaving: the kinds of employment, education, job-seeking, inactive, or the person not reached.
SixMonthSituation = Literal[
    "ordinary-employment",
    "social-economy-employment",
    "flex-job",
    "wage-subsidy-job",
    "self-employed",
    "education",
    "job-seeking",
    "inactive",
    "unreachable",
]
# What a register (DREAM) shows in the weeks ending on a six-month date (services/intake/register/codes.py):
# employed (no benefit, an employment degree that month), self-supporting (no benefit, no employment recorded), a kind
# of supported job or of benefit, retired, or no longer in the register (emigrated or deceased).
RegisterFinding = Literal[
    "employed",
    "self-supporting",
    "flex-job",
    "wage-subsidy-job",
    "education",
    "job-seeking",
    "sickness-benefit",
    "disability-pension",
    "other-benefit",
    "retired",
    "left-the-register",
]
# What a programme lets the register do with a six-month check: show its finding beside the caseworker's record
# (verify), count it and close the check and its reminders (decide), or nothing (off).
RegisterUse = Literal["verify", "decide", "off"]
# How v1's situations read six months after leaving (the command's and the fact's upcasters).
V1_SIX_MONTH_SITUATION = {"pension": "inactive", "unknown": "unreachable"}  # v2's list has neither
# CR07, for a participant employed at entry: how the situation improved six months after leaving, or "none".
Improvement = Literal[
    "precarious-to-stable", "under-employment-to-full-employment", "higher-skills-job", "promotion", "none"
]
# "register-observed": the register's finding counts by the programme's setting (RegisterUse "decide")
CheckClosedReason = Literal[
    "recorded", "register-observed", "lapsed", "left-again", "re-enrolled", "withdrawn", "erased"
]
DropOutReason = Literal["job", "education", "illness", "moved", "no-show", "other"]
DropOutReasonV1 = Literal["job", "education", "illness", "personal", "other"]
WithdrawalReason = Literal["declined", "illness", "moved", "job", "education", "no-show", "other"]
CorrectionReason = Literal["entered-wrong", "new-information", "other"]
Check = Literal["leaving-outcome", "six-month"]
MUNICIPALITY_PATTERN = r"^\d{3}$"
Municipality = Annotated[str, Field(pattern=MUNICIPALITY_PATTERN)]
CodeItem = Annotated[str, Field(pattern=CODE_PATTERN)]
# A public title: Latin letters (Danish and other European ones included), digits, spaces and light punctuation.
# The ranges are spelt out because \w means Unicode letters to Python but ASCII ones to a JSON Schema validator.
_LETTER_OR_DIGIT = "0-9A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u024F"
TITLE_PATTERN = rf"^[{_LETTER_OR_DIGIT}][{_LETTER_OR_DIGIT}_ .,'&()/\-]*$"
Fund = Literal["esf-2014-2020", "esf-plus-2021-2027"]
Cr04Reading = Literal["every-participant", "not-employed-at-entry"]
ProviderKind = Literal["municipality", "ngo"]
CompanyKind = Literal["commercial", "social-economy"]
Scope = Literal["local", "regional"]
# The figures a target can count: stable ids that reporting computes.
FigureId = Literal[
    "participants",
    "recruited",
    "completed",
    "stopped-early-for-job-or-education",
    "employed-upon-leaving",
    "employed-ordinary-upon-leaving",
    "employed-social-economy-upon-leaving",
    "employed-ordinary-or-supported-upon-leaving",
    "job-seeking-upon-leaving",
    "inactive-at-entry-job-seeking-upon-leaving",
    "employed-six-months-after",
    "employed-ordinary-six-months-after",
    "self-supporting",
    "companies-recruited-commercial",
    "companies-recruited-social-economy",
]
