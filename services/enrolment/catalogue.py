"""The demo catalogue: one programme modelled on Rummelig imidt, its sub-projects and their courses.

Seeded at start-up when the settings ask for it; new courses are announced on the compacted catalogue topic.
"""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from services.enrolment.handlers import SOURCE
from services.enrolment.tables import Course
from shared.contracts import CoursePublished
from shared.outbox import publish

DEMO_PROGRAMME = "rummelig-imidt"
DEMO_COURSES = (
    Course(
        id="vet-aarhus-2026",
        programme_id=DEMO_PROGRAMME,
        subproject_id="war-veterans-aarhus",
        municipality="751",
        title="Indslusningsforløb for veteraner, Aarhus",
        starts_on=date(2026, 1, 5),
        ends_on=date(2027, 6, 30),
        capacity=25,
    ),
    Course(
        id="flex-odder-2026",
        programme_id=DEMO_PROGRAMME,
        subproject_id="flex-job-odder",
        municipality="727",
        title="Fleksjob efter stress og nedslidning, Odder",
        starts_on=date(2026, 2, 2),
        ends_on=date(2027, 6, 30),
        capacity=24,
    ),
    Course(
        id="deaf-hedensted-2026",
        programme_id=DEMO_PROGRAMME,
        subproject_id="deaf-hedensted",
        municipality="766",
        title="Døve og hørehæmmede ledige, Hedensted",
        starts_on=date(2026, 3, 2),
        ends_on=date(2027, 6, 30),
        capacity=18,
    ),
)


async def seed_catalogue(session: AsyncSession, courses: tuple[Course, ...] = DEMO_COURSES) -> int:
    """Insert the courses that are missing and announce them; returns how many were new."""
    added = 0
    for course in courses:
        if await session.get(Course, course.id) is not None:
            continue
        session.add(Course.model_validate(course.model_dump()))
        published = CoursePublished(
            course_id=course.id,
            programme_id=course.programme_id,
            subproject_id=course.subproject_id,
            municipality=course.municipality,
            starts_on=course.starts_on,
            ends_on=course.ends_on,
            capacity=course.capacity,
        )
        publish(session, published, source=SOURCE)
        added += 1
    return added
