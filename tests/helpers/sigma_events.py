"""CloudTrail events built from a Sigma rule's own detection: one that satisfies it, and near
misses that each break one of its conditions.

`positive(rule)` solves the rule's parsed condition (pySigma's tree of AND / OR / NOT over
`field = value` items) into field values and applies them to the factory's event; `negatives`
does the same with one conjunct of the condition made false. `holds(rule, record)` judges a raw
record by Sigma's semantics (case-insensitive wildcards, regular expressions as searches, a
missing field matching nothing), so a test can check the generator before it checks the SQL.

A value the solver cannot invent (a string matching a regular expression) comes from `hints`.
`status`, which CloudTrail lacks, is trailguard's derived field: 'success' without an errorCode.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
)
from sigma.rule import SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SpecialChars,
)

from tests.factories import DELETE, cloudtrail_event
from trailguard.models.sigma.fields import JSON_COLUMN_OF, LISTS

Env = dict[str, Any]  # Sigma field path -> value (a string), or DELETE (absent)
OTHER = "trailguard-other"


def condition(rule: SigmaRule) -> ConditionItem:
    """The rule's first condition, parsed, with its detections expanded."""
    tree: ConditionItem = rule.detection.parsed_condition[0].parsed
    return tree


def positive(rule: SigmaRule, hints: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A CloudTrail record the rule matches."""
    env = _sat(condition(rule), {}, _Ctx(hints or {}))
    if env is None:
        raise ValueError(f"cannot satisfy {rule.title}")
    return record_of(env)


def negatives(rule: SigmaRule, hints: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Records the rule does not match: for a condition `a and b and c`, one per conjunct made
    false with the others true (near misses); otherwise the condition made false."""
    tree, ctx = condition(rule), _Ctx(hints or {})
    parts = tree.args if isinstance(tree, ConditionAND) else [tree]
    found = []
    for i, part in enumerate(parts):
        env: Env | None = {}
        for j, other in enumerate(parts):
            if env is not None and j != i:
                env = _sat(other, env, ctx)
        env = _falsify(part, env, ctx) if env is not None else None
        if env is not None:
            found.append(record_of(env))
    if not found:
        raise ValueError(f"cannot violate {rule.title}")
    return found


class _Ctx:
    def __init__(self, hints: Mapping[str, str]) -> None:
        self.hints = hints
        self.base = cloudtrail_event()


def _sat(node: ConditionItem, env: Env, ctx: _Ctx) -> Env | None:
    if isinstance(node, ConditionAND):
        for arg in node.args:
            if (env := _sat(arg, env, ctx)) is None:  # type: ignore[assignment]
                return None
        return env
    if isinstance(node, ConditionOR):
        return next((e for a in node.args if (e := _sat(a, dict(env), ctx)) is not None), None)
    if isinstance(node, ConditionNOT):
        return _falsify(node.args[0], env, ctx)
    return _leaf(node, env, ctx, want=True)


def _falsify(node: ConditionItem, env: Env, ctx: _Ctx) -> Env | None:
    if isinstance(node, ConditionOR):
        for arg in node.args:
            if (env := _falsify(arg, env, ctx)) is None:  # type: ignore[assignment]
                return None
        return env
    if isinstance(node, ConditionAND):
        return next((e for a in node.args if (e := _falsify(a, dict(env), ctx)) is not None), None)
    if isinstance(node, ConditionNOT):
        return _sat(node.args[0], env, ctx)
    return _leaf(node, env, ctx, want=False)


def _leaf(node: ConditionItem, env: Env, ctx: _Ctx, *, want: bool) -> Env | None:
    assert isinstance(node, ConditionFieldEqualsValueExpression), node
    field, value = node.field, node.value
    known = _value(env, ctx.base, field) if field in env else None
    candidates = [known] if field in env else _candidates(field, value, env, ctx, want)
    if field == "status" and field not in env:
        candidates = ["success", "failure"]  # derived: never absent
    if want and known is not None and isinstance(value, SigmaString):
        candidates.append(f"{known} {_example(value)}")  # `contains|all`: every part, in turn
    for candidate in candidates:
        if _matches(value, candidate, env, ctx.base) == want:
            return {**env, field: DELETE if candidate is None else candidate}
    return None


def _candidates(field: str, value: Any, env: Env, ctx: _Ctx, want: bool) -> list[str | None]:
    if not want:  # keep the base event's value when it already fails, else anything else
        return [_value({}, ctx.base, field), OTHER, None]
    if isinstance(value, SigmaNull):
        return [None]
    if isinstance(value, SigmaRegularExpression):
        return [ctx.hints.get(field)]
    if isinstance(value, SigmaFieldReference):
        return [_value(env, ctx.base, value.field) or OTHER]
    if isinstance(value, SigmaBool):
        return [str(value.boolean).lower()]
    if isinstance(value, SigmaNumber):
        return [str(value.number)]
    return [_example(value)]


def _example(value: SigmaString) -> str:
    """A string the pattern matches: wildcards as nothing (or `x` when nothing is left)."""
    single = SpecialChars.WILDCARD_SINGLE
    text = "".join(p if isinstance(p, str) else "x" * (p is single) for p in value.s)
    return text or "x"


def _value(env: Env, base: dict[str, Any], field: str) -> str | None:
    if field in env:
        found = env[field]
        return None if found is DELETE else str(found)
    node: Any = base
    for part in field.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return None if node is None or isinstance(node, dict | list) else str(node)


def _matches(value: Any, text: str | None, env: Env, base: dict[str, Any]) -> bool:
    """Sigma's judgement of one field's value (None: the field is absent)."""
    if isinstance(value, SigmaNull):
        return text is None
    if text is None:
        return False
    if isinstance(value, SigmaRegularExpression):
        return re.search(str(value.regexp), text) is not None
    if isinstance(value, SigmaFieldReference):
        other = _value(env, base, value.field)
        return other is not None and other.lower() == text.lower()
    if isinstance(value, SigmaBool):
        return text.lower() == str(value.boolean).lower()
    if isinstance(value, SigmaNumber):
        return text == str(value.number)
    return re.fullmatch(_regex(value), text, re.IGNORECASE | re.DOTALL) is not None


def _regex(value: SigmaString) -> str:
    parts = {SpecialChars.WILDCARD_MULTI: ".*", SpecialChars.WILDCARD_SINGLE: "."}
    return "".join(re.escape(p) if isinstance(p, str) else parts.get(p, "") for p in value.s)


def record_of(env: Env) -> dict[str, Any]:
    """The factory's event with the solved fields; fields under a JSON object built as CloudTrail
    writes them (a list where CloudTrail has one, `fields.LISTS`)."""
    overrides: dict[str, Any] = {}
    trees: dict[str, Any] = {}
    for field, value in env.items():
        if field == "status":  # derived from errorCode (models/sigma/fields.py)
            failed = value is not DELETE and str(value).lower() != "success"
            overrides["errorCode"] = "AccessDenied" if failed else DELETE
            continue
        root, _, path = field.partition(".")
        if root in JSON_COLUMN_OF and root != "userIdentity":
            if path:
                _put(trees.setdefault(root, {}), JSON_COLUMN_OF[root], path.split("."), value)
            elif value is DELETE:  # the whole object absent: CloudTrail writes null
                trees[root] = None
            else:  # a match on the whole object's text: one member holds it
                trees.setdefault(root, {})["detail"] = value
        else:
            overrides[field.replace(".", "__")] = value
    return cloudtrail_event(**overrides, **trees)


def _put(tree: dict[str, Any], column: str, path: list[str], value: Any) -> None:
    node = tree
    for depth, part in enumerate(path[:-1], start=1):
        listed = (column, tuple(path[:depth])) in LISTS
        child = node.setdefault(part, [{}] if listed else {})
        node = child[0] if listed else child
    if value is not DELETE:
        node[path[-1]] = value


def holds(rule: SigmaRule, record: dict[str, Any]) -> bool:
    """Sigma's judgement of a raw record (fields under a list: its first element)."""
    return _holds(condition(rule), record)


def _holds(node: ConditionItem, record: dict[str, Any]) -> bool:
    if isinstance(node, ConditionAND):
        return all(_holds(a, record) for a in node.args)
    if isinstance(node, ConditionOR):
        return any(_holds(a, record) for a in node.args)
    if isinstance(node, ConditionNOT):
        return not _holds(node.args[0], record)
    assert isinstance(node, ConditionFieldEqualsValueExpression)
    return _matches(node.value, _read(record, node.field), {}, record)


def _read(record: dict[str, Any], field: str) -> str | None:
    if field == "status":  # no CloudTrail field: trailguard derives it from errorCode
        return "failure" if record.get("errorCode") else "success"
    node: Any = record
    for part in field.split("."):
        if isinstance(node, list):
            node = node[0] if node else None
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict | list):
        return str(node)  # a whole object's text, for `contains` rules
    return None if node is None else str(node)
