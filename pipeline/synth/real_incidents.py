"""Real incidents laid into a synthetic organisation: attacks nobody on this project wrote.

Each incident is a real CloudTrail recording (`incidents/`, provenance in its README): a public
CTF's stolen Lambda credentials (flaws2), a leaked IAM user's key enumerating an account (flaws,
level 6) and an EC2 role's credentials stolen through a proxy and used to read S3 (OTRF). Laying
one in keeps every field as recorded (network, agent, parameters, its other principals, such as
the console admin who built the OTRF stack) and changes two things only:

- **the account**: the incident's account id becomes one of the organisation's, wherever it is
  written (ARNs, `recipientAccountId`, `userIdentity.accountId`), so the incident happens inside
  the organisation, against the profiles of an account with history;
- **the time**: shifted by whole days (the hour of day stays as recorded) to a day after the
  learning period, incidents spread evenly over the days left.

The incident's attacker events (`Incident.attacker`) become an attack scenario of `labels.json`,
technique `real.<name>`, whose principal is the first attacker event's; its other principals
are benign and count against the false-positive rate like any other.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib.resources import files
from typing import Any

from trailguard.pipeline.synth.delivery import Sink, log_key
from trailguard.pipeline.synth.labels import label_principal_key
from trailguard.pipeline.synth.records import Record

OUTSIDE_AWS = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"


@dataclass(frozen=True)
class Incident:
    """One real recording and which of its events are the attack."""

    name: str  # the file `incidents/<name>.json.gz` and the technique `real.<name>`
    title: str
    account_id: str  # the account the incident was recorded in
    attacker: Callable[[Record], bool]
    expected_types: tuple[str, ...]


def _from_ip(ip: str) -> Callable[[Record], bool]:
    return lambda record: record.get("sourceIPAddress") == ip


def _arn_contains(text: str) -> Callable[[Record], bool]:
    return lambda record: text in str((record.get("userIdentity") or {}).get("arn", ""))


INCIDENTS = (
    Incident(
        name="flaws2-stolen-lambda-credentials",
        title="flaws2: a Lambda role's credentials stolen and used from outside AWS",
        account_id="653711331788",
        # Every call from the attacker's address: the public bucket read anonymously, the
        # stolen level1 credentials (S3, then ECR), and the level3 role's ListBuckets.
        attacker=_from_ip("104.102.221.250"),
        expected_types=(OUTSIDE_AWS,),
    ),
    Incident(
        name="flaws-level6-enumeration",
        title="flaws: a leaked IAM user's access key enumerating the account",
        account_id="811596193553",
        attacker=_arn_contains(":user/Level6"),
        # A sweep of reads across services: the model's anomaly or the cold-start sweep signal.
        expected_types=(
            "Discovery:IAMUser/AnomalousBehavior",
            "Discovery:IAMUser/EnumerationSweep",
        ),
    ),
    Incident(
        name="otrf-ec2-proxy-s3-exfiltration",
        title="OTRF: an EC2 role's credentials stolen through a proxy and used to read S3",
        account_id="123456789123",
        attacker=_arn_contains(":assumed-role/MordorNginxStack-BankingWAFRole-"),
        expected_types=(OUTSIDE_AWS,),
    ),
)


@dataclass
class Laid:
    """What laying the incidents wrote."""

    scenarios: list[dict[str, Any]] = field(default_factory=list)
    events: int = 0
    objects: int = 0


def read_incident(incident: Incident) -> list[Record]:
    """The incident's records as recorded, oldest first."""
    resource = files("trailguard.pipeline.synth") / "incidents" / f"{incident.name}.json.gz"
    records: list[Record] = json.loads(gzip.decompress(resource.read_bytes()))["Records"]
    return records


def lay_incidents(
    sink: Sink,
    accounts: tuple[str, ...],
    start: datetime,
    days: int,
    first_day: int,
    seed: int,
    org_id: str = "",
) -> Laid:
    """Write every incident into the organisation through `sink`: their scenarios for
    `labels.json`, and how many events and objects were written.

    Each incident goes to one of `accounts`, drawn with `seed`; incident `i` of `n` lands on day
    `first_day + (i + 1) * (days - first_day) // (n + 1)` of the organisation (`first_day`: the
    first after the learning period; with few days left, several share one).
    `org_id` lays objects out as an organisation trail does.
    """
    check_days(days, first_day)
    rng = random.Random(f"real-incidents-{seed}")
    result = Laid()
    for i, incident in enumerate(INCIDENTS):
        day = first_day + (i + 1) * (days - first_day) // (len(INCIDENTS) + 1)
        account = rng.choice(accounts)
        records = laid(read_incident(incident), incident.account_id, account, start.date(), day)
        result.objects += _deliver(sink, account, incident.name, records, org_id)
        result.events += len(records)
        result.scenarios.append(_scenario(f"R{i:03d}", incident, account, records))
    return result


def check_days(days: int, first_day: int) -> None:
    """Refuse an organisation with no day after its learning period for the incidents."""
    if days <= first_day:
        raise ValueError(
            f"real incidents need a benign learning period first: use --days {first_day + 1} "
            "or more"
        )


def laid(
    records: list[Record], recorded_account: str, account: str, start: date, day: int
) -> list[Record]:
    """`records` moved into `account`, on day `day` after `start` (hour of day kept)."""
    first = _time(records[0]).date()
    shift = timedelta(days=(start - first).days + day)
    recorded = re.compile(rf"(?<!\d){recorded_account}(?!\d)")  # the id, not digits of a longer one
    moved = []
    for record in records:
        text = recorded.sub(account, json.dumps(record))
        copy: Record = json.loads(text)
        when = _time(copy) + shift
        for key in ("@timestamp", "@version"):  # a Logstash export's fields, not CloudTrail's
            copy.pop(key, None)
        copy["eventTime"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        moved.append(copy)
    return moved


def _time(record: Record) -> datetime:
    text = str(record.get("eventTime") or record["@timestamp"])
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _deliver(sink: Sink, account: str, name: str, records: list[Record], org_id: str) -> int:
    """One object per region and hour of calls, under the key CloudTrail would give it; how
    many objects."""
    objects: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in records:
        objects[(record.get("awsRegion") or "us-east-1", record["eventTime"][:13])].append(record)
    for (region, hour), batch in sorted(objects.items()):
        delivered = datetime.fromisoformat(hour + ":59:00+00:00").timestamp()
        key = log_key(account, region, delivered, name, org_id)
        sink.put(key, gzip.compress(json.dumps({"Records": batch}).encode(), mtime=0))
    return len(objects)


def _scenario(
    scenario_id: str, incident: Incident, account: str, records: list[Record]
) -> dict[str, Any]:
    attack = [r for r in records if incident.attacker(r)]
    principal = next(r for r in attack if r.get("userIdentity", {}).get("arn"))
    return {
        "id": scenario_id,
        "kind": "attack",
        "technique": f"real.{incident.name}",
        "name": incident.title,
        "difficulty": "real",
        "principal_key": label_principal_key(principal),
        "account_id": account,
        "start": attack[0]["eventTime"],
        "end": attack[-1]["eventTime"],
        "event_ids": [r["eventID"] for r in attack],
        "expected_finding_types": list(incident.expected_types),
    }
