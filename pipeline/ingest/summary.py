"""What an ingest run did (`IngestSummary`), and the `ingest_runs` row it is kept as.

Shared by the whole-source run (`pipeline.ingest.ingest`), its lake writer
(`pipeline.ingest.writer`) and the partitioned run (`pipeline.ingest.parts`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from trailguard.pipeline.ingest.sources.layout import Skipped
from trailguard.pipeline.ingest.state import RunSummary
from trailguard.pipeline.urls import redact_url

# The ingest run's logger, by the name its lines have always carried (the CLI prints it).
log = logging.getLogger("trailguard.pipeline.ingest.ingest")

SKIPPED_EXAMPLES = 20  # files skipped that a summary names


@dataclass
class IngestSummary:
    """What a run did. records == written + duplicates + quarantined."""

    objects: int = 0
    records: int = 0
    written: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantined_objects: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped_objects: int = 0
    seconds: float = 0.0
    skipped_files: int = 0  # found under the source, not CloudTrail logs: not read
    skipped_examples: list[str] = field(default_factory=list)  # the first few of them

    def skip(self, skipped: Skipped) -> None:
        """Count what the listing will not read: a failed read when it cannot be read."""
        if skipped.unreadable:
            uri, reason = skipped.uri, skipped.reason
            log.error("could not read %s (it will be retried next run): %s", uri, reason)
            self.failed.append((skipped.uri, skipped.reason))
            return
        self.skipped_files += 1
        if len(self.skipped_examples) < SKIPPED_EXAMPLES:
            self.skipped_examples.append(f"{skipped.uri}: {skipped.reason}")

    @property
    def events_per_second(self) -> float:
        """Records read per second of the run."""
        return self.records / self.seconds if self.seconds else 0.0


def run_row(source: str, started: datetime, s: IngestSummary) -> RunSummary:
    """The `ingest_runs` row of a finished run."""
    return RunSummary(
        uuid.uuid4().hex,
        redact_url(source),  # a source is shown and exported; credentials never belong in it
        started,
        datetime.now(UTC),
        s.objects,
        s.records,
        s.written,
        s.duplicates,
        s.quarantined,
        len(s.failed),
    )
