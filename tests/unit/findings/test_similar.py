"""'Suppress similar': the rule an archived finding makes matches the same behaviour by the same
family of principal, and nothing else; it has an owner, a reason and an expiry."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.unit.findings.test_store import a_finding
from trailguard.pipeline.findings.similar import append_rule, family_glob, similar_to
from trailguard.pipeline.findings.suppression import load_suppression

NOW = datetime(2026, 12, 7, 10, tzinfo=UTC)
ALICE = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b/alice@x.com"
DEPLOY = "arn:aws:iam::111122223333:role/github-actions-deploy-348"


@pytest.mark.parametrize(
    ("principal", "same_family", "other"),
    [
        # A person: any account, the same permission set (its role's hash differs per account).
        (
            ALICE,
            "arn:aws:sts::444455556666:assumed-role/AWSReservedSSO_Admin_99887766aabbccdd/alice@x.com",
            "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0a1b2c3d4e5f6a7b/bob@x.com",
        ),
        # A role family: the generated suffix varies, the name does not.
        (
            DEPLOY,
            "arn:aws:iam::444455556666:role/github-actions-deploy-632",
            "arn:aws:iam::111122223333:role/github-actions-deployer",
        ),
        # A role without a suffix: that name in every account (a StackSet role).
        (
            "arn:aws:iam::111122223333:role/SecurityAudit",
            "arn:aws:iam::444455556666:role/SecurityAudit",
            "arn:aws:iam::111122223333:role/SecurityAuditor",
        ),
        # An IAM user and root belong to their account.
        (
            "arn:aws:iam::111122223333:user/ci",
            "arn:aws:iam::111122223333:user/ci",
            "arn:aws:iam::444455556666:user/ci",
        ),
        (
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::444455556666:root",
        ),
    ],
)
def test_the_family_of_a_principal(principal: str, same_family: str, other: str) -> None:
    rule = similar_to(a_finding(principal=principal), owner="ana", reason="known", now=NOW)
    assert rule.matches(a_finding(principal=same_family))
    assert not rule.matches(a_finding(principal=other))


def test_glob_characters_in_a_name_are_literal() -> None:
    glob = family_glob("arn:aws:iam::111122223333:user/odd*name")
    rule = similar_to(
        a_finding(principal="arn:aws:iam::111122223333:user/odd*name"),
        owner="a",
        reason="r",
        now=NOW,
    )
    assert glob == "arn:aws:iam::111122223333:user/odd[*]name"
    assert not rule.matches(a_finding(principal="arn:aws:iam::111122223333:user/oddXname"))


def test_a_similar_rule_matches_the_same_type_only_and_expires() -> None:
    rule = similar_to(a_finding(principal=ALICE), owner="ana", reason="her job", now=NOW)
    assert not rule.matches(a_finding(principal=ALICE, type="Discovery:IAMUser/AnomalousBehavior"))
    assert rule.expires == date(2027, 3, 7)  # 90 days
    assert not rule.expired(date(2027, 3, 6)) and rule.expired(date(2027, 3, 7))


def test_appending_keeps_the_file_and_detect_reads_the_rule_back(tmp_path: Path) -> None:
    path = tmp_path / "suppression.toml"
    path.write_text('# our rules\ntrusted_networks = ["203.0.113.0/24"]\n', encoding="utf-8")
    finding = a_finding(principal=DEPLOY)
    rule = similar_to(finding, owner='ana "the analyst"', reason="deploys\nnightly", now=NOW)
    append_rule(path, rule)

    text = path.read_text(encoding="utf-8")
    assert text.startswith("# our rules\n")
    config = load_suppression(path)
    (loaded,) = config.rules
    assert (loaded.owner, loaded.reason, loaded.finding) == (
        rule.owner,
        rule.reason,
        finding.finding_id,
    )
    assert loaded.created == NOW and loaded.expires == rule.expires
    assert config.reason(a_finding(principal=DEPLOY), today=date(2027, 1, 1)) is not None
    assert config.reason(a_finding(principal=DEPLOY), today=date(2027, 3, 7)) is None  # expired
    assert len(config.trusted_networks) == 1
    tomllib.loads(text)


def test_a_file_that_would_not_parse_is_never_written(tmp_path: Path) -> None:
    path = tmp_path / "suppression.toml"
    path.write_text("[[suppress]]\nname = 'x'\nbogus = 1\n", encoding="utf-8")
    rule = similar_to(a_finding(), owner="ana", reason="r", now=NOW)
    with pytest.raises(ValueError, match="unknown keys"):
        append_rule(path, rule)
    assert path.read_text(encoding="utf-8") == "[[suppress]]\nname = 'x'\nbogus = 1\n"


def test_a_bad_expiry_names_the_file_and_the_rule(tmp_path: Path) -> None:
    path = tmp_path / "suppression.toml"
    path.write_text('[[suppress]]\nname = "x"\nexpires = "soon"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"suppression.toml: suppress\[0\].expires: 'soon'"):
        load_suppression(path)
