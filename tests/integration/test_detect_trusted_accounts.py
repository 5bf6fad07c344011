"""Sharing inside the organisation, or with an outside account it trusts (a disaster-recovery
account: TRAILGUARD_TRUSTED_ACCOUNTS), is not exfiltration; sharing with any other account is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.factories import cloudtrail_event
from tests.unit.features.lakes import at, make_lake
from trailguard.pipeline.config import SettingsError, load_settings
from trailguard.pipeline.detect.detect import run_detection

DR_ACCOUNT = "999988887777"
STRANGER = "123456789012"


def _share(account: str) -> dict[str, Any]:
    return cloudtrail_event(
        eventTime=at(0, 10),
        eventSource="ec2.amazonaws.com",
        eventName="ModifySnapshotAttribute",
        readOnly=False,
        requestParameters={
            "snapshotId": "snap-0123456789abcdef0",
            "attributeType": "CREATE_VOLUME_PERMISSION",
            "createVolumePermission": {"add": {"items": [{"userId": account}]}},
        },
    )


@pytest.mark.parametrize(
    ("grantee", "trusted", "raised"),
    [(STRANGER, (), True), (DR_ACCOUNT, (), True), (DR_ACCOUNT, (DR_ACCOUNT,), False)],
    ids=["stranger", "dr-account-unknown", "dr-account-trusted"],
)
def test_a_snapshot_shared_with_a_trusted_account_is_not_exfiltration(
    tmp_path: Path, grantee: str, trusted: tuple[str, ...], raised: bool
) -> None:
    lake = make_lake(tmp_path, [_share(grantee)])
    found = run_detection(lake, sigma=(), trusted_accounts=trusted).findings
    shared = [f for f in found if f.detector == "rules.snapshot_shared_externally"]
    assert bool(shared) is raised


def test_trusted_accounts_are_read_from_the_environment() -> None:
    env = {"TRAILGUARD_TRUSTED_ACCOUNTS": f"{DR_ACCOUNT}, {STRANGER}"}
    assert load_settings(env).trusted_accounts == (DR_ACCOUNT, STRANGER)
    with pytest.raises(SettingsError):
        load_settings({"TRAILGUARD_TRUSTED_ACCOUNTS": "dr-account"})
