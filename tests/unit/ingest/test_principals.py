"""Whom behaviour belongs to: one principal key per identity, as DOMAIN.md prescribes."""

from __future__ import annotations

from tests.factories import assumed_role_identity
from trailguard.pipeline.ingest.principals import is_random_session, principal_of

ACCOUNT = "111122223333"


def test_an_iam_user_is_keyed_by_its_user_arn() -> None:
    identity = {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/alice", "userName": "alice"}
    assert principal_of(identity).key == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert principal_of(identity).kind == "iam_user"


def test_root_is_keyed_by_the_account_root_arn_even_without_an_arn() -> None:
    assert (
        principal_of({"type": "Root", "accountId": ACCOUNT}).key == f"arn:aws:iam::{ACCOUNT}:root"
    )


def test_machine_sessions_of_a_role_share_the_role_as_their_key() -> None:
    first = principal_of(assumed_role_identity("app", "i-0abc123def4567890"))
    second = principal_of(assumed_role_identity("app", "3f1c9a0e-2b7d-4c11-9d3e-8a2b6c4d5e6f"))
    assert first.key == second.key == f"arn:aws:iam::{ACCOUNT}:role/app"
    assert first.kind == "role"
    assert first.session_name == "i-0abc123def4567890"


def test_identity_center_sessions_are_keyed_per_person() -> None:
    role = "AWSReservedSSO_AdministratorAccess_0123456789abcdef"
    alice = principal_of(assumed_role_identity(role, "alice@example.com"))
    bob = principal_of(assumed_role_identity(role, "bob"))
    assert alice.key == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/alice@example.com"
    assert bob.key.endswith("/bob")
    assert alice.kind == bob.kind == "role_session"


def test_a_stable_session_name_is_kept_in_the_key() -> None:
    lambda_session = principal_of(assumed_role_identity("orders-fn-role", "orders-fn"))
    assert lambda_session.key.endswith("assumed-role/orders-fn-role/orders-fn")


def test_a_role_arn_is_rebuilt_when_the_session_issuer_is_missing() -> None:
    identity = {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/level3/d190d14a-2404-45d6-9113-4eda22d7f2c7",
        "accountId": ACCOUNT,
    }
    assert principal_of(identity).key == f"arn:aws:iam::{ACCOUNT}:role/level3"


def test_an_aws_service_is_keyed_by_the_service_that_acted() -> None:
    identity = {"type": "AWSService", "invokedBy": "ecs-tasks.amazonaws.com"}
    assert principal_of(identity).key == "ecs-tasks.amazonaws.com"


def test_other_identity_types_get_distinct_readable_keys() -> None:
    federated = {"type": "FederatedUser", "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/eve"}
    sso_user = {"type": "IdentityCenterUser", "onBehalfOf": {"userId": "u-123"}}
    other_account = {"type": "AWSAccount", "accountId": "999988887777", "principalId": "AIDAX"}
    assert principal_of(federated).key.endswith("federated-user/eve")
    assert principal_of(sso_user).key == "identitycenter:u-123"
    assert principal_of(other_account).key == "aws-account:999988887777/AIDAX"
    assert principal_of({}).key.startswith("unknown:")


def test_generated_session_names_are_recognised_and_names_are_not() -> None:
    for name in ("i-0abc123def4567890", "botocore-session-1700000000", "1700000000123"):
        assert is_random_session(name), name
    for name in ("alice@example.com", "terraform", "GitHubActions", "orders-fn"):
        assert not is_random_session(name), name
