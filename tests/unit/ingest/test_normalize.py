"""Normalization: a CloudTrail record becomes one flat row, and nothing it carries is lost."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import orjson
import pytest

from tests.factories import DELETE, assumed_role_identity, cloudtrail_event
from trailguard.pipeline.ingest.batch import to_batch
from trailguard.pipeline.ingest.field_values import RecordError
from trailguard.pipeline.ingest.normalize import (
    base_event_name,
    looks_like_ip,
    normalize_record,
    principal_key,
)
from trailguard.pipeline.ingest.sources.layout import ObjectRef
from trailguard.pipeline.lake.schema import COLUMN_NAMES

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def norm(record: object) -> dict[str, object]:
    return normalize_record(record, "s3://bucket/key.json.gz", NOW)


def test_a_row_has_exactly_the_lake_columns() -> None:
    assert sorted(norm(cloudtrail_event())) == sorted(COLUMN_NAMES)


def test_top_level_fields_land_in_snake_case_columns() -> None:
    row = norm(cloudtrail_event(errorCode="AccessDenied", readOnly=False))
    assert row["event_name"] == "ListUsers"
    assert row["event_source"] == "iam.amazonaws.com"
    assert row["error_code"] == "AccessDenied"
    assert row["read_only"] is False
    assert row["event_time"] == datetime(2026, 10, 5, 14, 3, 27, tzinfo=UTC)
    assert row["source_key"] == "s3://bucket/key.json.gz"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-05T14:03:27Z", datetime(2026, 10, 5, 14, 3, 27, tzinfo=UTC)),
        ("2026-10-05T14:03:27.123Z", datetime(2026, 10, 5, 14, 3, 27, 123000, tzinfo=UTC)),
        ("2026-10-05 14:03:27", datetime(2026, 10, 5, 14, 3, 27, tzinfo=UTC)),
        ("2026-10-05 14:03:27.123456789", datetime(2026, 10, 5, 14, 3, 27, 123456, tzinfo=UTC)),
        ("2026-10-05T16:03:27+02:00", datetime(2026, 10, 5, 14, 3, 27, tzinfo=UTC)),
        (1_791_208_800, datetime(2026, 10, 5, 14, 0, tzinfo=UTC)),
        (1_791_208_800_000, datetime(2026, 10, 5, 14, 0, tzinfo=UTC)),
    ],
)
def test_event_time_is_utc_whatever_its_shape(text: object, expected: datetime) -> None:
    assert norm(cloudtrail_event(eventTime=text))["event_time"] == expected


def test_a_logstash_timestamp_stands_in_for_event_time() -> None:
    record = cloudtrail_event(eventTime=DELETE, **{"@timestamp": "2020-09-14T00:44:23.000Z"})
    assert norm(record)["event_time"] == datetime(2020, 9, 14, 0, 44, 23, tzinfo=UTC)


@pytest.mark.parametrize("bad", [None, "", "redacted", "...", [], {"t": 1}])
def test_a_record_without_a_usable_event_time_is_rejected_with_the_value(bad: object) -> None:
    with pytest.raises(RecordError, match="no usable eventTime"):
        norm(cloudtrail_event(eventTime=bad))


# Times CloudTrail cannot have written (NOW is the ingest's time): each would pass through the
# lake and break the date arithmetic of every later stage (features, training) on every run.
IMPOSSIBLE_TIMES = {
    "0001-01-01T00:00:00Z": "before CloudTrail existed (2013-11-01)",
    "1970-01-01T00:00:00Z": "before CloudTrail existed",
    "2013-10-31T23:59:59Z": "before CloudTrail existed",
    "9999-12-31T23:59:59Z": "more than a day after the ingest (2026-11-01T00:00:00+00:00)",
    "2026-11-02T00:00:01Z": "more than a day after the ingest",
}


@pytest.mark.parametrize(("when", "reason"), IMPOSSIBLE_TIMES.items())
def test_an_event_time_cloudtrail_cannot_have_written_is_rejected_with_the_reason(
    when: str, reason: str
) -> None:
    with pytest.raises(RecordError, match=re.escape(reason)):
        norm(cloudtrail_event(eventTime=when))


@pytest.mark.parametrize("when", ["2013-11-01T00:00:00Z", "2026-11-02T00:00:00Z"])
def test_the_first_days_of_cloudtrail_and_a_clock_a_day_ahead_are_accepted(when: str) -> None:
    assert norm(cloudtrail_event(eventTime=when))["event_time"] == datetime.fromisoformat(when)


@pytest.mark.parametrize("when", [*IMPOSSIBLE_TIMES, -62135596800, 253402300799])
def test_bulk_and_one_by_one_quarantine_an_impossible_time_alike(when: object) -> None:
    ref = ObjectRef(uri="x.json", key="x.json", size=1, version="v1")
    records = [cloudtrail_event(), cloudtrail_event(eventTime=when), cloudtrail_event()]
    for text in (orjson.dumps({"Records": records}), json.dumps(records, indent=1).encode()):
        batch = to_batch("source", [(ref, text)], NOW)  # the fast path, then the general one
        assert batch.table.num_rows == 2
        [entry] = batch.quarantined
        assert entry.record_index == 1 and "eventTime" in entry.reason


def test_something_that_is_not_a_cloudtrail_record_is_rejected() -> None:
    with pytest.raises(RecordError, match="missing eventName"):
        norm({"hello": "world", "eventTime": "2026-10-05T14:03:27Z"})
    with pytest.raises(RecordError, match="not an object"):
        norm(["a", "list"])


def test_a_missing_event_id_is_derived_from_content_stably_and_flagged() -> None:
    record = cloudtrail_event(eventID=DELETE)
    first, again = norm(record), norm(json.loads(json.dumps(record)))
    assert first["event_id_derived"] is True
    assert first["event_id"] == again["event_id"]
    assert str(first["event_id"]).startswith("derived-")
    other = norm(cloudtrail_event(eventID=DELETE, eventName="ListRoles"))
    assert other["event_id"] != first["event_id"]


def test_fields_the_schema_does_not_name_are_kept_in_extra() -> None:
    row = norm(cloudtrail_event(p_log_type="AWS.CloudTrail", insightDetails={"state": "Start"}))
    assert json.loads(str(row["extra"])) == {
        "p_log_type": "AWS.CloudTrail",
        "insightDetails": {"state": "Start"},
    }
    assert norm(cloudtrail_event())["extra"] is None


def test_a_value_that_does_not_fit_its_column_is_kept_in_extra_not_guessed() -> None:
    row = norm(cloudtrail_event(userAgent={"odd": True}, readOnly="sometimes"))
    assert row["user_agent"] is None and row["read_only"] is None
    assert json.loads(str(row["extra"])) == {"userAgent": {"odd": True}, "readOnly": "sometimes"}


def test_numbers_where_strings_belong_become_text() -> None:
    row = norm(cloudtrail_event(eventID=1111, recipientAccountId=111122223333))
    assert row["event_id"] == "1111" and row["recipient_account_id"] == "111122223333"


def test_lower_cased_keys_of_hand_made_exports_are_understood() -> None:
    record = {k.lower(): v for k, v in cloudtrail_event().items()}
    row = norm(record)
    assert row["event_name"] == "ListUsers" and row["extra"] is None


def test_nested_objects_are_kept_as_json_text_and_json_null_as_sql_null() -> None:
    row = norm(cloudtrail_event(requestParameters={"userName": "bob"}, responseElements=None))
    assert json.loads(str(row["request_parameters"])) == {"userName": "bob"}
    assert row["response_elements"] is None


def test_user_identity_is_flattened_with_its_session_context() -> None:
    identity = assumed_role_identity("deploy", "i-0abc123def4567890")
    row = norm(cloudtrail_event(userIdentity=identity))
    assert row["identity_type"] == "AssumedRole"
    assert row["session_issuer_arn"] == "arn:aws:iam::111122223333:role/deploy"
    assert row["session_issuer_name"] == "deploy"
    assert row["session_mfa_authenticated"] is False
    assert row["session_creation_time"] == datetime(2026, 10, 5, 13, tzinfo=UTC)
    assert row["principal_key"] == "arn:aws:iam::111122223333:role/deploy"
    assert row["session_name"] == "i-0abc123def4567890"
    assert json.loads(str(row["user_identity"])) == identity


def test_lambda_event_names_lose_their_api_version_in_the_base_name() -> None:
    assert base_event_name("UpdateFunctionCode20150331v2") == "UpdateFunctionCode"
    assert base_event_name("ListFunctions20150331") == "ListFunctions"
    assert base_event_name("GetObject") == "GetObject"
    assert base_event_name("DescribeDBSnapshots") == "DescribeDBSnapshots"


def test_service_names_in_source_ip_address_are_not_ips() -> None:
    assert looks_like_ip("104.102.221.250") and looks_like_ip("2001:db8::1")
    for not_ip in ("lambda.amazonaws.com", "AWS Internal", "999.1.1.1", "", None):
        assert not looks_like_ip(not_ip)


@pytest.mark.parametrize(
    "record",
    [
        cloudtrail_event(),
        cloudtrail_event(userIdentity=assumed_role_identity()),
        cloudtrail_event(userIdentity="not an object"),
        cloudtrail_event(eventTime="9999-01-01T00:00:00Z"),  # whatever its other fields hold
    ],
)
def test_the_principal_key_alone_is_the_one_its_row_would_get(record: dict[str, object]) -> None:
    good = dict(record, eventTime="2026-10-05T14:03:27Z")
    assert principal_key(record) == norm(good)["principal_key"]
