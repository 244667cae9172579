"""A launcher killed with kill -9 leaves its servers running; the next start stops them and comes up cleanly."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import signal
import sys
from pathlib import Path

import httpx
import psutil
import pytest

from deploy.stack import ROOT, Stack, StackConfig
from deploy.synthetic import referral_body, synthetic_citizen

pytestmark = pytest.mark.stack


async def test_a_start_after_the_launcher_was_killed_stops_the_leftovers_and_keeps_the_data(tmp_path: Path) -> None:
    config = StackConfig.on_free_ports(tmp_path / "state")
    raw = json.dumps({**dataclasses.asdict(config), "state_dir": str(config.state_dir)})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fixtures.run_stack", raw, env=env, stdout=asyncio.subprocess.PIPE, cwd=ROOT
    )
    assert first.stdout is not None
    while (line := await asyncio.wait_for(first.stdout.readline(), timeout=120)) and line.strip() != b"ready":
        pass
    assert line.strip() == b"ready", "the first stack did not start"
    second = Stack(config, log=lambda line: print(f"[second] {line}"))  # same folder: same keys, same token secret
    headers = {"Authorization": f"Bearer {second.token(role='caseworker', municipality='751')}"}
    async with httpx.AsyncClient(base_url=second.url("intake"), headers=headers, timeout=30) as intake:
        referred = await intake.post("/referrals", json=referral_body(synthetic_citizen(random.Random(5))))
    assert referred.status_code == 201
    leftovers = [c.pid for c in psutil.Process(first.pid).children()]
    assert len(leftovers) >= 7  # Kafka, PostgreSQL, the mail catcher and the four services
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert all(psutil.pid_exists(pid) for pid in leftovers)  # orphaned, still holding the ports

    try:
        await second.start()
        assert not [pid for pid in leftovers if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]
        async with httpx.AsyncClient(base_url=second.url("intake"), headers=headers, timeout=30) as intake:
            kept = await intake.get(f"/participants/{referred.json()['participant_id']}")
        assert kept.status_code == 200  # the data, and the keys to read it, survived
    finally:
        await asyncio.to_thread(second.stop)
