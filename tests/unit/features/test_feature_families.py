"""Feature families on crafted scenarios: each signal fires where it should and only there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.factories import assumed_role_identity, cloudtrail_event
from tests.unit.features.lakes import (
    FOREIGN_IP,
    OFFICE_IP,
    at,
    feature_rows,
    make_lake,
    routine,
    window,
)
from trailguard.pipeline.features.build import build_features

ALICE = "arn:aws:iam::111122223333:user/alice"
S3_WORK = [("s3.amazonaws.com", "ListBuckets"), ("s3.amazonaws.com", "GetObject")]
DEPLOY = [("cloudformation.amazonaws.com", "CreateChangeSet"), ("ecr.amazonaws.com", "PutImage")]
BOTO3 = "Boto3/1.35.47 md/Botocore#1.35.47 ua/2.0 os/linux lang/python#3.12.6 Botocore/1.35.47"
TERRAFORM = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.4 terraform-provider-aws/5.72.1 aws-sdk-go-v2/1.32.2"
)
JAVA_SDK = "aws-sdk-java/2.25.4 Linux/5.10.224 Java/21.0.4"


def _role_runs(
    role: str, days: range, hours: range, calls: list[tuple[str, str]], agent: str | None = None
) -> list[dict[str, object]]:
    """`calls` by an EC2-hosted session of `role` each hour (with `agent` when given)."""
    identity = assumed_role_identity(role=role, session="i-0aaa1111bbbb22223")
    overrides = {"userAgent": agent} if agent else {}
    return list(routine(days, hours, calls, userIdentity=identity, **overrides))


def _alice_routine(days: range) -> list[dict[str, object]]:
    return list(routine(days, range(9, 17), S3_WORK, sourceIPAddress=OFFICE_IP))


def test_a_principal_that_never_used_iam_calling_it_is_novel(tmp_path: Path) -> None:
    records = _alice_routine(range(6))
    records += [
        cloudtrail_event(eventTime=at(6, 10), eventName="ListUsers", sourceIPAddress=OFFICE_IP),
        cloudtrail_event(
            eventTime=at(6, 10, 5), eventName="CreateAccessKey", sourceIPAddress=OFFICE_IP
        ),
    ]
    lake = make_lake(tmp_path, records)
    build_features(lake)
    rows = feature_rows(lake, ALICE)
    iam_hour = window(rows, 6, 10)
    assert iam_hour["novel_apis"] == 2
    assert iam_hour["novel_sensitive_apis"] == 1  # CreateAccessKey; ListUsers is discovery
    assert iam_hour["n_iam_mutation"] == 1 and iam_hour["n_discovery"] == 1
    assert window(rows, 5, 10)["novel_apis"] == 0  # routine work is not novel


def test_new_for_the_peer_group_needs_someone_else_in_it(tmp_path: Path) -> None:
    # Alice creates an access key on day 6, from the office. Alone in her peer group (IAM users
    # with the CLI), that is new for her only; with Carol in it, who never made one, it is new
    # for the group too.
    records = _alice_routine(range(7))
    records.append(
        cloudtrail_event(
            eventTime=at(6, 10, 5), eventName="CreateAccessKey", sourceIPAddress=OFFICE_IP
        )
    )
    carol = routine(
        range(7),
        range(9, 17),
        S3_WORK,
        sourceIPAddress=OFFICE_IP,
        userIdentity__arn="arn:aws:iam::111122223333:user/carol",
        userIdentity__userName="carol",
    )
    for name, colleague in (("alone", []), ("with-carol", list(carol))):
        lake = make_lake(tmp_path / name, records + colleague)
        build_features(lake)
        hour = window(feature_rows(lake, ALICE), 6, 10)
        assert hour["novel_sensitive_apis"] == 1, name
        assert hour["novel_peer_sensitive_apis"] == (name == "with-carol"), name


def test_nothing_is_novel_during_the_learning_period(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, _alice_routine(range(5)))
    build_features(lake)
    rows = feature_rows(lake, ALICE)
    first_day = [r for r in rows if r["window_start"].day == 1]
    assert first_day and all(r["novel_apis"] == 0 and r["novel_networks"] == 0 for r in first_day)
    assert all(r["novel_hour"] == 0 for r in first_day)


def test_a_workload_with_constant_access_denied_shows_no_error_deviation(tmp_path: Path) -> None:
    identity = assumed_role_identity(role="reporting", session="i-0abc123def4567890")
    records = list(
        routine(
            range(6),
            range(24),
            [("ssm.amazonaws.com", "GetParameter")] * 3,
            userIdentity=identity,
            errorCode="AccessDenied",
            sourceIPAddress="3.80.10.10",
        )
    )
    lake = make_lake(tmp_path, records)
    build_features(lake)
    row = window(feature_rows(lake, "arn:aws:iam::111122223333:role/reporting"), 5, 12)
    assert row["error_rate"] == 1.0 and row["denied_rate"] == 1.0
    assert row["error_rate_delta"] == 0.0 and row["denied_rate_delta"] == 0.0
    assert row["novel_apis"] == 0


def test_a_sudden_burst_of_access_denied_deviates_from_the_baseline(tmp_path: Path) -> None:
    records = _alice_routine(range(6))
    records += [
        cloudtrail_event(
            eventTime=at(6, 11, m),
            eventName="ListRoles",
            errorCode="AccessDenied",
            sourceIPAddress=OFFICE_IP,
        )
        for m in range(10)
    ]
    lake = make_lake(tmp_path, records)
    build_features(lake)
    row = window(feature_rows(lake, ALICE), 6, 11)
    assert row["denied_rate_delta"] > 0.5
    assert row["events_vs_baseline"] > 1.0


def _after_routine(tmp_path: Path, source: str, name: str, **fields: str) -> dict[str, Any]:
    """The features of the hour in which alice, after six days of routine, makes one call."""
    records = _alice_routine(range(6))
    call = cloudtrail_event(eventTime=at(6, 12), eventSource=source, eventName=name, **fields)
    lake = make_lake(tmp_path, [*records, call])
    build_features(lake)
    return window(feature_rows(lake, ALICE), 6, 12)


def test_a_new_network_country_and_agent_are_novel(tmp_path: Path) -> None:
    row = _after_routine(
        tmp_path,
        "s3.amazonaws.com",
        "ListBuckets",
        sourceIPAddress=FOREIGN_IP,
        userAgent="python-requests/2.31.0",
    )
    assert row["novel_networks"] == 1
    assert row["novel_countries"] == 1
    assert row["novel_user_agents"] == 1
    assert row["n_hostile_agent"] == 1
    assert row["novel_apis"] == 0


def test_a_call_a_service_made_on_the_principals_behalf_is_not_a_new_place(
    tmp_path: Path,
) -> None:
    # Access Analyzer creating its service-linked role with alice's credentials: the source and
    # the agent are the service's name, and alice is still at her desk.
    row = _after_routine(
        tmp_path,
        "iam.amazonaws.com",
        "CreateServiceLinkedRole",
        sourceIPAddress="access-analyzer.amazonaws.com",
        userAgent="access-analyzer.amazonaws.com",
    )
    assert row["novel_apis"] == 1
    assert row["novel_networks"] == 0
    assert row["novel_user_agents"] == 0


def test_activity_at_an_hour_never_active_before_is_flagged(tmp_path: Path) -> None:
    # Hours are judged against the principal's own week: peers keep other hours.
    records = _alice_routine(range(8))
    records.append(
        cloudtrail_event(
            eventTime=at(8, 3),
            eventSource="s3.amazonaws.com",
            eventName="ListBuckets",
            sourceIPAddress=OFFICE_IP,
        )
    )
    lake = make_lake(tmp_path, records)
    build_features(lake)
    rows = feature_rows(lake, ALICE)
    assert window(rows, 8, 3)["novel_hour"] == 1
    assert window(rows, 7, 9)["novel_hour"] == 0
    assert window(rows, 5, 9)["novel_hour"] == 0  # not judged before a week of own history


def test_a_new_region_is_novel(tmp_path: Path) -> None:
    records = _alice_routine(range(6))
    records.append(
        cloudtrail_event(
            eventTime=at(6, 13),
            eventSource="s3.amazonaws.com",
            eventName="ListBuckets",
            awsRegion="ap-southeast-1",
            sourceIPAddress=OFFICE_IP,
        )
    )
    lake = make_lake(tmp_path, records)
    build_features(lake)
    row = window(feature_rows(lake, ALICE), 6, 13)
    assert row["novel_regions"] == 1 and row["n_regions"] == 1


def test_a_new_principal_is_judged_against_its_peer_group(tmp_path: Path) -> None:
    records = _alice_routine(range(6))
    bob = {
        "type": "IAMUser",
        "principalId": "AIDABOB",
        "arn": "arn:aws:iam::111122223333:user/bob",
        "accountId": "111122223333",
        "userName": "bob",
    }
    # bob is new on day 5: what his peers (IAM users with aws-cli) do is not novel for him ...
    records += routine(
        range(5, 6), range(9, 11), S3_WORK, userIdentity=bob, sourceIPAddress=OFFICE_IP
    )
    # ... but what none of them ever did is.
    records.append(
        cloudtrail_event(
            eventTime=at(5, 11),
            eventSource="cloudtrail.amazonaws.com",
            eventName="StopLogging",
            userIdentity=bob,
            sourceIPAddress=OFFICE_IP,
        )
    )
    lake = make_lake(tmp_path, records)
    build_features(lake)
    rows = feature_rows(lake, "arn:aws:iam::111122223333:user/bob")
    routine_hour, stop_hour = window(rows, 5, 9), window(rows, 5, 11)
    assert routine_hour["ctx_cold_start"] == 1 and routine_hour["novel_apis"] == 0
    assert stop_hour["novel_apis"] == 1 and stop_hour["novel_sensitive_apis"] == 1
    assert stop_hour["n_logging_tamper"] == 1


def test_a_new_pipeline_role_is_judged_against_its_role_family(tmp_path: Path) -> None:
    # The same deploy pipeline runs as `ci-deploy-348` and, from day 5, as a new `ci-deploy-632`
    # (the generated suffix differs, as it does for a StackSet or Terraform module per account).
    records = _role_runs("ci-deploy-348", range(6), range(9, 17), DEPLOY)
    records += _role_runs("ci-deploy-632", range(5, 6), range(9, 11), DEPLOY)
    records += _role_runs("reporting-job", range(6), range(9, 10), S3_WORK)
    lake = make_lake(tmp_path, records)
    build_features(lake)
    first_hour = window(feature_rows(lake, "arn:aws:iam::111122223333:role/ci-deploy-632"), 5, 9)
    assert first_hour["peer_group"] == "family:ci-deploy"
    assert first_hour["ctx_cold_start"] == 1
    assert first_hour["novel_apis"] == 0 and first_hour["novel_networks"] == 0
    # A role with no family members is grouped by kind and agent family instead.
    alone = feature_rows(lake, "arn:aws:iam::111122223333:role/reporting-job")
    assert {r["peer_group"] for r in alone} == {"role:aws-cli/2"}


def test_a_new_lone_role_is_judged_against_the_machines_whose_calls_it_shares(
    tmp_path: Path,
) -> None:
    # Two instance roles read S3 with boto3; a deploy pipeline runs as `ci-deploy-348` and
    # `-632` with the CLI. On day 5 a new pipeline's role, `gitlab-deployer` (no family), starts
    # deploying with boto3: its dominant agent is the instance roles', its calls the deployers'.
    records: list[dict[str, object]] = []
    for role in ("ci-deploy-348", "ci-deploy-632"):
        records += _role_runs(role, range(6), range(9, 17), DEPLOY)
    for role in ("app-server", "batch-worker"):
        records += _role_runs(role, range(6), range(9, 17), S3_WORK, BOTO3)
    records += _role_runs("gitlab-deployer", range(5, 6), range(9, 11), DEPLOY, BOTO3)
    lake = make_lake(tmp_path, records)
    build_features(lake)

    first_hour = window(feature_rows(lake, "arn:aws:iam::111122223333:role/gitlab-deployer"), 5, 9)
    assert first_hour["peer_group"] == "family:ci-deploy"
    assert first_hour["ctx_cold_start"] == 1
    assert first_hour["novel_apis"] == 0 and first_hour["novel_peer_apis"] == 0
    # The instance roles resemble each other more than the deployers: they keep their group.
    app_rows = feature_rows(lake, "arn:aws:iam::111122223333:role/app-server")
    assert {r["peer_group"] for r in app_rows} == {"role:boto3"}


def test_a_role_left_alone_joins_the_group_it_resembles_or_stays_new(tmp_path: Path) -> None:
    # Two new pipelines' roles share terraform as agent: `pipeline-a` deploys exactly as the
    # `ci-deploy` family does and joins it; `pipeline-b`, as much like `pipeline-a` as like the
    # family, is then left alone in its group by name, and joins the family too (they share
    # two of its three calls). `odd-job` shares one call of four with anyone: it has no peers.
    stacks = ("cloudformation.amazonaws.com", "DescribeStacks")
    queue = [("sqs.amazonaws.com", "ListQueues"), ("sqs.amazonaws.com", "SendMessage")]
    records: list[dict[str, object]] = []
    for role in ("ci-deploy-348", "ci-deploy-632"):
        records += _role_runs(role, range(6), range(9, 17), DEPLOY)
    for role, calls, agent in (
        ("pipeline-a", DEPLOY, TERRAFORM),
        ("pipeline-b", [*DEPLOY, stacks], TERRAFORM),
        ("odd-job", [DEPLOY[0], *queue], JAVA_SDK),
    ):
        records += _role_runs(role, range(5, 6), range(9, 11), calls, agent)
    lake = make_lake(tmp_path, records)
    build_features(lake)

    def groups(role: str) -> set[str]:
        rows = feature_rows(lake, f"arn:aws:iam::111122223333:role/{role}")
        return {r["peer_group"] for r in rows}

    assert groups("pipeline-a") == {"family:ci-deploy"}
    assert groups("pipeline-b") == {"family:ci-deploy"}
    assert groups("odd-job") == {"role:sdk:java"}


def test_no_principal_moves_into_a_group_its_members_all_leave(tmp_path: Path) -> None:
    # `x1` and `x2` share boto3 but each calls what one family calls, and joins it; `c`, alone
    # by its agent, calls what `x1` and `x2` call together: the boto3 group it resembles most is
    # left empty, so it stays a group of its own rather than be the only member of an empty one.
    compute = [("ec2.amazonaws.com", "RunInstances"), ("ec2.amazonaws.com", "DescribeInstances")]
    records: list[dict[str, object]] = []
    for role, calls in (
        ("fone-111", DEPLOY),
        ("fone-222", DEPLOY),
        ("ftwo-333", compute),
        ("ftwo-444", compute),
    ):
        records += _role_runs(role, range(6), range(9, 17), calls)
    records += _role_runs("x1", range(6), range(9, 12), DEPLOY, BOTO3)
    records += _role_runs("x2", range(6), range(9, 12), compute, BOTO3)
    records += _role_runs("c", range(5, 6), range(9, 11), [*DEPLOY, *compute], TERRAFORM)
    lake = make_lake(tmp_path, records)
    build_features(lake)

    def groups(role: str) -> set[str]:
        rows = feature_rows(lake, f"arn:aws:iam::111122223333:role/{role}")
        return {r["peer_group"] for r in rows}

    assert groups("x1") == {"family:fone"}
    assert groups("x2") == {"family:ftwo"}
    assert groups("c") == {"role:terraform"}


def test_activity_counts_rates_and_breadth(tmp_path: Path) -> None:
    records = [
        cloudtrail_event(eventTime=at(0, 9, 1), eventName="ListUsers"),
        cloudtrail_event(eventTime=at(0, 9, 2), eventName="CreateUser", readOnly=False),
        cloudtrail_event(
            eventTime=at(0, 9, 3),
            eventSource="s3.amazonaws.com",
            eventName="ListBuckets",
            awsRegion="eu-west-1",
            errorCode="AccessDenied",
        ),
        cloudtrail_event(
            eventTime=at(0, 9, 4),
            eventSource="ec2.amazonaws.com",
            eventName="DescribeInstances",
            errorCode="Client.RequestLimitExceeded",
        ),
    ]
    lake = make_lake(tmp_path, records)
    build_features(lake)
    (row,) = feature_rows(lake, ALICE)
    assert row["n_events"] == 4 and row["n_apis"] == 4 and row["n_services"] == 3
    assert row["n_regions"] == 2
    assert row["write_ratio"] == 0.25
    assert row["error_rate"] == 0.5 and row["denied_rate"] == 0.25
