"""The Finding type: what every detector produces and every exporter consumes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SEVERITY_LOW_MAX = 3.9
SEVERITY_MEDIUM_MAX = 6.9


def severity_label(severity: float) -> str:
    """GuardDuty's label for a 1.0-8.9 severity: Low, Medium or High."""
    if severity <= SEVERITY_LOW_MAX:
        return "Low"
    if severity <= SEVERITY_MEDIUM_MAX:
        return "Medium"
    return "High"


def finding_id(detector: str, principal: str, episode: str) -> str:
    """Stable id of a finding: the same detector, principal and episode always hash the same."""
    digest = hashlib.sha256(f"{detector}\x1f{principal}\x1f{episode}".encode()).hexdigest()
    return digest[:32]


@dataclass(frozen=True)
class Finding:
    """One finding, GuardDuty-like. `evidence` is JSON-serialisable and explains the finding."""

    finding_id: str
    type: str
    severity: float
    title: str
    description: str
    account_id: str | None
    principal: str
    region: str | None
    first_seen: datetime
    last_seen: datetime
    event_count: int
    detector: str
    evidence: dict[str, Any]
    score: float | None = None
    model_version: str | None = None
    status: str = "active"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1

    @property
    def severity_label(self) -> str:
        """Low, Medium or High."""
        return severity_label(self.severity)
