"""Writes schemas/openapi/<service>.json, the HTTP API of each service: python -m deploy.api_docs"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.enrolment.main import create_app as enrolment
from services.enrolment.settings import EnrolmentSettings
from services.followup.main import create_app as followup
from services.followup.settings import FollowupSettings
from services.intake.main import create_app as intake
from services.intake.settings import IntakeSettings
from services.reporting.main import create_app as reporting
from services.reporting.settings import ReportingSettings

OPENAPI_DIR = Path(__file__).resolve().parent.parent / "schemas" / "openapi"
_DB = "postgresql+asyncpg://nobody@localhost/none"  # never connected: building an app opens no connection
_KEY = base64.b64encode(bytes(32)).decode()


def build_apps() -> dict[str, FastAPI]:
    """Each service's app, built with placeholder settings, only to read its routes."""
    return {
        "intake": intake(IntakeSettings(database_url=_DB, data_key=_KEY, lookup_key=_KEY)),
        "enrolment": enrolment(EnrolmentSettings(database_url=_DB)),
        "followup": followup(FollowupSettings(database_url=_DB)),
        "reporting": reporting(ReportingSettings(database_url=_DB)),
    }


def render(document: dict[str, Any]) -> str:
    """Stable JSON for diffs."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    """Write every service's OpenAPI document."""
    OPENAPI_DIR.mkdir(parents=True, exist_ok=True)
    for name, app in build_apps().items():
        (OPENAPI_DIR / f"{name}.json").write_text(render(app.openapi()))


if __name__ == "__main__":
    main()
