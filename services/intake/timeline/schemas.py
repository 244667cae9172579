"""The timeline's answer: the participant's facts in the order they arrived, and the commands still pending."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from services.intake.schemas import TimelineEvent


class PendingCommandOut(BaseModel):
    """A command still waiting for the owning service's answer."""

    id: UUID
    type: str
    issued_at: datetime


class Timeline(BaseModel):
    """The participant's path: facts in the order they arrived, then the commands still pending."""

    participant_id: UUID
    case_reference: str
    events: list[TimelineEvent]
    pending_commands: list[PendingCommandOut]
    version: str = Field(
        description="the version of the case (also the ETag): a command's If-Match with it is refused if the case"
        " changed since"
    )


# The 200 answer of a read that carries the case's version, as the OpenAPI documents show it.
VERSIONED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Successful Response",
        "headers": {
            "ETag": {
                "description": "the version of the case (its `version` field, quoted): send it as If-Match with a"
                " command to have it refused if the case changed since",
                "schema": {"type": "string"},
            }
        },
    }
}
