"""Anomaly windows become findings: the gate, episodes of adjacent hours, the finding type."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from trailguard.pipeline.detect.anomaly import Episode, Window, episodes, has_signal, strong_signal
from trailguard.pipeline.detect.judge import evidence_kinds, finding_type
from trailguard.pipeline.findings.evidence import Evidence
from trailguard.pipeline.findings.explanation import Observed

T0 = datetime(2026, 10, 10, 9, tzinfo=UTC)
QUIET = {
    "novel_sensitive_apis": 0,
    "novel_apis": 0,
    "novel_networks": 0,
    "novel_user_agents": 0,
    "novel_countries": 0,
    "n_hostile_agent": 0,
    "n_logging_tamper": 0,
    "denied_rate_delta": 0.0,
    "n_events": 40,
    "novel_peer_sensitive_apis": 0,
    "ctx_cold_start": 0,
}


def _window(principal: str, hour: int, **values: Any) -> Window:
    row = {
        **QUIET,
        "principal_key": principal,
        "account_id": "111122223333",
        "window_start": T0 + timedelta(hours=hour),
        **values,
    }
    return Window(row, 0.7, {})


def test_an_unusual_mix_of_numbers_alone_is_not_a_finding() -> None:
    assert not has_signal(QUIET)


def test_a_new_sensitive_api_or_an_attack_tool_is_a_signal() -> None:
    assert has_signal({**QUIET, "novel_sensitive_apis": 1})
    assert has_signal({**QUIET, "n_hostile_agent": 3})


def test_a_new_network_needs_a_new_agent_or_country_to_count() -> None:
    assert not has_signal({**QUIET, "novel_networks": 1})
    assert has_signal({**QUIET, "novel_networks": 1, "novel_countries": 1})


def test_adjacent_hours_of_one_principal_form_one_episode() -> None:
    flagged = [_window("alice", 0), _window("alice", 1), _window("alice", 2)]
    (episode,) = episodes(flagged)
    assert episode.start == T0 and episode.end == T0 + timedelta(hours=3)


def test_a_gap_or_another_principal_starts_a_new_episode() -> None:
    flagged = [_window("alice", 0), _window("alice", 5), _window("bob", 1)]
    found = list(episodes(flagged))
    assert [(e.principal, e.start.hour) for e in found] == [
        ("alice", 9),
        ("alice", 14),
        ("bob", 10),
    ]


def _evidence(new_categories: list[str | None], sensitive: dict[str, int]) -> Evidence:
    return Evidence(
        unusual={"apis": tuple(Observed("x", 1, c) for c in new_categories)},
        sensitive_calls=sensitive,
    )


def test_the_finding_type_names_the_tactic_of_the_new_apis() -> None:
    episode = Episode("alice", "111122223333", [_window("alice", 0)])
    assert finding_type(episode, _evidence(["discovery", "iam_mutation"], {})) == (
        "Persistence:IAMUser/AnomalousBehavior"
    )
    assert finding_type(episode, _evidence(["discovery"], {"discovery": 30})) == (
        "Discovery:IAMUser/AnomalousBehavior"
    )
    assert finding_type(episode, _evidence([None], {"credential_access": 4})) == (
        "CredentialAccess:IAMUser/AnomalousBehavior"
    )


def test_a_sensitive_api_new_to_the_whole_peer_group_is_a_strong_signal() -> None:
    assert strong_signal({**QUIET, "novel_peer_sensitive_apis": 1})
    # New to the principal only (colleagues call it daily), or a tool's agent: not strong.
    assert not strong_signal({**QUIET, "novel_peer_sensitive_apis": 0, "novel_sensitive_apis": 1})
    assert not strong_signal({**QUIET, "novel_peer_sensitive_apis": 0, "n_hostile_agent": 2})


def test_a_new_principal_setting_itself_up_from_its_peers_networks_is_not_strong() -> None:
    # Judged against its peers (cold start), a first deployment creating roles and functions
    # from the runners and tools its peers use is how new pipelines look.
    setup = {**QUIET, "novel_peer_sensitive_apis": 3, "ctx_cold_start": 1}
    assert not strong_signal(setup)
    # The same calls from a network (or with an agent) none of its peers ever used are.
    assert strong_signal({**setup, "novel_networks": 1})
    assert strong_signal({**setup, "novel_user_agents": 1})


def _changes(*apis: tuple[str, str], **window: Any) -> tuple[Episode, Evidence]:
    """An episode whose new APIs are `apis` ((service:EventName, category)), new to its peers."""
    row = {"novel_sensitive_apis": len(apis), "novel_peer_sensitive_apis": len(apis), **window}
    episode = Episode("deploy", "111122223333", [_window("deploy", 0, **row)])
    return episode, Evidence(unusual={"apis": tuple(Observed(a, 1, c) for a, c in apis)})


def test_changes_the_rules_judge_made_from_the_usual_place_are_no_evidence() -> None:
    # A pipeline applying its code: a bucket policy, an ingress rule, a role's trust, each read
    # by an exact rule (bucket_shared_externally, admin_port_open_to_world, ...) and found fine.
    work = [
        ("s3:PutBucketPolicy", "data_sharing"),
        ("ec2:AuthorizeSecurityGroupIngress", "data_sharing"),
        ("iam:UpdateAssumeRolePolicy", "iam_mutation"),
        ("lambda:UpdateFunctionCode20150331v2", "persistence"),
    ]
    assert evidence_kinds(*_changes(*work)) == []
    # The same changes from a network new to the principal keep their weight.
    assert evidence_kinds(*_changes(*work, novel_networks=1)) == [
        "new sensitive API",
        "new to its peers",
    ]


def test_a_call_no_rule_judges_keeps_its_weight_from_anywhere() -> None:
    # One secret read is routine for a rule that counts (secrets_mass_retrieval), so no rule
    # has judged it: its novelty is the model's to weigh.
    read = ("secretsmanager:GetSecretValue", "credential_access")
    assert evidence_kinds(*_changes(read)) == ["new sensitive API", "new to its peers"]
    assert evidence_kinds(*_changes(read, ("s3:PutBucketPolicy", "data_sharing")))[:1] == [
        "new sensitive API"
    ]


def test_judged_against_its_peers_a_new_api_is_one_kind_of_evidence_not_two() -> None:
    # A principal still without a profile of its own (cold start) is judged against its peers:
    # its new APIs are the ones new to them, the same measurement.
    read = ("secretsmanager:GetSecretValue", "credential_access")
    assert evidence_kinds(*_changes(read, ctx_cold_start=1)) == ["new sensitive API"]
    assert evidence_kinds(*_changes(read, ctx_cold_start=0)) == [
        "new sensitive API",
        "new to its peers",
    ]
