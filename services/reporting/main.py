"""Reporting's composition root: create_app(settings) wires database, broker, projection handlers and routes."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text

from services.reporting import api, dashboard, figures_api
from services.reporting.figure_cube import ensure_cube
from services.reporting.handlers import FOLDED, HANDLERS
from services.reporting.rebuild import LIVE_GUARD, SWITCH_LOCK
from services.reporting.settings import ReportingSettings
from shared.db import create_engine
from shared.service import build_app, wire

SERVICE = "reporting"


def create_app(settings: ReportingSettings) -> FastAPI:
    """The reporting service."""
    wiring = wire(SERVICE, settings, handlers=HANDLERS, guard=LIVE_GUARD, folded=FOLDED)

    async def counted_ahead() -> None:
        """The kept counts, created (or counted again for changed definitions) before the first report."""
        # counting again reads every row: no bound of a request's statements on it
        engine = create_engine(settings.database_url, pool_size=1, statement_seconds=None)
        try:
            async with engine.begin() as conn:
                await conn.execute(text(SWITCH_LOCK))  # no consumer transaction half-way meanwhile
                await ensure_cube(conn)
        finally:
            await engine.dispose()

    app = build_app(name=SERVICE, settings=settings, wiring=wiring, on_start=(counted_ahead,))
    app.state.min_cell = settings.min_cell
    app.state.audit_seconds = settings.audit_seconds
    app.include_router(api.router)
    app.include_router(figures_api.router)
    app.include_router(dashboard.router)
    return app
