"""Sigma rule packs: read the rules of folders (or the bundled SigmaHQ pack), keep those for
CloudTrail, compile each to a DuckDB predicate over the `events` view.

A rule is data: its field names and values reach SQL only through the backend
(models/sigma/backend.py), which renders fields from the lake's own columns and quotes values,
and every compiled predicate is bound once against an empty table of the lake's schema, so a rule
DuckDB refuses is skipped here, with its reason, rather than failing a detection run. A rule that
cannot run is skipped, never guessed at: `SigmaPack.skipped` says which and why.

Packs are given as folders, or `BUNDLED` for SigmaHQ's CloudTrail rules shipped in the wheel
(`models/sigma/rules/`, DRL 1.1: every match keeps the rule's author and id) less those
`models/sigma/defaults.toml` holds back (rules below `medium`, rules an exact rule reports
already), or `BUNDLED_ALL` for all of them. Bundled rules known not to run are listed with the
reason in `models/sigma/unsupported.toml`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import cast

import duckdb
import pyarrow as pa
import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.filters import SigmaFilter
from sigma.rule import SigmaRule

from trailguard.models.sigma.backend import DuckDBBackend
from trailguard.models.sigma.fields import cloudtrail_pipeline
from trailguard.pipeline.lake.schema import SCHEMA
from trailguard.pipeline.sqlfiles import read_sql

BUNDLED = "bundled"  # the bundled pack among folders, less what defaults.toml holds back
BUNDLED_ALL = "bundled-all"  # every bundled rule
BUNDLED_PACK = "SigmaHQ"
BUNDLED_LICENCE = "DRL 1.1"
_HERE = resources.files("trailguard.models.sigma")


@dataclass(frozen=True)
class SigmaQuery:
    """One CloudTrail Sigma rule, compiled: what it is, who wrote it, and its DuckDB predicate."""

    rule_id: str
    title: str
    author: str | None
    level: str | None  # informational, low, medium, high, critical
    status: str | None
    description: str | None
    tags: tuple[str, ...]
    falsepositives: tuple[str, ...]
    predicate: str  # a boolean SQL expression over the columns of the `events` view
    pack: str  # SigmaHQ for the bundled rules, else the folder given
    path: str  # the rule's file within its pack
    licence: str | None  # the pack's (DRL 1.1 for SigmaHQ's), else the rule's own `license`


@dataclass(frozen=True)
class Skipped:
    """A CloudTrail rule that does not run, and why."""

    pack: str
    path: str
    rule_id: str | None
    title: str | None
    reason: str


@dataclass(frozen=True)
class SigmaPack:
    """The compiled rules of some packs, the CloudTrail rules skipped, and how many rules were for
    other log sources (not CloudTrail: not ours to run)."""

    queries: tuple[SigmaQuery, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    other_logsources: int = 0
    held_back: tuple[Skipped, ...] = ()  # bundled rules the default pack leaves off, and why


NO_RULES = SigmaPack()  # Sigma turned off


@dataclass(frozen=True)
class _RuleFile:
    pack: str
    path: str
    text: str
    licence: str | None
    curated: bool = False  # a rule of the default bundled pack: defaults.toml may hold it back


def load_pack(sources: Sequence[str | Path]) -> SigmaPack:
    """The CloudTrail rules of every source (a folder, or `BUNDLED`), compiled in file order, each
    with the Sigma filters of every source applied; the first rule of an id wins."""
    files = [
        item for source in dict.fromkeys(map(str, sources)) for item in read_rule_files(source)
    ]
    parsed = [(item, parse_file(item)) for item in files]
    filters = [
        f for _, found in parsed if isinstance(found, SigmaCollection) for f in found.filters
    ]
    queries: list[SigmaQuery] = []
    skipped: list[Skipped] = []
    held: list[Skipped] = []
    others = 0
    for item, found in parsed:
        if isinstance(found, Skipped):
            skipped.append(found)
            continue
        for rule in found.rules:
            why = held_back(rule, item.path) if item.curated else None
            if why:
                held.append(_skip(item, str(rule.id) if rule.id else None, rule.title, why))
                continue
            result = compile_rule(_filtered(rule, filters), item)
            if result is None:
                others += 1
            elif isinstance(result, Skipped):
                skipped.append(result)
            elif any(q.rule_id == result.rule_id for q in queries):
                skipped.append(_skip(item, result.rule_id, result.title, "duplicate rule id"))
            else:
                queries.append(result)
    return SigmaPack(tuple(queries), tuple(skipped), others, tuple(held))


def read_rule_files(source: str) -> list[_RuleFile]:
    """The `.yml`/`.yaml` files of a folder (recursively) or of the bundled pack, by path."""
    if source in (BUNDLED, BUNDLED_ALL):
        folder = _HERE / "rules"
        text, curated = "utf-8", source == BUNDLED
        return [
            _RuleFile(BUNDLED_PACK, f.name, f.read_text(text), BUNDLED_LICENCE, curated)
            for f in sorted(_yaml_files(folder), key=lambda f: f.name)
        ]
    root = Path(source)
    if not root.is_dir():
        raise FileNotFoundError(f"Sigma rules folder not found: {root}")
    found = sorted(p for p in root.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    return [
        _RuleFile(str(root), str(p.relative_to(root)), p.read_text(encoding="utf-8"), None)
        for p in found
    ]


def _yaml_files(folder: Traversable) -> Iterator[Traversable]:
    return (f for f in folder.iterdir() if f.name.endswith((".yml", ".yaml")))


def parse_file(item: _RuleFile) -> SigmaCollection | Skipped:
    """The rules and filters of one file (correlations are not resolved: they are not run)."""
    try:
        return SigmaCollection.from_yaml(item.text, collect_errors=True, resolve_references=False)
    except (yaml.YAMLError, SigmaError) as exc:
        return _skip(item, None, None, f"not a readable Sigma file: {_first_line(exc)}")


def compile_file(item: _RuleFile) -> list[SigmaQuery | Skipped | None]:
    """Each rule of one file, alone: compiled, skipped with a reason, or None (another log
    source)."""
    found = parse_file(item)
    if isinstance(found, Skipped):
        return [found]
    return [compile_rule(rule, item) for rule in found.rules]


def _filtered(
    rule: SigmaRule | SigmaCorrelationRule, filters: list[SigmaFilter]
) -> SigmaRule | SigmaCorrelationRule:
    """The rule with every filter that names it applied (Sigma filters tune a rule from outside
    it: an environment's known noise, without editing the rule)."""
    for sigma_filter in filters:
        rule = sigma_filter.apply_on_rule(rule)
    return rule


def compile_rule(
    rule: SigmaRule | SigmaCorrelationRule, item: _RuleFile
) -> SigmaQuery | Skipped | None:
    """One rule as a `SigmaQuery`, or why it does not run (None: not a CloudTrail rule)."""
    rule_id = str(rule.id) if rule.id else None
    if isinstance(rule, SigmaCorrelationRule):
        return _skip(item, rule_id, rule.title, "a correlation rule: trailguard matches events")
    if not _is_cloudtrail(rule):
        return None
    listed = unsupported().get(item.path) if item.pack == BUNDLED_PACK else None
    problem = listed or _problem(rule, rule_id)
    if problem:
        return _skip(item, rule_id, rule.title, problem)
    backend = DuckDBBackend(cloudtrail_pipeline())
    predicates = backend.predicates(rule)
    if backend.errors or not predicates:
        why = _first_line(backend.errors[0][1]) if backend.errors else "no query"
        return _skip(item, rule_id, rule.title, f"cannot be compiled: {why}")
    predicate = " OR ".join(f"({p})" for p in predicates)
    refused = bind_error(predicate)
    if refused:
        return _skip(item, rule_id, rule.title, f"DuckDB refuses the compiled SQL: {refused}")
    return _query(rule, str(rule_id), predicate, item)


def _problem(rule: SigmaRule, rule_id: str | None) -> str | None:
    if rule.errors:
        return f"not a valid Sigma rule: {_first_line(rule.errors[0])}"
    if rule_id is None:
        return "no `id`: a finding's id is derived from its rule's"
    return None


def _is_cloudtrail(rule: SigmaRule) -> bool:
    product, service = rule.logsource.product or "", rule.logsource.service or ""
    return product.lower() == "aws" and service.lower() == "cloudtrail"


def _query(rule: SigmaRule, rule_id: str, predicate: str, item: _RuleFile) -> SigmaQuery:
    return SigmaQuery(
        rule_id=rule_id,
        title=rule.title,
        author=rule.author or None,
        level=rule.level.name.lower() if rule.level else None,
        status=rule.status.name.lower() if rule.status else None,
        description=rule.description.strip() if rule.description else None,
        tags=tuple(str(t) for t in rule.tags),
        falsepositives=tuple(str(f) for f in rule.falsepositives),
        predicate=predicate,
        pack=item.pack,
        path=item.path,
        licence=item.licence or (str(rule.license) if rule.license else None),
    )


def _skip(item: _RuleFile, rule_id: str | None, title: str | None, reason: str) -> Skipped:
    return Skipped(item.pack, item.path, rule_id, title, reason)


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def bind_error(predicate: str) -> str | None:
    """DuckDB's first line of refusal of a predicate over an empty `events` table, or None."""
    con = _schema_connection()
    try:
        con.execute(read_sql("detect/sigma_check.sql").format(predicate=predicate)).fetchall()
    except duckdb.Error as exc:
        return _first_line(exc)
    return None


@cache
def _schema_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding `events`: no rows, the view's columns (with its partitions)."""
    con = duckdb.connect()
    partitions = [pa.field("event_date", pa.date32()), pa.field("account_id", pa.string())]
    con.register("events", pa.schema([*SCHEMA, *partitions]).empty_table())
    return con


_LEVELS = ("informational", "low", "medium", "high", "critical")


def held_back(rule: SigmaRule | SigmaCorrelationRule, path: str) -> str | None:
    """Why the default bundled pack leaves this rule off (models/sigma/defaults.toml), or None."""
    config = _defaults()
    superseded = cast(dict[str, str], config.get("superseded", {}))
    if path in superseded:
        return f"off by default (--sigma bundled-all runs it): {superseded[path]}"
    level = rule.level.name.lower() if rule.level else None
    minimum = str(config.get("min_level", "informational"))
    if level in _LEVELS and _LEVELS.index(level) < _LEVELS.index(minimum):
        return f"off by default (--sigma bundled-all runs it): level {level}, below {minimum}"
    return None


@cache
def _defaults() -> dict[str, object]:
    return tomllib.loads((_HERE / "defaults.toml").read_text(encoding="utf-8"))


@cache
def unsupported() -> dict[str, str]:
    """Bundled rule file -> why it does not run (`models/sigma/unsupported.toml`)."""
    data = tomllib.loads((_HERE / "unsupported.toml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.get("rules", {}).items()}
