"""A batch of objects becomes one Arrow table equal to normalizing each record on its own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.integration.ingest_helpers import read_records
from trailguard.pipeline.ingest.batch import to_batch
from trailguard.pipeline.ingest.normalize import normalize_record
from trailguard.pipeline.ingest.sources.layout import ObjectRef
from trailguard.pipeline.lake.schema import SCHEMA

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_the_batch_table_holds_exactly_the_normalized_records(samples: Path) -> None:
    paths = sorted((samples / "flaws2-cloud-defender").rglob("*.json.gz"))
    paths += sorted((samples / "otrf-ec2-proxy-s3-exfil").glob("*.json"))
    fetched = [
        (ObjectRef(uri=str(p), key=p.name, size=1, version="v1"), p.read_bytes()) for p in paths
    ]

    batch = to_batch("source", fetched, NOW)

    expected = [normalize_record(r, str(p), NOW) for p in paths for r in read_records(p)]
    assert batch.table.select(SCHEMA.names).to_pylist() == expected
    assert batch.records == len(expected) == 37 + 103
    assert batch.table["_object_version"].unique().to_pylist() == ["v1"]


def test_an_unreadable_object_is_reported_and_the_others_kept(samples: Path) -> None:
    path = next((samples / "flaws2-cloud-defender").rglob("*.json.gz"))
    good = ObjectRef(uri=str(path), key=path.name, size=1, version="v1")
    bad = ObjectRef(uri="s3://b/gone.json.gz", key="gone.json.gz", size=1, version="v1")

    batch = to_batch("source", [(bad, OSError("connection reset")), (good, path.read_bytes())], NOW)

    assert batch.failed == [("s3://b/gone.json.gz", "OSError: connection reset")]
    assert batch.objects["key"].to_pylist() == [path.name]  # the failed one is not marked as read
    assert batch.table.num_rows == len(read_records(path))
