"""Registries of detectors: a detector registers itself where it is defined, never in a list here.

Exact rules live one per module in `models/rules/`; `load_rules()` imports every module of that
package, and each module's `@rule(...)` decorator adds its rule to `RULES`. Adding a rule is adding
a file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from trailguard.models.rules.base import Event, Rule, RuleContext

Predicate = Callable[[Event, RuleContext], bool]
RULES: dict[str, Rule] = {}


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
) -> Callable[[Predicate], Predicate]:
    """Register the decorated predicate as the rule named like its module."""

    def register(predicate: Predicate) -> Predicate:
        """Add the rule to RULES (a second rule of the same name is an error)."""
        rule_id = predicate.__module__.rsplit(".", 1)[-1]
        if rule_id in RULES and RULES[rule_id].predicate is not predicate:
            raise ValueError(f"two rules named {rule_id}")
        doc = (predicate.__doc__ or title).strip().splitlines()[0]
        RULES[rule_id] = Rule(
            rule_id=rule_id,
            finding_type=finding_type,
            severity=severity,
            title=title,
            description=doc,
            event_names=frozenset(event_names),
            identity_types=frozenset(identity_types),
            outside_aws=outside_aws,
            agents=agents,
            workloads_only=workloads_only,
            predicate=predicate,
        )
        return predicate

    return register


def load_rules() -> dict[str, Rule]:
    """Import every module of `models.rules` (each registers its rule) and return the registry."""
    import trailguard.models.rules as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name != "base":
            importlib.import_module(f"trailguard.models.rules.{module.name}")
    return dict(sorted(RULES.items()))
