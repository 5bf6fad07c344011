"""Generator benchmark: events/s of `generate_organisation`, in memory and to a folder.

Run by hand (not a test): `python bench/synth.py [--principals 180] [--days 21] [--workers 2]`.
Prints events/s of (a) one account generated in memory (CPU only: records, JSON, gzip) and
(b) the whole organisation written to a temporary folder with the given workers, and the ratio
(b)/(a): how much of a core-second the folder run gets out of the machine (ideal: the workers).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Sequence

from trailguard.pipeline.synth.delivery import MemorySink
from trailguard.pipeline.synth.generate import (
    DEFAULT_START,
    generate_account,
    generate_organisation,
)
from trailguard.pipeline.synth.org import build_org
from trailguard.pipeline.synth.schedule import schedule, select


def one_account(principals: int, days: int, accounts: int) -> float:
    """Events per CPU-second of one account generated into memory."""
    org = build_org(7, accounts, principals, days, DEFAULT_START.timestamp())
    slots = [s for s in schedule(org, select(None)) if s.account_index == 0]
    began = time.process_time()
    result = generate_account(org, 0, slots, MemorySink())
    return result.events / (time.process_time() - began)


def main(argv: Sequence[str] | None = None) -> int:
    """Run both measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--principals", type=int, default=180)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument("--accounts", type=int, default=6)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--dir", default=None, help="parent of the output folder (system temp)")
    args = parser.parse_args(argv)
    baseline = one_account(args.principals, args.days, args.accounts)
    print(f"(a) one account in memory   {baseline:>10,.0f} events/CPU-s")
    out = tempfile.mkdtemp(prefix="synth-bench-", dir=args.dir)
    try:
        s = generate_organisation(
            out,
            days=args.days,
            accounts=args.accounts,
            principals=args.principals,
            workers=args.workers,
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(
        f"(b) organisation to folder  {s.events_per_second:>10,.0f} events/s wall "
        f"({s.events:,} events, {s.objects:,} objects, {s.seconds:.1f} s)"
    )
    print(f"ratio (b)/(a)               {s.events_per_second / baseline:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
