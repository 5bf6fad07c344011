"""`trailguard` with smaller batches, flushes and compaction threshold, for the crash tests.

Usage: python launch.py <batch objects> <flush rows> <compact min files> <trailguard args...>

A crash test needs a small corpus to cross every boundary of a run (several worker batches,
several flushes of rows and state, a compaction); shrinking the thresholds in the child process
does that without a large corpus or any test-only switch in the product.
"""

from __future__ import annotations

import sys


def main() -> int:
    import pipeline.ingest
    import pipeline.lake
    from pipeline.cli import main as trailguard

    batch_objects, flush_rows, compact_min, *args = sys.argv[1:]
    pipeline.ingest.BATCH_OBJECTS = int(batch_objects)
    pipeline.ingest.FLUSH_ROWS = int(flush_rows)
    pipeline.lake.COMPACT_MIN_FILES = int(compact_min)
    return trailguard(args)


if __name__ == "__main__":  # spawned workers import this file as __mp_main__: no side effects
    raise SystemExit(main())
