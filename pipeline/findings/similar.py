""" "Suppress similar": a suppression rule made from one archived finding.

An analyst who archives a false positive with `trailguard archive ID --suppress` means "this, and
what is like it, is expected". Like it means the same behaviour (the finding's type) by the same
*family* of principal (pipeline/findings/family.py: a person in every account under one
permission set, a role family in every account, anything else itself), matched exactly.

Root is judged by where it acts from (its findings are one per network and agent family,
pipeline/detect/rule_findings.py): a rule made from a root finding also names that finding's
network (the /24, or the /48 for IPv6), so that archiving "root from the office" never hides root
used from anywhere else. A root finding from several networks cannot make such a rule.

The rule carries an owner, a reason and an expiry (90 days unless given), so a suppression is a
decision someone answers for and revisits, never a silent permanent hole.
"""

from __future__ import annotations

import ipaddress
import json
import os
import stat
import tempfile
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from trailguard.pipeline.findings.family import family_of, is_root
from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.suppression import Network, Suppression, source_ips, to_config

DEFAULT_EXPIRY = timedelta(days=90)
PLACE_PREFIX = {4: 24, 6: 48}  # the network a root rule names: a site's, not one address's


def similar_to(
    finding: Finding,
    *,
    owner: str,
    reason: str,
    expires: date | None = None,
    now: datetime | None = None,
) -> Suppression:
    """The suppression rule matching `finding`'s behaviour by its principal's family (and, for
    root, the network it acted from; ValueError when it acted from several)."""
    now = now or datetime.now(UTC)
    family = family_of(finding.principal)
    network = place_of(finding) if is_root(finding.principal) else None
    where = f" from {network}" if network else ""
    return Suppression(
        name=f"{finding.type} by {family}{where} (from finding {finding.finding_id[:8]})",
        family=family,
        type=_escaped(finding.type),
        network=network,
        owner=owner,
        reason=reason,
        expires=expires or (now + DEFAULT_EXPIRY).date(),
        finding=finding.finding_id,
        created=now.replace(microsecond=0),
    )


def place_of(finding: Finding) -> Network:
    """The one network (`PLACE_PREFIX`) every source address of `finding` lies in."""
    try:
        addresses = [ipaddress.ip_address(ip) for ip in source_ips(finding)]
    except ValueError:
        addresses = []  # a service name: no network
    networks = {
        ipaddress.ip_network(f"{a}/{PLACE_PREFIX[a.version]}", strict=False) for a in addresses
    }
    if len(networks) != 1:
        raise ValueError(
            f"finding {finding.finding_id[:8]} is root acting from "
            f"{len(networks) or 'no'} network(s): a rule for it would hide root used from "
            "anywhere; archive it without --suppress, or write a rule with its network by hand"
        )
    return networks.pop()


def _escaped(text: str) -> str:
    """`text` matched literally by fnmatch (its `*`, `?` and `[` in brackets)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def append_rule(path: Path, rule: Suppression) -> None:
    """Append `rule` to the suppression file at `path` (created if missing), keeping what is
    there, comments, mode and a symlink to it included; the new text is checked to parse before
    it replaces the old."""
    path = path.resolve()
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    new = old + ("" if not old or old.endswith("\n") else "\n") + "\n" + to_toml(rule)
    to_config(tomllib.loads(new))  # a file detect cannot read is never written
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else 0o600
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(new)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_toml(rule: Suppression) -> str:
    """One `[[suppress]]` table (every string a TOML basic string, see `toml_string`)."""
    lines = ["[[suppress]]"]
    for key in ("name", "principal", "family", "type", "user_agent", "owner", "reason", "finding"):
        value = getattr(rule, key)
        if value is not None:
            lines.append(f"{key} = {toml_string(value)}")
    if rule.network is not None:
        lines.append(f'network = "{rule.network}"')
    if rule.expires is not None:
        lines.append(f"expires = {rule.expires.isoformat()}")
    if rule.created is not None:
        lines.append(f"created = {rule.created.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}")
    return "\n".join(lines) + "\n"


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes (quote, backslash, control characters) are TOML's,
    characters beyond the BMP stay themselves (JSON would write surrogate pairs, which TOML
    refuses), and DEL, which TOML requires escaped and JSON does not, is escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
