"""The `ingest` flow: the lake of `trailguard ingest`, retried reads, Dask, checked parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.flows.lake_contents import duplicate_event_ids, lake_rows, state_rows
from trailguard.pipeline.ingest.ingest import ingest as plain_ingest
from trailguard.pipeline.ingest.sources.local import LocalSource

pytestmark = pytest.mark.prefect


def test_ingest_flow_builds_the_same_lake_as_plain_ingest(
    prefect_api: str, small_org: Path, plain_lake: Path, tmp_path: Path
) -> None:
    from trailguard.flows.ingest import ingest

    summary = ingest(source=str(small_org), lake=tmp_path / "flow")

    assert summary.written > 0
    assert lake_rows(tmp_path / "flow") == lake_rows(plain_lake)
    assert state_rows(tmp_path / "flow") == state_rows(plain_lake)


def test_a_rerun_reads_nothing_and_a_plain_ingest_skips_what_the_flow_read(
    prefect_api: str, small_org: Path, tmp_path: Path
) -> None:
    from trailguard.flows.ingest import ingest

    first = ingest(source=str(small_org), lake=tmp_path / "lake")
    again = ingest(source=str(small_org), lake=tmp_path / "lake")
    plain = plain_ingest(str(small_org), tmp_path / "lake", workers=1)

    assert first.objects > 0
    assert (again.objects, again.skipped_objects) == (0, first.objects)
    assert (plain.objects, plain.skipped_objects) == (0, first.objects)


def test_a_part_whose_read_fails_once_is_retried_and_nothing_is_lost(
    prefect_api: str,
    small_org: Path,
    plain_lake: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from trailguard.flows.ingest import ingest

    flaky = sorted(small_org.rglob("*.json.gz"))[0]
    failures: list[str] = []
    read_object = LocalSource.read_object

    def fail_once(self: LocalSource, ref: object) -> bytes:
        if ref.uri == str(flaky) and not failures:  # type: ignore[attr-defined]
            failures.append(ref.uri)  # type: ignore[attr-defined]
            raise ConnectionResetError("connection reset by peer")
        return read_object(self, ref)  # type: ignore[arg-type]

    monkeypatch.setattr(LocalSource, "read_object", fail_once)
    monkeypatch.setattr("trailguard.flows.ingest.read.retry_delay_seconds", [0.1])
    summary = ingest(source=str(small_org), lake=tmp_path / "flow")

    assert failures == [str(flaky)]
    assert summary.failed == []
    assert lake_rows(tmp_path / "flow") == lake_rows(plain_lake)


def test_the_dask_runner_on_a_two_worker_cluster_builds_the_same_lake(
    prefect_api: str,
    small_org: Path,
    plain_lake: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dask_scheduler: str,
) -> None:
    from trailguard.flows.ingest import ingest

    monkeypatch.setattr(
        "trailguard.flows.ingest.READ_AHEAD", 2
    )  # fewer than the parts: reads wait on writes

    on_dask = ingest(
        source=str(small_org),
        lake=tmp_path / "dask",
        task_runner="dask",
        dask_address=dask_scheduler,
    )

    assert on_dask.written > 0
    assert lake_rows(tmp_path / "dask") == lake_rows(plain_lake)
    assert state_rows(tmp_path / "dask") == state_rows(plain_lake)
    assert duplicate_event_ids(tmp_path / "dask") == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"source": ""},
        {"source": "ftp://example.com/trail"},
        {"source": "s3://x"},  # bucket names have 3-63 characters
        {"task_runner": "ray"},
        {"dask_address": "scheduler:8786"},  # needs a scheme: tcp://scheduler:8786
        {"dask_workers": 0},
        {"endpoint_url": "localhost:9000"},
    ],
)
def test_invalid_parameters_are_refused_before_anything_runs(
    prefect_api: str, small_org: Path, tmp_path: Path, bad: dict[str, object]
) -> None:
    from prefect.exceptions import ParameterTypeError

    from trailguard.flows.ingest import ingest

    parameters: dict[str, object] = {"source": str(small_org), "lake": tmp_path / "lake", **bad}
    with pytest.raises(ParameterTypeError):
        ingest(**parameters)  # type: ignore[arg-type]
    assert not (tmp_path / "lake").exists()
