"""When and where each labelled scenario runs, and running it inside its account.

Scenarios start after a learning period (7 days, or half the period when shorter), are
spread round-robin over shuffled accounts, and alternate loud and quiet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from trailguard.pipeline.ingest.principals import principal_of
from trailguard.pipeline.synth.delivery import Timed
from trailguard.pipeline.synth.labels import label_principal_key
from trailguard.pipeline.synth.org import AccountPlan, Org, rng_for
from trailguard.pipeline.synth.profiles import Profile, local_time
from trailguard.pipeline.synth.records import RecordFactory
from trailguard.pipeline.synth.scenario import Technique, load, start_ctx

LEARNING_DAYS = 7


@dataclass(frozen=True)
class Slot:
    """One scheduled scenario."""

    sid: str
    technique: str
    account_index: int
    day: int
    frac: float
    difficulty: str | None
    outside_account: str


def learning_days(days: int) -> int:
    """Days of benign-only history before the first scenario."""
    return min(LEARNING_DAYS, max(1, days // 2))


def select(names: list[str] | None) -> list[Technique]:
    """Techniques by id or name (all registered ones when ``names`` is None)."""
    registry = load()
    if names is None:
        return [registry[k] for k in sorted(registry)]
    by_name = {t.name: t for t in registry.values()}
    missing = [n for n in names if n not in registry and n not in by_name]
    if missing:
        raise ValueError(f"unknown techniques: {', '.join(missing)}; known: {sorted(registry)}")
    return [registry.get(n) or by_name[n] for n in names]


def schedule(org: Org, techniques: list[Technique], repeats: int = 1) -> list[Slot]:
    """Place each technique ``repeats`` times: an account, a day after learning and, for an
    attack, a difficulty (a technique placed twice runs once loud and once quiet)."""
    rng = rng_for(org.seed, "schedule")
    first = learning_days(org.days)
    if techniques and org.days <= first:
        raise ValueError(
            f"scenarios need a benign learning period first: use --days {first + 1} or more, "
            "or --attacks with no value for benign traffic only"
        )
    accounts = list(range(len(org.account_ids)))
    rng.shuffle(accounts)
    slots: list[Slot] = []
    for i, (tech, r) in enumerate((t, r) for r in range(repeats) for t in techniques):
        difficulty = None
        if tech.kind == "attack":
            difficulty = ("loud", "quiet")[(_coin(org.seed, tech.id) + r) % 2]
        sid = f"{'A' if tech.kind == 'attack' else 'N'}{i:03d}"
        day = rng.randrange(first, org.days)
        account = accounts[i % len(accounts)]
        slots.append(
            Slot(
                sid,
                tech.id,
                account,
                day,
                rng.random(),
                difficulty,
                str(rng.randrange(10**11, 10**12)),
            )
        )
    return slots


def _coin(seed: int, tid: str) -> int:
    return rng_for(seed, "difficulty", tid).randrange(2)


def _victim(rng: random.Random, plan: AccountPlan, tech: Technique, used: set[str]) -> Profile:
    """A principal of a fitting archetype, one not yet a victim when the account has one left
    (two scenarios on one principal would blur which one a finding detected)."""
    fits = [p for p in plan.profiles if p.archetype in tech.victims]
    if not fits:
        fits = [p for p in plan.profiles if p.archetype in ("human", "legacy_user", "ci_role")]
    fresh = [p for p in fits if p.ident.key not in used]
    victim = rng.choice(fresh or fits)
    used.add(victim.ident.key)
    return victim


def _start_time(org: Org, slot: Slot, victim: Profile) -> float:
    day_start = org.start + slot.day * 86400
    if slot.difficulty != "loud" and victim.workday is not None:
        lo, hi = victim.workday
        local = lo + slot.frac * (hi - lo)
        return local_time(day_start, victim.tz_hours, local)
    return day_start + slot.frac * 86000


def run_slot(
    org: Org, plan: AccountPlan, slot: Slot, used: set[str] | None = None
) -> tuple[list[Timed], dict[str, Any]]:
    """Run one scenario in its account; return its records and its label.
    ``used`` holds the keys of earlier victims in the account, and gains this one's."""
    tech = load()[slot.technique]
    fac = RecordFactory(rng_for(org.seed, "scenario", slot.sid))
    victim = _victim(fac.rng, plan, tech, set() if used is None else used)
    ctx = start_ctx(
        fac,
        victim,
        _start_time(org, slot, victim),
        slot.difficulty == "loud",
        slot.outside_account,
        plan.place,
        slot.day,
        org.weekday(slot.day),
        benign=tech.kind != "attack",
    )
    tech.body(ctx)
    events = sorted(ctx.events, key=lambda item: item[0])
    # The scenario's principal: the victim, or the new principal a hard negative introduces
    # (not, say, the OIDC identity that hands a new pipeline its role).
    key = ctx.ident.key
    lead = next((rec for _, rec in events if principal_of(rec["userIdentity"]).key == key), None)
    findings = sorted({*tech.findings, *ctx.findings}) if tech.kind == "attack" else []
    label = {
        "id": slot.sid,
        "kind": tech.kind,
        "technique": tech.id,
        "name": tech.name,
        "difficulty": slot.difficulty,
        "principal_key": label_principal_key(lead or events[0][1]),
        "account_id": plan.account_id,
        "start": events[0][1]["eventTime"],
        "end": events[-1][1]["eventTime"],
        "event_ids": [rec["eventID"] for _, rec in events],
        "expected_finding_types": findings,
    }
    return events, label
