"""A service refuses to start on invalid settings; logs are JSON lines when not on a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from shared.logging import configure_logging, get_logger

ROOT = Path(__file__).resolve().parents[2]


def test_a_service_with_invalid_settings_exits_and_says_which(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    env |= {"PYTHONPATH": str(ROOT), "INTAKE_DATABASE_URL": "mysql://nope", "INTAKE_DATA_KEY": "short"}
    result = subprocess.run(
        [sys.executable, "-m", "services.intake"], env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode != 0
    assert "intake: invalid settings" in result.stderr
    for field in ("database_url", "data_key", "lookup_key"):
        assert field in result.stderr


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure_logging binds loggers to this test's captured stderr: put structlog back for the tests after it."""
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def test_logs_are_json_lines_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str], restored_logging: None
) -> None:
    configure_logging("unit-test")
    get_logger("tests").info("something happened", participant="p-1")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "something happened"
    assert record["service"] == "unit-test"
    assert record["level"] == "info"
    assert record["participant"] == "p-1"
