"""Every Kafka topic of the system, named after its owner, with the partitions and retention it is created with.

The launcher and the tests provision exactly these; nothing is auto-created.
"""

from __future__ import annotations

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

# Which event and command types travel on which topic (the e2e test holds every published record to it).
CARRIES: dict[str, tuple[str, ...]] = {
    REFERRAL_EVENTS: ("referral.registered",),
    ENROLMENT_COMMANDS: (
        "enrolment.enrol-participant",
        "participation.record-start",
        "participation.record-completion",
        "participation.record-drop-out",
    ),
    PARTICIPATION_EVENTS: (
        "enrolment.confirmed",
        "participation.started",
        "participation.completed",
        "participation.dropped-out",
        "command.rejected",
    ),
    CATALOGUE_EVENTS: ("course.published",),
    FOLLOWUP_COMMANDS: ("followup.record-leaving-outcome", "followup.record-six-month-result"),
    FOLLOWUP_EVENTS: (
        "followup.check-scheduled",
        "leaving-outcome.recorded",
        "six-month-result.recorded",
        "reminder.sent",
        "command.rejected",
    ),
}
# Who writes each topic: facts come from their owner, commands from intake on behalf of a caseworker.
SENDERS: dict[str, str] = {
    REFERRAL_EVENTS: "intake",
    ENROLMENT_COMMANDS: "intake",
    PARTICIPATION_EVENTS: "enrolment",
    CATALOGUE_EVENTS: "enrolment",
    FOLLOWUP_COMMANDS: "intake",
    FOLLOWUP_EVENTS: "followup",
}
COMMAND_TOPICS = (ENROLMENT_COMMANDS, FOLLOWUP_COMMANDS)

# Which service consumes which topics: each subscription gets its own dead-letter topic.
SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "intake": FACT_TOPICS,
    "enrolment": (ENROLMENT_COMMANDS,),
    "followup": (REFERRAL_EVENTS, PARTICIPATION_EVENTS, FOLLOWUP_COMMANDS),
    "reporting": FACT_TOPICS,
}


def dead_letter_topic(topic: str, service: str) -> str:
    """The dead-letter topic of one service's subscription to one topic."""
    return f"{topic}.{service}.dlt"


def all_topics() -> list[TopicSpec]:
    """Every topic to provision, dead-letter topics included."""
    specs = [TopicSpec(name) for name in (*FACT_TOPICS, *COMMAND_TOPICS)]
    specs.append(TopicSpec(CATALOGUE_EVENTS, partitions=1, config={"cleanup.policy": "compact"}))
    specs += [
        TopicSpec(dead_letter_topic(t, svc), partitions=1, config={"retention.ms": DLT_RETENTION_MS})
        for svc, topics in SUBSCRIPTIONS.items()
        for t in topics
    ]
    return specs
