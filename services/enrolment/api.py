"""Enrolment's HTTP API: the course catalogue (no personal data)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlmodel import select

from services.enrolment.tables import Course
from shared.auth import Principal, require_role
from shared.db import SessionMaker

router = APIRouter()
Caseworker = Annotated[Principal, Depends(require_role("caseworker"))]


class CourseOut(BaseModel):
    """A course of the catalogue."""

    id: str
    programme_id: str
    subproject_id: str
    municipality: str
    title: str
    location: str
    starts_on: date
    ends_on: date
    capacity: int
    waiting_list_open: bool


@router.get("/courses", tags=["catalogue"])
async def list_courses(request: Request, _: Caseworker) -> list[CourseOut]:
    """The course catalogue, ordered by course id."""
    sessions: SessionMaker = request.app.state.sessions
    async with sessions() as session:
        rows = (await session.exec(select(Course).order_by(Course.id))).all()
    return [CourseOut.model_validate(row.model_dump()) for row in rows]
