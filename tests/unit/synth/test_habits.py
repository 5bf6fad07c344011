"""Habits: ``steady`` keeps the regular population byte for byte; ``restless`` makes people and
machines as irregular as real ones (``pipeline/synth/restless/``)."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from statistics import mean
from typing import Any

import pytest

from tests.unit.synth.conftest import read_tree
from trailguard.pipeline.cli.main import main
from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.delivery import MemorySink
from trailguard.pipeline.synth.generate import generate_organisation
from trailguard.pipeline.synth.restless import tools

Record = dict[str, Any]
# The digest of a tiny benign organisation generated before habits existed: ``steady`` must
# never change by accident (update it only when the steady population changes on purpose).
TINY: dict[str, Any] = {"days": 3, "accounts": 2, "principals": 12, "seed": 3, "intensity": 0.1}
STEADY_DIGEST = "eb49f268071392845a338d8b292da28539018f8c67804c636fe0a64831b37046"
ORG: dict[str, Any] = {"days": 8, "accounts": 2, "principals": 24, "seed": 5, "intensity": 0.3}
CI_ROLES = ("github-actions-deploy", "gitlab-ci-deploy", "terraform-apply")
THROTTLED = {"ThrottlingException", "Throttling", "Client.RequestLimitExceeded"}


def _generate(**options: Any) -> dict[str, bytes]:
    sink = MemorySink()
    generate_organisation("memory://", workers=1, sink=sink, attacks=[], **options)
    return sink.objects


def _digest(objects: dict[str, bytes]) -> str:
    """One hash of every object's key and uncompressed content."""
    h = hashlib.sha256()
    for key in sorted(objects):
        body = objects[key]
        h.update(key.encode())
        h.update(gzip.decompress(body) if key.endswith(".gz") else body)
    return h.hexdigest()


def _records(objects: dict[str, bytes]) -> list[Record]:
    return [
        rec
        for key in sorted(objects)
        if "/CloudTrail/" in key
        for rec in json.loads(gzip.decompress(objects[key]))["Records"]
    ]


@pytest.fixture(scope="module")
def steady() -> list[Record]:
    return _records(_generate(**ORG))


@pytest.fixture(scope="module")
def restless() -> list[Record]:
    return _records(_generate(**ORG, habits="restless"))


def _issuer(rec: Record) -> str:
    context = rec["userIdentity"].get("sessionContext") or {}
    return str((context.get("sessionIssuer") or {}).get("userName", ""))


def _people(records: list[Record]) -> dict[str, list[Record]]:
    """Each person's records in each account (Identity Center sessions)."""
    out: dict[str, list[Record]] = defaultdict(list)
    for rec in records:
        if _issuer(rec).startswith("AWSReservedSSO_"):
            out[rec["userIdentity"]["arn"]].append(rec)
    return out


def _per_person(records: list[Record], value: Callable[[Record], str]) -> float:
    return mean(len({value(r) for r in recs}) for recs in _people(records).values())


def _ci(records: list[Record]) -> list[Record]:
    return [r for r in records if _issuer(r).startswith(CI_ROLES)]


def test_steady_is_the_default_and_keeps_the_output_it_had_before_habits() -> None:
    default = _generate(**TINY)
    assert _digest(default) == STEADY_DIGEST
    assert _generate(**TINY, habits="steady") == default


def test_restless_changes_the_everyday_population_but_not_the_organisation(
    steady: list[Record], restless: list[Record]
) -> None:
    assert {r["recipientAccountId"] for r in restless} == {r["recipientAccountId"] for r in steady}
    assert set(_people(restless)) == set(_people(steady)), "the same people in the same accounts"
    same = {r["eventID"] for r in restless} & {r["eventID"] for r in steady}
    assert len(same) < 0.5 * len(restless), "ids are drawn from the same stream until they diverge"


def test_restless_people_use_more_addresses_and_user_agents_over_the_period(
    steady: list[Record], restless: list[Record]
) -> None:
    def address(rec: Record) -> str:
        return str(rec["sourceIPAddress"])

    def agent(rec: Record) -> str:
        return str(rec["userAgent"])

    assert _per_person(restless, address) >= 2 * _per_person(steady, address)
    assert _per_person(restless, agent) >= 3 * _per_person(steady, agent)


def test_a_persons_aws_cli_names_each_command_and_is_upgraded_at_most_once(
    restless: list[Record],
) -> None:
    for recs in _people(restless).values():
        cli = [r for r in recs if r["userAgent"].startswith("aws-cli/")]
        versions = {r["userAgent"].split()[0] for r in cli}
        assert 1 <= len(versions) <= 2
        for rec in cli:
            if rec["eventName"] == "DescribeInstances":
                assert "ec2.describe-instances" in rec["userAgent"]


def test_restless_ci_jobs_each_run_on_a_fresh_runner_address(
    steady: list[Record], restless: list[Record]
) -> None:
    def starts_per_address(records: list[Record]) -> Counter[str]:
        return Counter(
            r["sourceIPAddress"] for r in _ci(records) if r["eventName"] == "GetCallerIdentity"
        )

    jobs = starts_per_address(restless)
    assert len(jobs) >= 20
    assert sum(1 for n in jobs.values() if n == 1) >= 0.9 * len(jobs)
    steady_runners: dict[str, set[str]] = defaultdict(set)
    for rec in _ci(steady):
        steady_runners[_issuer(rec)].add(rec["sourceIPAddress"])
    assert all(len(ips) <= 3 for ips in steady_runners.values()), "three runners, reused"


def test_a_weekly_runner_image_moves_boto3_and_terraform_forward() -> None:
    def versions(agent: str) -> list[tuple[int, ...]]:
        found = re.findall(r"(?:Boto3/|Botocore#|Terraform/|aws/)(\d+)\.(\d+)\.(\d+)", agent)
        return [tuple(int(x) for x in v) for v in found]

    boto3 = net.boto3_agent(random.Random(1))
    terraform = net.TERRAFORM.format(n=3, m=1, svc="lambda")
    for agent in (boto3, terraform):
        assert tools.runner_image(agent, 0) == agent
        week1, week2 = tools.runner_image(agent, 1), tools.runner_image(agent, 2)
        assert versions(agent) < versions(week1) < versions(week2)
        assert len(versions(week2)) == len(versions(agent))


def test_restless_instance_roles_are_named_after_instances_replaced_by_autoscaling(
    restless: list[Record],
) -> None:
    instances: dict[str, set[str]] = defaultdict(set)
    for rec in restless:
        arn = rec["userIdentity"].get("arn", "")
        if "/i-0" in arn:
            assert re.fullmatch(r"arn:aws:sts::\d{12}:assumed-role/[\w-]+/i-0[0-9a-f]{16}", arn)
            instances[_issuer(rec)].add(arn)
    assert instances and max(len(arns) for arns in instances.values()) >= 2


def test_restless_workloads_are_throttled_now_and_then(
    steady: list[Record], restless: list[Record]
) -> None:
    assert not any(r.get("errorCode") in THROTTLED for r in steady)
    throttled = [r for r in restless if r.get("errorCode") in THROTTLED]
    assert throttled and all(r["responseElements"] is None for r in throttled)


def test_restless_is_the_same_for_a_seed_whatever_the_workers(tmp_path: Path) -> None:
    small = {**TINY, "habits": "restless", "attacks": []}
    generate_organisation(str(tmp_path), workers=2, **small)
    sink = MemorySink()
    generate_organisation("memory://", workers=1, sink=sink, **small)
    assert read_tree(tmp_path) == {k: v for k, v in sink.objects.items() if k.endswith(".gz")}


def test_unknown_habits_are_refused_before_anything_is_written() -> None:
    sink = MemorySink()
    with pytest.raises(ValueError, match="known habits are steady, restless"):
        generate_organisation("memory://", sink=sink, habits="calm", **TINY)
    assert not sink.objects


def test_the_synth_command_takes_habits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["synth", "--days", "2", "--accounts", "1", "--principals", "6", "--intensity", "0.05"]
    assert main([*args, "--out", str(tmp_path / "r"), "--attacks", "--habits", "restless"]) == 0
    assert list((tmp_path / "r").glob("AWSLogs/*/CloudTrail/*/2026/10/0*/*.json.gz"))
    with pytest.raises(SystemExit) as refused:
        main([*args, "--out", str(tmp_path / "c"), "--habits", "calm"])
    assert refused.value.code == 2
    assert "invalid choice: 'calm'" in capsys.readouterr().err


def _provider(address: str) -> str:
    """Which cloud a CI runner's address belongs to (self-hosted runners here are EC2)."""
    aws = tuple(p for prefixes in net.AWS_PREFIXES.values() for p in prefixes)
    kinds = (("azure", tools.AZURE_PREFIXES), ("gcp", tools.GCP_PREFIXES), ("aws", aws))
    for name, prefixes in kinds:
        if any(address.startswith(f"{prefix}.") for prefix in prefixes):
            return name
    return "elsewhere"


def _region_expansion(seed: int, habits: str) -> tuple[dict[str, Any], list[Record]]:
    """A one-account organisation with a region expansion on a CI role: its label, records."""
    sink = MemorySink()
    options = {**ORG, "seed": seed, "days": 6, "accounts": 1, "habits": habits}
    generate_organisation(
        "memory://", workers=1, sink=sink, attacks=["tg.benign.region-expansion"], **options
    )
    (label,) = json.loads(sink.objects["labels.json"])["scenarios"]
    return label, _records(sink.objects)


def test_a_scenario_on_a_restless_ci_role_runs_on_a_runner_of_the_kind_its_jobs_use() -> None:
    # Every CI kind in turn: seeds 1, 2 and 5 give self-hosted, github and gitlab victims.
    seen = set()
    for seed in (1, 2, 5):
        label, records = _region_expansion(seed, "restless")
        planted = set(label["event_ids"])
        role = label["principal_key"].split("/")[1]
        own = [r for r in _ci(records) if role in r["userIdentity"]["arn"]]
        jobs = {_provider(r["sourceIPAddress"]) for r in own if r["eventID"] not in planted}
        scenario = {r["sourceIPAddress"] for r in records if r["eventID"] in planted}
        assert len(jobs) == 1 and {_provider(ip) for ip in scenario} == jobs, (seed, role)
        steady_label, steady = _region_expansion(seed, "steady")
        steady_runners = {
            r["sourceIPAddress"] for r in steady if r["eventID"] in set(steady_label["event_ids"])
        }
        assert not scenario & steady_runners, "not the steady profile's fixed runners"
        seen |= jobs
    assert seen == {"azure", "gcp", "aws"}


def test_a_job_signing_in_with_github_oidc_runs_on_github_hosted_runners() -> None:
    records = _records(_generate(**{**ORG, "days": 4, "seed": 2}, habits="restless"))
    logins = [r for r in records if r["eventName"] == "AssumeRoleWithWebIdentity"]
    assert logins, "the seed has a GitHub Actions role"
    assert {_provider(r["sourceIPAddress"]) for r in logins} == {"azure"}
