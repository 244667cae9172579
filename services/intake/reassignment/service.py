"""Reassignment's use case: a team lead moves cases to another caseworker of the municipality, once per
Idempotency-Key; each move is written, audited and published (case.reassigned) in the caller's transaction.

The function takes the caller's session and never commits: the caller's unit of work owns the transaction. An API
route and a page call the same function.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from sqlmodel.ext.asyncio.session import AsyncSession

from services.intake import idempotency
from services.intake.audit.service import Read, append
from services.intake.reassignment.domain import (
    NOT_A_TEAM_LEAD,
    REASSIGN,
    Case,
    Reassignment,
    audit_detail,
    outcome,
    target_problem,
)
from services.intake.reassignment.queries import cases_by_id, cases_of, database_now, known_caseworker
from services.intake.reassignment.schemas import CaseResult, CaseworkerOut, ReassignmentOut
from services.intake.reassignment.store import move
from shared.auth import Principal
from shared.rejection import Rejection


async def reassign(
    session: AsyncSession, *, principal: Principal, asked: Reassignment, key: str | None, fingerprint: str
) -> dict[str, Any] | Rejection:
    """Move the cases asked for: a result per case (the first answer again for a repeated key), or why none moved."""
    # Refused is raised, and everything rolled back, for a key reused for another request or still in use.
    if not principal.has("team-lead") or principal.municipality is None:
        return NOT_A_TEAM_LEAD
    first = await idempotency.earlier(session, principal, key, fingerprint)
    if first is not None and first.answer is not None:
        return first.answer  # the same move again: the first answer, nothing new
    municipality, to = principal.municipality, asked.to
    problem = target_problem(to, await known_caseworker(session, to.subject, municipality=municipality))
    if problem is not None:
        return problem
    cases = await _asked_cases(session, asked, municipality)
    at, reassignment_id = await database_now(session), uuid4()
    results = [(pid, case, outcome(case, to)) for pid, case in cases]
    moved = [case for _, case, result in results if result == "moved" and case is not None]
    await move(session, moved, to, reason=asked.reason, reassignment_id=reassignment_id, at=at)
    await append(
        session,
        principal=principal,
        reads=[
            Read(case.id, REASSIGN, audit_detail(reassignment_id, case.caseworker_subject, to, asked.reason))
            for case in moved
        ],
    )
    answer = ReassignmentOut(
        reassignment_id=reassignment_id,
        to=CaseworkerOut(subject=to.subject, email=to.email),
        reason=asked.reason,
        moved=len(moved),
        results=[
            CaseResult(participant_id=pid, case_reference=case.case_reference if case else None, result=result)
            for pid, case, result in results
        ],
    ).model_dump(mode="json")
    await idempotency.remember(session, principal, key, fingerprint, answer=answer)
    return answer


async def _asked_cases(session: AsyncSession, asked: Reassignment, municipality: str) -> list[tuple[UUID, Case | None]]:
    """The cases asked for, locked, each beside the id it was asked by: in the order named, or by case reference."""
    if asked.participant_ids is not None:
        found = await cases_by_id(session, asked.participant_ids, municipality=municipality)
        return [(pid, found.get(pid)) for pid in asked.participant_ids]
    assert asked.from_caseworker is not None  # the request names the cases or their caseworker
    return [(case.id, case) for case in await cases_of(session, asked.from_caseworker, municipality=municipality)]
