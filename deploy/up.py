"""The local launcher: python -m deploy.up starts the whole system, prints where to look, and Ctrl-C stops it."""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import signal
import sys
import time
from pathlib import Path

from deploy.demo import load_demo
from deploy.ports import PortInUse
from deploy.stack import DEFAULT_STATE, SERVICES, Stack, StackConfig


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="deploy/up", description=__doc__)
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("RUMMELIG_STATE_DIR", DEFAULT_STATE)),
        help="where Kafka's and PostgreSQL's data, the mail and the logs live (default: .state/)",
    )
    parser.add_argument("--no-demo", action="store_true", help="do not load the synthetic demo participants")
    parser.add_argument(
        "--port-offset",
        type=int,
        default=0,
        help="add this to every port (to run beside something that uses the defaults)",
    )
    return parser.parse_args(argv)


def _config(args: argparse.Namespace) -> StackConfig:
    base = StackConfig(state_dir=args.state_dir.resolve())
    off = args.port_offset
    return StackConfig(
        state_dir=base.state_dir,
        kafka_port=base.kafka_port + off,
        kafka_controller_port=base.kafka_controller_port + off,
        postgres_port=base.postgres_port + off,
        smtp_port=base.smtp_port + off,
        mail_http_port=base.mail_http_port + off,
        service_ports={k: v + off for k, v in base.service_ports.items()},
    )


def _banner(stack: Stack, elapsed: float, demo: int | None) -> str:
    c = stack.config
    caseworker = stack.token(
        role="caseworker", municipality="751", email="caseworker@aarhus.example.dk", subject="demo-caseworker"
    )
    operator = stack.token(role="operator", email="operator@example.org", subject="demo-operator")
    team_lead = stack.token(
        role="team-lead", municipality="751", email="teamleder@aarhus.example.dk", subject="demo-team-lead"
    )
    provider = stack.token(
        role="provider-staff", subprojects=["plus-aarhus"], email="underviser@example.org", subject="demo-provider"
    )
    administrator = stack.token(role="administrator", email="admin@example.org", subject="demo-administrator")
    dpo = stack.token(role="data-protection-officer", email="dpo@example.org", subject="demo-dpo")
    lines = [
        f"Rummelig is running (ready in {elapsed:.0f} s). Ctrl-C stops everything.",
        "",
        *(f"  {name:<10} {stack.url(name)}   (API docs: {stack.url(name)}/docs)" for name in SERVICES),
        f"  pages      {stack.url('intake')}/sign-in   (caseworkers, team leads, provider staff: paste a token below)",
        f"  catalogue  {stack.url('enrolment')}/sign-in   (administrators: programmes, targets, courses; $ADMIN below)",
        f"  report     {stack.url('reporting')}/?access_token={operator}",
        f"  mail       http://127.0.0.1:{c.mail_http_port}/   (SMTP :{c.smtp_port}; files in {stack.mail_dir})",
        f"  kafka      {stack.kafka.bootstrap_servers}",
        f"  postgres   {stack.postgres.dsn('intake').rsplit('/', 1)[0]}/<intake|enrolment|followup|reporting>",
        f"  state      {c.state_dir}   (logs in {c.state_dir / 'logs'})",
        "",
        f"  demo data  {_demo_line(demo)}",
        "",
        "A caseworker token (Aarhus, municipality 751):",
        f"  export TOKEN={caseworker}",
        "A team lead of Aarhus (every caseworker's cases):",
        f"  export TEAM_LEAD={team_lead}",
        "Provider staff of the sub-project plus-aarhus (its courses' participants, no CPR numbers):",
        f"  export PROVIDER={provider}",
        "An operator token (the seed's programmes):",
        f"  export OPERATOR_TOKEN={operator}",
        "An administrator token (the catalogue on enrolment, /catalogue/...; the audit log, access requests, erasure,"
        " the fund's participant extract /extract/participants.csv):",
        f"  export ADMIN={administrator}",
        "The data protection officer (intake's /audit, /audit.csv, /participants/{id}/access-request):",
        f"  export DPO={dpo}",
        "More, for any role and scope: python -m deploy.tokens --help",
    ]
    return "\n".join(lines)


def _demo_line(loaded: int | None) -> str:
    if loaded is None:
        return "not loaded (--no-demo)"
    return f"{loaded} synthetic participants loaded" if loaded else "already loaded by an earlier start"


async def _run(args: argparse.Namespace) -> int:
    stack = Stack(_config(args), log=lambda line: print(f"[rummelig] {line}", flush=True))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started = time.monotonic()
    try:
        starting = asyncio.create_task(stack.start())
        waiting = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            return 130
        starting.result()
        demo = (
            None
            if args.no_demo
            else await load_demo(
                stack.url("intake"),
                lambda municipality: stack.token(
                    role="caseworker",
                    municipality=municipality,
                    subject=f"demo-loader-{municipality}",
                    email=f"caseworker-{municipality}@example.dk",
                ),
            )
        )
        print("\n" + _banner(stack, time.monotonic() - started, demo) + "\n", flush=True)
        await stop.wait()
        print("[rummelig] stopping ...", flush=True)
        return 0
    finally:
        stack.stop()
        print("[rummelig] stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Start, wait for Ctrl-C, stop; a clear message when the state folder is in use or a port is taken."""
    args = _parse(argv)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    lock = (args.state_dir / "launcher.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"Rummelig is already running from {args.state_dir} (another deploy/up holds its lock).", file=sys.stderr)
        return 1
    try:
        return asyncio.run(_run(args))
    except PortInUse as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
