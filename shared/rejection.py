"""The one way a command is refused: a reason code for machines and a sentence for the caseworker."""

from __future__ import annotations

from dataclasses import dataclass

from shared.contracts import CommandRejected
from shared.envelope import CloudEvent


@dataclass(frozen=True)
class Rejection:
    """Why a command was refused."""

    reason: str  # a code, e.g. "course-full"; the problem type of the HTTP answer is urn:rummelig:problem:<reason>
    detail: str  # one sentence a caseworker understands
    field: str | None = None  # the request field at fault, where there is one

    def answering(self, command: CloudEvent) -> CommandRejected:
        """The command.rejected fact that answers the command with this rejection."""
        return CommandRejected(
            participant_id=command.subject,
            command_id=command.id,
            command_type=command.type,
            reason=self.reason,
            detail=self.detail,
        )


class Refused(Exception):
    """Raised where a refusal must also roll back the caller's transaction."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.detail)
        self.rejection = rejection
