"""Object keys: CloudTrail's delivery layouts, and which objects hold events."""

from __future__ import annotations

from trailguard.pipeline.ingest.sources.layout import is_event_object, parse_key


def test_a_standard_trail_key_names_account_and_region() -> None:
    key = (
        "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/10/05/"
        "111122223333_CloudTrail_eu-west-1_20261005T1405Z_AbCdEfGh12345678.json.gz"
    )
    layout = parse_key(key)
    assert (layout.account, layout.region, layout.org) == ("111122223333", "eu-west-1", None)


def test_organisation_trails_and_user_prefixes_are_understood() -> None:
    layout = parse_key("logs/prod/AWSLogs/o-abcd1234/111122223333/CloudTrail/us-east-1/x.json")
    assert (layout.account, layout.region, layout.org) == (
        "111122223333",
        "us-east-1",
        "o-abcd1234",
    )


def test_a_region_folder_spelt_with_underscores_is_read_as_the_region() -> None:
    assert (
        parse_key("AWSLogs/653711331788/CloudTrail/us_east_1/2018/a.json.gz").region == "us-east-1"
    )


def test_keys_outside_the_layout_name_nothing() -> None:
    assert parse_key("exports/events.ndjson").account is None


def test_digests_and_unrelated_files_are_not_event_objects() -> None:
    assert not is_event_object("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/x.json.gz")
    assert not is_event_object("AWSLogs/README.txt")
    for key in ("a.json.gz", "a.json", "a.ndjson", "a.jsonl.gz", "A.JSON.GZ"):
        assert is_event_object(key), key
