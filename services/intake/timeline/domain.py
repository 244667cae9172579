"""The version of a case, pure: which facts change it, and how it is written in a `version` field and an ETag.

A case's version is the sequence (timeline_entry.id) of its last fact that someone's decision made, with the number
of commands ever issued about it: a command sent but not yet answered is a change a colleague must see too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.intake.domain import wire_name
from shared import contracts

# Facts that follow from another fact or from time passing, not from anyone's decision: they never make a colleague's
# view out of date (a reminder sent while a caseworker fills in the result must not refuse it). A rejection changed
# nothing; the command it answers was counted when it was issued. A referral is registered by intake in the request
# itself, so its fact reaching the timeline a moment later is no news to a page shown after it (the case page right
# after the referral form was refused its first step); a re-referral from another municipality takes the case out of
# the old caseworker's sight instead.
NOT_CHANGES: frozenset[str] = frozenset(
    wire_name(model)
    for model in (
        contracts.ReferralRegistered,
        contracts.CommandRejected,
        contracts.ParticipantEntered,
        contracts.CheckScheduled,
        contracts.CheckClosed,
        contracts.CheckOverdue,
        contracts.ReminderSent,
    )
)
VERSION_PATTERN = r"\d{1,18}\.\d{1,9}"
_VERSION = re.compile(rf"^({VERSION_PATTERN})$")


@dataclass(frozen=True, order=True)
class CaseVersion:
    """The last fact that changed the case (0: none yet) and how many commands were issued about it."""

    last_fact: int
    commands: int

    def __str__(self) -> str:
        return f"{self.last_fact}.{self.commands}"

    @property
    def etag(self) -> str:
        """The version as a strong entity tag (RFC 9110): quoted."""
        return f'"{self}"'

    @classmethod
    def parse(cls, text: str) -> CaseVersion | None:
        """The version a `version` field or an entity tag (quoted or not) names, or None if it names none."""
        match = _VERSION.match(text.strip().removeprefix('"').removesuffix('"'))
        if match is None:
            return None
        last_fact, commands = match.group(1).split(".")
        return cls(int(last_fact), int(commands))
