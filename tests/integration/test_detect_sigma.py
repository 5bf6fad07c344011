"""Sigma rules run by DuckDB over a real lake: every bundled rule against events built from its
own detection (a match, and near misses that each break one condition), Sigma's semantics where
CloudTrail tests them, rule text that tries to reach SQL, and findings that credit their rule
(its id and author, DRL 1.1) in storage, on reruns and in every export."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from sigma.rule import SigmaRule

from tests.factories import assumed_role_identity, cloudtrail_event
from tests.helpers.sigma_events import holds, negatives, positive
from tests.unit.features.lakes import START, make_lake
from trailguard.models.sigma.pack import BUNDLED_ALL, load_pack
from trailguard.pipeline.cli.main import main
from trailguard.pipeline.detect.detect import run_detection
from trailguard.pipeline.detect.sigma_findings import run_sigma
from trailguard.pipeline.export import asff, hec, ocsf, syslog
from trailguard.pipeline.findings.credit import credit_of
from trailguard.pipeline.findings.store import Finding, finding_id, load_findings
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.views import open_lake_reader

RULES = resources.files("trailguard.models.sigma") / "rules"
RULE_FILES = sorted(f.name for f in RULES.iterdir() if f.name.endswith(".yml"))
# Values the solver cannot invent: a string matching the rule's regular expression.
HINTS = {"userIdentity.arn": "arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0abc1234"}
ACCOUNT = "111122223333"


@dataclass(frozen=True)
class Case:
    """A bundled rule's events: one it matches, and its near misses."""

    rule_id: str
    positive: str
    negatives: tuple[str, ...]


Bundled = tuple[dict[str, Case], dict[str, set[str]]]  # cases by file, matched event ids by rule


def _timed(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records a second apart on the first day of the lake."""
    for n, record in enumerate(records):
        record["eventTime"] = f"{START:%Y-%m-%d}T08:{n // 60:02d}:{n % 60:02d}Z"
    return records


def _matched(findings: list[Finding]) -> dict[str, set[str]]:
    """Rule id -> ids of the events its findings hold."""
    found: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        found[f.detector.removeprefix("sigma.")].update(e.event_id or "" for e in f.evidence.events)
    return found


def _run(lake: Path, sources: list[str]) -> list[Finding]:
    with open_lake_reader(lake) as con:
        return run_sigma(con, load_pack(sources), samples=10_000)


@pytest.fixture(scope="module")
def bundled(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, Case], dict[str, set[str]]]:
    """Every bundled rule's events in one lake, and what the compiled rules matched in it."""
    cases: dict[str, Case] = {}
    records: list[dict[str, Any]] = []
    for name in RULE_FILES:
        rule = SigmaRule.from_yaml((RULES / name).read_text("utf-8"))
        good, bad = positive(rule, HINTS), negatives(rule, HINTS)
        # The generator itself first: Sigma's own semantics judge its events.
        assert holds(rule, good) and not any(holds(rule, b) for b in bad), name
        cases[name] = Case(str(rule.id), good["eventID"], tuple(b["eventID"] for b in bad))
        records += [good, *bad]
    lake = make_lake(tmp_path_factory.mktemp("sigma"), _timed(records))
    return cases, _matched(_run(lake, [BUNDLED_ALL]))


@pytest.mark.parametrize("name", RULE_FILES)
def test_sigma_bundled_rule_matches_its_event_and_none_of_its_near_misses(
    name: str, bundled: Bundled
) -> None:
    cases, matched = bundled
    case = cases[name]
    assert case.positive in matched[case.rule_id]
    assert not set(case.negatives) & matched[case.rule_id]


def _folder(tmp_path: Path, *rules: str) -> Path:
    folder = tmp_path / "sigma"
    folder.mkdir(exist_ok=True)
    for n, text in enumerate(rules):
        (folder / f"rule{n}.yml").write_text(text, encoding="utf-8")
    return folder


def _rule(rule_id: str, detection: str, **meta: str) -> str:
    head = {"title": "test rule", "id": rule_id, "author": "Test Author", "level": "high"}
    head |= meta
    lines = [f"{k}: {v}" for k, v in head.items()]
    lines += ["tags:", "    - attack.defense-impairment", "    - attack.t1685"]
    lines += ["logsource:", "    product: aws", "    service: cloudtrail", "detection:"]
    return "\n".join(lines) + "\n" + detection


QUOTED = "00000000-0000-4000-8000-00000000000a"
UNDERSCORE = "00000000-0000-4000-8000-00000000000b"
REGEX = "00000000-0000-4000-8000-00000000000c"


def test_sigma_rule_text_with_quotes_matches_literally_and_injects_nothing(tmp_path: Path) -> None:
    rules = _folder(
        tmp_path,
        _rule(QUOTED, "    sel:\n        userAgent: \"x' OR '1'='1\"\n    condition: sel\n"),
        _rule(UNDERSCORE, "    sel:\n        userAgent|contains: 'a_b%c'\n    condition: sel\n"),
        _rule(REGEX, "    sel:\n        userAgent|re: '^it''s''\\);'\n    condition: sel\n"),
    )
    agents = ["x' OR '1'='1", "x", "a_b%c", "aXbYc", "it's');DROP TABLE events;--"]
    records = [cloudtrail_event(userAgent=agent) for agent in agents]
    lake = make_lake(tmp_path, _timed(records))
    found = _run(lake, [str(rules)])
    ids = {agent: r["eventID"] for agent, r in zip(agents, records, strict=True)}
    assert _matched(found) == {
        QUOTED: {ids["x' OR '1'='1"]},
        UNDERSCORE: {ids["a_b%c"]},  # `_` and `%` of a value are literal, not LIKE wildcards
        REGEX: {ids["it's');DROP TABLE events;--"]},
    }
    with open_lake_reader(lake) as con:
        assert con.execute("SELECT count(*) FROM events").fetchall() == [(5,)]


def _one(records: list[dict[str, Any]], tmp_path: Path) -> dict[str, set[str]]:
    return _matched(_run(make_lake(tmp_path, _timed(records)), [BUNDLED_ALL]))


NO_MFA = "77caf516-34e5-4df9-b4db-20744fea0a60"
FUNCTION_URL = "ec541962-c05a-4420-b9ea-84de072d18f4"
S3_BROWSER_POLICY = "db014773-7375-4f4e-b83b-133337c0ffee"
ECS_CREDENTIALS = "b94bf91e-c2bf-4047-9c43-c6810f43baad"
EXPORT_FAILURE = "54b9a76a-3c71-4673-b4b3-2edb4566ea7b"


def test_sigma_values_match_regardless_of_case_as_sigma_says(tmp_path: Path) -> None:
    # The rule says MFAUsed 'NO'; CloudTrail writes 'No'.
    login = cloudtrail_event(
        eventSource="signin.amazonaws.com",
        eventName="ConsoleLogin",
        additionalEventData={"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com"},
        responseElements={"ConsoleLogin": "Success"},
    )
    assert login["eventID"] in _one([login], tmp_path)[NO_MFA]


def test_sigma_lambda_event_names_match_without_their_api_version(tmp_path: Path) -> None:
    url = cloudtrail_event(
        eventSource="lambda.amazonaws.com", eventName="CreateFunctionUrlConfig20211031"
    )
    assert url["eventID"] in _one([url], tmp_path)[FUNCTION_URL]


def test_sigma_matches_a_policy_document_as_siems_show_it_unescaped(tmp_path: Path) -> None:
    # policyDocument is JSON inside a string: its quotes are escaped in the request's JSON.
    document = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],'
        '"Resource":["arn:aws:s3:::<YOUR-BUCKET-NAME>/*"]}]}'
    )
    policy = cloudtrail_event(
        eventName="PutUserPolicy",
        userAgent="S3 Browser 11.5.7 https://s3browser.com",
        requestParameters={"userName": "bob", "policyName": "p", "policyDocument": document},
    )
    assert policy["eventID"] in _one([policy], tmp_path)[S3_BROWSER_POLICY]


def test_sigma_reads_every_container_definition_of_an_ecs_task(tmp_path: Path) -> None:
    command = ["sh", "-c", "curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]
    task = cloudtrail_event(
        eventSource="ecs.amazonaws.com",
        eventName="RegisterTaskDefinition",
        requestParameters={
            "family": "web",
            "containerDefinitions": [
                {"name": "web", "image": "nginx", "command": ["nginx"]},
                {"name": "side", "image": "alpine", "command": command},
            ],
        },
    )
    assert task["eventID"] in _one([task], tmp_path)[ECS_CREDENTIALS]


def test_sigma_not_on_an_absent_field_still_matches(tmp_path: Path) -> None:
    # `not 1 of filter*` on errorMessage / errorCode: absent in a successful call.
    export = cloudtrail_event(
        eventSource="ec2.amazonaws.com",
        eventName="CreateInstanceExportTask",
        responseElements={"exportTask": {"state": "active"}},
    )
    failed = cloudtrail_event(
        eventSource="ec2.amazonaws.com",
        eventName="CreateInstanceExportTask",
        errorCode="Client.UnauthorizedOperation",
    )
    assert _one([export, failed], tmp_path)[EXPORT_FAILURE] == {export["eventID"]}


STOP = "00000000-0000-4000-8000-0000000000d1"
STOP_RULE = _rule(
    STOP,
    "    sel:\n        eventName: StopLogging\n    condition: sel\n",
    title="Trail stopped",
    author="Jane O'Example",
)


def _stop(hour: int) -> dict[str, Any]:
    return cloudtrail_event(
        eventTime=f"{START:%Y-%m-%d}T{hour:02d}:00:00Z",
        eventSource="cloudtrail.amazonaws.com",
        eventName="StopLogging",
        requestParameters={"name": "org-trail"},
        userIdentity=assumed_role_identity("admin", "jane"),
    )


def _stored(lake: Path) -> list[Finding]:
    with open_db(lake, read_only=True) as con:
        return [f for f in load_findings(con) if f.detector.startswith("sigma.")]


def test_sigma_findings_are_stored_credited_and_updated_on_rerun(tmp_path: Path) -> None:
    rules = _folder(tmp_path, STOP_RULE)
    lake = make_lake(tmp_path, [_stop(9)], "morning")
    stats = run_detection(lake, sigma=[str(rules)])
    assert stats.sigma_findings == 1
    (finding,) = _stored(lake)
    principal = "arn:aws:sts::111122223333:assumed-role/admin/jane"
    day = f"{START:%Y-%m-%d}"
    assert finding.finding_id == finding_id(f"sigma.{STOP}", principal, f"{ACCOUNT}/{day}")
    assert finding.type == "DefenseImpairment:IAMUser/SigmaRule"
    assert finding.severity == 7.0 and finding.severity_label == "High"
    assert finding.description.startswith(
        f'Sigma rule "Trail stopped" ({STOP}) by Jane O\'Example; {rules}'
    )
    credit = credit_of(finding.evidence)
    assert credit is not None and (credit.rule_id, credit.author) == (STOP, "Jane O'Example")
    assert finding.evidence.extra["attack"] == ["T1685"]

    make_lake(tmp_path, [_stop(15)], "afternoon")
    again = run_detection(lake, sigma=[str(rules)])
    assert (again.created, again.sigma_findings) == (0, 1)
    (updated,) = _stored(lake)
    assert updated.finding_id == finding.finding_id and updated.event_count == 2
    assert run_detection(lake, sigma=[str(rules)]).updated == 0  # nothing new: unchanged


def test_detection_without_sigma_runs_no_sigma_rule(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, [_stop(9)])
    stats = run_detection(lake, sigma=())
    assert stats.sigma_findings == 0 and _stored(lake) == []


def test_a_sigma_filter_in_a_folder_tunes_a_bundled_rule(tmp_path: Path) -> None:
    # Identity Center logins always say MFAUsed "No" (the IdP did the MFA): a filter, beside
    # the bundled pack, leaves the rule to IAM users without editing it.
    tuning = (
        "title: Identity Center logins report no MFA\nid: 00000000-0000-4000-8000-0000000000f1\n"
        "logsource:\n    product: aws\n    service: cloudtrail\nfilter:\n    rules:\n"
        f"        - {NO_MFA}\n    selection:\n        userIdentity.type: AssumedRole\n"
        "    condition: not selection\n"
    )
    folder = _folder(tmp_path, tuning)
    login = {
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "additionalEventData": {"MFAUsed": "No"},
        "responseElements": {"ConsoleLogin": "Success"},
    }
    user = cloudtrail_event(**login)
    sso = cloudtrail_event(**login, userIdentity=assumed_role_identity("AWSReservedSSO_x", "ann"))
    lake = make_lake(tmp_path, _timed([user, sso]))
    assert _matched(_run(lake, [BUNDLED_ALL]))[NO_MFA] == {user["eventID"], sso["eventID"]}
    assert _matched(_run(lake, [BUNDLED_ALL, str(folder)]))[NO_MFA] == {user["eventID"]}


def test_every_export_of_a_sigma_finding_credits_its_rule(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, [_stop(9)])
    run_detection(lake, sigma=[str(_folder(tmp_path, STOP_RULE))])
    (finding,) = _stored(lake)
    arn = "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
    payloads = {
        "ocsf": str(ocsf.to_payload(finding)),
        "hec": str(hec.to_payload(finding)),
        "syslog json": syslog.to_payload(finding).decode(),
        "cef": syslog.to_cef(finding),
        "asff": str(
            asff.to_payload(finding, product_arn=arn, account_id=ACCOUNT, region="us-east-1")
        ),
    }
    for name, payload in payloads.items():
        assert STOP in payload and "Jane O" in payload, name


def test_trailguard_detect_takes_sigma_folders_or_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = _folder(tmp_path, STOP_RULE)
    lake = make_lake(tmp_path, [_stop(9)])
    assert main(["detect", "--lake", str(lake), "--no-sigma"]) == 0
    assert "Sigma findings 0" in capsys.readouterr().out
    assert main(["detect", "--lake", str(lake), "--sigma", str(rules)]) == 0
    assert "Sigma findings 1" in capsys.readouterr().out
    monkeypatch.setenv("TRAILGUARD_SIGMA_RULES", "none")
    assert main(["detect", "--lake", str(lake)]) == 0
    assert "Sigma findings 0" in capsys.readouterr().out
    assert main(["detect", "--lake", str(lake), "--sigma", str(tmp_path / "missing")]) == 2
    assert "Sigma rules folder not found" in capsys.readouterr().err


def test_security_hub_and_cef_name_the_sigma_rule_in_fields_of_their_own(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, [_stop(9)])
    run_detection(lake, sigma=[str(_folder(tmp_path, STOP_RULE))])
    (finding,) = _stored(lake)
    fields = asff.product_fields(finding)
    assert fields["trailguard/RuleId"] == STOP
    assert fields["trailguard/RuleAuthor"] == "Jane O'Example"
    assert syslog.cef_extension(finding)["cs6Label"] == "sigmaRule"


SSM_COMMAND = "38e7f511-3f74-41d4-836e-f57dfa18eead"  # SigmaHQ's high SSM SendCommand rule
LOGIN_PROFILE = "055fb148-60f8-462d-ad16-26926ce050f1"  # high: another user's password changed


def _made_by(service: str, role: str, **fields: Any) -> dict[str, Any]:
    """A call `service` makes with `role`'s session while carrying out a workflow."""
    identity = {**assumed_role_identity(role, "workflow", ACCOUNT), "invokedBy": service}
    return cloudtrail_event(
        userIdentity=identity, sourceIPAddress=service, userAgent=service, **fields
    )


def _sigma_by_principal(tmp_path: Path, records: list[dict[str, Any]]) -> dict[str, Finding]:
    lake = make_lake(tmp_path, _timed(records))
    return {f"{f.principal.split('/')[-2]} {f.detector[6:]}": f for f in _run(lake, [BUNDLED_ALL])}


def test_a_command_an_experiment_or_a_maintenance_window_runs_is_low(tmp_path: Path) -> None:
    command = {"eventSource": "ssm.amazonaws.com", "eventName": "SendCommand"}
    found = _sigma_by_principal(
        tmp_path,
        [
            _made_by("fis.amazonaws.com", "FISExperimentRole", **command),
            _made_by("ssm.amazonaws.com", "MaintenanceWindowRole", **command),
            cloudtrail_event(**command),  # a person's own command
        ],
    )
    fis, window = (
        found[f"FISExperimentRole {SSM_COMMAND}"],
        found[f"MaintenanceWindowRole {SSM_COMMAND}"],
    )
    person = next(f for key, f in found.items() if "Role" not in key)
    assert fis.severity < 4.0 and window.severity < 4.0 <= person.severity == 7.0
    assert "made by fis.amazonaws.com on its behalf" in fis.description
    assert fis.evidence.extra["made_by_service"] is True
    assert "made_by_service" not in person.evidence.extra


def test_a_principal_sending_a_command_itself_the_same_day_keeps_the_rule_level(
    tmp_path: Path,
) -> None:
    command = {"eventSource": "ssm.amazonaws.com", "eventName": "SendCommand"}
    own = cloudtrail_event(
        userIdentity=assumed_role_identity("Ops", "workflow", ACCOUNT), **command
    )
    found = _sigma_by_principal(tmp_path, [_made_by("ssm.amazonaws.com", "Ops", **command), own])
    assert found[f"Ops {SSM_COMMAND}"].severity == 7.0


def test_identity_changes_made_through_a_service_keep_the_rule_level(tmp_path: Path) -> None:
    # A stolen key's backdoor through a stack, or a runbook changing another user's password.
    password = {
        "eventSource": "iam.amazonaws.com",
        "eventName": "UpdateLoginProfile",
        "requestParameters": {"userName": "alice"},
    }
    found = _sigma_by_principal(
        tmp_path,
        [
            _made_by("cloudformation.amazonaws.com", "StackCaller", **password),
            _made_by("ssm.amazonaws.com", "RunbookRole", **password),
        ],
    )
    assert found[f"StackCaller {LOGIN_PROFILE}"].severity == 7.0
    assert found[f"RunbookRole {LOGIN_PROFILE}"].severity == 7.0
