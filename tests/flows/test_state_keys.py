"""An object is ingested once, whichever source (the bucket, or one of its prefixes) reached it."""

from __future__ import annotations

from pathlib import Path

from tests.flows.lake_contents import lake_rows
from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.ingest.parts import plan_ingest


def _one_day(org: Path) -> tuple[Path, int]:
    """An account x region x day folder of the organisation, and how many objects it holds."""
    folder = sorted(org.glob("AWSLogs/*/CloudTrail/*/*/*/*"))[0]
    return folder, sum(1 for p in folder.iterdir() if p.name.endswith(".json.gz"))


def test_a_whole_source_run_skips_what_a_run_over_one_of_its_prefixes_read(
    small_org: Path, plain_lake: Path, tmp_path: Path
) -> None:
    folder, objects = _one_day(small_org)
    first = ingest(str(folder), tmp_path / "lake", workers=1)
    whole = ingest(str(small_org), tmp_path / "lake", workers=1)

    assert first.objects == objects > 0
    assert whole.skipped_objects == objects
    assert whole.duplicates == 0
    assert lake_rows(tmp_path / "lake") == lake_rows(plain_lake)


def test_a_prefix_run_and_a_partitioned_plan_skip_what_a_whole_source_run_read(
    small_org: Path, tmp_path: Path
) -> None:
    folder, objects = _one_day(small_org)
    ingest(str(small_org), tmp_path / "lake", workers=1)

    again = ingest(str(folder), tmp_path / "lake", workers=1)
    plan = plan_ingest(str(folder), tmp_path / "lake")
    assert (again.objects, again.skipped_objects) == (0, objects)
    assert (plan.objects, plan.skipped_objects) == (0, objects)
