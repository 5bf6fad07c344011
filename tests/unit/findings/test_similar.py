"""'Suppress similar': the rule an archived finding makes matches the same behaviour by the same
family of principal, and nothing else; it has an owner, a reason and an expiry."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.unit.findings.test_store import a_finding
from trailguard.pipeline.findings.evidence import Evidence
from trailguard.pipeline.findings.similar import append_rule, similar_to
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
        # An IAM user belongs to its account (root too, and by place: below).
        (
            "arn:aws:iam::111122223333:user/ci",
            "arn:aws:iam::111122223333:user/ci",
            "arn:aws:iam::444455556666:user/ci",
        ),
    ],
)
def test_the_family_of_a_principal(principal: str, same_family: str, other: str) -> None:
    rule = similar_to(a_finding(principal=principal), owner="ana", reason="known", now=NOW)
    assert rule.matches(a_finding(principal=same_family))
    assert not rule.matches(a_finding(principal=other))


@pytest.mark.parametrize(
    "other",
    [
        # A name an attacker picks is not the family because it starts like it.
        "arn:aws:iam::111122223333:role/github-actions-deploy-prod-admin",
        # A permission set whose name starts like the finding's is another permission set.
        "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_FullAccess_0a1b2c3d4e5f6a7b/alice@x.com",
        # A path holding `:role/` is not the account part of another role's ARN.
        "arn:aws:iam::999999999999:role/x:role/github-actions-deploy-348",
    ],
)
def test_a_family_is_matched_exactly_never_as_a_glob(other: str) -> None:
    for principal in (DEPLOY, ALICE):
        rule = similar_to(a_finding(principal=principal), owner="ana", reason="r", now=NOW)
        assert not rule.matches(a_finding(principal=other))


def test_a_root_rule_names_the_network_root_acted_from() -> None:
    root = "arn:aws:iam::111122223333:root"
    office = a_finding(principal=root, evidence=Evidence(source_ips=("198.51.100.7",)))
    rule = similar_to(office, owner="ana", reason="billing", now=NOW)

    assert str(rule.network) == "198.51.100.0/24"
    assert rule.matches(a_finding(principal=root, evidence=Evidence(source_ips=("198.51.100.9",))))
    stolen = a_finding(principal=root, evidence=Evidence(source_ips=("45.9.148.3",)))
    assert not rule.matches(stolen)


def test_root_from_several_networks_makes_no_rule() -> None:
    root = a_finding(
        principal="arn:aws:iam::111122223333:root",
        evidence=Evidence(source_ips=("198.51.100.7", "45.9.148.3")),
    )
    with pytest.raises(ValueError, match="from 2 network"):
        similar_to(root, owner="ana", reason="r", now=NOW)


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


@pytest.mark.parametrize(
    "text",
    ['a "quoted" \\ back', "line\nbreak\ttab", "emoji 😀 and é", "del \x7f nul \x00", "\u2028"],
)
def test_any_owner_or_reason_reads_back_exactly(tmp_path: Path, text: str) -> None:
    path = tmp_path / "suppression.toml"
    append_rule(path, similar_to(a_finding(), owner=text, reason=text, now=NOW))
    (rule,) = load_suppression(path).rules
    assert (rule.owner, rule.reason) == (text, text)


def test_appending_keeps_the_files_mode_and_its_symlink(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "rules.toml"
    real.parent.mkdir()
    real.write_text("# shared rules\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "suppression.toml"
    link.symlink_to(real)

    append_rule(link, similar_to(a_finding(), owner="ana", reason="r", now=NOW))

    assert link.is_symlink() and (real.stat().st_mode & 0o777) == 0o640
    assert len(load_suppression(link).rules) == 1
