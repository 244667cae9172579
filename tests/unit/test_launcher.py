"""The launcher's refusals: a port in use and a second launcher on the same state folder get one clear line."""

from __future__ import annotations

import fcntl
import socket
from pathlib import Path

import pytest

from deploy.stack import StackConfig
from deploy.up import main

DEFAULT_KAFKA_PORT = StackConfig(state_dir=Path("/unused")).kafka_port


def test_a_port_in_use_is_named_and_nothing_starts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["--state-dir", str(tmp_path), "--no-demo", "--port-offset", str(port - DEFAULT_KAFKA_PORT)])
    assert code == 1
    err = capsys.readouterr().err
    assert f"port {port} (Kafka) is already in use" in err
    assert "--port-offset" in err
    assert not (tmp_path / "kafka" / "data").exists()  # nothing was started


def test_a_second_launcher_on_the_same_state_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (tmp_path / "launcher.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert main(["--state-dir", str(tmp_path), "--no-demo"]) == 1
    assert "already running" in capsys.readouterr().err
