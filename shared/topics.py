"""Every Kafka topic of the system, named after its owner, with the partitions and retention it is created with.

The launcher and the tests provision exactly these; nothing is auto-created.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

PARTICIPANT_PARTITIONS = 6
FOREVER = "-1"  # facts are kept so projections can be rebuilt from the log
DLT_RETENTION_MS = str(90 * 24 * 3600 * 1000)


@dataclass(frozen=True)
class TopicSpec:
    """A topic and how it is created."""

    name: str
    partitions: int = PARTICIPANT_PARTITIONS
    config: dict[str, str] = field(default_factory=lambda: {"retention.ms": FOREVER})


REFERRAL_EVENTS = "intake.referral.events"
ENROLMENT_COMMANDS = "enrolment.commands"
PARTICIPATION_EVENTS = "enrolment.participation.events"
CATALOGUE_EVENTS = "enrolment.catalogue.events"
FOLLOWUP_COMMANDS = "followup.commands"
FOLLOWUP_EVENTS = "followup.outcome.events"

FACT_TOPICS = (REFERRAL_EVENTS, PARTICIPATION_EVENTS, FOLLOWUP_EVENTS)

# Who writes each topic: facts come from their owner, commands from intake on behalf of a caseworker. Which types
# travel on each topic is declared once, with the contracts (shared.contracts); which services read it, by their
# handlers (services.topology).
SENDERS: dict[str, str] = {
    REFERRAL_EVENTS: "intake",
    ENROLMENT_COMMANDS: "intake",
    PARTICIPATION_EVENTS: "enrolment",
    CATALOGUE_EVENTS: "enrolment",
    FOLLOWUP_COMMANDS: "intake",
    FOLLOWUP_EVENTS: "followup",
}
COMMAND_TOPICS = (ENROLMENT_COMMANDS, FOLLOWUP_COMMANDS)


def dead_letter_topic(topic: str, service: str) -> str:
    """The dead-letter topic of one service's subscription to one topic."""
    return f"{topic}.{service}.dlt"


def all_topics(subscriptions: Mapping[str, Iterable[str]]) -> list[TopicSpec]:
    """Every topic to provision, with a dead-letter topic for each service's subscription to a topic."""
    specs = [TopicSpec(name) for name in (*FACT_TOPICS, *COMMAND_TOPICS)]
    specs.append(TopicSpec(CATALOGUE_EVENTS, partitions=1, config={"cleanup.policy": "compact"}))
    specs += [
        TopicSpec(dead_letter_topic(t, svc), partitions=1, config={"retention.ms": DLT_RETENTION_MS})
        for svc, topics in subscriptions.items()
        for t in topics
    ]
    return specs
