"""What the administrator sends to set up the catalogue, and what the catalogue answers (no personal data)."""

from __future__ import annotations

from pydantic import EmailStr, Field

from shared.contracts import (
    CODE_PATTERN,
    TITLE_PATTERN,
    CodeItem,
    CompanyKind,
    Cr04Reading,
    FigureId,
    Fund,
    Municipality,
    ProviderKind,
    RegisterUse,
    Scope,
)
from shared.request_body import Body, IsoDate

Title = Field(min_length=1, max_length=200, pattern=TITLE_PATTERN)
Reason = Field(min_length=3, max_length=500, description="why: kept in the history")


class Strict(Body):
    """A catalogue request body (strict: see shared.request_body)."""


class ProgrammeIn(Strict):
    """A programme as granted."""

    title: str = Title
    operator: str = Title
    region: str = Field(min_length=1, max_length=100, pattern=TITLE_PATTERN)
    starts_on: IsoDate
    ends_on: IsoDate = Field(description="the end as granted; extend it with POST …/extensions")
    fund: Fund
    flex_job_counts_as_employment: bool = True
    wage_subsidy_counts_as_employment: bool = False
    cr04_reading: Cr04Reading = "every-participant"
    min_cell: int = Field(default=5, ge=3, le=100, description="the smallest count shown to the operator (3 or more)")
    six_month_result_grace_days: int = Field(
        default=56, ge=0, le=366, description="how many days after it falls due a six-month result still counts"
    )
    register_results: RegisterUse = Field(
        default="verify",
        description="a register's six-month finding: shown beside the caseworker's record (verify), counted and"
        " closing the check and its reminders (decide), or not used (off)",
    )


class ExtensionIn(Strict):
    """A decision to extend the programme's period."""

    ends_on: IsoDate
    decided_on: IsoDate
    reason: str = Reason


class Extension(ExtensionIn):
    """An extension as kept."""


class ProgrammeOut(ProgrammeIn):
    """A programme with its extensions and the end in force."""

    programme_id: str
    ends_in_force_on: IsoDate
    extensions: list[Extension]


class TargetIn(Strict):
    """A target of the grant: the figure it counts, for the programme or one sub-project, and its first number."""

    programme_id: str = Field(pattern=CODE_PATTERN)
    subproject_id: str | None = Field(default=None, pattern=CODE_PATTERN)
    figure: FigureId
    number: int = Field(ge=0, le=1_000_000)
    set_on: IsoDate = Field(description="from when the number applies (usually the programme's start)")


class AmendmentIn(Strict):
    """A new number for a target from a date on."""

    number: int = Field(ge=0, le=1_000_000)
    effective_on: IsoDate
    reason: str = Reason


class Amendment(AmendmentIn):
    """An amendment as kept."""


class TargetOut(TargetIn):
    """A target with its history, and the number in force on the date asked for (today by default)."""

    target_id: str
    amendments: list[Amendment]
    in_force_on: IsoDate
    number_in_force: int | None = Field(description="None before the target was set")


class SubprojectIn(Strict):
    """A sub-project of a programme."""

    programme_id: str = Field(pattern=CODE_PATTERN)
    title: str = Title
    provider_kind: ProviderKind
    provider: str = Title
    municipalities: list[Municipality] = Field(min_length=1, max_length=98)
    target_groups: list[CodeItem] = Field(min_length=1, max_length=50)
    coordinator_email: EmailStr
    starts_on: IsoDate
    ends_on: IsoDate
    scope: Scope
    illustrative: bool = False


class SubprojectOut(SubprojectIn):
    """A sub-project as the catalogue holds it."""

    subproject_id: str


class CompanyIn(Strict):
    """A partner company of a programme."""

    programme_id: str = Field(pattern=CODE_PATTERN)
    cvr: str = Field(min_length=8, max_length=8, description="the CVR number: eight digits, modulus-11 checked")
    name: str = Title
    kind: CompanyKind
    recruited_on: IsoDate
    subproject_ids: list[CodeItem] = Field(default_factory=list, max_length=50)


class CompanyOut(CompanyIn):
    """A partner company as the catalogue holds it."""

    company_id: str


class CourseIn(Strict):
    """A course of a sub-project (its programme is the sub-project's)."""

    subproject_id: str = Field(pattern=CODE_PATTERN)
    title: str = Title
    location: str = Field(min_length=1, max_length=200, pattern=TITLE_PATTERN, description="where it takes place")
    municipality: Municipality = Field(description="the municipality it takes place in: one the sub-project serves")
    starts_on: IsoDate
    ends_on: IsoDate
    capacity: int = Field(ge=1, le=1000, description="seats; participants beyond it wait if the waiting list is open")
    waiting_list_open: bool = False


class CourseOut(CourseIn):
    """A course as the catalogue holds it."""

    course_id: str
    programme_id: str
