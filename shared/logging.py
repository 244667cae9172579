"""structlog configuration: JSON lines when not on a terminal, readable key-value on one."""

from __future__ import annotations

import logging
import sys

import structlog

from shared.tracing import add_trace_ids


def configure_logging(service: str, *, json: bool | None = None, level: int = logging.INFO) -> None:
    """Configure structlog and the standard library once per process."""
    use_json = (not sys.stderr.isatty()) if json is None else json
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_ids,
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A bound logger for a module."""
    return structlog.get_logger(name)  # type: ignore[no-any-return]
