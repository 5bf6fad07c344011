"""The organisation: accounts, their regions and resources, people, and each account's principals.

Every piece is derived from ``(seed, name)`` alone, so a worker process can rebuild the one
account it generates without the others, and the result never depends on scheduling.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from trailguard.pipeline.synth.archetypes import Place, registered
from trailguard.pipeline.synth.params import Resources, make_resources
from trailguard.pipeline.synth.people import Person, new_person
from trailguard.pipeline.synth.profiles import Profile

HOME_REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "eu-central-1")
UNUSED_REGIONS = ("ap-southeast-1", "ap-northeast-1", "sa-east-1", "ca-central-1")
_ENVS = ("prod", "staging", "dev", "shared", "data", "sandbox", "security", "analytics")
# Archetypes every account has exactly one of, and those only some accounts have.
_SINGLETONS = ("scanner", "root_user")
_OPTIONAL = {"misconfigured": 0.5, "partner_account": 0.5}


@dataclass(frozen=True)
class Org:
    """Organisation-wide facts every account's generator needs."""

    seed: int
    account_ids: tuple[str, ...]
    start: float
    days: int
    principals: int
    holidays: frozenset[int]
    people: tuple[Person, ...]
    intensity: float = 1.0
    org_id: str = ""
    org_trail: bool = False
    duplicates: float = 0.0
    habits: str = "steady"  # everyday behaviour of the benign population (habits.HABITS)

    @property
    def trail_prefix(self) -> str:
        """The ``o-<id>`` folder of an organisation trail, or "" for per-account trails."""
        return self.org_id if self.org_trail else ""

    def weekday(self, day: int) -> int:
        """Weekday (Monday = 0) of ``day`` days after the start."""
        return datetime.fromtimestamp(self.start + day * 86400, tz=UTC).weekday()


@dataclass
class AccountPlan:
    """One account: its id, environment, regions, resources and benign principals."""

    index: int
    account_id: str
    env: str
    place: Place
    profiles: list[Profile]

    @property
    def resources(self) -> Resources:
        """The account's named resources."""
        return self.place.resources


def rng_for(seed: int, *parts: object) -> random.Random:
    """An independent, reproducible random stream for one named part of the generation."""
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def build_org(
    seed: int, accounts: int, principals: int, days: int, start: float, intensity: float = 1.0
) -> Org:
    """Account ids, holidays and the people of the organisation."""
    rng = rng_for(seed, "org")
    ids = tuple(str(rng.randrange(10**11, 10**12)) for _ in range(accounts))
    weekdays = [
        d for d in range(days) if datetime.fromtimestamp(start + d * 86400, tz=UTC).weekday() < 5
    ]
    holidays = frozenset(rng.sample(weekdays, min(len(weekdays), days // 10)))
    humans = max(2, round(principals * registered()["human"][1] / 1.8))
    people = tuple(new_person(rng, i, days) for i in range(humans))
    org_id = "o-" + "".join(rng.choices("abcdefghijklmnopqrstuvwxyz0123456789", k=10))
    return Org(seed, ids, start, days, principals, holidays, people, intensity, org_id)


def _counts(rng: random.Random, per_account: int) -> dict[str, int]:
    counts = {name: 1 for name in _SINGLETONS}
    for name, chance in _OPTIONAL.items():
        if rng.random() < chance:
            counts[name] = 1
    left = max(0, per_account - sum(counts.values()))
    shares = {n: s for n, (_, s) in registered().items() if s > 0}
    total = sum(shares.values())
    for name, share in shares.items():
        counts[name] = max(1, round(left * share / total))
    return counts


def plan_account(org: Org, index: int) -> AccountPlan:
    """Rebuild account ``index`` with its principals (deterministic for the org's seed)."""
    rng = rng_for(org.seed, "account", index)
    account = org.account_ids[index]
    env = _ENVS[index % len(_ENVS)]
    homes = rng.sample(HOME_REGIONS, 2)
    place = Place(
        account,
        make_resources(rng, account, env),
        tuple(homes),
        (*homes, *(r for r in HOME_REGIONS if r not in homes), *UNUSED_REGIONS),
        org.days,
        org.holidays,
        org.account_ids,
    )
    counts = _counts(rng, max(6, org.principals // len(org.account_ids)))
    if index == 0:  # the first account has every archetype, rare ones included
        counts.update({name: 1 for name in _OPTIONAL})
    profiles: list[Profile] = []
    people = rng.sample(org.people, min(len(org.people), counts.get("human", 0)))
    for name, n in sorted(counts.items()):
        builder = registered()[name][0]
        for i in range(n):
            person = people[i] if name == "human" and i < len(people) else None
            if name == "human" and person is None:
                continue
            profiles.append(builder(rng, place, person))
    return AccountPlan(index, account, env, place, profiles)
