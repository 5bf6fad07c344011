"""Generate a synthetic AWS organisation's CloudTrail, with labelled attacks and hard negatives.

Accounts are independent: each is rebuilt from ``(seed, account index)`` and generated day by
day (benign calls plus the scenarios scheduled in it), so accounts run in parallel processes
and the output is the same whatever the number of workers.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from trailguard.pipeline.synth.defaults import (
    DEFAULT_ACCOUNTS,
    DEFAULT_DAYS,
    DEFAULT_PRINCIPALS,
    DEFAULT_SEED,
    DEFAULT_START,
)
from trailguard.pipeline.synth.delivery import Deliverer, LocalSink, S3Sink, Sink, Timed
from trailguard.pipeline.synth.habits import check_habits
from trailguard.pipeline.synth.labels import to_labels
from trailguard.pipeline.synth.org import AccountPlan, Org, build_org, plan_account, rng_for
from trailguard.pipeline.synth.profiles import day_calls
from trailguard.pipeline.synth.real_incidents import Laid, check_days, lay_incidents
from trailguard.pipeline.synth.records import RecordFactory
from trailguard.pipeline.synth.restless.lives import DayCalls, restless_days, scenario_plan
from trailguard.pipeline.synth.schedule import Slot, learning_days, run_slot, schedule, select


@dataclass(frozen=True)
class SynthSummary:
    """What a generation run wrote."""

    out: str
    objects: int
    events: int
    attacks: int
    hard_negatives: int
    seconds: float
    duplicates: int = 0

    @property
    def events_per_second(self) -> float:
        """Generation throughput."""
        return self.events / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class AccountResult:
    """What one account's generation wrote, and the labels of its scenarios."""

    objects: int
    events: int
    records: int
    labels: list[dict[str, Any]]


def _sink(out: str, s3_client: object | None) -> Sink:
    if out.startswith("s3://"):
        if s3_client is None:
            raise ValueError(
                "an s3:// output needs an S3 client (pipeline.ingest.sources.s3.s3_client)"
            )
        bucket, _, prefix = out[len("s3://") :].partition("/")
        return S3Sink(s3_client, bucket, prefix)
    return LocalSink(out)


def generate_account(org: Org, index: int, slots: list[Slot], sink: Sink) -> AccountResult:
    """Write one account's objects: benign days plus its scenarios; return counts and labels."""
    plan = plan_account(org, index)
    fac = RecordFactory(rng_for(org.seed, "benign", index))
    echo = next((r for r in plan.place.regions if r != "us-east-1"), "us-west-2")
    deliverer = Deliverer(
        plan.account_id,
        sink,
        rng_for(org.seed, "delivery", index),
        org_id=org.trail_prefix,
        duplicates=org.duplicates,
        echo_region=echo,
    )
    benign = _benign_days(org, plan)
    victims_plan = scenario_plan(org, plan) if org.habits == "restless" else plan
    by_day: dict[int, list[Timed]] = defaultdict(list)
    labels = []
    victims: set[str] = set()
    for slot in slots:
        events, label = run_slot(org, victims_plan, slot, victims)
        labels.append(label)
        for item in events:
            by_day[min(org.days - 1, max(0, int((item[0] - org.start) // 86400)))].append(item)
    for day in range(org.days):
        day_start = org.start + day * 86400
        items = by_day.pop(day, [])
        items.extend(benign(day, day_start, fac))
        deliverer.add(items)
    deliverer.finish()
    return AccountResult(deliverer.objects, deliverer.events, deliverer.records, labels)


def _benign_days(org: Org, plan: AccountPlan) -> DayCalls:
    """The account's benign calls of one day, as the organisation's habits make them."""
    if org.habits == "restless":
        return restless_days(org, plan)

    def steady(day: int, day_start: float, fac: RecordFactory) -> list[Timed]:
        weekday = org.weekday(day)
        scale = org.intensity
        return [i for p in plan.profiles for i in day_calls(p, day, day_start, weekday, fac, scale)]

    return steady


def _local_worker(args: tuple[Org, int, list[Slot], str]) -> AccountResult:
    org, index, slots, out = args
    sink = LocalSink(out)
    try:
        return generate_account(org, index, slots, sink)
    finally:
        sink.close()


def generate_organisation(
    out: str,
    *,
    days: int = DEFAULT_DAYS,
    accounts: int = DEFAULT_ACCOUNTS,
    principals: int = DEFAULT_PRINCIPALS,
    seed: int = DEFAULT_SEED,
    attacks: list[str] | None = None,
    start: datetime | None = None,
    s3_client: object | None = None,
    workers: int | None = None,
    intensity: float = 1.0,
    repeats: int = 1,
    org_trail: bool = False,
    duplicates: float = 0.0,
    sink: Sink | None = None,
    real_incidents: bool = False,
    habits: str = "steady",
) -> SynthSummary:
    """Write CloudTrail objects and ``labels.json`` for a synthetic organisation to ``out``.

    ``principals`` is the organisation's total, spread evenly over accounts (each account also
    gets its root user and scanner); ``attacks`` selects techniques and hard negatives by id or
    name (all when None, none when empty), each placed ``repeats`` times (twice: once loud,
    once quiet). ``intensity`` scales every benign principal's call
    rate (1.0: the documented rates); ``workers`` processes generate accounts in parallel
    (into a local folder; other sinks are written from this process). ``sink`` overrides where
    objects go (e.g. a ``MemorySink`` in tests); ``out`` is then only reported. ``org_trail``
    lays objects out as an organisation trail does (``AWSLogs/o-<id>/<account>/...``);
    ``duplicates`` is the share of global-service events delivered twice (``events`` counts
    each once, ``SynthSummary.duplicates`` the second deliveries). ``real_incidents`` also lays
    the real incidents of ``real_incidents.INCIDENTS`` into the organisation after its learning
    period, each an attack of ``labels.json``. ``habits`` is the benign population's everyday
    behaviour, one of ``habits.HABITS``: ``steady`` (regular profiles) or ``restless`` (the
    irregular people and machines of ``pipeline/synth/restless/``).
    """
    began = time.monotonic()
    check_habits(habits)
    first = start or DEFAULT_START
    org = build_org(seed, accounts, principals, days, first.timestamp(), intensity)
    org = dataclasses.replace(org, org_trail=org_trail, duplicates=duplicates, habits=habits)
    slots = schedule(org, select(attacks), repeats)
    if real_incidents:  # refused before anything is written
        check_days(days, learning_days(days))
    per_account = [[s for s in slots if s.account_index == i] for i in range(accounts)]
    sink = sink or _sink(out, s3_client)
    results = _run_accounts(org, per_account, sink, out, workers)
    labels = [label for r in results for label in r.labels]
    real = Laid()
    if real_incidents:
        real = lay_incidents(
            sink, org.account_ids, first, days, learning_days(days), seed, org.trail_prefix
        )
        labels += real.scenarios
    end = first + timedelta(days=days)
    doc = to_labels(seed, _iso(first), _iso(end), labels)
    sink.put("labels.json", orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    sink.close()
    return SynthSummary(
        out,
        sum(r.objects for r in results) + real.objects,
        sum(r.events for r in results) + real.events,
        sum(1 for s in labels if s["kind"] == "attack"),
        sum(1 for s in labels if s["kind"] == "hard_negative"),
        time.monotonic() - began,
        sum(r.records - r.events for r in results),
    )


def _run_accounts(
    org: Org, per_account: list[list[Slot]], sink: Sink, out: str, workers: int | None
) -> list[AccountResult]:
    """Generate every account, in worker processes when writing to a local folder."""
    count = len(per_account)
    workers = min(count, workers or os.cpu_count() or 1)
    if workers > 1 and isinstance(sink, LocalSink):
        jobs = [(org, i, per_account[i], out) for i in range(count)]
        # spawn, not fork: callers (Prefect tasks, servers) may have threads running
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            return list(pool.map(_local_worker, jobs))
    return [generate_account(org, i, per_account[i], sink) for i in range(count)]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
