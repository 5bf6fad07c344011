"""Sigma packs: the bundled SigmaHQ rules all compile (or are listed unsupported, with a reason),
a folder's rules are kept or skipped with a reason, field names and values never reach SQL as
rule text, and the finding type and severity follow the rule's tags and level."""

from __future__ import annotations

import socket
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from trailguard.models.sigma import classify
from trailguard.models.sigma.fields import render_field, to_lake_field
from trailguard.models.sigma.pack import (
    BUNDLED,
    BUNDLED_ALL,
    BUNDLED_LICENCE,
    BUNDLED_PACK,
    SigmaQuery,
    Skipped,
    _RuleFile,
    bind_error,
    compile_file,
    load_pack,
    read_rule_files,
    unsupported,
)

RULES = resources.files("trailguard.models.sigma") / "rules"


def _rule(
    detection: str, *, rule_id: str = "6f3c1a0e-0000-4000-8000-000000000001", **meta: str
) -> str:
    head = {"title": "test rule", "id": rule_id, "level": "high", **meta}
    lines = [f"{k}: {v}" for k, v in head.items() if v]
    lines += ["logsource:", "    product: aws", "    service: cloudtrail", "detection:"]
    return "\n".join(lines) + "\n" + detection


def _compile(text: str) -> list[SigmaQuery | Skipped | None]:
    return compile_file(_RuleFile("test", "rule.yml", text, None))


def test_the_bundled_sigma_pack_ships_57_rules_with_their_source_and_licence() -> None:
    names = sorted(f.name for f in RULES.iterdir())
    assert len([n for n in names if n.endswith(".yml")]) == 57
    assert {"SOURCE.md", "LICENSE.Detection.Rules.md"} <= set(names)
    assert "Detection Rule License" in (RULES / "LICENSE.Detection.Rules.md").read_text("utf-8")


def test_every_bundled_sigma_rule_compiles_or_is_listed_unsupported_with_a_reason() -> None:
    pack = load_pack([BUNDLED_ALL])
    compiled = {q.path for q in pack.queries}
    skipped = {s.path: s.reason for s in pack.skipped}
    assert len(compiled) + len(skipped) == 57
    assert skipped == unsupported()  # nothing fails that is not listed, with its reason
    assert all(reason.strip() for reason in unsupported().values())
    assert pack.other_logsources == 0
    assert all(q.pack == BUNDLED_PACK and q.licence == BUNDLED_LICENCE for q in pack.queries)
    assert all(q.author and q.rule_id and q.level for q in pack.queries)


def test_a_rule_listed_unsupported_really_does_not_compile() -> None:
    # The list stays honest: a listed rule that compiles today should be taken off it.
    for item in read_rule_files(BUNDLED_ALL):
        if item.path in unsupported():
            direct = _RuleFile("elsewhere", item.path, item.text, None)
            assert all(isinstance(r, Skipped) for r in compile_file(direct)), item.path


def test_loading_the_sigma_pack_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("Sigma loading tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert len(load_pack([BUNDLED_ALL]).queries) >= 50


def test_a_sigma_folder_keeps_cloudtrail_rules_and_skips_the_rest_with_reasons(
    tmp_path: Path,
) -> None:
    selection = "    sel:\n        eventName: StopLogging\n    condition: sel\n"
    (tmp_path / "good.yml").write_text(_rule(selection))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "again.yaml").write_text(_rule(selection))  # the same id
    (tmp_path / "windows.yml").write_text(
        _rule(selection).replace("product: aws", "product: windows")
    )
    (tmp_path / "no_id.yml").write_text(_rule(selection, rule_id=""))
    (tmp_path / "broken.yml").write_text("title: [unclosed\n")
    (tmp_path / "modifier.yml").write_text(
        _rule("    sel:\n        eventName|nosuch: x\n    condition: sel\n", rule_id=_id(2))
    )
    (tmp_path / "keywords.yml").write_text(
        _rule("    keywords:\n        - mimikatz\n    condition: keywords\n", rule_id=_id(3))
    )
    (tmp_path / "README.md").write_text("not a rule")
    pack = load_pack([str(tmp_path)])
    assert [q.path for q in pack.queries] == ["good.yml"]
    reasons = {s.path: s.reason for s in pack.skipped}
    assert reasons["sub/again.yaml"] == "duplicate rule id"
    assert reasons["no_id.yml"].startswith("no `id`")
    assert reasons["broken.yml"].startswith("not a readable Sigma file")
    assert "nosuch" in reasons["modifier.yml"]
    assert reasons["keywords.yml"].startswith("cannot be compiled")
    assert pack.other_logsources == 1


def test_a_sigma_correlation_rule_is_skipped_with_its_reason() -> None:
    text = (
        "title: many stops\nid: " + _id(4) + "\ncorrelation:\n    type: event_count\n"
        "    rules:\n        - " + _id(5) + "\n    group-by:\n        - userIdentity.arn\n"
        "    timespan: 1h\n    condition:\n        gte: 3\n"
    )
    stops = "    sel:\n        eventName: StopLogging\n    condition: sel\n"
    single, correlation = _compile(_rule(stops, rule_id=_id(5)) + "---\n" + text)
    assert isinstance(single, SigmaQuery)
    assert isinstance(correlation, Skipped) and "correlation" in correlation.reason


def test_a_missing_sigma_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="Sigma rules folder not found"):
        load_pack([str(tmp_path / "nope")])


def test_a_field_name_with_a_quote_never_reaches_sql() -> None:
    detection = "    sel:\n        requestParameters.a'b: x\n    condition: sel\n"
    (result,) = _compile(_rule(detection))
    assert isinstance(result, Skipped) and "segment" in result.reason


def test_a_value_with_quotes_is_quoted_into_one_sql_literal() -> None:
    detection = '    sel:\n        eventName: "x\' OR 1=1 --"\n    condition: sel\n'
    (result,) = _compile(_rule(detection))
    assert isinstance(result, SigmaQuery)
    assert result.predicate == "(event_name_base='x'' OR 1=1 --' COLLATE NOCASE)"


def test_a_regular_expression_re2_cannot_run_is_skipped_when_the_pack_loads() -> None:
    # DuckDB's engine is RE2, as pySigma's check is: no look-behind.
    detection = "    sel:\n        userAgent|re: '(?<=a)b'\n    condition: sel\n"
    (result,) = _compile(_rule(detection))
    assert isinstance(result, Skipped) and "invalid" in result.reason


def test_a_predicate_duckdb_refuses_is_caught_before_a_run() -> None:
    assert bind_error("event_name_base = 'x'") is None
    assert "no_such_function" in (bind_error("no_such_function(event_name_base)") or "")
    assert bind_error("no_such_column = 'x'") is not None


def _id(n: int) -> str:
    return f"6f3c1a0e-0000-4000-8000-{n:012d}"


@pytest.mark.parametrize(
    ("sigma", "lake"),
    [
        ("eventName", "event_name_base"),
        ("userIdentity.arn", "identity_arn"),
        ("userIdentity.sessionContext.sessionIssuer.type", "session_issuer_type"),
        (
            "userIdentity.sessionContext.attributes.mfaAuthenticated",
            "user_identity.sessionContext.attributes.mfaAuthenticated",
        ),
        ("requestParameters.bucketName", "request_parameters.bucketName"),
        ("responseElements", "response_elements"),
        ("additionalEventData.MFAUsed", "additional_event_data.MFAUsed"),
        ("serviceEventDetails.x", "service_event_details.x"),
        ("recipientAccountId", "recipient_account_id"),
        ("edgeDeviceDetails.type", "extra.edgeDeviceDetails.type"),
    ],
)
def test_sigma_cloudtrail_fields_map_to_lake_columns_and_json_paths(sigma: str, lake: str) -> None:
    assert to_lake_field(sigma) == lake


def test_sigma_lake_fields_render_as_duckdb_expressions() -> None:
    assert render_field("identity_arn") == "identity_arn"
    assert render_field("read_only") == "CAST(read_only AS VARCHAR)"
    assert (
        render_field("request_parameters.bucketName")
        == "json_extract_string(request_parameters, '$.\"bucketName\"')"
    )
    assert "[*]" in render_field("request_parameters.containerDefinitions.command")
    assert render_field("request_parameters") == "replace(request_parameters, '\\\"', '\"')"
    for refused in ("no_such_column", "identity_arn.x", "request_parameters.a b"):
        with pytest.raises(Exception, match=r"not in the lake|segment"):
            render_field(refused)


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (("attack.defense-impairment", "attack.t1685.002"), "DefenseImpairment:IAMUser/SigmaRule"),
        (("attack.t1078", "attack.stealth", "attack.persistence"), "Stealth:IAMUser/SigmaRule"),
        (
            ("attack.lateral-movement", "attack.privilege-escalation"),
            "LateralMovement:IAMUser/SigmaRule",
        ),
        (("attack.t1078", "cve.2024-1"), "Policy:IAMUser/SigmaRule"),
    ],
)
def test_sigma_finding_type_comes_from_the_first_tactic_tag(
    tags: tuple[str, ...], expected: str
) -> None:
    assert classify.finding_type(tags) == expected


def test_sigma_severity_follows_the_level_on_guardduty_scale() -> None:
    levels = ["informational", "low", "medium", "high", "critical"]
    severities = [classify.severity(level) for level in levels]
    assert severities == sorted(severities)
    assert [s < 4.0 for s in severities] == [True, True, False, False, False]
    assert classify.severity("critical") < 9.0  # 9-10 is GuardDuty's, for attack sequences
    assert classify.severity(None) == classify.severity("medium")
    assert classify.techniques(("attack.t1685.002", "attack.stealth")) == ("T1685.002",)


def test_the_default_bundled_pack_leaves_off_low_rules_and_those_an_exact_rule_reports() -> None:
    default, everything = load_pack([BUNDLED]), load_pack([BUNDLED_ALL])
    held = {s.path: s.reason for s in default.held_back}

    assert {q.rule_id for q in default.queries} | {s.rule_id for s in default.held_back} == {
        q.rule_id for q in everything.queries
    }
    assert all(q.level in ("medium", "high", "critical") for q in default.queries)
    assert "aws_sts_assumerole_misuse.yml" in held  # level low: every role session matches
    assert "rules.root_credential_usage" in held["aws_root_account_usage.yml"]
    assert "Identity Center" in held["aws_cloudtrail_console_login_success_without_mfa.yml"]
    assert everything.held_back == ()
