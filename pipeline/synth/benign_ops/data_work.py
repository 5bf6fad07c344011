"""Questions of data and money asked of an account: an engineer learning Athena, a cost review."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.benign_ops.kit import (
    at_local,
    hex_id,
    on_a_workday,
    on_behalf,
    poll,
    s3_call,
    sign_in,
    today,
    with_write_access,
    workdays,
)
from trailguard.pipeline.synth.scenario import Ctx, technique

ATHENA = "athena.amazonaws.com"
_TABLES = ("events", "orders_daily", "sessions", "customers")
# What the query editor's "Preview table" writes, and what someone learning the data asks next.
_QUERIES = (
    'SELECT * FROM "{db}"."{table}" limit 10;',
    "SELECT count(*) FROM {table} WHERE dt >= '2026-09-01'",
    "SELECT dt, count(*) AS n FROM {table} GROUP BY dt ORDER BY dt",
    "SELECT country, approx_distinct(user_id) AS users FROM {table} "
    "WHERE dt BETWEEN '2026-09-01' AND '2026-09-30' GROUP BY 1 ORDER BY 2 DESC",
    "SHOW PARTITIONS {table}",
    "DESCRIBE {table}",
)
_FULL_SCAN = "SELECT * FROM {table}"
_NO_OUTPUT = (
    "InvalidRequestException",
    "No output location provided. An output location is required either through the Workgroup "
    "result configuration setting or as an API input.",
)


@dataclass(frozen=True)
class _Lake:
    """The account's data lake as the engineer meets it: a Glue database over a bucket."""

    database: str
    bucket: str
    results: str

    @classmethod
    def of(cls, c: Ctx) -> _Lake:
        name = c.res.stacks[0].replace("-", "_")
        results = f"aws-athena-query-results-{c.account}-{c.region}"  # the console's default
        return cls(f"{name}_lake", c.res.buckets[0], results)


@technique(
    "tg.ops.analyst-athena-first-week",
    "An engineer's first week querying the data lake with Athena",
    calls=("StartQueryExecution", "GetQueryResults", "GetTable", "CreateCrawler"),
    victims=("human",),
    kind="hard_negative",
)
def athena_first_week(c: Ctx) -> None:
    """Asked for usage figures, an engineer learns Athena over four working days: catalogs,
    databases and tables in the console's query editor, a first query refused for want of a
    result location, a bucket made for results, each query polled and read while Athena reads
    Glue and S3 on their behalf (from athena.amazonaws.com), a crawler they may not pass a role
    to, a runaway scan cancelled; later days add CLI queries and results copied down."""
    with_write_access(c)
    lake = _Lake.of(c)
    browser, cli, first = c.victim.browser or net.BROWSERS[0], c.ua, c.day_start
    for n, day in enumerate(workdays(c, 4)):
        c.t, c.ua = at_local(c, first, day, c.rng.uniform(9.5, 14)), browser
        sign_in(c)
        if n == 0:
            _first_look(c, lake)
        for _ in range(c.rng.randint(3, 6)):
            _query(c, lake, console=True)
        if n >= 1:
            c.ua = cli
            _cli_day(c, lake, typo=n == 1)


def _first_look(c: Ctx, lake: _Lake) -> None:
    """The editor's first load, the refused first query, the results bucket, the crawler."""
    for name, req in (
        ("ListWorkGroups", {"maxResults": 50}),
        ("GetWorkGroup", {"workGroup": "primary"}),
        ("ListDataCatalogs", {"maxResults": 50}),
        ("ListDatabases", {"catalogName": "AwsDataCatalog", "maxResults": 50}),
        ("ListTableMetadata", {"catalogName": "AwsDataCatalog", "databaseName": lake.database}),
    ):
        c.call(name, console=True, req=req, gap=(1, 8))
    on_behalf(c, ATHENA, "GetTables", req={"databaseName": lake.database}, gap=(0.1, 0.6))
    sql = _QUERIES[0].format(db=lake.database, table=_TABLES[0])
    c.call("StartQueryExecution", console=True, req=_start(c, lake, sql, ""), error=_NO_OUTPUT)
    region = c.region
    host = f"{lake.results}.s3.{region}.amazonaws.com"
    bucket_req: dict[str, Any] = {"bucketName": lake.results, "Host": host}
    if region != "us-east-1":
        bucket_req["CreateBucketConfiguration"] = {"LocationConstraint": region}
    c.call("CreateBucket", console=True, req=bucket_req, gap=(60, 240))
    _query(c, lake, console=True, table=_TABLES[0])
    _crawler(c, lake)
    table = c.rng.choice(_TABLES)
    scan = _FULL_SCAN.format(table=table)  # no partition filter: cancelled as it runs on
    qid = _query(c, lake, console=True, table=table, sql=scan, wait=False)
    c.call("StopQueryExecution", console=True, req={"queryExecutionId": qid}, gap=(40, 120))


def _crawler(c: Ctx, lake: _Lake) -> None:
    """Glue's console: the tables, a crawler of their own (no iam:PassRole), the team's one."""
    c.call("GetDatabases", console=True, req={"maxResults": 100}, gap=(20, 90))
    c.call("GetTables", console=True, req={"databaseName": lake.database}, gap=(2, 10))
    role = f"arn:aws:iam::{c.account}:role/service-role/AWSGlueServiceRole-{lake.database}"
    denied = (
        "AccessDeniedException",
        f"User: {c.ident.arn} is not authorized to perform: iam:PassRole on resource: {role}",
    )
    target = {"s3Targets": [{"path": f"s3://{lake.bucket}/{_TABLES[1]}/"}]}
    req = {"name": f"{lake.database}-{_TABLES[1]}", "role": role, "targets": target}
    c.call("CreateCrawler", console=True, req={**req, "databaseName": lake.database}, error=denied)
    crawler = {"name": f"{lake.database}-crawler"}
    c.call("GetCrawler", console=True, req=crawler, gap=(30, 120))
    c.call("StartCrawler", console=True, req=crawler, gap=(3, 20))
    poll(c, "GetCrawler", c.rng.randint(3, 6), (10, 40), console=True, req=crawler)
    c.call("GetCrawlerMetrics", console=True, req={"crawlerNameList": [crawler["name"]]})


def _query(
    c: Ctx,
    lake: _Lake,
    *,
    console: bool,
    table: str | None = None,
    sql: str | None = None,
    wait: bool = True,
) -> str:
    """One query: started, read through by Athena, polled, its results read; its id."""
    table = table or c.rng.choice(_TABLES)
    sql = sql or c.rng.choice(_QUERIES).format(db=lake.database, table=table)
    qid = c.fac.uuid()
    req = _start(c, lake, sql, f"s3://{lake.results}/")
    c.call(
        "StartQueryExecution",
        console=console,
        req=req,
        resp={"queryExecutionId": qid},
        gap=(30, 420) if console else (20, 200),
    )
    on_behalf(c, ATHENA, "GetTable", req={"databaseName": lake.database, "name": table}, gap=_FAST)
    partitions = {"databaseName": lake.database, "tableName": table, "maxResults": 1000}
    on_behalf(c, ATHENA, "GetPartitions", req=partitions, gap=_FAST)
    on_behalf(c, ATHENA, "ListObjectsV2", gap=_FAST, **s3_call(lake.bucket, f"{table}/", c.region))
    for _ in range(c.rng.randint(1, 3)):
        day, part = c.rng.randint(1, 30), c.rng.randrange(64)
        key = f"{table}/dt=2026-09-{day:02d}/part-{part:05d}.snappy.parquet"
        on_behalf(c, ATHENA, "GetObject", gap=_FAST, **s3_call(lake.bucket, key, c.region))
    if not wait:
        return qid
    poll(c, "GetQueryExecution", c.rng.randint(1, 4), (0.8, 2.5), console=console, req=_id(qid))
    on_behalf(c, ATHENA, "PutObject", gap=(0.2, 3), **s3_call(lake.results, f"{qid}.csv", c.region))
    poll(c, "GetQueryExecution", c.rng.randint(1, 3), (0.8, 2.5), console=console, req=_id(qid))
    c.call("GetQueryResults", source=ATHENA, console=console, req=_id(qid, 100), gap=(0.3, 2))
    on_behalf(c, ATHENA, "GetObject", gap=_FAST, **s3_call(lake.results, f"{qid}.csv", c.region))
    return qid


def _cli_day(c: Ctx, lake: _Lake, *, typo: bool) -> None:
    """The CLI in the afternoon: a mistyped table name once, queries, results copied down."""
    c.t += c.rng.uniform(1800, 7200)
    if typo:
        table = _TABLES[1][:-1]  # "orders_dail"
        c.call(
            "GetTable",
            req={"databaseName": lake.database, "name": table},
            error=("EntityNotFoundException", f"Table {table} not found."),
        )
    for _ in range(c.rng.randint(1, 3)):
        qid = _query(c, lake, console=False)
        bucket = s3_call(lake.results, f"{qid}.csv", c.region)
        c.call("HeadObject", gap=(10, 90), **bucket)
        c.call("GetObject", gap=(0.2, 1), **bucket)


_FAST = (0.1, 1.2)


def _start(c: Ctx, lake: _Lake, sql: str, output: str) -> dict[str, Any]:
    return {
        "queryString": sql,
        "clientRequestToken": c.fac.uuid(),
        "queryExecutionContext": {"database": lake.database, "catalog": "AwsDataCatalog"},
        "resultConfiguration": {"outputLocation": output} if output else {},
        "workGroup": "primary",
    }


def _id(qid: str, page: int = 0) -> dict[str, Any]:
    return {"queryExecutionId": qid, **({"maxResults": page} if page else {})}


@technique(
    "tg.ops.finops-cost-review",
    "A monthly cost review in the billing console",
    calls=("GetCostAndUsage", "CreateBudget", "DescribeTrustedAdvisorChecks", "DeleteVolume"),
    victims=("human",),
    kind="hard_negative",
)
def cost_review(c: Ctx) -> None:
    """After month end the engineer who owns the account's bill spends an hour in the console:
    Cost Explorer by service, usage type and day, the forecast, anomalies, Savings Plans;
    budgets (a monthly one created, alerting at 80%); Trusted Advisor's cost checks through the
    Support API (refused on a Basic support plan) and Compute Optimizer; the organisation's
    account list (refused: this is a member account); then idle volumes, addresses and old
    snapshots found by hand and removed, one snapshot still backing an AMI."""
    with_write_access(c)
    c.ua = c.victim.browser or net.BROWSERS[0]
    on_a_workday(c)
    sign_in(c)
    _cost_explorer(c)
    _budgets(c)
    _advisors(c)
    _clean_up(c)


def _months(c: Ctx) -> tuple[str, str, str]:
    """The first days of the month before, this month and the next, ``YYYY-MM-DD``."""
    g = time.gmtime(c.t)
    year, month = g.tm_year, g.tm_mon
    before = f"{year - 1}-12-01" if month == 1 else f"{year}-{month - 1:02d}-01"
    after = f"{year + 1}-01-01" if month == 12 else f"{year}-{month + 1:02d}-01"
    return before, f"{year}-{month:02d}-01", after


def _cost_explorer(c: Ctx) -> None:
    before, this, after = _months(c)
    spans = ({"start": before, "end": this}, {"start": this, "end": today(c)})
    groups = ("SERVICE", "USAGE_TYPE", "REGION", "RECORD_TYPE")
    c.call("GetDimensionValues", **_ce({"timePeriod": spans[0], "dimension": "SERVICE"}))
    for _ in range(c.rng.randint(8, 15)):
        req = {
            "timePeriod": c.rng.choice(spans),
            "granularity": c.rng.choice(("MONTHLY", "DAILY")),
            "metrics": ["UnblendedCost"],
            "groupBy": [{"type": "DIMENSION", "key": c.rng.choice(groups)}],
        }
        c.call("GetCostAndUsage", gap=(8, 90), **_ce(req))
    forecast = {"start": today(c), "end": after}
    req = {"timePeriod": forecast, "metric": "UNBLENDED_COST", "granularity": "MONTHLY"}
    c.call("GetCostForecast", **_ce(req))
    c.call("GetAnomalyMonitors", **_ce({}))
    c.call("GetAnomalies", **_ce({"dateInterval": {"startDate": before, "endDate": today(c)}}))
    for name in ("GetReservationUtilization", "GetSavingsPlansUtilization"):
        c.call(name, **_ce({"timePeriod": spans[0]}))
    c.call("GetSavingsPlansCoverage", **_ce({"timePeriod": spans[0], "granularity": "MONTHLY"}))
    c.call("DescribeOrganization", console=True, gap=(20, 60))
    refused = ("AccessDeniedException", "You don't have permissions to access this resource.")
    c.call("ListAccounts", source="organizations", console=True, error=refused, gap=(2, 10))


def _ce(req: dict[str, Any]) -> dict[str, Any]:
    """Cost Explorer and Budgets answer in us-east-1 whatever the console's region."""
    return {"req": req, "region": "us-east-1", "console": True}


def _budgets(c: Ctx) -> None:
    env = c.res.stacks[0].split("-")[0]
    c.call("DescribeBudgets", gap=(20, 120), **_ce({"accountId": c.account, "maxResults": 100}))
    name = f"{env}-monthly-cost"
    budget = {
        "budgetName": name,
        "budgetLimit": {"amount": str(c.rng.choice((5000, 12000, 25000, 40000))), "unit": "USD"},
        "timeUnit": "MONTHLY",
        "budgetType": "COST",
    }
    alert = {
        "notification": {
            "notificationType": "ACTUAL",
            "comparisonOperator": "GREATER_THAN",
            "threshold": 80.0,
            "thresholdType": "PERCENTAGE",
        },
        "subscribers": [{"subscriptionType": "EMAIL", "address": c.ident.session_name}],
    }
    req = {"accountId": c.account, "budget": budget, "notificationsWithSubscribers": [alert]}
    c.call("CreateBudget", gap=(90, 300), **_ce(req))
    c.call("DescribeNotificationsForBudget", **_ce({"accountId": c.account, "budgetName": name}))


_NO_PLAN = (
    "SubscriptionRequiredException",
    "AWS Premium Support Subscription is required to use this service.",
)
# Trusted Advisor's cost checks: low-utilisation instances, idle volumes, unused addresses.
_CHECKS = ("Qch7DwouX1", "DAvU99Dc4C", "Z4AUBRNSmz")


def _advisors(c: Ctx) -> None:
    basic = c.rng.random() < 0.5
    no_plan = _NO_PLAN if basic else None
    c.call("DescribeTrustedAdvisorChecks", error=no_plan, gap=(30, 120), **_ce({"language": "en"}))
    if not basic:
        c.call("DescribeTrustedAdvisorCheckSummaries", **_ce({"checkIds": list(_CHECKS)}))
        for check in _CHECKS:
            req = {"checkId": check, "language": "en"}
            c.call("DescribeTrustedAdvisorCheckResult", gap=(5, 40), **_ce(req))
    c.call("GetEnrollmentStatus", console=True, gap=(20, 90))
    c.call("GetRecommendationSummaries", console=True, req={"maxResults": 100})
    arns = [f"arn:aws:ec2:{c.region}:{c.account}:instance/{i}" for i in c.res.instances[:3]]
    c.call("GetEC2InstanceRecommendations", console=True, req={"instanceArns": arns})


def _clean_up(c: Ctx) -> None:
    """Idle resources found by hand, and the few that are certainly unused removed."""
    idle = {"name": "status", "valueSet": {"items": [{"value": "available"}]}}
    c.call("DescribeVolumes", console=True, req={"filterSet": {"items": [idle]}}, gap=(30, 120))
    for _ in range(c.rng.randint(1, 3)):
        c.call("DeleteVolume", console=True, req={"volumeId": hex_id(c, "vol")}, gap=(10, 60))
    c.call("DescribeAddresses", console=True, req={"filterSet": {}}, gap=(10, 60))
    allocation = {"allocationId": hex_id(c, "eipalloc")}
    c.call("ReleaseAddress", console=True, req=allocation, gap=(10, 60))
    mine = {"ownersSet": {"items": [{"owner": "self"}]}, "maxResults": 1000}
    c.call("DescribeSnapshots", console=True, req=mine, gap=(10, 60))
    in_use = c.rng.randrange(4)
    for k in range(c.rng.randint(3, 6)):
        snap = hex_id(c, "snap")
        error = None
        if k == in_use:
            image = hex_id(c, "ami")
            error = ("InvalidSnapshot.InUse", f"The snapshot {snap} is currently in use by {image}")
        c.call("DeleteSnapshot", console=True, req={"snapshotId": snap}, error=error, gap=(4, 30))
