"""The caseworker pages' use cases: "Mine sager" and the task inbox through the caseload's use case; the case page
through the reads and the audit the API's GET /participants/{id} and GET /participants/{id}/timeline use; its forms
through the API's command and consent use cases (web sessions are shared.pages.sessions'). Every function takes the
caller's session and never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import idempotency
from services.intake.audit.service import Read, append
from services.intake.caseload.queries import CaseloadFilter, CaseRow, Paging
from services.intake.caseload.service import caseload
from services.intake.commands.service import CaseErased, check_version, send_command
from services.intake.deps import erased_rejection, find_participant
from services.intake.domain import Step, status_of, steps_allowed
from services.intake.pages.domain import OBSERVED, RECORDED, Disagreement, ListAsked, disagreements
from services.intake.pages.forms import Form
from services.intake.pages.queries import open_courses, participant_of_case, six_month_readings
from services.intake.personal_data.keys import key_of
from services.intake.personal_data.service import erasure_due_on, record_consent_withdrawal
from services.intake.schemas import ContactIn
from services.intake.tables import Participant, PendingCommand, TimelineEntry
from services.intake.timeline.domain import CaseVersion
from services.intake.timeline.queries import case_version, pending_commands, timeline_entries
from services.intake.vault import Vault
from shared.auth import Principal

PAGE_SIZE = 25
# The actions GET /participants/{id} and GET /participants/{id}/timeline record (referrals/api.py, timeline/api.py):
# a read from a page is the same read.
READ_PERSONAL_DATA = "read-personal-data"
READ_TIMELINE = "read-timeline"


async def my_cases(
    session: AsyncSession,
    principal: Principal,
    asked: ListAsked,
    *,
    today: date,
    consent_erasure_days: int,
    cpr_hash: bytes | None = None,
) -> tuple[list[CaseRow], int]:
    """One page of the caller's own cases, soonest due first (a search by CPR number audited by the caseload)."""
    wanted = CaseloadFilter(
        case_reference=asked.case_reference,
        cpr_hash=cpr_hash,
        status=asked.status,
        caseworker_subject=principal.subject,
        due=asked.due,
    )
    paging = Paging(page=asked.page, page_size=PAGE_SIZE, sort="next_due_on")
    return await caseload(session, principal, wanted, paging, today=today, consent_erasure_days=consent_erasure_days)


@dataclass(frozen=True)
class PersonalData:
    """The participant's personal data, opened for one page."""

    cpr: str
    name: str
    contact: ContactIn


@dataclass(frozen=True)
class CaseView:
    """What the case page shows: the case, its personal data (None once erased), its timeline, its open commands."""

    participant: Participant
    personal: PersonalData | None
    erasure_due_on: date | None
    timeline: list[TimelineEntry]
    pending: list[PendingCommand]
    version: CaseVersion  # the hidden field of every form: the command is issued only if the case is still at it
    steps: tuple[Step, ...]
    courses: list[Any]


async def visible_case(session: AsyncSession, principal: Principal, case_reference: str) -> Participant | None:
    """The case's participant, or None if the caller may not see it (another municipality's case is
    indistinguishable from a missing one)."""
    participant_id = await participant_of_case(session, case_reference)
    if participant_id is None:
        return None
    return await find_participant(session, participant_id, principal=principal)


async def case_view(
    session: AsyncSession,
    vault: Vault,
    principal: Principal,
    case_reference: str,
    *,
    consent_erasure_days: int,
    today: date,
) -> CaseView | None:
    """The case as the caseworker's API shows it, each read audited as the API audits it, and the steps it allows
    now; None if the caller may not see it."""
    participant = await visible_case(session, principal, case_reference)
    if participant is None:
        return None
    personal, reads = None, [Read(participant.id, READ_TIMELINE)]
    if participant.cpr_encrypted is not None and participant.name_encrypted is not None:  # not erased
        key = await key_of(session, vault, participant)
        contact = participant.contact_encrypted
        personal = PersonalData(
            cpr=key.decrypt(participant.cpr_encrypted),
            name=key.decrypt(participant.name_encrypted),
            contact=ContactIn.model_validate_json(key.decrypt(contact)) if contact else ContactIn(),
        )
        reads.insert(0, Read(participant.id, READ_PERSONAL_DATA))
    await append(session, principal=principal, reads=reads)  # one turn of the chain's lock for the page
    timeline = await timeline_entries(session, participant.id)
    steps = steps_allowed(
        status_of([entry.event_type for entry in timeline]),
        erased=participant.erased_on is not None,
        legal_basis=participant.legal_basis,
        consent_withdrawn=participant.consent_withdrawn_on is not None,
    )
    courses = await open_courses(session, participant.programme_id, participant.subproject_id, today=today)
    return CaseView(
        participant=participant,
        personal=personal,
        erasure_due_on=erasure_due_on(participant, days=consent_erasure_days),
        timeline=timeline,
        pending=await pending_commands(session, participant.id),
        version=await case_version(session, participant.id),
        steps=steps,
        courses=courses if "enrolment" in steps else [],
    )


async def act(
    session: AsyncSession,
    principal: Principal,
    participant_id: UUID,
    form: Form,
    body: Any,
    *,
    idempotency_key: str | None,
    version: CaseVersion,
    today: date,
) -> UUID | None:
    """Take a step from the case page through the API's own use case, once per Idempotency-Key and only if the case
    is still at the version the page showed: the command's id (None for a consent withdrawal, which is no command).
    Raises what the use cases raise: CaseErased, Refused, CaseChanged (nothing done)."""
    if form.path is not None:
        return await send_command(
            session,
            principal=principal,
            participant_id=participant_id,
            path=form.path,
            body=body,
            idempotency_key=idempotency_key,
            asked=(version,),
            today=today,
        )
    # POST /participants/{id}/consent-withdrawal's use case, with the key and the version a page's form carries
    participant = await find_participant(session, participant_id, principal=principal)
    assert participant is not None  # the page found it for the same principal
    if participant.erased_on is not None:
        raise CaseErased(erased_rejection(participant))
    asked = idempotency.fingerprint("POST", f"/participants/{participant.id}/consent-withdrawal", body.model_dump())
    if await idempotency.earlier(session, principal, idempotency_key, asked) is not None:
        return None  # done the first time
    await check_version(session, participant, (version,))
    record_consent_withdrawal(session, participant, withdrawn_on=body.withdrawn_on)
    answer = {"withdrawn_on": body.withdrawn_on.isoformat()}
    await idempotency.remember(session, principal, idempotency_key, asked, answer=answer)
    return None


async def tasks(
    session: AsyncSession, principal: Principal, *, today: date, consent_erasure_days: int
) -> list[CaseRow]:
    """The caller's own cases with a follow-up overdue or due soon, by deadline: the caseload's due filters."""
    found: dict[UUID, CaseRow] = {}
    paging = Paging(page=1, page_size=200, sort="next_due_on")
    for due in ("overdue", "due"):
        wanted = CaseloadFilter(caseworker_subject=principal.subject, due=due)
        rows, _ = await caseload(
            session, principal, wanted, paging, today=today, consent_erasure_days=consent_erasure_days
        )
        found.update({row.participant_id: row for row in rows})
    by_deadline = sorted(found.values(), key=lambda row: (len(row.case_reference), row.case_reference))
    return sorted(by_deadline, key=lambda row: row.next_due_on or today)


async def register_disagreements(session: AsyncSession, principal: Principal) -> list[Disagreement]:
    """The caller's own cases whose six-month result the register contradicts: to check with the citizen, and
    correct if the record was wrong (the register's finding is on the case's timeline)."""
    return disagreements(await six_month_readings(session, principal.subject, [RECORDED, OBSERVED]))
