"""Who reads what, derived from the handlers each service registers: subscriptions and the topics to provision."""

from __future__ import annotations

from services.enrolment.handlers import HANDLERS as ENROLMENT
from services.followup.handlers import HANDLERS as FOLLOWUP
from services.intake.handlers import HANDLERS as INTAKE
from services.reporting.handlers import HANDLERS as REPORTING
from shared.consumer import Consumer, Handlers
from shared.topics import TopicSpec, all_topics

HANDLERS: dict[str, Handlers] = {
    "intake": INTAKE,
    "enrolment": ENROLMENT,
    "followup": FOLLOWUP,
    "reporting": REPORTING,
}


def subscriptions() -> dict[str, tuple[str, ...]]:
    """Each service's topics: those that carry a contract it handles."""
    return {name: Consumer(name, handlers).topics for name, handlers in HANDLERS.items()}


def topics_to_provision() -> list[TopicSpec]:
    """Every topic of the system, with one dead-letter topic per subscription."""
    return all_topics(subscriptions())
