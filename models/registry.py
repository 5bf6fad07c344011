"""Registries of detectors: a detector registers itself where it is defined, never in a list here.

Exact rules live one per module in `models/rules/`; `load_rules()` imports every module of that
package, and each module's `@rule(...)` (or `@threshold_rule(...)`) decorator adds its rule to
`RULES`. Adding a rule is adding a file.

`@rule` judges one event at a time. `@threshold_rule` decorates a function returning what an event
counts (its keys: the secret it read, the instance it asked about...) and matches when one
principal's events in an account carry `count` distinct keys within `window`: a single
GetSecretValue is routine, twenty different secrets in ten minutes is a sweep.
pipeline/detect/rule_findings.py evaluates both.

Both name what they detect: `attack` (ATT&CK technique ids) and `stratus` (Stratus Red Team
technique ids), carried into every finding's evidence; `describe(event)` writes the finding's
one-line description, GuardDuty-style.

One finding of a rule covers a principal's matches on one UTC day, or, with `episode="actor"`,
its matches from one place (network and agent family) on any day: for rules that report *who*
acted rather than *what* was done (root used), whose uses recur from the same place.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from trailguard.models.rules.base import (
    EPISODES,
    Describe,
    Event,
    Keys,
    Rule,
    RuleContext,
    Threshold,
)

Predicate = Callable[[Event, RuleContext], bool]
RULES: dict[str, Rule] = {}
_HELPERS = ("base", "policy")  # modules of models/rules that hold no rule


def rule(
    *,
    finding_type: str,
    severity: float,
    title: str,
    event_names: tuple[str, ...] = (),
    identity_types: tuple[str, ...] = (),
    outside_aws: bool = False,
    agents: tuple[str, ...] = (),
    workloads_only: bool = False,
    attack: tuple[str, ...] = (),
    stratus: tuple[str, ...] = (),
    describe: Describe | None = None,
    episode: str = "day",
) -> Callable[[Predicate], Predicate]:
    """Register the decorated predicate as the rule named like its module (`episode`: what one
    finding covers, `day` or `actor`; `Rule`)."""
    if episode not in EPISODES:
        raise ValueError(f"episode {episode!r}: one of {', '.join(EPISODES)}")

    def register(predicate: Predicate) -> Predicate:
        """Add the rule to RULES (a second rule of the same name is an error)."""
        _add(
            _built(
                predicate,
                finding_type=finding_type,
                severity=severity,
                title=title,
                event_names=frozenset(event_names),
                identity_types=frozenset(identity_types),
                outside_aws=outside_aws,
                agents=agents,
                workloads_only=workloads_only,
                predicate=predicate,
                attack=attack,
                stratus=stratus,
                describe=describe,
                episode=episode,
            )
        )
        return predicate

    return register


def threshold_rule(
    *,
    finding_type: str,
    severity: float,
    title: str,
    event_names: tuple[str, ...],
    window: timedelta,
    count: int,
    per_event: int = 1,
    batched: tuple[str, ...] = (),
    by_request: bool = True,
    requires: str | None = None,
    identity_types: tuple[str, ...] = (),
    workloads_only: bool = False,
    attack: tuple[str, ...] = (),
    stratus: tuple[str, ...] = (),
    describe: Describe | None = None,
) -> Callable[[Keys], Keys]:
    """Register the decorated key function as a counting rule named like its module: it matches
    when one principal's events carry `count` distinct keys within `window` (an event of the
    `batched` names carries at most `per_event` keys, any other one; `by_request=False` when the
    keys are not read from the request alone, so that identical requests are counted apart;
    `requires`: a key the window must hold besides the counted ones)."""

    def register(keys: Keys) -> Keys:
        """Add the rule to RULES: an event counts when it carries at least one key."""
        _add(
            _built(
                keys,
                finding_type=finding_type,
                severity=severity,
                title=title,
                event_names=frozenset(event_names),
                identity_types=frozenset(identity_types),
                outside_aws=False,
                agents=(),
                workloads_only=workloads_only,
                predicate=lambda event, context: bool(keys(event, context)),
                attack=attack,
                stratus=stratus,
                describe=describe,
                threshold=Threshold(window, count, per_event, keys, by_request, batched, requires),
            )
        )
        return keys

    return register


def _built(function: Callable[..., object], *, title: str, **fields: Any) -> Rule:
    """The Rule of a decorated function: named like its module, described by its docstring's
    first line (else its title)."""
    return Rule(
        rule_id=function.__module__.rsplit(".", 1)[-1],
        title=title,
        description=(function.__doc__ or title).strip().splitlines()[0],
        **fields,
    )


def _add(rule: Rule) -> None:
    known = RULES.get(rule.rule_id)
    if known is not None and known.description != rule.description:
        raise ValueError(f"two rules named {rule.rule_id}")
    RULES[rule.rule_id] = rule


def load_rules() -> dict[str, Rule]:
    """Import every module of `models.rules` (each registers its rule) and return the registry."""
    import trailguard.models.rules as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in _HELPERS:
            importlib.import_module(f"trailguard.models.rules.{module.name}")
    return dict(sorted(RULES.items()))
