"""The local launcher: python -m deploy.up starts the whole system, prints where to look, and Ctrl-C stops it.

While it runs, its supervisor restarts any part that exits (with backoff, telling each restart); `deploy/up status`
lists the parts.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from deploy import status
from deploy.demo import DEMO_MARKER, DEMO_MUNICIPALITY, load_demo
from deploy.ports import PortInUse
from deploy.stack import DEFAULT_STATE, SERVICES, Stack, StackConfig
from deploy.synthetic_register import write_for
from services.enrolment.seed import PROGRAMMES
from services.intake.settings import IntakeSettings

REGISTER_EXTRACT = "register-extract.csv"  # the demo's synthetic DREAM extract, beside its state


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
    # With the demo, follow-up looks for due reminders every 10 s and tells a coordinator of a check found overdue at
    # once, so that the mail catcher holds reminders and a digest within a minute (production: 30 s and 48 hours).
    return StackConfig(
        state_dir=base.state_dir,
        kafka_port=base.kafka_port + off,
        kafka_controller_port=base.kafka_controller_port + off,
        postgres_port=base.postgres_port + off,
        smtp_port=base.smtp_port + off,
        mail_http_port=base.mail_http_port + off,
        service_ports={k: v + off for k, v in base.service_ports.items()},
        reminder_poll_seconds=base.reminder_poll_seconds if args.no_demo else 10.0,
        escalation_grace_hours=base.escalation_grace_hours if args.no_demo else 0.0,
        supervise=True,
    )


def _caseworker(stack: Stack, municipality: str = DEMO_MUNICIPALITY) -> str:
    """The demo caseworker's token (Aarhus), whose cases the demo refers; another municipality's demo caseworker."""
    if municipality == DEMO_MUNICIPALITY:
        return stack.token(
            role="caseworker", municipality="751", email="caseworker@aarhus.example.dk", subject="demo-caseworker"
        )
    return stack.token(
        role="caseworker",
        municipality=municipality,
        subject=f"demo-caseworker-{municipality}",
        email=f"caseworker-{municipality}@example.dk",
    )


def _banner(stack: Stack, elapsed: float, demo: str) -> str:
    """Where each person looks, then the infrastructure, then the tokens for API users."""
    c = stack.config
    caseworker = _caseworker(stack)
    operator = stack.token(role="operator", email="operator@example.org", subject="demo-operator")
    team_lead = stack.token(
        role="team-lead", municipality="751", email="teamleder@aarhus.example.dk", subject="demo-team-lead"
    )
    provider = stack.token(
        role="provider-staff", subprojects=["plus-aarhus"], email="underviser@example.org", subject="demo-provider"
    )
    administrator = stack.token(role="administrator", email="admin@example.org", subject="demo-administrator")
    dpo = stack.token(role="data-protection-officer", email="dpo@example.org", subject="demo-dpo")
    pages, reporting = f"{stack.url('intake')}/sign-in", stack.url("reporting")
    token_query = f"access_token={operator}"
    lines = [
        f"Rummelig is running (ready in {elapsed:.0f} s). Ctrl-C stops everything; a part that exits is restarted.",
        "",
        "Where to look (sign in by pasting the token of that person, printed at the end):",
        f"  caseworker, Aarhus    {pages}   $TOKEN: Mine sager, Opgaver, Ny henvisning",
        f"  team lead, Aarhus     {pages}   $TEAM_LEAD: Team (move cases to a colleague)",
        f"  provider staff        {pages}   $PROVIDER: Mine hold (start, completion, drop-out)",
        f"  administrator         {stack.url('enrolment')}/sign-in   $ADMIN: programmes, targets, courses",
        f"  operator              {reporting}/?{token_query}   (every programme, then:)",
        *(
            f"    dashboard of {programme_id:<17} {reporting}/dashboard?programme_id={programme_id}&{token_query}"
            for programme_id in PROGRAMMES
        ),
        f"  mail catcher          http://127.0.0.1:{c.mail_http_port}/   (reminders and digests; {stack.mail_dir})",
        "  API docs              " + "   ".join(f"{stack.url(name)}/docs" for name in SERVICES),
        "",
        f"  demo data  {demo}",
        "",
        f"  kafka      {stack.kafka.bootstrap_servers}",
        f"  postgres   {stack.postgres.dsn('intake').rsplit('/', 1)[0]}/<intake|enrolment|followup|reporting>",
        f"  state      {c.state_dir}   (logs in {c.state_dir / 'logs'}; ./deploy/up status lists the parts)",
        "",
        "Tokens, for the pages and for API users (Authorization: Bearer …):",
        "A caseworker of Aarhus (municipality 751), whose cases the demo holds:",
        f"  export TOKEN={caseworker}",
        "A team lead of Aarhus (every caseworker's cases):",
        f"  export TEAM_LEAD={team_lead}",
        "Provider staff of the sub-project plus-aarhus (its courses' participants, no CPR numbers):",
        f"  export PROVIDER={provider}",
        "An operator (the seed's programmes: /, /dashboard, /report/figures):",
        f"  export OPERATOR_TOKEN={operator}",
        "An administrator (the catalogue on enrolment, /catalogue/...; the audit log, access requests, erasure,"
        " the fund's participant extract /extract/participants.csv):",
        f"  export ADMIN={administrator}",
        "The data protection officer (intake's /audit, /audit.csv, /participants/{id}/access-request):",
        f"  export DPO={dpo}",
        "More, for any role and scope: python -m deploy.tokens --help",
    ]
    return "\n".join(lines)


async def _load_demo(stack: Stack, marker: Path) -> None:
    """Load the demo through intake's API in the background, telling its progress; a marker once it is whole."""
    step = 0

    def progress(done: int, of: int) -> None:
        nonlocal step
        if done * 10 // of > step or done == of:
            step = done * 10 // of
            print(f"[demo] {done} of {of} synthetic participants loaded", flush=True)

    try:
        referred = await load_demo(stack.url("intake"), lambda m: _caseworker(stack, m), progress=progress)
    except Exception as exc:  # noqa: BLE001 - the system stays up without its demo; the reason is shown
        print(f"[demo] not loaded: {exc!r} (start again to resume; the cases loaded so far stay)", flush=True)
        return
    loaded = f"{referred} synthetic participants, loaded {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n"
    await asyncio.to_thread(marker.write_text, loaded)
    print(
        f"[demo] loaded: {referred} synthetic participants. Within a minute the mail catcher holds the reminders of"
        " the checks that fall due and a coordinator's digest of those overdue.",
        flush=True,
    )
    await _register_extract(stack)


async def _register_extract(stack: Stack) -> None:
    """A synthetic DREAM extract of the demo's participants beside the state, and how to import it."""
    out = stack.config.state_dir / REGISTER_EXTRACT
    settings = IntakeSettings(
        database_url=stack.postgres.url("intake"),
        data_key=stack.secrets["data_key"],
        lookup_key=stack.secrets["lookup_key"],
    )
    try:
        rows, participants = await write_for(settings, out, agreement=0.8, others=200)
    except Exception as exc:  # noqa: BLE001 - the demo stands without it; the reason is shown
        print(f"[demo] no register extract written: {exc!r}", flush=True)
        return
    print(
        f"[demo] a synthetic register (DREAM) extract of {participants} of them and {rows - participants} people"
        f" referred nowhere, agreeing with the caseworkers 8 times in 10: {out}\n"
        f"[demo] import it as the administrator: curl -X POST {stack.url('intake')}/register-extracts"
        f' -H "Authorization: Bearer $ADMIN" -H "Content-Type: text/csv" --data-binary @{out}',
        flush=True,
    )


async def _run(args: argparse.Namespace) -> int:
    stack = Stack(_config(args), log=lambda line: print(f"[rummelig] {line}", flush=True))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    started = time.monotonic()
    loading: asyncio.Task[None] | None = None
    try:
        starting = asyncio.create_task(stack.start())
        waiting = asyncio.create_task(stop.wait())
        await asyncio.wait({starting, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if not starting.done():
            starting.cancel()
            return 130
        starting.result()
        marker = stack.config.state_dir / DEMO_MARKER
        if args.no_demo:
            demo = "not loaded (--no-demo)"
        elif marker.exists():
            demo = f"already loaded by an earlier start ({marker.read_text().strip()})"
        else:
            demo = "loading in the background through the caseworker API; progress below"
            loading = asyncio.create_task(_load_demo(stack, marker))
        print("\n" + _banner(stack, time.monotonic() - started, demo) + "\n", flush=True)
        await stop.wait()
        print("[rummelig] stopping ...", flush=True)
        return 0
    finally:
        if loading is not None:
            loading.cancel()
        stack.stop()
        print("[rummelig] stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Start, wait for Ctrl-C, stop; a clear message when the state folder is in use or a port is taken.

    `status` as the first argument lists the parts of the launcher that runs instead (deploy/status.py).
    """
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["status"]:
        return status.main(argv[1:])
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
