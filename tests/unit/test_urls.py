"""Object URIs from the state's source and key, and back to what ingest takes."""

from __future__ import annotations

from pathlib import Path

from trailguard.pipeline.urls import object_uri, redact_url, source_location


def test_an_s3_object_is_its_source_and_key() -> None:
    assert object_uri("s3://trail/AWSLogs/", "1/CloudTrail/x.json.gz") == (
        "s3://trail/AWSLogs/1/CloudTrail/x.json.gz"
    )


def test_a_local_object_is_its_path_even_with_quoted_characters(tmp_path: Path) -> None:
    root = tmp_path / "my trail"
    root.mkdir()
    assert object_uri(root.as_uri(), "a/b#1.json") == str(root / "a/b#1.json")


def test_a_single_file_source_is_the_file_itself(tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text("[]")
    assert object_uri(export.as_uri(), "export.json") == str(export)


def test_a_recorded_source_becomes_what_ingest_takes(tmp_path: Path) -> None:
    assert source_location((tmp_path / "a b").as_uri()) == str(tmp_path / "a b")
    assert source_location("s3://trail/AWSLogs/") == "s3://trail/AWSLogs/"


def test_redaction_hides_user_info_and_token_parameters() -> None:
    assert redact_url("http://KEY:SECRET@host:9000/x?X-Amz-Signature=abc&a=1") == (
        "http://***@host:9000/x?X-Amz-Signature=***&a=1"
    )
