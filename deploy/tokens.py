"""python -m deploy.tokens: a development token for any role, signed with the local stack's secret.

For trying the API as each kind of user; the stack must have been started once from the same state folder.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from deploy.stack import DEFAULT_STATE, Stack, StackConfig
from shared.auth import ROLES, Role


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m deploy.tokens", description=__doc__)
    parser.add_argument("--role", choices=ROLES, required=True)
    parser.add_argument("--municipality", help="caseworker and team lead: a municipality code, e.g. 751")
    parser.add_argument("--subproject", action="append", default=[], help="provider staff: a sub-project (repeat)")
    parser.add_argument("--programme", action="append", default=[], help="operator: a programme (repeat)")
    parser.add_argument("--subject", default="dev-user")
    parser.add_argument("--email", default="dev-user@example.org")
    parser.add_argument("--state-dir", type=Path, default=Path(os.environ.get("RUMMELIG_STATE_DIR", DEFAULT_STATE)))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Print one token."""
    args = _parse(argv)
    role: Role = args.role
    if not (args.state_dir / "secrets.json").exists():
        print(f"no stack has run from {args.state_dir} yet: start it with ./deploy/up first", file=sys.stderr)
        return 2
    stack = Stack(StackConfig(state_dir=args.state_dir))
    print(
        stack.token(
            role=role,
            municipality=args.municipality,
            subject=args.subject,
            email=args.email,
            subprojects=args.subproject or None,
            programmes=args.programme or None,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
