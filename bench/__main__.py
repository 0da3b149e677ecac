"""`python -m bench [--quick] [--only CASE ...] [--results-dir DIR] [--docs FILE | --no-docs]`.

A full run also rewrites docs/benchmarks.md; a quick run (`--quick` or `BENCH_QUICK=1`) only
writes its JSON unless `--docs` is given, so smoke runs never touch the committed figures.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bench.run import CASES, main_sync
from bench.sizes import QUICK, sizes_from_environment

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny inputs (as BENCH_QUICK=1)")
    parser.add_argument("--only", nargs="+", choices=sorted(CASES), help="run only these cases")
    parser.add_argument("--results-dir", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--docs", type=Path, help="where to write the markdown page")
    parser.add_argument("--no-docs", action="store_true", help="do not write the markdown page")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sizes = QUICK if args.quick else sizes_from_environment()
    docs: Path | None = args.docs
    if docs is None and not sizes.quick and not args.no_docs:
        docs = ROOT / "docs" / "benchmarks.md"
    if args.no_docs:
        docs = None
    return main_sync(sizes, args.results_dir, docs, args.only)


if __name__ == "__main__":
    sys.exit(main())
