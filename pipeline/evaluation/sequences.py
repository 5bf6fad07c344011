"""Attack sequences against the labels: how many planted attacks end as one sequence, and how
many benign principals wrongly get one (the target: none).

A planted attack ends as one sequence when the findings `involves` ties to it reach exactly one
attack sequence (findings left out of it, e.g. a noisy rule's context, do not split it); a
sequence is wrong when none of its members is about an attack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trailguard.pipeline.evaluation.evaluate import Scenario, involves
from trailguard.pipeline.findings.store import Finding

SEQUENCES = "sequences"  # the detector of attack sequences (pipeline/detect/sequences.py)


@dataclass(frozen=True)
class SequenceScore:
    """Planted attacks that ended as one sequence, of all; sequences on benign principals."""

    attacks_as_one: int
    attacks: int
    sequences: int
    benign_principals: tuple[str, ...]  # principals of sequences no attack is behind


def score_sequences(findings: Sequence[Finding], scenarios: Sequence[Scenario]) -> SequenceScore:
    """Score the stored sequences (and their members' sequence_id) against the scenarios."""
    attacks = [s for s in scenarios if s.kind == "attack"]
    sequences = [f for f in findings if f.detector == SEQUENCES]
    members = [f for f in findings if f.detector != SEQUENCES]
    as_one = 0
    for attack in attacks:
        ids = {f.sequence_id for f in members if involves(f, attack) and f.sequence_id}
        as_one += len(ids) == 1
    attacked = {f.sequence_id for f in members for a in attacks if involves(f, a)}
    benign = sorted({s.principal for s in sequences if s.finding_id not in attacked})
    return SequenceScore(as_one, len(attacks), len(sequences), tuple(benign))


def sequence_lines(score: SequenceScore) -> list[str]:
    """The evaluation's lines about attack sequences."""
    return [
        f"attack sequences        {score.sequences}; planted attacks as one sequence "
        f"{score.attacks_as_one}/{score.attacks}",
        f"  on benign principals  {len(score.benign_principals)} (target 0)",
    ]
