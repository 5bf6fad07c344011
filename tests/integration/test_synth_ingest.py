"""A generated organisation goes through ingest like real CloudTrail: nothing quarantined, every
labelled event in the lake under the label's principal key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.synth.generate import generate_organisation

ATTACKS = [
    "aws.persistence.iam-create-admin-user",
    "aws.persistence.sts-federation-token",
    "aws.credential-access.ec2-steal-instance-credentials",
    "tg.benign.break-glass-root",
]


@pytest.mark.parametrize(
    ("org_trail", "duplicates"),
    [(False, 0.0), (True, 0.3)],
    ids=["account-trails", "org-trail-with-duplicates"],
)
def test_generated_organisation_ingests_cleanly_and_matches_its_labels(
    tmp_path: Path, org_trail: bool, duplicates: float
) -> None:
    data, lake = tmp_path / "data", tmp_path / "lake"
    summary = generate_organisation(
        str(data),
        org_trail=org_trail,
        duplicates=duplicates,
        days=4,
        accounts=2,
        principals=12,
        seed=5,
        intensity=0.05,
        attacks=ATTACKS,
        workers=1,
    )
    result = ingest(str(data / "AWSLogs"), lake, workers=1, strict=True)
    assert result.records == summary.events + summary.duplicates
    assert (result.written, result.duplicates) == (summary.events, summary.duplicates)
    assert result.quarantined == 0 and (summary.duplicates > 0) == (duplicates > 0)
    labels = json.loads((data / "labels.json").read_text())["scenarios"]
    with open_db(lake, read_only=True) as con:
        for scenario in labels:
            rows = con.execute(
                "SELECT event_id, principal_key, account_id FROM events "
                "WHERE event_id IN (SELECT unnest($ids))",
                {"ids": scenario["event_ids"]},
            ).fetchall()
            assert {r[0] for r in rows} == set(scenario["event_ids"])
            assert scenario["principal_key"] in {r[1] for r in rows}
            assert {r[2] for r in rows} == {scenario["account_id"]}
