"""The canonical payload: OCSF 1.6 Detection Finding, checked against the schema sources."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.helpers.findings import T0, ml_finding, rule_finding
from tests.helpers.golden import assert_golden
from tests.helpers.ocsf import requirement, validate_event
from trailguard.pipeline.export.ocsf import severity_id, to_payload
from trailguard.pipeline.findings.evidence import Evidence
from trailguard.pipeline.findings.store import Finding

STANDARD = {"rule": rule_finding, "ml": ml_finding}


@pytest.mark.parametrize("kind", sorted(STANDARD))
def test_standard_findings_match_their_golden_ocsf_payload(kind: str) -> None:
    assert_golden(f"ocsf_{kind}.json", to_payload(STANDARD[kind]()))


VARIANTS: dict[str, Finding] = {
    "rule": rule_finding(),
    "ml": ml_finding(),
    "updated": ml_finding(version=3, event_count=412, last_seen=T0 + timedelta(hours=3)),
    "archived": rule_finding(status="archived"),
    "archived by a person": rule_finding(
        status="archived", status_by="ana", status_reason="quarterly access review", status_at=T0
    ),
    "archived by a suppression rule": rule_finding(
        status="archived", status_by="suppression", status_reason="scanner role", status_at=T0
    ),
    "unarchived by a person": rule_finding(
        status_by="ana", status_reason="not the auditor after all", status_at=T0
    ),
    "no account, region or evidence": rule_finding(
        account_id=None, region=None, evidence=Evidence()
    ),
    "root, policy type": rule_finding(
        principal="arn:aws:iam::111122223333:root",
        type="Policy:IAMUser/RootCredentialUsage",
        severity=2.0,
    ),
    "instance credentials outside AWS": rule_finding(
        principal="arn:aws:iam::111122223333:role/web-app",
        type="UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        evidence=Evidence.from_json({"unusual": {"networks": {"198.51.100.9": 14}}, "events": []}),
    ),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_payload_is_a_valid_ocsf_1_6_detection_finding(name: str) -> None:
    payload = to_payload(VARIANTS[name])

    assert validate_event(payload, "detection_finding") == []
    assert payload["class_uid"] == 2004
    assert payload["metadata"]["version"] == "1.6.0"


def test_payload_fills_every_required_and_applicable_recommended_attribute() -> None:
    profiles = ("cloud",)
    payload = to_payload(ml_finding())
    # status_code is an event source's own code: a finding has none. status_detail is filled
    # once someone archived or unarchived the finding (test_an_analysts_archive_... below).
    not_applicable = {"status_code", "status_detail"}

    assert requirement("detection_finding", "required", profiles) <= payload.keys()
    assert requirement("detection_finding", "recommended", profiles) - not_applicable <= (
        payload.keys()
    )


def test_the_cloud_profile_is_declared_because_its_required_cloud_object_is_filled() -> None:
    payload = to_payload(rule_finding())

    assert "cloud" in payload["metadata"]["profiles"]
    assert payload["cloud"] == {
        "provider": "AWS",
        "region": "us-east-1",
        "account": {"uid": "111122223333", "type_id": 10, "type": "AWS Account"},
    }


@pytest.mark.parametrize(
    ("severity", "expected"),
    [(1.0, 2), (3.9, 2), (4.0, 3), (6.9, 3), (7.0, 4), (8.9, 4), (9.5, 5)],
)
def test_guardduty_severity_bands_map_to_ocsf_low_medium_high(
    severity: float, expected: int
) -> None:
    assert severity_id(severity) == expected
    assert to_payload(rule_finding(severity=severity))["severity_id"] == expected


def test_a_new_version_is_an_update_of_the_same_finding_uid() -> None:
    first = to_payload(rule_finding())
    second = to_payload(rule_finding(version=2, event_count=3, revision=9))

    assert (first["activity_id"], first["type_uid"]) == (1, 200401)
    assert (second["activity_id"], second["type_uid"]) == (2, 200402)
    assert first["finding_info"]["uid"] == second["finding_info"]["uid"]
    assert first["metadata"]["uid"] != second["metadata"]["uid"]  # a receiver's dedupe key
    archived = to_payload(rule_finding(version=2, event_count=3, revision=10, status="archived"))
    assert archived["metadata"]["uid"] != second["metadata"]["uid"]  # same version, new change
    assert second["count"] == 3


def test_times_are_epoch_milliseconds_of_first_last_seen_and_update() -> None:
    finding = ml_finding()
    payload = to_payload(finding)

    assert payload["start_time"] == int(finding.first_seen.timestamp() * 1000)
    assert payload["end_time"] == int(finding.last_seen.timestamp() * 1000)
    assert payload["finding_info"]["first_seen_time"] == payload["start_time"]
    assert payload["finding_info"]["last_seen_time"] == payload["end_time"]
    assert finding.updated_at is not None
    assert payload["time"] == int(finding.updated_at.timestamp() * 1000)


def test_analytic_names_the_detector_and_model_version() -> None:
    ml = to_payload(ml_finding())["finding_info"]["analytic"]
    rule = to_payload(rule_finding())["finding_info"]["analytic"]

    assert ml == {
        "uid": "isolation_forest",
        "name": "isolation_forest",
        "type_id": 4,
        "type": "Learning (ML/DL)",
        "version": "iforest-2026.10.01",
    }
    assert rule["type_id"] == 1 and "version" not in rule


def test_principal_is_the_actor_and_the_affected_resource() -> None:
    payload = to_payload(ml_finding())

    user = payload["actor"]["user"]
    assert user["uid"] == "arn:aws:iam::111122223333:role/ci-deployer"
    assert user["name"] == "ci-deployer"
    # The account is an AWS account whatever the principal (type_id 3/4 are deprecated in 1.6).
    assert user["account"] == {"uid": "111122223333", "type_id": 10, "type": "AWS Account"}
    assert payload["resources"][0]["uid"] == user["uid"]
    assert payload["resources"][0]["type"] == "AWS::IAM::Role"


def test_actor_comes_with_the_host_profile_that_defines_it() -> None:
    payload = to_payload(rule_finding())

    assert "actor" in payload and "host" in payload["metadata"]["profiles"]
    assert validate_event(payload) == []


def test_validator_refuses_undeclared_profile_deprecated_enum_and_wrong_caption() -> None:
    payload = to_payload(ml_finding())
    payload["metadata"]["profiles"] = ["cloud"]
    payload["actor"]["user"]["account"].update(type_id=4, type="AWS IAM Role")
    payload["severity"] = "Low" if payload["severity"] != "Low" else "High"

    errors = validate_event(payload)

    assert any("actor: belongs to the 'host' profile" in e for e in errors)
    assert any("account.type_id: 4 is deprecated since 1.6.0" in e for e in errors)
    assert any("detection_finding.severity:" in e and "caption of severity_id" in e for e in errors)


def _analysis(payload: dict[str, Any]) -> dict[str, Any]:
    analyses = payload["anomaly_analyses"]
    assert len(analyses) == 1
    result: dict[str, Any] = analyses[0]
    return result


def _frequency(section: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {
        (x["observation_parameter"], x["observed_pattern"], o["value"])
        for x in section
        if x["observation_type"] == "Frequency Analysis"
        for o in x["observations"]
    }


def test_unusual_behaviour_is_shown_next_to_the_profiled_behaviour() -> None:
    analysis = _analysis(to_payload(ml_finding()))

    unusual = _frequency(analysis["anomalies"])
    profiled = _frequency(analysis["baselines"])
    assert ("api", "UNSEEN", "iam:GetAccountAuthorizationDetails") in unusual
    assert ("user_agent", "UNSEEN", "tool:python-requests") in unusual
    assert ("country", "UNSEEN", "NL") in unusual
    assert ("api", "FREQUENT", "sts:AssumeRole") in profiled
    assert ("api", "INFREQUENT", "s3:GetObject") in profiled
    assert ("api", "RARE", "s3:ListBuckets") in profiled
    assert ("network", "FREQUENT", "AS16509 AMAZON-02") in profiled
    counts = {o["value"]: o.get("count") for a in analysis["anomalies"] for o in a["observations"]}
    assert counts["iam:ListUsers"] == 61  # events with the new value in the episode
    assert analysis["analysis_targets"] == [
        {"name": "arn:aws:iam::111122223333:role/ci-deployer", "type": "Principal"}
    ]


def _features(analysis: dict[str, Any], section: str, pattern: str) -> dict[str, str]:
    return {
        x["observation_parameter"]: x["observations"][0]["value"]
        for x in analysis[section]
        if x["observation_type"] == "Feature Contribution" and x["observed_pattern"] == pattern
    }


def test_feature_contributions_carry_value_baseline_and_peer() -> None:
    analysis = _analysis(to_payload(ml_finding()))

    assert _features(analysis, "anomalies", "ABOVE_BASELINE")["n_apis"] == "41.0"
    assert _features(analysis, "baselines", "BASELINE")["n_apis"] == "6.5"
    assert _features(analysis, "baselines", "PEER")["error_rate"] == "0.02"
    assert "novel_networks" not in _features(analysis, "baselines", "PEER")  # none: not invented


def test_the_short_evidence_spellings_map_the_same_way() -> None:
    finding = ml_finding(
        evidence=Evidence.from_json(
            {
                "features": [{"name": "n_apis", "value": 41, "baseline": 6.5, "peer": 8.0}],
                "unusual": {"apis": ["ListUsers"], "networks": ["203.0.113.77"]},
                "profiled": {"apis": {"frequent": ["AssumeRole"]}},
                "events": ["6d4b2a6e-1111-4c1e-9f00-000000000001"],
            }
        )
    )
    payload = to_payload(finding)
    analysis = _analysis(payload)

    assert validate_event(payload) == []
    assert ("api", "UNSEEN", "ListUsers") in _frequency(analysis["anomalies"])
    assert ("api", "FREQUENT", "AssumeRole") in _frequency(analysis["baselines"])
    assert _features(analysis, "anomalies", "ANOMALOUS") == {"n_apis": "41"}
    assert _features(analysis, "baselines", "PEER") == {"n_apis": "8.0"}
    assert {e["src_endpoint"]["ip"] for e in payload["evidences"] if "src_endpoint" in e} == {
        "203.0.113.77"
    }
    assert payload["finding_info"]["related_events"][0]["uid"].startswith("6d4b2a6e")


def test_evidence_artifacts_name_each_unusual_value_and_sample_event() -> None:
    ml = to_payload(ml_finding())["evidences"]
    rule = to_payload(rule_finding())["evidences"]

    apis = {(e["api"]["service"]["name"], e["api"]["operation"]) for e in ml if "api" in e}
    networks = {e["src_endpoint"]["name"] for e in ml if "src_endpoint" in e}
    asns = {e["src_endpoint"]["autonomous_system"]["number"] for e in ml if "src_endpoint" in e}
    assert apis == {("iam", "ListUsers"), ("iam", "ListRoles"),
                    ("iam", "GetAccountAuthorizationDetails")}  # fmt: skip
    assert networks == {"AS64500 EXAMPLE-TRANSIT"} and asns == {64500}
    event = next(e for e in rule if e["name"] == "CloudTrail event")
    assert event["uid"] == "3038ebd2-c98a-4c65-9b6e-e22506292313"
    assert event["api"] == {
        "operation": "StopLogging",
        "service": {"name": "cloudtrail.amazonaws.com"},
    }
    assert event["src_endpoint"] == {"ip": "198.51.100.23"}
    assert "actor" not in event  # the finding's actor says who; not repeated per artifact
    assert event["data"]["request_parameters"]["name"].endswith(":trail/management-events")


def test_a_rules_own_evidence_is_kept_as_data_and_in_full_in_unmapped() -> None:
    finding = rule_finding()
    payload = to_payload(finding)

    data = [e["data"] for e in payload["evidences"] if e["name"] == "detector evidence"]
    verbatim = {k: v for k, v in finding.evidence.to_json().items() if k != "events"}
    assert data == [verbatim]
    assert payload["unmapped"]["trailguard"]["evidence"] == verbatim  # events: in evidences
    assert payload["unmapped"]["trailguard"]["severity"] == 7.5
    assert payload["finding_info"]["related_events"] == [
        {"uid": "3038ebd2-c98a-4c65-9b6e-e22506292313", "product": {"name": "AWS CloudTrail"}}
    ]
    assert "anomaly_analyses" not in payload  # an exact rule has no baseline to show


def test_observables_pivot_on_principal_source_ips_and_full_user_agents() -> None:
    ml = {(o["type_id"], o["value"]) for o in to_payload(ml_finding())["observables"]}
    rule = {(o["type_id"], o["value"]) for o in to_payload(rule_finding())["observables"]}

    assert ml == {
        (10, "arn:aws:iam::111122223333:role/ci-deployer"),
        (2, "203.0.113.77"),
        (16, "python-requests/2.31.0"),  # the full string; families are not user agents
    }
    assert (2, "198.51.100.23") in rule and len(rule) == 3


def test_archived_findings_are_not_alerts() -> None:
    payload = to_payload(rule_finding(status="archived"))

    assert (payload["status_id"], payload["status"], payload["is_alert"]) == (5, "Archived", False)


def test_an_analysts_archive_says_who_and_why_and_is_no_longer_an_alert() -> None:
    decided_at = T0 + timedelta(days=1)
    finding = rule_finding(
        status="archived", status_by="ana", status_reason="approved change CHG-1182",
        status_at=decided_at, revision=7,
    )  # fmt: skip

    payload = to_payload(finding)

    assert (payload["status_id"], payload["status"], payload["is_alert"]) == (5, "Archived", False)
    assert payload["status_detail"] == "Archived by ana: approved change CHG-1182"
    assert payload["comment"] == "approved change CHG-1182"  # "a user provided comment"
    assert payload["unmapped"]["trailguard"]["decision"] == {
        "action": "archive",
        "by": "ana",
        "reason": "approved change CHG-1182",
        "at": decided_at.isoformat(),
    }


def test_a_finding_a_person_unarchived_is_an_alert_again_and_in_progress_not_new() -> None:
    # OCSF's New is "yet to be reviewed"; In Progress is "under review": a person has just
    # reviewed it and chosen to keep it open.
    payload = to_payload(
        rule_finding(status_by="ana", status_reason="the change was never approved", status_at=T0)
    )

    assert (payload["status_id"], payload["status"], payload["is_alert"]) == (
        2,
        "In Progress",
        True,
    )
    assert payload["status_detail"] == "Unarchived by ana: the change was never approved"
    assert payload["unmapped"]["trailguard"]["decision"]["action"] == "unarchive"


def test_a_suppression_rules_archive_is_detailed_but_is_no_persons_comment() -> None:
    payload = to_payload(
        rule_finding(
            status="archived", status_by="suppression", status_reason="Prowler's nightly scan"
        )
    )

    assert payload["status_detail"] == "Archived by a suppression rule: Prowler's nightly scan"
    assert "comment" not in payload
    assert payload["unmapped"]["trailguard"]["decision"]["by"] == "suppression"


def test_an_undecided_finding_carries_no_decision() -> None:
    payload = to_payload(rule_finding())

    assert (payload["status_id"], payload["status"]) == (1, "New")
    assert {"status_detail", "comment"}.isdisjoint(payload)
    assert "decision" not in payload["unmapped"]["trailguard"]
