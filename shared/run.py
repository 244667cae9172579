"""Run a service under uvicorn: settings validated first, logging configured once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError

from shared.logging import configure_logging
from shared.settings import ServiceSettings
from shared.tracing import configure_tracing

S = TypeVar("S", bound=ServiceSettings)


def run_service(name: str, settings_class: type[S], create_app: Callable[[S], FastAPI]) -> None:
    """Validate settings (exit 2 with the reasons if invalid), then serve until SIGTERM or Ctrl-C."""
    try:
        settings = settings_class()
    except ValidationError as exc:
        raise SystemExit(f"{name}: invalid settings:\n{exc}") from None
    configure_logging(name, json=settings.log_json)
    configure_tracing(name)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,  # a request waits for the database 5 s at most (shared/outages.py)
    )
