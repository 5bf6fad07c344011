"""MITRE ATT&CK (Enterprise, cloud) tactic and technique implied by a GuardDuty-style finding type.

A type reads `ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.DetectionMechanism`. The
purpose names the tactic; a few families name a technique precisely (disabling CloudTrail is
T1562.008). The exact rules' own types (docs/detection.md) name the ATT&CK technique itself as
the family, as GuardDuty's Custom Detection Rules do (`CredentialAccess:EC2/UnsecuredCredentials`),
and each such family maps to its technique here. Where the type implies nothing (`Policy:`,
`PenTest:`) there is no mapping rather than a guess: a wrong technique sends an analyst down the
wrong playbook.
"""

from __future__ import annotations

from dataclasses import dataclass

ATTACK_VERSION = "16.1"
_URL = "https://attack.mitre.org"


@dataclass(frozen=True)
class Technique:
    """An ATT&CK tactic, and the technique / sub-technique when the type names one."""

    tactic_uid: str
    tactic_name: str
    technique_uid: str | None = None
    technique_name: str | None = None
    sub_technique_uid: str | None = None
    sub_technique_name: str | None = None


# (tactic id, name) by the purpose a type names; the exports and the attack sequences read it.
TACTICS: dict[str, tuple[str, str]] = {
    "InitialAccess": ("TA0001", "Initial Access"),
    "Execution": ("TA0002", "Execution"),
    "Persistence": ("TA0003", "Persistence"),
    "PrivilegeEscalation": ("TA0004", "Privilege Escalation"),
    "DefenseEvasion": ("TA0005", "Defense Evasion"),
    "Stealth": ("TA0005", "Defense Evasion"),  # GuardDuty's name for evasion of its own logs
    # GuardDuty's Custom Detection Rules' tactic (ATT&CK 18 splits Defense Evasion in two).
    "DefenseImpairment": ("TA0005", "Defense Evasion"),
    "CredentialAccess": ("TA0006", "Credential Access"),
    "Discovery": ("TA0007", "Discovery"),
    "Recon": ("TA0007", "Discovery"),  # GuardDuty's Recon:IAMUser is API enumeration
    "LateralMovement": ("TA0008", "Lateral Movement"),
    "Exfiltration": ("TA0010", "Exfiltration"),
    "Impact": ("TA0040", "Impact"),
}

_CLOUD_CREDENTIALS = ("T1098", "Account Manipulation", "T1098.001", "Additional Cloud Credentials")
_CLOUD_ROLES = ("T1098", "Account Manipulation", "T1098.003", "Additional Cloud Roles")
_CLOUD_COMMAND = ("T1651", "Cloud Administration Command", None, None)

# (purpose, family) -> (technique, name, sub-technique, name); family "*" = any family.
_TECHNIQUES: dict[tuple[str, str], tuple[str, str, str | None, str | None]] = {
    ("Stealth", "CloudTrailLoggingDisabled"): (
        "T1562",
        "Impair Defenses",
        "T1562.008",
        "Disable or Modify Cloud Logs",
    ),
    ("DefenseEvasion", "GuardDutyDetectorDisabled"): (
        "T1562",
        "Impair Defenses",
        "T1562.001",
        "Disable or Modify Tools",
    ),
    ("DefenseEvasion", "LeaveOrganization"): (
        "T1666",
        "Modify Cloud Resource Hierarchy",
        None,
        None,
    ),
    ("DefenseEvasion", "*"): ("T1562", "Impair Defenses", None, None),
    ("DefenseImpairment", "DisableOrModifyTools"): (
        "T1562",
        "Impair Defenses",
        "T1562.001",
        "Disable or Modify Tools",
    ),
    ("DefenseImpairment", "DisableOrModifyCloudLogs"): (
        "T1562",
        "Impair Defenses",
        "T1562.008",
        "Disable or Modify Cloud Logs",
    ),
    ("DefenseImpairment", "DisableOrModifyCloudFirewall"): (
        "T1562",
        "Impair Defenses",
        "T1562.007",
        "Disable or Modify Cloud Firewall",
    ),
    ("DefenseImpairment", "ModifyCloudResourceHierarchy"): (
        "T1666",
        "Modify Cloud Resource Hierarchy",
        None,
        None,
    ),
    ("DefenseImpairment", "*"): ("T1562", "Impair Defenses", None, None),
    ("Stealth", "ServerAccessLoggingDisabled"): (
        "T1562",
        "Impair Defenses",
        "T1562.008",
        "Disable or Modify Cloud Logs",
    ),
    ("Stealth", "PasswordPolicyChange"): ("T1556", "Modify Authentication Process", None, None),
    ("CredentialAccess", "UnsecuredCredentials"): ("T1552", "Unsecured Credentials", None, None),
    ("Discovery", "CloudAccount"): ("T1087", "Account Discovery", "T1087.004", "Cloud Account"),
    ("Discovery", "CloudServiceDiscovery"): ("T1526", "Cloud Service Discovery", None, None),
    ("Persistence", "AdditionalCloudCredentials"): _CLOUD_CREDENTIALS,
    ("Persistence", "AdditionalCloudRoles"): _CLOUD_ROLES,
    ("Persistence", "ImplantInternalImage"): ("T1525", "Implant Internal Image", None, None),
    ("PrivilegeEscalation", "AdditionalCloudRoles"): _CLOUD_ROLES,
    ("PrivilegeEscalation", "AccountManipulation"): ("T1098", "Account Manipulation", None, None),
    ("PrivilegeEscalation", "TemporaryElevatedCloudAccess"): (
        "T1548",
        "Abuse Elevation Control Mechanism",
        "T1548.005",
        "Temporary Elevated Cloud Access",
    ),
    ("PrivilegeEscalation", "CloudAdministrationCommand"): _CLOUD_COMMAND,
    ("PrivilegeEscalation", "*"): ("T1098", "Account Manipulation", None, None),
    ("LateralMovement", "*"): ("T1021", "Remote Services", None, None),
    ("Impact", "DataDestruction"): ("T1485", "Data Destruction", None, None),
    ("Impact", "DataEncryptedForImpact"): ("T1486", "Data Encrypted for Impact", None, None),
    ("Impact", "ComputeHijacking"): (
        "T1496",
        "Resource Hijacking",
        "T1496.001",
        "Compute Hijacking",
    ),
    ("Impact", "CloudServiceHijacking"): (
        "T1496",
        "Resource Hijacking",
        "T1496.004",
        "Cloud Service Hijacking",
    ),
    ("UnauthorizedAccess", "InstanceCredentialExfiltration"): (
        "T1552",
        "Unsecured Credentials",
        "T1552.005",
        "Cloud Instance Metadata API",
    ),
    ("InitialAccess", "*"): ("T1078", "Valid Accounts", "T1078.004", "Cloud Accounts"),
    # Console logins and API calls by someone who should not hold the credentials.
    ("UnauthorizedAccess", "*"): ("T1078", "Valid Accounts", "T1078.004", "Cloud Accounts"),
    ("Discovery", "*"): ("T1580", "Cloud Infrastructure Discovery", None, None),
    ("Persistence", "*"): ("T1098", "Account Manipulation", None, None),
    ("CredentialAccess", "*"): (
        "T1555",
        "Credentials from Password Stores",
        "T1555.006",
        "Cloud Secrets Management Stores",
    ),
    ("Exfiltration", "*"): ("T1537", "Transfer Data to Cloud Account", None, None),
    ("Execution", "*"): _CLOUD_COMMAND,
}

# A Sigma rule's type names only its tactic: the rule's own tags name its techniques (in the
# finding's evidence, `attack`), and a guess from the purpose would contradict them.
_TACTIC_ONLY_FAMILIES = frozenset({"SigmaRule"})

# Stolen instance credentials are used to reach data: credential access is their tactic. Other
# UnauthorizedAccess types are someone else's valid credentials at work: initial access.
_TACTIC_OF_FAMILY: dict[str, str] = {"InstanceCredentialExfiltration": "CredentialAccess"}
_TACTIC_OF_PURPOSE: dict[str, str] = {"UnauthorizedAccess": "InitialAccess"}


def split_type(finding_type: str) -> tuple[str, str, str]:
    """(purpose, resource type, family) of `Purpose:Resource/Family.Mechanism`."""
    purpose, _, rest = finding_type.partition(":")
    resource, _, family = rest.partition("/")
    return purpose, resource, family.split(".", 1)[0]


def technique_for(finding_type: str) -> Technique | None:
    """The ATT&CK tactic/technique a finding type implies, or None when it implies none."""
    purpose, _, family = split_type(finding_type)
    tactic_key = _TACTIC_OF_FAMILY.get(family) or _TACTIC_OF_PURPOSE.get(purpose, purpose)
    tactic = TACTICS.get(tactic_key)
    if tactic is None:
        return None
    named = _TECHNIQUES.get((purpose, family)) or _TECHNIQUES.get((purpose, "*"))
    if named is None or family in _TACTIC_ONLY_FAMILIES:
        return Technique(*tactic)
    return Technique(*tactic, *named)


def attack_url(uid: str) -> str:
    """The ATT&CK page of a tactic (TA…), technique (T…) or sub-technique (T….nnn)."""
    if uid.startswith("TA"):
        return f"{_URL}/tactics/{uid}/"
    return f"{_URL}/techniques/{uid.replace('.', '/')}/"
