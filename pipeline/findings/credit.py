"""Credit for the third-party rule behind a finding: its id, title, author, pack and licence.

SigmaHQ's rules are under the Detection Rule License 1.1, which lets a product ship and convert
them on condition that each rule's author and id are kept, and its source named, wherever a match
is shown or exported. A Sigma finding (pipeline/detect/sigma_findings.py) carries its `RuleCredit`
in its evidence (under `sigma`); its description starts with `RuleCredit.line`, and the exporters
that have fields of their own (Security Hub's ProductFields, CEF's custom strings) add them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trailguard.pipeline.findings.evidence import Evidence

EVIDENCE_KEY = "sigma"


@dataclass(frozen=True)
class RuleCredit:
    """Who wrote a Sigma rule, where it comes from, under which licence."""

    rule_id: str
    title: str
    author: str | None
    pack: str  # SigmaHQ for the bundled rules, else the folder they were loaded from
    path: str  # the rule's file within its pack
    licence: str | None
    level: str | None
    tags: tuple[str, ...] = ()

    def line(self) -> str:
        """`Sigma rule "<title>" (<id>) by <author>; <pack>, <licence>`: the finding's credit."""
        author = self.author or "an unnamed author"
        source = ", ".join(part for part in (self.pack, self.licence) if part)
        return f'Sigma rule "{self.title}" ({self.rule_id}) by {author}; {source}'

    def to_json(self) -> dict[str, Any]:
        """The evidence's `sigma` object."""
        return {
            "id": self.rule_id,
            "title": self.title,
            "author": self.author,
            "pack": self.pack,
            "path": self.path,
            "licence": self.licence,
            "level": self.level,
            "tags": list(self.tags),
        }


def credit_of(evidence: Evidence) -> RuleCredit | None:
    """The Sigma rule credited in a finding's evidence, if any."""
    data = evidence.extra.get(EVIDENCE_KEY)
    if not isinstance(data, dict) or not data.get("id"):
        return None
    return RuleCredit(
        rule_id=str(data["id"]),
        title=str(data.get("title") or ""),
        author=_text(data.get("author")),
        pack=str(data.get("pack") or ""),
        path=str(data.get("path") or ""),
        licence=_text(data.get("licence")),
        level=_text(data.get("level")),
        tags=tuple(str(t) for t in data.get("tags") or ()),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
