"""The catalogue (enrolment.catalogue.events, compacted): programmes, targets, sub-projects, courses and companies.

Each entry is keyed by its kind and id (a course by its bare id, as in v1): compaction keeps the latest of each.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import REGISTRY, event
from shared.contracts.vocabulary import (
    CODE_PATTERN,
    TITLE_PATTERN,
    Code,
    CodeItem,
    CompanyKind,
    Cr04Reading,
    FigureId,
    Fund,
    Municipality,
    ProviderKind,
    RegisterUse,
    Scope,
    WorkEmail,
)
from shared.registry import Contract
from shared.topics import CATALOGUE_EVENTS


class CatalogueEntry(Contract):
    """An entry of the catalogue: the subject (and compaction key) is its kind and id, e.g. programme/rummelig-imidt."""

    kind_prefix: ClassVar[str] = ""

    def subject(self) -> str:
        """kind/id, so that ids of different kinds never share a key on the compacted topic."""
        return f"{self.kind_prefix}/{getattr(self, self.subject_field)}"


class ProgrammeSettings(BaseModel):
    """The programme's choices that counting depends on."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    flex_job_counts_as_employment: bool
    wage_subsidy_counts_as_employment: bool
    cr04_reading: Cr04Reading
    min_cell: int = Field(ge=1, le=100)
    six_month_result_grace_days: int = Field(ge=0, le=366)
    register_results: RegisterUse = Field(
        default="verify", description="what a register's six-month finding does: verify, decide or off"
    )


@event("programme.published", 1, topics=CATALOGUE_EVENTS)
class ProgrammePublished(CatalogueEntry):
    """A programme as it now stands: period (with extensions), fund and the settings counting depends on."""

    subject_field: ClassVar[str] = "programme_id"
    kind_prefix: ClassVar[str] = "programme"
    programme_id: Code = Field(pattern=CODE_PATTERN)
    title: str = Field(max_length=200, pattern=TITLE_PATTERN)
    operator: str = Field(max_length=200, pattern=TITLE_PATTERN)
    region: str = Field(max_length=100, pattern=TITLE_PATTERN)
    starts_on: date
    ends_on: date = Field(description="the end in force, extensions included")
    fund: Fund
    settings: ProgrammeSettings


class TargetStep(BaseModel):
    """The number a target counts from a date on."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    number: int = Field(ge=0, le=1_000_000)
    effective_on: date


@event("target.published", 1, topics=CATALOGUE_EVENTS)
class TargetPublished(CatalogueEntry):
    """A target of the grant ("forventet effekt"): the figure it counts and its number, amendments included."""

    subject_field: ClassVar[str] = "target_id"
    kind_prefix: ClassVar[str] = "target"
    target_id: Code = Field(pattern=CODE_PATTERN)
    programme_id: Code = Field(pattern=CODE_PATTERN)
    subproject_id: Code | None = Field(default=None, pattern=CODE_PATTERN)
    figure: FigureId
    steps: list[TargetStep] = Field(min_length=1, max_length=100, description="the original, then each amendment")


@event("subproject.published", 1, topics=CATALOGUE_EVENTS)
class SubprojectPublished(CatalogueEntry):
    """A sub-project ("delprojekt"): who runs it, whom it serves, where, when, and who coordinates it."""

    subject_field: ClassVar[str] = "subproject_id"
    kind_prefix: ClassVar[str] = "subproject"
    subproject_id: Code = Field(pattern=CODE_PATTERN)
    programme_id: Code = Field(pattern=CODE_PATTERN)
    title: str = Field(max_length=200, pattern=TITLE_PATTERN)
    provider_kind: ProviderKind
    municipalities: list[Municipality] = Field(min_length=1, max_length=98)
    target_groups: list[CodeItem] = Field(min_length=1, max_length=50)
    coordinator_email: WorkEmail = Field(description="the coordinator's work email; follow-up escalates to it")
    starts_on: date
    ends_on: date
    scope: Scope
    illustrative: bool = Field(description="true for demo sub-projects the seeds do not name")


class CoursePublishedV1(Contract):
    """A course in the catalogue (keyed by course id on the compacted catalogue topic)."""

    subject_field: ClassVar[str] = "course_id"
    course_id: Code = Field(pattern=CODE_PATTERN)
    programme_id: Code = Field(pattern=CODE_PATTERN)
    subproject_id: Code = Field(pattern=CODE_PATTERN)
    municipality: str = Field(pattern=r"^\d{3}$")
    starts_on: date
    ends_on: date
    capacity: int = Field(ge=1, le=1000)


@event("course.published", 2, topics=CATALOGUE_EVENTS)
class CoursePublished(CoursePublishedV1):
    """A course of a sub-project as it now stands: where, when, how many seats, whether its waiting list is open."""

    # The key stays the bare course id of v1, so that v2 records replace v1's on the compacted topic (a code never
    # holds "/", so it cannot meet the kind/id keys of the other entries).
    # v2: the title, the place and the waiting list; None for a v1 record, which did not say.
    title: str | None = Field(default=None, max_length=200, pattern=TITLE_PATTERN)
    location: str | None = Field(default=None, max_length=200, pattern=TITLE_PATTERN)
    waiting_list_open: bool | None = None


# course.published v1 (CoursePublishedV1, above) had neither title, place nor waiting list.
def upcast_course_published_v1(data: dict[str, Any]) -> dict[str, Any]:
    """v1 to v2: title, location and waiting list unknown (None)."""
    return {**data, "title": None, "location": None, "waiting_list_open": None}


REGISTRY.old_version("course.published", 1, CoursePublishedV1, upcast_course_published_v1)


@event("company.published", 1, topics=CATALOGUE_EVENTS)
class CompanyPublished(CatalogueEntry):
    """A partner company, pseudonymous (no CVR number, no name: a sole trader's would name a person)."""

    subject_field: ClassVar[str] = "company_id"
    kind_prefix: ClassVar[str] = "company"
    company_id: Code = Field(pattern=CODE_PATTERN)
    programme_id: Code = Field(pattern=CODE_PATTERN)
    kind: CompanyKind
    recruited_on: date
    subproject_ids: list[CodeItem] = Field(max_length=50)
