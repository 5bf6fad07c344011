"""The `export` flow: findings changed since the destination's cursor, to a file or a SIEM."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from trailguard.flows.params import (
    SETTINGS,
    BatchSize,
    Destination,
    EndpointUrl,
    Lake,
    MaxRetries,
    SecurityHubRole,
    Timeout,
)
from trailguard.flows.retries import io_task
from trailguard.pipeline.export.deliver import ExportStats, export_findings
from trailguard.pipeline.lake.recover import write_backup


class ExportIncomplete(RuntimeError):
    """The destination refused a batch or stayed down; the cursor stays where delivery stopped.

    Not retried by Prefect: `export_findings` already retried with backoff, and the next
    scheduled run resumes from the cursor.
    """


@io_task
def deliver(
    lake: Path,
    destination: str,
    batch_size: int,
    max_retries: int,
    timeout: float,
    endpoint_url: str | None,
    securityhub_role: str | None,
) -> ExportStats:
    """Send findings above the cursor in batches (the exporter retries with backoff)."""
    return export_findings(
        lake,
        destination,
        batch_size=batch_size,
        max_retries=max_retries,
        timeout=timeout,
        endpoint_url=endpoint_url,
        role=securityhub_role,
    )


@flow(name="export")
def export(
    destination: Destination,
    lake: Lake = SETTINGS.lake,
    batch_size: BatchSize = 100,
    max_retries: MaxRetries = 5,
    timeout: Timeout = 10.0,
    endpoint_url: EndpointUrl = None,
    securityhub_role: SecurityHubRole = SETTINGS.securityhub_role,
) -> ExportStats:
    """Deliver new and updated findings to `destination`; fail the run if delivery stopped."""
    stats = deliver(
        lake, destination, batch_size, max_retries, timeout, endpoint_url, securityhub_role
    )
    # Export cursors exist nowhere else: `check --rebuild-db` restores them, so a damaged database
    # does not send the findings again. Also after a stopped run: its cursor moved as far as it got.
    write_backup(lake)
    get_run_logger().info(
        "%s: sent %d, refused %d, cursor %d -> %d",
        stats.destination,
        stats.sent,
        stats.failed,
        stats.cursor_before,
        stats.cursor_after,
    )
    if stats.error:
        down = "down, the next run resumes" if stats.retryable else "refused the batch"
        raise ExportIncomplete(f"{stats.destination} {down}: {stats.error}")
    return stats
