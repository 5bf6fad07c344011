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


@pytest.mark.parametrize(
    "call", ["GetPasswordData", "GetSecretValue", "BatchGetSecretValue", "GetParameters"]
)
def test_credential_access_hands_over_a_secret(call: str) -> None:
    assert _catalogue()[call] == "credential_access"


def test_a_registry_login_is_not_credential_access() -> None:
    # ECR's docker login token: every image pull and push of every pipeline starts with it.
    assert "GetAuthorizationToken" not in _catalogue()


def test_the_credential_report_is_discovery_whether_generated_or_read() -> None:
    # Users, key ages and MFA status, no secret: an auditor's quarterly review reads it.
    assert _catalogue()["GenerateCredentialReport"] == _catalogue()["GetCredentialReport"]
    assert _catalogue()["GetCredentialReport"] == "discovery"
