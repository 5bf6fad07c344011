""" "Suppress similar": a suppression rule made from one archived finding.

An analyst who archives a false positive with `trailguard archive ID --suppress` means "this, and
what is like it, is expected". Like it means the same behaviour (the finding's type) by the same
*family* of principal, not the same principal key only, because the key changes where the
behaviour does not:

- an Identity Center session is the person in one account under one permission set; the family is
  that person with that permission set in every account (the role's name carries a per-account
  hash: `AWSReservedSSO_Admin_0123abcd`);
- a role with a generated suffix (`github-actions-deploy-348`, a CloudFormation id) is one member
  of a family deployed in many accounts: the family is every role of that name without the suffix,
  the same rule as the peer groups' `role_family` (sql/views/macros.sql);
- any other role is that role name in every account (StackSets deploy the same name everywhere);
- an IAM user, root and anything else are themselves: their account is part of who they are.

The rule carries an owner, a reason and an expiry (90 days unless given), so a suppression is a
decision someone answers for and revisits, never a silent permanent hole.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.suppression import Suppression, to_config

DEFAULT_EXPIRY = timedelta(days=90)
# A role name's generated suffix: the pattern of sql/views/macros.sql's role_family.
_SUFFIX = re.compile(r"(?P<sep>[-_])([0-9]+|[0-9a-f]{8,}|[A-Z0-9]{12,13})$")
_SSO = re.compile(r"^AWSReservedSSO_(?P<set>.+)_[0-9a-f]+$")
_ROLE = re.compile(r"^arn:(?P<part>[^:]+):iam::\d{12}:role/(?P<path>(?:.*/)?)(?P<name>[^/]+)$")
_SESSION = re.compile(
    r"^arn:(?P<part>[^:]+):sts::\d{12}:assumed-role/(?P<role>[^/]+)/(?P<session>.+)$"
)


def family_glob(principal: str) -> str:
    """The glob (fnmatch, as suppression rules use) of a principal key's family."""
    if match := _SESSION.match(principal):
        role = _role_glob(match["role"])
        return f"arn:{match['part']}:sts::*:assumed-role/{role}/{_escaped(match['session'])}"
    if match := _ROLE.match(principal):
        name = _role_glob(match["name"])
        return f"arn:{match['part']}:iam::*:role/{_escaped(match['path'])}{name}"
    return _escaped(principal)


def _role_glob(name: str) -> str:
    if sso := _SSO.match(name):
        return f"AWSReservedSSO_{_escaped(sso['set'])}_*"
    if suffix := _SUFFIX.search(name):
        return f"{_escaped(name[: suffix.start()])}{suffix['sep']}*"
    return _escaped(name)


def _escaped(text: str) -> str:
    """`text` matched literally by fnmatch (its `*`, `?` and `[` in brackets)."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def similar_to(
    finding: Finding,
    *,
    owner: str,
    reason: str,
    expires: date | None = None,
    now: datetime | None = None,
) -> Suppression:
    """The suppression rule matching `finding`'s behaviour by its principal's family."""
    now = now or datetime.now(UTC)
    return Suppression(
        name=f"{finding.type} by {family_glob(finding.principal)} (from {finding.finding_id[:8]})",
        principal=family_glob(finding.principal),
        type=_escaped(finding.type),
        owner=owner,
        reason=reason,
        expires=expires or (now + DEFAULT_EXPIRY).date(),
        finding=finding.finding_id,
        created=now.replace(microsecond=0),
    )


def append_rule(path: Path, rule: Suppression) -> None:
    """Append `rule` to the suppression file at `path` (created if missing), keeping what is
    there, comments included; the new file is checked to parse before it replaces the old."""
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    new = old + ("" if not old or old.endswith("\n") else "\n") + "\n" + to_toml(rule)
    to_config(tomllib.loads(new))  # a file detect cannot read is never written
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(new)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_toml(rule: Suppression) -> str:
    """One `[[suppress]]` table; strings as JSON strings, which are valid TOML basic strings."""
    lines = ["[[suppress]]"]
    for key in ("name", "principal", "type", "user_agent", "owner", "reason", "finding"):
        value = getattr(rule, key)
        if value is not None:
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=True)}")
    if rule.network is not None:
        lines.append(f'network = "{rule.network}"')
    if rule.expires is not None:
        lines.append(f"expires = {rule.expires.isoformat()}")
    if rule.created is not None:
        lines.append(f"created = {rule.created.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}")
    return "\n".join(lines) + "\n"
