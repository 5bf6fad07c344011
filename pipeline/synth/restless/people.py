"""A restless person's calls in one account, one day at a time (see ``week.py`` for the days).

The planned profile still decides the API mix, rate, hours and days off; each day is then that
profile moved to the day's place, tools, clock and load, plus what people do besides their
routine: night pages on call, a Boto3 script, a ``terraform plan`` from the laptop, and every
week or two a service they had not used, explored (often refused) before they start changing it.
"""

from __future__ import annotations

import bisect
import dataclasses
import random
from dataclasses import dataclass, field

from trailguard.pipeline.synth.delivery import Timed
from trailguard.pipeline.synth.profiles import SHAPES, Profile, emit, local_time, sign_in_before
from trailguard.pipeline.synth.records import RecordFactory
from trailguard.pipeline.synth.restless import tools
from trailguard.pipeline.synth.restless.week import Week

# Services people pick up: what they read to learn them, then what they change.
SERVICES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "secretsmanager": (("ListSecrets", "DescribeSecret", "GetSecretValue"), ("PutSecretValue",)),
    "kms": (("ListKeys", "ListAliases", "DescribeKey", "GetKeyRotationStatus"), ("CreateAlias",)),
    "ecr": (("DescribeRepositories", "BatchGetImage"), ("GetAuthorizationToken", "PutImage")),
    "rds": (
        ("DescribeDBInstances", "DescribeDBClusters", "DescribeDBSnapshots"),
        ("CreateDBSnapshot", "ModifyDBInstance"),
    ),
    "athena": (("ListWorkGroups", "ListDatabases", "GetTableMetadata"), ("StartQueryExecution",)),
    "route53": (("ListHostedZones", "GetChange"), ("ChangeResourceRecordSets",)),
    "acm": (("ListCertificates", "DescribeCertificate"), ("RequestCertificate",)),
    "elb": (("DescribeLoadBalancers", "DescribeListeners", "DescribeTargetHealth"), ()),
    "backup": (("ListBackupVaults", "ListRecoveryPointsByBackupVault"), ("StartBackupJob",)),
    "ecs": (("ListClusters", "DescribeClusters", "ListTasks"), ("RegisterTaskDefinition",)),
    "glue": (("GetDatabases", "GetTables", "GetCrawler"), ("StartCrawler",)),
    "lambda": (
        ("ListFunctions20150331", "ListEventSourceMappings20150331", "ListLayers20181031"),
        ("UpdateFunctionConfiguration20150331v2", "PublishVersion20150331"),
    ),
}
# Split from strings so the lists stay short.
_ONCALL = "DescribeAlarms GetMetricData FilterLogEvents DescribeServices DescribeTargetHealth \
DescribeInstances UpdateService DescribeLogGroups"
_PLAN = "DescribeVpcs DescribeSubnets DescribeSecurityGroups DescribeRouteTables GetRole \
ListAttachedRolePolicies ListRolePolicies GetBucketPolicy GetBucketVersioning GetBucketEncryption \
GetBucketTagging DescribeLogGroups GetFunction20150331v2 DescribeTable DescribeKey"
ONCALL, PLAN = tuple(_ONCALL.split()), tuple(_PLAN.split())
SCRIPTS = (
    ("DescribeInstances", "DescribeVolumes", "DescribeSnapshots", "DescribeSecurityGroups"),
    ("DescribeLogGroups", "FilterLogEvents", "FilterLogEvents", "FilterLogEvents"),
    ("ListObjectsV2", "ListObjectsV2", "GetObject", "GetObject", "HeadObject"),
)


@dataclass
class PersonDays:
    """One person in one account: the planned profile, their week, the account's third region
    and the services they take up here (``started``: first day each was used, filled in as the
    days are called: call each day once, in order, as ``generate_account`` does)."""

    base: Profile
    week: Week
    third_region: str
    third_days: frozenset[int]
    new_services: list[tuple[int, str]]
    vpn_pool: tuple[str, ...]
    started: dict[str, int] = field(default_factory=dict)

    def __call__(
        self, day: int, day_start: float, weekday: int, fac: RecordFactory, scale: float
    ) -> list[Timed]:
        """The person's calls of ``day`` in this account."""
        factor = self.base.day_factor(day, weekday)
        weekend_work = weekday >= 5 and self.week.weekend_work[day]
        if weekend_work and day not in self.base.days_off:
            factor = 0.6  # a few hours on a Saturday to finish something
        p = self._today(day, weekday)
        out: list[Timed] = []
        load = factor * scale * self.week.load[day]
        if load > 0:
            out += SHAPES[p.shape](p, day_start, load, fac)
            if weekday < 5 or weekend_work:
                out += self._extras(p, day, day_start, fac)
        if day not in self.base.days_off:
            for _ in range(self.week.pages[day]):
                out += _page(p, fac, local_time(day_start, p.tz_hours, fac.rng.uniform(-2, 5)))
        stints = self._stints(day, p, fac.rng)
        for t, rec in out:
            rec["sourceIPAddress"] = _where(stints, day_start, p.tz_hours, t)
            tools.name_the_call(rec, p.agents[0], self.week.terraform)
        return out

    def _today(self, day: int, weekday: int) -> Profile:
        """The profile as it is today: today's tools, clock, hours and regions."""
        base, week = self.base, self.week
        assert base.workday is not None
        start, end = base.workday
        if weekday >= 5:
            end = start + 3
        end = min(24, end + week.late[day])
        regions = base.regions
        if day in self.third_days:
            regions = (*regions, self.third_region)
        return dataclasses.replace(
            base,
            ips=(week.site[day],),
            agents=(week.cli[day],),
            browser=week.browser[day],
            regions=regions,
            tz_hours=base.tz_hours + week.tz_shift[day],
            workday=(start, end),
        )

    def _extras(self, p: Profile, day: int, day_start: float, fac: RecordFactory) -> list[Timed]:
        """Work besides the routine: a new service, a script run, a plan from the laptop."""
        rng, out = fac.rng, []
        for first, service in self.new_services:
            if first <= day and (service not in self.started or rng.random() < 0.45):
                out += self._new_service(p, service, day, self._work_time(p, day_start, rng), fac)
        if self.week.script and rng.random() < 0.2:
            names = rng.choice(SCRIPTS)
            calls = [names[int(rng.random() * len(names))] for _ in range(rng.randrange(15, 120))]
            script = dataclasses.replace(p, agents=(self.week.script,), error_rate=0.0)
            out += burst(script, fac, self._work_time(p, day_start, rng), calls, 240)
        if self.week.terraform and rng.random() < 0.12:
            calls = ["GetCallerIdentity", *rng.choices(PLAN, k=rng.randrange(20, 60))]
            plan = dataclasses.replace(p, agents=(self.week.terraform,), regions=p.regions[:1])
            out += burst(plan, fac, self._work_time(p, day_start, rng), calls, 90)
        return out

    def _new_service(
        self, p: Profile, service: str, day: int, t0: float, fac: RecordFactory
    ) -> list[Timed]:
        """First day: reads, a quarter of them refused (learning what the role may do); later
        days: a few reads and, from the next day on, changes."""
        rng = fac.rng
        reads, writes = SERVICES[service]
        first = self.started.setdefault(service, day) == day
        n = rng.randrange(4, 11) if first else rng.randrange(2, 8)
        pool = reads if first or not writes else reads + writes
        names = [pool[int(rng.random() * len(pool))] for _ in range(n)]
        explorer = dataclasses.replace(p, error_rate=0.25 if first else 0.06)
        return burst(explorer, fac, t0, names, 900, console=p.console)

    def _work_time(self, p: Profile, day_start: float, rng: random.Random) -> float:
        assert p.workday is not None
        return local_time(day_start, p.tz_hours, rng.uniform(p.workday[0], p.workday[1] - 0.5))

    def _stints(self, day: int, p: Profile, rng: random.Random) -> list[tuple[float, str]]:
        """The day's addresses by local hour: home at night, the day's site from the morning,
        the office after lunch on some days, home again after a late evening. On VPN days one
        egress of the pool per connection (they drop and reconnect every few hours)."""
        week = self.week
        if week.vpn[day] and self.vpn_pool:
            hours, stints = 0.0, []
            while hours < 24:
                stints.append((hours, self.vpn_pool[int(rng.random() * len(self.vpn_pool))]))
                hours += rng.uniform(1.0, 5.0)
            return stints
        assert p.workday is not None
        start, end = p.workday
        stints = [(0.0, week.home[day]), (start - 0.75, week.site[day])]
        if week.afternoon_office[day]:
            stints.append((rng.uniform(12.5, 14.0), week.office))
        stints.append((end - week.late[day] + 0.5, week.home[day]))  # home for the evening
        return sorted(stints)


def _where(stints: list[tuple[float, str]], day_start: float, tz: float, t: float) -> str:
    """The address the person was at, at epoch ``t`` (by its local hour)."""
    local = ((t - day_start) / 3600 + tz) % 24
    return stints[max(0, bisect.bisect_right([s for s, _ in stints], local) - 1)][1]


def _page(p: Profile, fac: RecordFactory, t0: float) -> list[Timed]:
    """Paged at night: alarms, metrics and logs, a service restarted, often in the console."""
    rng = fac.rng
    names = [ONCALL[int(rng.random() * len(ONCALL))] for _ in range(rng.randrange(8, 36))]
    return burst(p, fac, t0, names, rng.uniform(900, 3600), console=p.console)


def burst(
    p: Profile, fac: RecordFactory, t0: float, names: list[str], seconds: float, console: float = 0
) -> list[Timed]:
    """``names`` called in order within ``seconds`` of ``t0``; console calls follow a sign-in."""
    rng = fac.rng
    times = sorted(t0 + rng.random() * seconds for _ in names)
    out = [
        emit(p, fac, name, t, console=console > 0 and rng.random() < console)
        for t, name in zip(times, names, strict=True)
    ]
    return out + sign_in_before(p, fac, out, 300)
