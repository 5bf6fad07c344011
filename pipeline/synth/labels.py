"""``labels.json``: each scenario with its technique, principal, time span and event ids.

The principal key comes from the ingest normalizer itself so a label
can never disagree with the lake about whose behaviour an event belongs to.
"""

from __future__ import annotations

from typing import Any

from trailguard.pipeline.ingest.normalize import principal_key
from trailguard.pipeline.synth.records import Record


def label_principal_key(record: Record) -> str:
    """The principal key of ``record``, computed by ingest's own normalizer."""
    return principal_key(record)


def to_labels(seed: int, start: str, end: str, scenarios: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``labels.json`` document, scenarios ordered by id."""
    ordered = sorted(scenarios, key=lambda s: s["id"])
    keys = (
        "id",
        "kind",
        "technique",
        "name",
        "difficulty",
        "principal_key",
        "account_id",
        "start",
        "end",
        "event_ids",
        "expected_finding_types",
    )
    return {
        "seed": seed,
        "start": start,
        "end": end,
        "scenarios": [{k: s[k] for k in keys} for s in ordered],
    }
