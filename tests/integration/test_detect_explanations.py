"""An anomaly finding explains itself: the features that drove it against the baselines, and the
unusual values next to the principal's profile (GuardDuty's frequent / infrequent / rare)."""

from __future__ import annotations

from pathlib import Path

from tests.factories import cloudtrail_event
from tests.unit.features.lakes import FOREIGN_IP, OFFICE_IP, START, at, make_lake, routine
from trailguard.pipeline.detect.detect import run_detection, train_model
from trailguard.pipeline.features.build import build_features

ALICE = "arn:aws:iam::111122223333:user/alice"
S3_WORK = [("s3.amazonaws.com", "ListBuckets"), ("s3.amazonaws.com", "GetObject")]


def _stolen_key_lake(tmp_path: Path) -> Path:
    records = list(routine(range(9), range(9, 17), S3_WORK, sourceIPAddress=OFFICE_IP))
    records += [
        cloudtrail_event(
            eventTime=at(9, 11, minute),
            eventName=name,
            readOnly=name.startswith("List"),
            sourceIPAddress=FOREIGN_IP,
            userAgent="python-requests/2.31.0",
        )
        for minute, name in enumerate(["ListUsers", "ListRoles", "CreateUser", "CreateAccessKey"])
    ]
    return make_lake(tmp_path, records)


def test_a_stolen_key_creating_users_is_explained(tmp_path: Path) -> None:
    lake = _stolen_key_lake(tmp_path)
    build_features(lake)
    train_model(lake, baseline_days=9, now=START.replace(day=10))
    (finding,) = [f for f in run_detection(lake).findings if f.detector == "isolation_forest"]
    assert finding.principal == ALICE
    assert finding.type == "Persistence:IAMUser/AnomalousBehavior"
    evidence = finding.evidence
    unusual = evidence.unusual
    assert {a.value for a in unusual["apis"]} >= {"iam:CreateUser", "iam:CreateAccessKey"}
    assert [n.value for n in unusual["user_agents"]] == ["tool:python-requests"]
    assert unusual["networks"] and unusual["countries"]
    frequent = evidence.profile["apis"]["frequent"]
    assert {a.value for a in frequent} == {"s3:ListBuckets", "s3:GetObject"}
    assert [a.value for a in evidence.profile["user_agents"]["frequent"]] == ["aws-cli/2"]
    assert evidence.top_features, "no features named"
    assert all(item.principal_baseline is not None for item in evidence.top_features)
    assert evidence.source_ips == (FOREIGN_IP,)
    assert finding.region == "us-east-1" and evidence.regions == ("us-east-1",)
    assert "iam:CreateUser" in finding.description
