"""`python -m services.mesh up|down`: the local mesh runner behind `make up` / `make down`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from services.mesh.runner import down, up


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m services.mesh")
    parser.add_argument("command", choices=["up", "down"])
    args = parser.parse_args()
    if args.command == "up":
        return asyncio.run(up())
    return down()


if __name__ == "__main__":
    sys.exit(main())
