"""The contract registry: every event and command by wire name and version, the topics it travels on, its upcasters.

Everything that needs a list of event types derives it from here: the consumers' dispatch and subscriptions, the
timeline's facts, the JSON Schemas and the AsyncAPI document. Nothing else writes such a list by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.envelope import CloudEvent, InvalidEvent, validation_summary

Kind = Literal["event", "command"]
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
C = TypeVar("C", bound="Contract")


class Contract(BaseModel):
    """Base of every event's and command's data: readers ignore fields they do not know (a tolerant reader)."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    subject_field: ClassVar[str] = "participant_id"

    def subject(self) -> str:
        """The CloudEvents subject this data belongs under (the Kafka key too)."""
        return str(getattr(self, self.subject_field))


@dataclass(frozen=True)
class Wire:
    """How one contract travels: its name, its current version and the topics that carry it."""

    name: str
    version: int
    model: type[Contract]
    topics: tuple[str, ...]
    kind: Kind


@dataclass(frozen=True)
class OldVersion:
    """A version still found on the topics: its model (for its schema) and the pure step to the next version."""

    name: str
    version: int
    model: type[BaseModel]
    upcast: Upcaster


class UnknownType(InvalidEvent):
    """No contract of this type is registered (a fact from a newer producer, or a stray record)."""


class Registry:
    """Contracts by wire name and version; parses a record's data once, upcast to the current version."""

    def __init__(self) -> None:
        self._by_type: dict[str, Wire] = {}
        self._by_model: dict[type[Contract], Wire] = {}
        self._old: dict[tuple[str, int], OldVersion] = {}

    def register(
        self, type_: str, version: int, *, topics: str | Iterable[str], kind: Kind = "event"
    ) -> Callable[[type[C]], type[C]]:
        """A class decorator: the contract travels as type_ (current version) on the topics."""

        def add(model: type[C]) -> type[C]:
            if type_ in self._by_type:
                raise ValueError(f"{type_} is registered twice")
            wire = Wire(type_, version, model, (topics,) if isinstance(topics, str) else tuple(topics), kind)
            self._by_type[type_] = self._by_model[model] = wire
            return model

        return add

    def old_version(self, type_: str, version: int, model: type[BaseModel], upcast: Upcaster) -> None:
        """Declare an older version still readable: upcast turns its data into the next version's."""
        current = self._by_type[type_].version
        if version >= current:
            raise ValueError(f"{type_} v{version} is not older than the current v{current}")
        self._old[(type_, version)] = OldVersion(type_, version, model, upcast)

    # --- lookups -------------------------------------------------------------------------------------------------
    def wire(self, model: type[Contract]) -> Wire:
        """How a contract class travels."""
        return self._by_model[model]

    def current(self, type_: str) -> Wire:
        """The current version of a type, or UnknownType."""
        try:
            return self._by_type[type_]
        except KeyError:
            raise UnknownType(f"unknown event type {type_!r}") from None

    def wires(self) -> Iterator[Wire]:
        """Every registered contract at its current version."""
        return iter(self._by_type.values())

    def versions(self) -> Iterator[tuple[str, int, type[BaseModel]]]:
        """Every (type, version, model) a schema is exported for: current and older versions."""
        for wire in self._by_type.values():
            yield wire.name, wire.version, wire.model
        for old in self._old.values():
            yield old.name, old.version, old.model

    def types_on(self, topic: str) -> tuple[str, ...]:
        """The types a topic carries."""
        return tuple(w.name for w in self._by_type.values() if topic in w.topics)

    def topics(self) -> tuple[str, ...]:
        """Every topic some contract travels on, in registration order."""
        return tuple(dict.fromkeys(t for w in self._by_type.values() for t in w.topics))

    def topics_of(self, models: Iterable[type[Contract]]) -> tuple[str, ...]:
        """The topics a consumer of these contracts subscribes to."""
        return tuple(dict.fromkeys(t for m in models for t in self._by_model[m].topics))

    def topic_of(self, model: type[Contract], *, among: str | None = None) -> str:
        """The topic a contract is published on: its only one, or `among` where it travels on several."""
        topics = self._by_model[model].topics
        if among is not None and among in topics:
            return among
        if len(topics) != 1:
            raise ValueError(f"{model.__name__} travels on {topics}: say which")
        return topics[0]

    def carries_commands(self, topic: str) -> bool:
        """True for a command topic: every record on it must be understood by its one consumer."""
        return any(w.kind == "command" and topic in w.topics for w in self._by_type.values())

    def facts(self, about: type[Contract] | None = None) -> tuple[type[Contract], ...]:
        """Every event (not command) contract, optionally only those whose model derives from about."""
        return tuple(
            w.model
            for w in self._by_type.values()
            if w.kind == "event" and (about is None or issubclass(w.model, about))
        )

    # --- reading -------------------------------------------------------------------------------------------------
    def parse(self, event: CloudEvent) -> Contract:
        """The event's data as its current contract: upcast if older, validated once, its subject checked."""
        wire = self.current(event.type)
        if event.version > wire.version:
            raise InvalidEvent(
                f"{event.type} v{event.version} is newer than this service understands (v{wire.version})"
            )
        data = dict(event.data)
        for version in range(event.version, wire.version):
            old = self._old.get((event.type, version))
            if old is None:
                raise InvalidEvent(f"{event.type} v{version} is no longer understood (no upcaster)")
            data = old.upcast(data)
        try:
            parsed = wire.model.model_validate(data)
        except ValidationError as exc:
            raise InvalidEvent(f"{event.type} v{event.version} data invalid: {validation_summary(exc)}") from exc
        if parsed.subject() != event.subject:
            raise InvalidEvent(f"{event.type}: the subject {event.subject!r} is not the {wire.model.subject_field}")
        return parsed

    def to_event(self, data: Contract, *, source: str, cause: CloudEvent | None = None) -> CloudEvent:
        """Wrap contract data in an envelope under its wire name; a cause links correlation and causation."""
        wire = self._by_model[type(data)]
        event = CloudEvent(
            type=wire.name,
            version=wire.version,
            source=source,
            subject=data.subject(),
            data=data.model_dump(mode="json"),
        )
        if cause is not None:
            return event.model_copy(update={"correlationid": cause.correlationid or cause.id, "causationid": cause.id})
        return event
