"""The API category catalogue (sql/reference/api_categories.csv): what each category means."""

from __future__ import annotations

from collections import Counter

import pytest

from trailguard.pipeline.features.enrich import read_api_categories

CATEGORIES = {
    "discovery",
    "iam_mutation",
    "logging_tamper",
    "credential_access",
    "data_sharing",
    "persistence",
    "compute_launch",
    "remote_execution",
}


def _catalogue() -> dict[str, str]:
    table = read_api_categories()
    names, categories = table.column("event_name"), table.column("category")
    return dict(zip(names.to_pylist(), categories.to_pylist(), strict=True))


def test_every_call_has_one_known_category() -> None:
    names = read_api_categories().column("event_name").to_pylist()
    assert [name for name, n in Counter(names).items() if n > 1] == []
    assert set(_catalogue().values()) == CATEGORIES


@pytest.mark.parametrize(
    "call",
    [
        "ModifySnapshotAttribute",
        "ModifyImageAttribute",
        "ModifyDBSnapshotAttribute",
        "PutBucketPolicy",
        "PutBucketAcl",
        "DeletePublicAccessBlock",
        "AuthorizeSecurityGroupIngress",
    ],
)
def test_data_sharing_is_a_call_that_gives_someone_else_access(call: str) -> None:
    assert _catalogue()[call] == "data_sharing"


@pytest.mark.parametrize("call", ["CreateSnapshot", "CopySnapshot", "CreateImage", "CopyImage"])
def test_a_copy_that_stays_in_the_account_shares_nothing(call: str) -> None:
    # A disaster-recovery copy to another region, or a responder's snapshot of a suspect
    # instance: the data stays where it was. Sharing it is the next call, judged by its rule.
    assert call not in _catalogue()
