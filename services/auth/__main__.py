"""`python -m services.auth` serves; `python -m services.auth promote-admin EMAIL` promotes."""

from __future__ import annotations

import argparse
import asyncio
import sys

from services.auth.admin import promote_admin
from services.auth.app import start_auth
from services.auth.settings import AuthSettings
from services.kernel.app import run_service


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m services.auth")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the auth gRPC service (default)")
    promote = commands.add_parser("promote-admin", help="give an existing account the ADMIN role")
    promote.add_argument("email")
    args = parser.parse_args()
    if args.command == "promote-admin":
        try:
            message = asyncio.run(promote_admin(AuthSettings(), args.email))
        except LookupError as exc:
            print(exc, file=sys.stderr)
            return 1
        print(message)
        return 0
    run_service(AuthSettings, start_auth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
