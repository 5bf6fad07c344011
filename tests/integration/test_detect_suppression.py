"""Suppression files archive matching findings in the store; a stale model never blocks rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.factories import cloudtrail_event
from tests.unit.features.lakes import START, at, make_lake
from trailguard.models.isolation_forest import IsolationForestDetector, save_model
from trailguard.pipeline.detect.detect import run_detection
from trailguard.pipeline.features.build import build_features
from trailguard.pipeline.findings.views import FindingFilter, list_findings
from trailguard.pipeline.lake.db import open_db


def _lake(tmp_path: Path) -> Path:
    stop = cloudtrail_event(
        eventTime=at(0, 9), eventSource="cloudtrail.amazonaws.com", eventName="StopLogging"
    )
    root = cloudtrail_event(
        eventTime=at(0, 10),
        eventName="GetAccountSummary",
        userIdentity={
            "type": "Root",
            "arn": "arn:aws:iam::111122223333:root",
            "accountId": "111122223333",
            "principalId": "111122223333",
        },
    )
    return make_lake(tmp_path, [stop, root])


def test_a_suppression_rule_archives_what_it_matches_and_nothing_else(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    (lake / "suppression.toml").write_text(
        '[[suppress]]\nname = "break-glass drills"\ntype = "Policy:IAMUser/RootCredentialUsage"\n',
        encoding="utf-8",
    )
    stats = run_detection(lake, sigma=())
    assert stats.archived == 1
    with open_db(lake, read_only=True) as con:
        active = list_findings(con, FindingFilter())
        archived = list_findings(con, FindingFilter(status="archived"))
    assert [f.type for f in active] == ["Stealth:IAMUser/CloudTrailLoggingDisabled"]
    assert [f.evidence.suppressed for f in archived] == ["suppression rule: break-glass drills"]
    again = run_detection(lake, sigma=())
    assert (again.created, again.updated) == (0, 0)  # archiving again is no new revision


def test_a_model_trained_on_other_features_is_refused_but_rules_still_run(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    build_features(lake)
    stale = IsolationForestDetector(n_estimators=10).fit(np.zeros((60, 2)), ["old_a", "old_b"])
    save_model(stale, lake, window=(START, START), rows=60, principals=1)
    stats = run_detection(lake, sigma=())
    assert stats.rule_findings == 2 and stats.ml_findings == 0
    assert any("trained on other features" in note for note in stats.notes)


def test_a_suppression_file_named_on_the_command_line_must_exist(tmp_path: Path) -> None:
    lake = _lake(tmp_path)
    with pytest.raises(ValueError, match=r"suppression file .*nope\.toml does not exist"):
        run_detection(lake, suppression=tmp_path / "nope.toml", sigma=())
