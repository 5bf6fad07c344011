"""What the report shows, as plain values: `ReportData` and its parts.

`pipeline.report.build` reads them from the lake (each finding's timeline and events through
`pipeline.report.activity`); `pipeline.report.html` and the modules it uses render them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from trailguard.models.isolation_forest import ModelInfo
from trailguard.pipeline.findings.store import Finding


@dataclass(frozen=True)
class LakeSummary:
    """The lake at a glance."""

    first_event: datetime
    last_event: datetime
    events: int
    principals: int
    accounts: int


@dataclass(frozen=True)
class Span:
    """The time a finding's timeline shows: [start, end) in buckets of `step`."""

    start: datetime
    end: datetime
    step: timedelta

    def buckets(self) -> list[datetime]:
        """The start of every bucket."""
        count = int((self.end - self.start) / self.step)
        return [self.start + i * self.step for i in range(count)]


@dataclass(frozen=True)
class EventRow:
    """One listed event of a finding."""

    time: datetime
    api: str
    source_ip: str | None
    user_agent: str | None
    error: str | None


@dataclass
class FindingReport:
    """A finding with what its section shows."""

    finding: Finding
    span: Span
    label: str | None = None  # the labelled scenario it matches; None without labels
    counts: dict[datetime, tuple[int, int]] = field(default_factory=dict)  # (events, errors)
    events: list[EventRow] = field(default_factory=list)
    events_total: int = 0


@dataclass(frozen=True)
class Scores:
    """The latest model's scores of every feature window, and of the flagged ones."""

    model: ModelInfo | None
    scores: list[float]
    flagged: list[float]
    note: str | None = None  # why there is no distribution


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows."""

    lake: Path
    generated_at: datetime
    summary: LakeSummary
    findings: list[FindingReport]
    archived: int
    scores: Scores
    evaluation: (
        str | None
    )  # trailguard.pipeline.evaluation.evaluate.report's text, when labels were given
