"""A restless person's days, the same in every account they work in: where they are, which
builds of their tools they run, how busy they are, when they are on call.

Drawn once per person from their own stream (``rng_for(seed, "habits", "person", email)``), so
a person who works in two accounts is at the same place with the same tools in both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.org import Org, rng_for
from trailguard.pipeline.synth.people import Person
from trailguard.pipeline.synth.restless import tools


@dataclass(frozen=True)
class Week:
    """Per-day facts of one person (each tuple has one entry per day of the period)."""

    site: tuple[str, ...]  # the working day's address: office, home lease, phone or hotel
    home: tuple[str, ...]  # the home line's DHCP lease, where evenings and nights are spent
    office: str
    vpn: tuple[bool, ...]  # connected to the corporate VPN all day (full tunnel)
    afternoon_office: tuple[bool, ...]  # home in the morning, office after lunch
    tz_shift: tuple[float, ...]  # hours a trip moves the working day's clock
    load: tuple[float, ...]  # busy (2-3x) and quiet days
    late: tuple[int, ...]  # hours worked past the usual end (0 most days)
    weekend_work: tuple[bool, ...]
    pages: tuple[int, ...]  # night pages while on call
    cli: tuple[str, ...]  # the aws-cli build of the day (upgraded once)
    browser: tuple[str, ...]  # the browser of the day (auto-updates)
    script: str  # the person's own Boto3 scripts' agent, "" when they write none
    terraform: str  # Terraform from the laptop, "" when they never run it there


def person_week(org: Org, person: Person, vpn_pool: tuple[str, ...]) -> Week:
    """Draw every day of ``person``'s period."""
    rng = rng_for(org.seed, "habits", "person", person.email)
    days = org.days
    office = person.ips[0]
    home = _leases(rng, person.ips[1] if len(person.ips) > 1 else "", days)
    hotel, tz_shift = _trip(rng, days)
    office_share, tethers = rng.uniform(0.15, 0.8), rng.uniform(0.0, 0.12)
    site = []
    for d in range(days):
        if d in hotel:
            site.append(hotel[d])
        elif rng.random() < tethers:  # the home line is down, or a day at the cottage
            site.append(net.ip_in(rng, tools.CARRIER_PREFIXES))
        else:
            site.append(office if rng.random() < office_share else home[d])
    vpn_user = bool(vpn_pool) and rng.random() < 0.55
    return Week(
        site=tuple(site),
        home=tuple(hotel.get(d, home[d]) for d in range(days)),
        office=office,
        vpn=tuple(vpn_user and (d in hotel or rng.random() < 0.6) for d in range(days)),
        afternoon_office=tuple(s == home[d] and rng.random() < 0.12 for d, s in enumerate(site)),
        tz_shift=tuple(tz_shift if d in hotel else 0.0 for d in range(days)),
        load=tuple(_load(rng) for _ in range(days)),
        late=tuple(rng.choice((2, 3, 4)) if rng.random() < 0.12 else 0 for _ in range(days)),
        weekend_work=tuple(rng.random() < 0.12 for _ in range(days)),
        pages=_on_call(rng, days),
        cli=_cli_builds(rng, person.cli, days),
        browser=_browser_builds(rng, person.browser, days),
        script=tools.LAPTOP_BOTO3.format(n=rng.randrange(60, 160), p=rng.randrange(2, 8))
        if rng.random() < 0.35
        else "",
        terraform=tools.LAPTOP_TERRAFORM.format(n=rng.randrange(0, 6), m=rng.randrange(0, 9))
        if rng.random() < 0.25
        else "",
    )


def _leases(rng: random.Random, first: str, days: int) -> list[str]:
    """The home line's address each day: the ISP hands out a new one from the same pool every
    few days (DHCP lease expiry, router reboot)."""
    ip = first or net.ip_in(rng, net.ISP_PREFIXES)
    prefix = ip.rsplit(".", 2)[0]
    out: list[str] = []
    renew = rng.randrange(2, 8)
    for d in range(days):
        if d == renew:
            ip = f"{prefix}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"
            renew += rng.randrange(2, 8)
        out.append(ip)
    return out


def _trip(rng: random.Random, days: int) -> tuple[dict[int, str], float]:
    """A few travel days for some people: the hotel's Wi-Fi, one day the conference venue's,
    working hours moved by the destination's time zone."""
    if days < 5 or rng.random() > 0.35:
        return {}, 0.0
    first, length = rng.randrange(0, days - 2), rng.randrange(2, 5)
    hotel = net.ip_in(rng, tools.HOTEL_PREFIXES)
    stay = {d: hotel for d in range(first, min(days, first + length))}
    stay[rng.choice(sorted(stay))] = net.ip_in(rng, tools.HOTEL_PREFIXES)  # the venue
    return stay, rng.choice((0.0, -3.0, 3.0, 6.0, -6.0, 9.0))


def _load(rng: random.Random) -> float:
    """How much more or less than usual a person does in a day (releases, incidents, meetings)."""
    draw = rng.random()
    if draw < 0.12:
        return rng.uniform(2.0, 3.0)
    if draw < 0.30:
        return rng.uniform(0.2, 0.5)
    return rng.uniform(0.75, 1.25)


def _on_call(rng: random.Random, days: int) -> tuple[int, ...]:
    """A week of the on-call rotation for some people, with a page on some of its nights."""
    pages = [0] * days
    if days >= 2 and rng.random() < 0.45:
        start = rng.randrange(0, max(1, days - 6))
        for d in range(start, min(days, start + 7)):
            pages[d] = rng.choices((0, 1, 2), (0.55, 0.35, 0.10))[0]
    return tuple(pages)


def _cli_builds(rng: random.Random, cli: str, days: int) -> tuple[str, ...]:
    """The person's aws-cli, upgraded once (Homebrew, the installer) some day of the period."""
    upgrade = rng.randrange(1, days) if days > 1 else days
    newer = tools.upgraded_cli(cli, rng.choice((0, 1, 2)), rng.randrange(1, 12))
    return tuple(cli if d < upgrade else newer for d in range(days))


def _browser_builds(rng: random.Random, browser: str, days: int) -> tuple[str, ...]:
    """The browser updates itself about every four weeks: maybe once in the period."""
    update = rng.randrange(0, days + 24)
    newer = tools.updated_browser(browser)
    return tuple(browser if d < update else newer for d in range(days))
