"""The `detect` flow: rules and the latest model over the lake; the new findings as artifacts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import flow, get_run_logger

from flows.artifacts import changed_findings, finding_revisions, publish_findings
from flows.params import Lake, TopFindings
from flows.retries import io_task
from pipeline.detect import DetectStats, run_detection


@io_task
def snapshot_findings(lake: Path) -> dict[str, int]:
    """The stored findings' revisions before the run."""
    return finding_revisions(lake)


@io_task
def score(lake: Path, since: datetime | None, suppression: Path | None) -> DetectStats:
    """Run every rule and the model; upsert the findings (holding the lake lock)."""
    return run_detection(lake, since=since, suppression=suppression)


@io_task
def publish(lake: Path, before: dict[str, int], top: int) -> int:
    """Attach the run's new and updated findings to the flow run; returns how many there were."""
    findings = changed_findings(lake, before)
    publish_findings(findings, before, lake=lake, top=top)
    return len(findings)


@flow(name="detect")
def detect(
    lake: Lake = Path("lake"),
    since: datetime | None = None,
    suppression: Path | None = None,
    top_findings: TopFindings = 20,
) -> DetectStats:
    """Rules and model from `since` (default: everything); top findings as a run artifact."""
    logger = get_run_logger()
    before = snapshot_findings(lake)
    stats = score(lake, since, suppression)
    changed = publish(lake, before, top_findings)
    logger.info(
        "rule findings %d, anomaly findings %d: %d new, %d updated, %d unchanged, %d archived "
        "(model %s); %d in the artifact",
        stats.rule_findings,
        stats.ml_findings,
        stats.created,
        stats.updated,
        stats.unchanged,
        stats.archived,
        stats.model_version or "-",
        min(changed, top_findings),
    )
    for note in stats.notes:
        logger.warning("%s", note)
    return stats
