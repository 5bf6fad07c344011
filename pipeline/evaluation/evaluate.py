"""The yardstick: findings of a lake against the labels of a synthetic organisation.

Definitions (issue 4's targets; `pipeline.evaluation.scorecard` prints them, `trailguard eval`
pools them):

- A finding **overlaps** a scenario when it names the scenario's principal key and account and
  its [first_seen, last_seen] meets the scenario's span widened by one hour each side (`SLACK`:
  the model works on hourly windows, so its finding starts at the top of the hour). The principal
  key is ingest's: for a shared Identity Center role it is the person's session, not the role.
  A finding **involves** a scenario when it overlaps it on *any* principal the scenario's labelled
  events came from (e.g. the federated user an attack created, besides the stolen key).
- An attack is **caught** by an active finding that overlaps it, has severity >= 4.0 (Medium or
  High) and lasts at most 48 hours (last_seen - first_seen). An attack overlapped only by Low
  findings is reported as *seen at Low*, one overlapped at Medium+ only by longer findings as
  *seen too long*; neither counts as caught.
- A **false positive** is an active finding that involves no attack (hard negatives included).
  The rate is counted after the learning period (`learning_days`, 7 by default): false
  positives whose first_seen is at or after lake start + 7 days (lake start: midnight UTC of its
  first event's day), divided by the benign principal-days from that day on, times 100:
  **false-positive findings per 100 principals per day**. A benign principal-day is a principal
  key (with its account) that made a call that day, leaving out an attacked principal on the days
  its attack ran. Medium+ false positives are reported separately, and so are those of the
  learning period (not counted).
- A hard negative is **flagged** by an active finding involving it; the target counts those
  flagged at severity >= 4.0 (of any duration); the report also gives those flagged at any.

Precision at an alert budget and the precision-recall curve are `pipeline.evaluation.ranking`'s;
their findings are the true ones and the false positives after the learning period.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from trailguard.pipeline.detect.rule_findings import rule_detector
from trailguard.pipeline.evaluation.matrix import DEFAULT_BUDGET
from trailguard.pipeline.evaluation.ranking import Budget, Ranked, at_budget, pooled_items
from trailguard.pipeline.findings.store import Finding

CAUGHT_SEVERITY = 4.0  # Medium and above
MAX_DURATION = timedelta(hours=48)
SLACK = timedelta(hours=1)
WINDOW = timedelta(hours=1)  # the anomaly model's grain


@dataclass(frozen=True)
class Scenario:
    """One labelled scenario."""

    id: str
    kind: str
    technique: str
    difficulty: str | None
    principal_key: str
    account_id: str
    start: datetime
    end: datetime
    expected_types: tuple[str, ...]
    event_ids: tuple[str, ...] = ()
    actors: frozenset[tuple[str, str]] = frozenset()  # (principal key, account) of its events

    @property
    def principals(self) -> frozenset[tuple[str, str]]:
        """Its labelled principal and every other principal its events came from."""
        return self.actors | {(self.principal_key, self.account_id)}


@dataclass(frozen=True)
class Outcome:
    """What became of one scenario.

    Attacks: `caught`, `low` (seen only at Low), `long` (seen at Medium+ only by findings longer
    than 48 h) or `missed`; hard negatives: `flagged` (Medium+), `low` or `quiet`.
    """

    scenario: Scenario
    verdict: str
    type_matched: bool = False
    minutes_to_detect: float | None = None


@dataclass(frozen=True)
class Population:
    """The principals behind the false-positive rate and the alert budget."""

    learning_end: datetime
    active: Mapping[date, int]  # principal keys with calls, each day from learning_end on
    benign: Mapping[date, int]  # of which not under attack that day


ROOT_DETECTOR = rule_detector("root_credential_usage")  # models/rules/root_credential_usage.py


@dataclass
class Evaluation:
    """The counts behind every number; `pool` adds evaluations of several organisations."""

    outcomes: list[Outcome] = field(default_factory=list)
    findings: int = 0  # active
    true_findings: int = 0
    false_findings: int = 0  # after the learning period
    false_medium_plus: int = 0  # after the learning period
    false_in_learning: int = 0  # not counted
    principal_days: int = 0  # benign, after the learning period
    days: int = 0  # after the learning period
    by_detector: dict[str, int] = field(default_factory=dict)  # false positives counted
    budget: Budget = field(default_factory=lambda: Budget(DEFAULT_BUDGET))
    ranked: list[Ranked] = field(default_factory=list, repr=False)
    # Attack sequences (pipeline/evaluation/sequences.py): planted attacks whose findings end in
    # exactly one sequence, the sequences stored, and those on benign principals (target: none).
    attacks_as_one_sequence: int = 0
    sequences: int = 0
    benign_sequences: int = 0

    def attacks(self, difficulty: str | None = None) -> list[Outcome]:
        """The attacks' outcomes (of one difficulty when given: `loud` or `quiet` for the planted
        ones, `real` for the real incidents laid in)."""
        return [
            o
            for o in self.outcomes
            if o.scenario.kind == "attack" and difficulty in (None, o.scenario.difficulty)
        ]

    def count(self, verdict: str, difficulty: str | None = None) -> int:
        """Attacks with this verdict."""
        return sum(o.verdict == verdict for o in self.attacks(difficulty))

    def recall(self, difficulty: str | None = None) -> float | None:
        """Attacks caught / attacks (None without attacks)."""
        attacks = self.attacks(difficulty)
        return self.count("caught", difficulty) / len(attacks) if attacks else None

    @property
    def hard_negatives(self) -> list[Outcome]:
        """The hard negatives' outcomes."""
        return [o for o in self.outcomes if o.scenario.kind != "attack"]

    @property
    def fp_per_100(self) -> float | None:
        """False-positive findings per 100 benign principals per day, after learning."""
        return 100 * self.false_findings / self.principal_days if self.principal_days else None

    @property
    def fp_medium_plus_per_100(self) -> float | None:
        """The same, Medium+ false positives only."""
        return 100 * self.false_medium_plus / self.principal_days if self.principal_days else None

    @property
    def fp_without_root_per_100(self) -> float | None:
        """The same without root's Low sign-in findings (`Policy:IAMUser/RootCredentialUsage`):
        reported beside the target, which counts them, because root is used per account, not per
        principal, and on a small organisation a few sign-ins are most of the rate."""
        if not self.principal_days:
            return None
        others = self.false_findings - self.by_detector.get(ROOT_DETECTOR, 0)
        return 100 * others / self.principal_days


def overlaps(finding: Finding, scenario: Scenario) -> bool:
    """True when the finding names the scenario's principal during its (widened) span."""
    named = (finding.principal, finding.account_id) == (scenario.principal_key, scenario.account_id)
    return named and during(finding, scenario)


def involves(finding: Finding, scenario: Scenario) -> bool:
    """True when the finding is about any of the scenario's principals during its span."""
    return (finding.principal, finding.account_id) in scenario.principals and during(
        finding, scenario
    )


def during(finding: Finding, scenario: Scenario) -> bool:
    """The finding's time meets the scenario's span widened by `SLACK` each side."""
    return (
        finding.first_seen <= scenario.end + SLACK and finding.last_seen >= scenario.start - SLACK
    )


def is_short(finding: Finding) -> bool:
    """At most 48 hours from first to last seen: a finding that points at a moment."""
    return finding.last_seen - finding.first_seen <= MAX_DURATION


def catches(finding: Finding, scenario: Scenario) -> bool:
    """The target's rule: overlapping, Medium or High, and at most 48 hours long."""
    return finding.severity >= CAUGHT_SEVERITY and is_short(finding) and overlaps(finding, scenario)


def judge_attack(scenario: Scenario, active: list[Finding]) -> Outcome:
    """Caught, seen at Low, seen too long, or missed; with type match and delay when caught."""
    hits = [f for f in active if overlaps(f, scenario)]
    caught = [f for f in hits if catches(f, scenario)]
    if not caught:
        medium = any(f.severity >= CAUGHT_SEVERITY for f in hits)
        return Outcome(scenario, "long" if medium else "low" if hits else "missed")
    first = min(ready_at(f) for f in caught)
    delay = max((first - scenario.start).total_seconds() / 60, 0.0)
    matched = any(f.type in scenario.expected_types for f in caught)
    return Outcome(scenario, "caught", matched, round(delay, 1))


def judge_negative(scenario: Scenario, active: list[Finding]) -> Outcome:
    """Flagged (Medium+, any duration), flagged at Low only, or left quiet."""
    hits = [f for f in active if involves(f, scenario)]
    if any(f.severity >= CAUGHT_SEVERITY for f in hits):
        return Outcome(scenario, "flagged")
    return Outcome(scenario, "low" if hits else "quiet")


def evaluate(
    findings: list[Finding],
    scenarios: list[Scenario],
    population: Population,
    budget: float = DEFAULT_BUDGET,
) -> Evaluation:
    """Compare findings with labelled scenarios (pure; see module docstring)."""
    active = [f for f in findings if f.status == "active"]
    attacks = [s for s in scenarios if s.kind == "attack"]
    outcomes = [judge_attack(s, active) for s in attacks]
    outcomes += [judge_negative(s, active) for s in scenarios if s.kind != "attack"]
    true = {f.finding_id for f in active if any(involves(f, s) for s in attacks)}
    false = [f for f in active if f.finding_id not in true]
    counted = [f for f in false if f.first_seen >= population.learning_end]
    by_detector: dict[str, int] = defaultdict(int)
    for finding in counted:
        by_detector[finding.detector] += 1
    ranked = [
        to_ranked(f, attacks, f.finding_id in true)
        for f in active
        if f.finding_id in true or f.first_seen >= population.learning_end
    ]
    return Evaluation(
        outcomes=outcomes,
        findings=len(active),
        true_findings=len(true),
        false_findings=len(counted),
        false_medium_plus=sum(f.severity >= CAUGHT_SEVERITY for f in counted),
        false_in_learning=len(false) - len(counted),
        principal_days=sum(population.benign.values()),
        days=len(population.benign),
        by_detector=dict(sorted(by_detector.items())),
        budget=at_budget(ranked, population.active, budget),
        ranked=ranked,
        **_sequence_counts(active, scenarios),
    )


def _sequence_counts(findings: list[Finding], scenarios: list[Scenario]) -> dict[str, int]:
    """The attack-sequence fields of an Evaluation (scored by pipeline/evaluation/sequences.py,
    which builds on this module's `involves`)."""
    from trailguard.pipeline.evaluation.sequences import score_sequences

    score = score_sequences(findings, scenarios)
    return {
        "attacks_as_one_sequence": score.attacks_as_one,
        "sequences": score.sequences,
        "benign_sequences": len(score.benign_principals),
    }


def to_ranked(finding: Finding, attacks: list[Scenario], true: bool) -> Ranked:
    """A finding as the alert queue sees it (see `trailguard.pipeline.evaluation.ranking`)."""
    hit = frozenset(s.id for s in attacks if is_short(finding) and overlaps(finding, s))
    day = finding.first_seen.astimezone(UTC).date()
    return Ranked(finding.finding_id, finding.severity, finding.score, day, true, hit)


def ready_at(finding: Finding) -> datetime:
    """When a finding could first exist: a rule at its first event, an hourly window at its end.

    (Delivery delay of CloudTrail, about 5 minutes, and the detection schedule come on top.)
    """
    return finding.first_seen + (WINDOW if finding.score is not None else timedelta(0))


def pool(runs: Mapping[str, Evaluation]) -> Evaluation:
    """Several organisations' evaluations as one: counts added, scenario ids prefixed by run."""
    evals = list(runs.values())

    def total(attr: str) -> int:
        return sum(int(getattr(e, attr)) for e in evals)

    by_detector: Counter[str] = Counter()
    for e in evals:
        by_detector.update(e.by_detector)
    return Evaluation(
        outcomes=[
            replace(o, scenario=replace(o.scenario, id=f"{name}/{o.scenario.id}"))
            for name, e in runs.items()
            for o in e.outcomes
        ],
        findings=total("findings"),
        true_findings=total("true_findings"),
        false_findings=total("false_findings"),
        false_medium_plus=total("false_medium_plus"),
        false_in_learning=total("false_in_learning"),
        principal_days=total("principal_days"),
        days=total("days"),
        attacks_as_one_sequence=total("attacks_as_one_sequence"),
        sequences=total("sequences"),
        benign_sequences=total("benign_sequences"),
        by_detector=dict(sorted(by_detector.items())),
        budget=Budget(
            evals[0].budget.per_100,
            sum(e.budget.alerts for e in evals),
            sum(e.budget.true_alerts for e in evals),
            frozenset(f"{name}/{a}" for name, e in runs.items() for a in e.budget.caught),
        ),
        ranked=pooled_items({name: e.ranked for name, e in runs.items()}),
    )
