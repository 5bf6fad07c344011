"""The `detect` flow: rules and the latest model over the lake, the model scoring a shard of
accounts per mapped task; the new findings as artifacts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.task_runners import TaskRunner

from trailguard.flows.artifacts import changed_findings, finding_revisions, publish_findings
from trailguard.flows.params import (
    SETTINGS,
    DaskAddress,
    DaskWorkers,
    Lake,
    Shards,
    SigmaRules,
    TaskRunnerKind,
    TopFindings,
)
from trailguard.flows.retries import io_task
from trailguard.flows.runners import default_shards, make_task_runner, on_runner
from trailguard.pipeline.detect.anomaly import Window
from trailguard.pipeline.detect.detect import (
    DetectPlan,
    DetectStats,
    finish_detection,
    flag_shards,
    plan_detection,
)
from trailguard.pipeline.lake.lock import lake_lock
from trailguard.pipeline.lake.recover import write_backup


@io_task
def snapshot_findings(lake: Path) -> dict[str, int]:
    """The stored findings' revisions before the run."""
    return finding_revisions(lake)


@io_task
def plan(
    lake: Path,
    since: datetime | None,
    suppression: Path | None,
    shards: int,
    sigma: tuple[str, ...] = SETTINGS.sigma_rules,
) -> DetectPlan:
    """Read the feature rows and the model; group the accounts in shards; compile Sigma rules."""
    return plan_detection(
        lake,
        since=since,
        suppression=suppression,
        shards=shards,
        sigma=sigma,
        trusted_accounts=SETTINGS.trusted_accounts,  # TRAILGUARD_TRUSTED_ACCOUNTS, as the CLI's
    )


@io_task
def finish(the_plan: DetectPlan, windows: list[Window]) -> DetectStats:
    """Run every rule, explain the flagged windows, upsert the findings."""
    return finish_detection(the_plan, windows)


@io_task
def publish(lake: Path, before: dict[str, int], top: int) -> int:
    """Attach the run's new and updated findings to the flow run; returns how many there were."""
    findings = changed_findings(lake, before)
    publish_findings(findings, before, lake=lake, top=top)
    return len(findings)


def detect_on(
    lake: Path,
    since: datetime | None,
    suppression: Path | None,
    shards: int | None,
    runner: TaskRunner[Any],
    sigma: tuple[str, ...] = SETTINGS.sigma_rules,
) -> DetectStats:
    """Plan, score the shards on `runner`, finish; call inside a flow. The run holds the lake
    from plan to upsert, as `trailguard detect` does; scoring tasks get their rows and the model
    as arguments and touch no file."""
    with lake_lock(lake, purpose="detect flow"):
        the_plan = plan(lake, since, suppression, default_shards(shards, runner), sigma)
        return finish(the_plan, flag_shards(the_plan, on_runner(runner)))


@flow(name="detect")
def detect(
    lake: Lake = SETTINGS.lake,
    since: datetime | None = None,
    suppression: Path | None = None,
    top_findings: TopFindings = 20,
    shards: Shards = None,
    task_runner: TaskRunnerKind = "thread",
    dask_address: DaskAddress = None,
    dask_workers: DaskWorkers = None,
    sigma: SigmaRules = SETTINGS.sigma_rules,
) -> DetectStats:
    """Rules, Sigma rules and model from `since` (default: everything); top findings as a run
    artifact."""
    logger = get_run_logger()
    before = snapshot_findings(lake)
    with make_task_runner(task_runner, dask_address, dask_workers) as runner:
        stats = detect_on(lake, since, suppression, shards, runner, sigma)
    with lake_lock(lake, purpose="detect flow backup"):
        write_backup(lake)  # findings exist nowhere else: `check --rebuild-db` restores them
    changed = publish(lake, before, top_findings)
    logger.info(
        "rule findings %d, Sigma findings %d, anomaly findings %d: %d new, %d updated, "
        "%d unchanged, %d archived "
        "(model %s); %d in the artifact",
        stats.rule_findings,
        stats.sigma_findings,
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
