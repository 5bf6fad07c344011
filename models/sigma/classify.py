"""A Sigma rule's finding type and severity, GuardDuty-style, from its ATT&CK tags and level.

Type: `<Purpose>:IAMUser/SigmaRule`. The purpose is the first ATT&CK tactic among the rule's
tags, in their order (authors list the main one first), spelled as GuardDuty spells its threat
purposes; `IAMUser` is GuardDuty's resource type for every CloudTrail principal, roles included;
`SigmaRule` says the finding is a Sigma rule's match (the rule itself is named in the finding's
title and evidence). A rule without a tactic tag is a `Policy:` finding, GuardDuty's purpose for
behaviour against good practice that implies no tactic.

Severity: the level on GuardDuty's scale (Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9), one fixed
value per level; `critical` stays in High, since GuardDuty keeps 9-10 for attack sequences.
"""

from __future__ import annotations

import re

FAMILY = "SigmaRule"
RESOURCE = "IAMUser"
NO_TACTIC = "Policy"

# ATT&CK tactic tags (v18 names included: it split defence evasion into stealth and defence
# impairment) -> GuardDuty's threat purpose.
PURPOSES: dict[str, str] = {
    "reconnaissance": "Recon",
    "resource-development": "ResourceDevelopment",
    "initial-access": "InitialAccess",
    "execution": "Execution",
    "persistence": "Persistence",
    "privilege-escalation": "PrivilegeEscalation",
    "defense-evasion": "DefenseEvasion",
    "defense-impairment": "DefenseImpairment",
    "stealth": "Stealth",
    "credential-access": "CredentialAccess",
    "discovery": "Discovery",
    "lateral-movement": "LateralMovement",
    "collection": "Collection",
    "command-and-control": "CommandAndControl",
    "exfiltration": "Exfiltration",
    "impact": "Impact",
}
SEVERITIES: dict[str, float] = {
    "informational": 1.0,
    "low": 3.0,
    "medium": 5.0,
    "high": 7.0,
    "critical": 8.5,
}
DEFAULT_LEVEL = "medium"  # Sigma makes `level` optional; SigmaHQ's rules all set it
_TECHNIQUE = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.IGNORECASE)


def finding_type(tags: tuple[str, ...]) -> str:
    """`<Purpose>:IAMUser/SigmaRule`, the purpose from the first tactic tag."""
    purpose = next(
        (PURPOSES[t.lower().removeprefix("attack.")] for t in tags if _tactic(t)), NO_TACTIC
    )
    return f"{purpose}:{RESOURCE}/{FAMILY}"


def severity(level: str | None) -> float:
    """GuardDuty severity of a Sigma level (no level: medium's)."""
    return SEVERITIES[(level or DEFAULT_LEVEL).lower()]


def techniques(tags: tuple[str, ...]) -> tuple[str, ...]:
    """The ATT&CK technique ids a rule's tags name (`attack.t1562.008` -> `T1562.008`)."""
    return tuple(m[1].upper() for t in tags if (m := _TECHNIQUE.match(t)))


def _tactic(tag: str) -> bool:
    return tag.lower().startswith("attack.") and tag.lower()[7:] in PURPOSES
