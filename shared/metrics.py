"""What an operator can watch: every Prometheus metric of the system, declared once, and the /metrics answer.

Names follow Prometheus' conventions (base units, `_total` for counters, `rummelig_` first). A label holds a bounded
set of values (a service, a topic, an event type, a route template, a status), never a participant id, case
reference, CPR number or name: tests/integration/test_metrics.py reads every label value the stack exposes.
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Seconds: from a cached read (1 ms) to the bounded wait for a database that does not answer (shared/outages.py)
_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_RECORDS = (1, 2, 5, 10, 20, 50, 100, 200, 500)

HTTP_REQUESTS = Counter(
    "rummelig_http_requests",
    "HTTP requests answered, by route template and status.",
    ["service", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "rummelig_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template.",
    ["service", "method", "route"],
    buckets=_SECONDS,
)
EVENTS_CONSUMED = Counter(
    "rummelig_events_consumed",
    "Records a consumer took from Kafka, by event type and what became of them (applied, duplicate, skipped).",
    ["service", "topic", "type", "outcome"],
)
EVENTS_PUBLISHED = Counter(
    "rummelig_events_published",
    "Events the outbox relay published to Kafka, by topic and type.",
    ["service", "topic", "type"],
)
HANDLER_DURATION = Histogram(
    "rummelig_handler_duration_seconds",
    "Time a handler took to apply one event, by type.",
    ["service", "type"],
    buckets=_SECONDS,
)
BATCH_RECORDS = Histogram(
    "rummelig_consumer_batch_records",
    "Records one poll brought and the consumer applied together.",
    ["service"],
    buckets=_RECORDS,
)
BATCH_DURATION = Histogram(
    "rummelig_consumer_batch_duration_seconds", "Time to apply one poll's records.", ["service"], buckets=_SECONDS
)
CONSUMER_LAG = Gauge(
    "rummelig_consumer_lag_records",
    "Records on a topic the service's consumer group has not applied yet.",
    ["service", "topic"],
)
CONSUMER_RETRIES = Counter(
    "rummelig_consumer_retries",
    "Records tried again on their own: after a failure of the record (failure) or of a dependency (outage).",
    ["service", "cause"],
)
DEAD_LETTERS = Counter(
    "rummelig_dead_letters",
    "Records parked on a dead-letter topic, by the topic they came from and why (invalid, failed).",
    ["service", "topic", "reason"],
)
OUTBOX_BACKLOG = Gauge("rummelig_outbox_backlog_messages", "Outbox rows committed and not yet published.", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "rummelig_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest outbox row not yet published (0 if none).",
    ["service"],
)
REMINDERS_DUE = Gauge(
    "rummelig_reminders_due", "Steps of open checks that are due and not yet carried out.", ["service"]
)
REMINDERS_SENT = Counter(
    "rummelig_reminders_sent", "Emails sent, by kind (reminder, digest, notice).", ["service", "kind"]
)
REMINDERS_FAILED = Counter(
    "rummelig_reminders_failed",
    "Emails the SMTP server did not accept (tried again later), by kind.",
    ["service", "kind"],
)
REMINDERS_RETRIED = Counter(
    "rummelig_reminders_retried", "Emails tried again after an earlier attempt failed, by kind.", ["service", "kind"]
)
AUDIT_APPENDS = Counter("rummelig_audit_chain_appends", "Entries appended to the hash-chained audit log.", ["service"])
AUDIT_CHAIN_INTACT = Gauge(
    "rummelig_audit_chain_intact", "1 if the audit chain held at its last check, 0 if it broke.", ["service"]
)
AUDIT_CHAIN_CHECKED = Gauge(
    "rummelig_audit_chain_checked_timestamp_seconds", "When the audit chain was last checked (Unix time).", ["service"]
)
CATALOGUE_CACHE = Counter(
    "rummelig_catalogue_cache_lookups",
    "Catalogue lookups of referrals, answered from the cache (hit) or not (miss).",
    ["service", "result"],
)
DEPENDENCY_UP = Gauge(
    "rummelig_dependency_up", "1 if the dependency answered at the last check, 0 if not.", ["service", "dependency"]
)

# The names every service exposes (tests assert them; deploy/observability's rules and board use them)
COMMON_METRICS = (
    "rummelig_http_requests_total",
    "rummelig_http_request_duration_seconds",
    "rummelig_events_consumed_total",
    "rummelig_events_published_total",
    "rummelig_handler_duration_seconds",
    "rummelig_consumer_batch_records",
    "rummelig_consumer_batch_duration_seconds",
    "rummelig_consumer_lag_records",
    "rummelig_outbox_backlog_messages",
    "rummelig_outbox_oldest_unpublished_age_seconds",
    "rummelig_dependency_up",
)


async def metrics_endpoint(_: Request) -> Response:
    """The Prometheus text exposition of this process."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


class RequestMetrics:
    """ASGI middleware counting and timing every HTTP request by its route template (never the path itself)."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes every handler ends as a 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            method, route = scope["method"], _route_template(scope)
            HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
            HTTP_DURATION.labels(self.service, method, route).observe(time.perf_counter() - started)


def _route_template(scope: Scope) -> str:
    """The template of the route that served the request (/cases/{reference}); 'unmatched' for any other path, so
    that a scan of random paths cannot grow the label set."""
    route = scope.get("route")
    if route is not None and isinstance(path := getattr(route, "path", None), str):
        return path
    app = scope.get("app")
    for candidate in getattr(getattr(app, "router", None), "routes", ()):
        match, _ = candidate.matches(scope)
        if match == Match.FULL and isinstance(path := getattr(candidate, "path", None), str):
            return path
    return "unmatched"
