"""The registry every contract is declared in, and what most contracts share: data about one participant.

Each contract is registered by wire name and version where its class is written (`@event(...)`); the registry is the
single source of the JSON Schemas in schemas/events and of every list of event types. No contract has a field for a
CPR number, a name, an address, a phone number or free text: only ids, codes, dates and staff members' work emails.
"""

from __future__ import annotations

from uuid import UUID

from shared.envelope import CloudEvent
from shared.registry import Contract, Registry

REGISTRY = Registry()
event = REGISTRY.register


class AboutParticipant(Contract):
    """Data about one participant: the participant id is the CloudEvents subject and the Kafka key."""

    participant_id: UUID


def to_event(data: Contract, *, source: str, cause: CloudEvent | None = None) -> CloudEvent:
    """Wrap contract data in an envelope under its registered wire name; a cause links correlation and causation."""
    return REGISTRY.to_event(data, source=source, cause=cause)
