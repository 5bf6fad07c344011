"""The organisation's engineers: each a time zone, addresses, tools and days off of their own."""

from __future__ import annotations

import random
from dataclasses import dataclass

from trailguard.pipeline.synth import network as net


@dataclass(frozen=True)
class Person:
    """An engineer of the organisation (one per email), who may work in several accounts."""

    email: str
    permission_set: str
    tz_hours: float
    ips: tuple[str, ...]
    cli: str
    browser: str
    days_off: frozenset[int]
    console: float


# Names are split from strings so the lists stay two lines long.
_FIRST_NAMES = "alex sam maria li priya tom nina omar eva ken julia raj anna marc sofia dan yuki"
_LAST_NAMES = "smith garcia chen patel muller rossi kim novak silva jones dubois berg khan walsh"
_FIRST, _LAST = tuple(_FIRST_NAMES.split()), tuple(_LAST_NAMES.split())


def _vacation(rng: random.Random, days: int) -> frozenset[int]:
    if rng.random() < 0.6 or days < 10:
        return frozenset()
    start = rng.randrange(0, days - 3)
    return frozenset(range(start, start + rng.randrange(2, 6)))


def new_person(rng: random.Random, index: int, days: int) -> Person:
    """An engineer: a time zone, a home and an office address, an aws-cli build, a browser."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    office = net.ip_in(rng, net.ISP_PREFIXES)
    home = net.ip_in(rng, net.ISP_PREFIXES)
    return Person(
        email=f"{first}.{last}{index}@acme-corp.com",
        permission_set=rng.choice(("Developer", "Developer", "ReadOnly", "Admin")),
        tz_hours=rng.choice((-8, -5, 0, 1, 2, 5.5)),
        ips=(office, home) if rng.random() < 0.7 else (office,),
        cli=net.cli_agent(rng),
        browser=rng.choice(net.BROWSERS),
        days_off=_vacation(rng, days),
        console=rng.uniform(0.2, 0.8),
    )
