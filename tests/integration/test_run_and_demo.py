"""`trailguard run` and `trailguard demo`: the whole pipeline, from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from trailguard.pipeline.cli.main import main
from trailguard.pipeline.evaluation.demo import (
    DemoResult,
    DemoSettings,
    prepare_organisation,
    run_demo,
)
from trailguard.pipeline.findings.store import load_findings
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.run import run_pipeline


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSettings:
    return DemoSettings(tmp_path_factory.mktemp("demo"), days=10, accounts=2, principals=30)


@pytest.fixture(scope="module")
def first_demo(small_demo: DemoSettings) -> DemoResult:
    """The demo's first run in its folder: it generates the organisation."""
    return run_demo(small_demo)


def test_the_demo_catches_every_loud_attack_without_flooding_the_org(
    first_demo: DemoResult,
) -> None:
    demo = first_demo

    result = demo.evaluation
    assert demo.generated_events and demo.generated_events > 10_000
    assert len(result.attacks()) >= 20
    assert result.recall("loud") == 1.0, "every loud attack must be caught"
    assert (result.recall() or 0) >= 0.8
    # trailguard's own detectors; the bundled SigmaHQ pack's noise is measured, rule by rule, in
    # docs/detection.md (Sigma rules: what they cost on the demo).
    own = sum(n for d, n in result.by_detector.items() if not d.startswith("sigma."))
    assert own / result.days < 2.0, "a handful of false positives a day at most"
    assert demo.pipeline.model is not None


def test_running_the_demo_again_reuses_its_data_and_changes_no_finding(
    small_demo: DemoSettings, first_demo: DemoResult, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_db(small_demo.out / "lake", read_only=True) as con:
        before = {f.finding_id: f.version for f in load_findings(con)}

    code = main(
        [
            "demo",
            "--out",
            str(small_demo.out),
            "--days",
            "10",
            "--accounts",
            "2",
            "--principals",
            "30",
        ]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "generated" not in out  # the organisation on disk was reused
    assert "attacks caught" in out and "Top findings" in out
    report = small_demo.out / "report.html"
    assert f"Open:    {report}" in out, "the demo ends by saying what to open"
    assert 'aria-label="score distribution"' in report.read_text(encoding="utf-8")
    with open_db(small_demo.out / "lake", read_only=True) as con:
        after = {f.finding_id: f.version for f in load_findings(con)}
    assert after == before


def test_a_demo_of_another_organisation_starts_over_instead_of_mixing_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import trailguard.pipeline.evaluation.demo as demo

    def fake_generate(out: str, **settings: int) -> object:
        (Path(out) / f"org-{settings['seed']}.json").write_text("{}")
        return type("Summary", (), {"events": 1})()

    monkeypatch.setattr(demo, "generate_organisation", fake_generate)
    out = tmp_path / "out"
    assert demo.prepare_organisation(DemoSettings(out, seed=7)) == 1
    (out / "lake").mkdir()
    (out / "lake" / "stale.parquet").write_text("")  # the lake of that first organisation
    assert demo.prepare_organisation(DemoSettings(out, seed=7)) is None  # reused

    assert demo.prepare_organisation(DemoSettings(out, seed=11)) == 1
    assert sorted(p.name for p in (out / "data").iterdir()) == ["demo.json", "org-11.json"]
    assert not (out / "lake").exists()


def test_the_demo_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "out" / "data").mkdir(parents=True)
    (tmp_path / "out" / "data" / "thesis.tex").write_text("")
    with pytest.raises(ValueError, match="not made by `trailguard demo`"):
        prepare_organisation(DemoSettings(tmp_path / "out"))
    assert (tmp_path / "out" / "data" / "thesis.tex").exists()


def test_run_on_real_stolen_lambda_credentials_finds_them_with_rules_alone(
    samples: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    result = run_pipeline(lake, source=str(samples / "flaws2-cloud-defender"))

    assert result.ingest is not None and result.ingest.written == 37
    assert result.model is None and any("no model trained" in n for n in result.notes)
    with open_db(lake, read_only=True) as con:
        types = {f.type for f in load_findings(con)}
    assert "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS" in types
