"""An explanation's profile is the principal's normal behaviour: events inside active findings
are what the episode did when it is the one explained, never the history a later episode of the
same principal is compared with, even when both are explained in the same run; and a call an AWS
service made on its behalf is not a place it acted from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa

from trailguard.pipeline.detect.explain import profiles
from trailguard.pipeline.sqlfiles import read_sql

PRINCIPAL, ACCOUNT = "arn:aws:iam::111122223333:role/terraform-apply", "111122223333"
START = datetime(2026, 10, 1, tzinfo=UTC)
FIRST = START + timedelta(days=4, hours=10)  # an episode that became a Medium finding
LATER = START + timedelta(days=5, hours=9)  # the same principal's next episode
SPANS = [(FIRST, FIRST + timedelta(hours=1)), (LATER, LATER + timedelta(hours=1))]


def _events(con: duckdb.DuckDBPyConnection) -> None:
    """Four days deploying in us-east-1, then both episodes deploying in eu-central-1."""
    con.execute(
        "CREATE TABLE enriched (principal_key VARCHAR, account_id VARCHAR,"
        " event_time TIMESTAMPTZ, window_start TIMESTAMPTZ, api VARCHAR, category VARCHAR,"
        " network VARCHAR, ua_family VARCHAR, region VARCHAR, country VARCHAR,"
        " in_finding BOOLEAN, is_ip BOOLEAN)"
    )
    hours = [START + timedelta(days=d, hours=h) for d in range(4) for h in (9, 14)]
    rows = [(t, "us-east-1") for t in hours] + [(t, "eu-central-1") for t, _ in SPANS]
    for t, region in rows:
        con.execute(
            "INSERT INTO enriched VALUES (?, ?, ?, ?, 'lambda:UpdateFunctionCode', NULL,"
            " 'AMAZON-02', 'sdk:boto3', ?, 'US', false, true)",
            [PRINCIPAL, ACCOUNT, t + timedelta(minutes=5), t, region],
        )


def _explained_together(
    finding: tuple[datetime, datetime] | None, dim: str = "regions", service_call: bool = False
) -> list[set[str]]:
    """The new values of `dim` of both episodes, explained in one run, with `finding` stored
    (and, with `service_call`, a call Access Analyzer made on the principal's behalf in the
    later episode)."""
    con = duckdb.connect()
    _events(con)
    if service_call:
        con.execute(
            "INSERT INTO enriched VALUES (?, ?, ?, ?, 'iam:CreateServiceLinkedRole', NULL,"
            " 'access-analyzer.amazonaws.com', 'aws-service', 'us-east-1', NULL, false, false)",
            [PRINCIPAL, ACCOUNT, LATER + timedelta(minutes=9), LATER],
        )
    con.register(
        "episode_spans",
        pa.table(
            {
                "episode": [0, 1],
                "principal_key": [PRINCIPAL, PRINCIPAL],
                "account_id": [ACCOUNT, ACCOUNT],
                "span_start": [s for s, _ in SPANS],
                "span_end": [e for _, e in SPANS],
            }
        ),
    )
    if finding is not None:
        first_seen, last_seen = finding
        spans = {"principal_key": [PRINCIPAL], "account_id": [ACCOUNT]}
        spans |= {"first_seen": [first_seen], "last_seen": [last_seen]}
        con.register("finding_spans", pa.table(spans))
        con.execute(read_sql("detect/mark_finding_events.sql"))
    return [{o.value for o in p[dim]["new"]} for p in profiles(con, 2)]


def test_a_region_only_an_earlier_finding_showed_is_still_new_for_the_later_episode() -> None:
    first, later = _explained_together(SPANS[0])
    assert first == {"eu-central-1"}, "the finding's own episode sees what it did"
    assert later == {"eu-central-1"}, "the finding's events are not history"


def test_without_a_finding_the_earlier_episode_is_history() -> None:
    first, later = _explained_together(None)
    assert first == {"eu-central-1"}
    assert later == set()


def test_a_call_a_service_made_for_the_principal_is_no_new_network_or_agent() -> None:
    assert _explained_together(None, "networks", service_call=True)[1] == set()
    assert _explained_together(None, "user_agents", service_call=True)[1] == set()
    assert _explained_together(None, "apis", service_call=True)[1] == {
        "iam:CreateServiceLinkedRole"
    }
