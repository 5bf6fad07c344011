"""A small OCSF resolver and validator over the uncompiled 1.6.0 schema sources.

What the OCSF compiler does, reduced to what a payload check needs: a class or object `extends`
its parent (child keys win), `$include`s pull in profile attributes (tagged with the profile, so
they are only required when the event lists that profile in `metadata.profiles`), and every
attribute takes its type, array-ness and enum from `dictionary.json` unless the class narrows it.
Class-level enums are derived as the compiler does: `class_uid = category_uid * 1000 + uid`,
`type_uid = class_uid * 100 + activity_id`. The observable `type_id` enum gains the `observable`
numbers declared on types, dictionary attributes and objects.

Beyond types and enums, three rules of the schema that a payload can break quietly: an attribute
that a profile brings in (`actor` is the `host` profile's) is only valid when `metadata.profiles`
declares that profile; an enum value marked `@deprecated` is not to be sent (account `type_id` 3
"AWS IAM User" since 1.6.0); and a caption sibling (`type` of `type_id`, `severity` of
`severity_id`, as the dictionary's `sibling` says) must be the caption of the id, unless the id is
99 Other, whose caption the source names.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA = Path(__file__).resolve().parents[2] / "tests" / "data" / "ocsf-schema-1.6.0"

Spec = dict[str, Any]


@cache
def _json(relative: str) -> Any:
    return json.loads((SCHEMA / relative).read_text(encoding="utf-8"))


@cache
def dictionary() -> dict[str, Spec]:
    """Attribute definitions of dictionary.json."""
    return dict(_json("dictionary.json")["attributes"])


@cache
def types() -> dict[str, Spec]:
    """Data type definitions (string_t, timestamp_t, ...)."""
    return dict(_json("dictionary.json")["types"]["attributes"])


@cache
def _event_files() -> dict[str, str]:
    return {
        json.loads(p.read_text())["name"]: str(p.relative_to(SCHEMA))
        for p in (SCHEMA / "events").rglob("*.json")
    }


def _merge(parent: dict[str, Spec], child: dict[str, Any]) -> dict[str, Spec]:
    merged = {name: dict(spec) for name, spec in parent.items()}
    for name, spec in child.items():
        if name == "$include":
            continue
        merged[name] = {**merged.get(name, {}), **spec}
    return merged


def _includes(source: dict[str, Any]) -> dict[str, Spec]:
    found: dict[str, Spec] = {}
    for relative in source.get("attributes", {}).get("$include", []):
        profile = _json(relative)
        for name, spec in profile["attributes"].items():
            found[name] = {**spec, "profile": profile["name"]}
    return found


def _resolve(source: dict[str, Any], parent_loader: Any) -> tuple[dict[str, Spec], dict[str, Any]]:
    parent_name = source.get("extends")
    attributes: dict[str, Spec] = {}
    meta: dict[str, Any] = {"constraints": {}}
    if parent_name:
        attributes, meta = parent_loader(parent_name)
        meta = dict(meta)
    attributes = _merge(attributes, _includes(source))
    attributes = _merge(attributes, source.get("attributes", {}))
    meta["constraints"] = source.get("constraints") or meta.get("constraints") or {}
    meta.update({k: source[k] for k in ("uid", "category", "name") if k in source})
    return attributes, meta


@cache
def resolve_object(name: str) -> tuple[dict[str, Spec], dict[str, Any]]:
    """(attributes, meta) of an object with its `extends` chain and includes resolved."""
    return _resolve(_json(f"objects/{name}.json"), resolve_object)


@cache
def _class_chain(name: str) -> tuple[dict[str, Spec], dict[str, Any]]:
    return _resolve(_json(_event_files()[name]), _class_chain)


@cache
def resolve_class(name: str) -> tuple[dict[str, Spec], dict[str, Any]]:
    """(attributes, meta) of an event class, with class_uid/category_uid/type_uid enums derived."""
    attributes, meta = _class_chain(name)
    attributes = _merge(attributes, {})
    category = _json("categories.json")["attributes"][meta["category"]]
    class_uid = category["uid"] * 1000 + meta["uid"]
    activities = {**dictionary()["activity_id"].get("enum", {})}
    activities.update(attributes["activity_id"].get("enum", {}))
    attributes["activity_id"]["enum"] = activities
    attributes["class_uid"]["enum"] = {str(class_uid): {}}
    attributes["category_uid"]["enum"] = {str(category["uid"]): {}}
    attributes["type_uid"]["enum"] = {str(class_uid * 100 + int(a)): {} for a in activities}
    return attributes, {**meta, "class_uid": class_uid}


def requirement(name: str, level: str, profiles: tuple[str, ...] = ()) -> set[str]:
    """Attributes of class `name` at `level` (required/recommended) for the applied profiles."""
    attributes, _ = resolve_class(name)
    return {
        attr
        for attr, spec in attributes.items()
        if spec.get("requirement") == level and spec.get("profile") in (None, *profiles)
    }


@cache
def _observable_ids() -> dict[str, Any]:
    ids: dict[str, Any] = {"0": {}, "99": {}}
    for spec in [*types().values(), *dictionary().values()]:
        if "observable" in spec:
            ids[str(spec["observable"])] = {}
    for path in (SCHEMA / "objects").glob("*.json"):
        source = json.loads(path.read_text())
        if "observable" in source:
            ids[str(source["observable"])] = {}
    return ids


def validate_event(payload: dict[str, Any], class_name: str = "detection_finding") -> list[str]:
    """Every schema violation of `payload` as a readable path: message."""
    attributes, meta = resolve_class(class_name)
    profiles = tuple(payload.get("metadata", {}).get("profiles", []))
    return _check_object(payload, attributes, meta, profiles, class_name)


def _check_object(
    value: dict[str, Any],
    attributes: dict[str, Spec],
    meta: dict[str, Any],
    profiles: tuple[str, ...],
    path: str,
) -> list[str]:
    errors = [
        f"{path}.{name}: required attribute missing"
        for name, spec in attributes.items()
        if spec.get("requirement") == "required"
        and spec.get("profile") in (None, *profiles)
        and name not in value
    ]
    for group in ("at_least_one", "just_one"):
        names = meta.get("constraints", {}).get(group)
        present = [n for n in names or [] if n in value]
        if names and (not present or (group == "just_one" and len(present) > 1)):
            errors.append(f"{path}: {group} of {names} required")
    for name, item in value.items():
        if name not in attributes:
            errors.append(f"{path}.{name}: not an attribute of this class/object")
            continue
        spec = {**dictionary().get(name, {}), **attributes[name]}
        profile = attributes[name].get("profile")
        if profile is not None and profile not in profiles:
            errors.append(
                f"{path}.{name}: belongs to the {profile!r} profile, "
                f"which metadata.profiles does not declare"
            )
        errors.extend(_check_value(item, spec, name, profiles, f"{path}.{name}"))
        errors.extend(_check_sibling(value, name, spec, path))
    return errors


def _check_sibling(value: dict[str, Any], name: str, spec: Spec, path: str) -> list[str]:
    """The caption sibling of an enum id (`type` of `type_id`) must be the id's caption."""
    sibling = dictionary().get(name, {}).get("sibling")
    enum = spec.get("enum") or {}
    if not sibling or sibling not in value or spec.get("is_array"):
        return []
    item = value[name]
    caption = enum.get(str(item), {}).get("caption")
    if caption is None or str(item) == "99" or value[sibling] == caption:
        return []
    wrong = value[sibling]
    return [f"{path}.{sibling}: {wrong!r} is not the caption of {name} {item} ({caption!r})"]


def _check_value(
    item: Any, spec: Spec, name: str, profiles: tuple[str, ...], path: str
) -> list[str]:
    if spec.get("is_array"):
        if not isinstance(item, list):
            return [f"{path}: expected an array"]
        single = {**spec, "is_array": False}
        return [
            e
            for i, x in enumerate(item)
            for e in _check_value(x, single, name, profiles, f"{path}[{i}]")
        ]
    enum = spec.get("enum")
    if name == "type_id" and path.split(".")[-1].startswith("type_id") and "observables" in path:
        enum = _observable_ids()
    if enum is not None and str(item) not in enum:
        return [f"{path}: {item!r} not in enum {sorted(enum)}"]
    if enum is not None and "@deprecated" in enum[str(item)]:
        note = enum[str(item)]["@deprecated"]
        return [f"{path}: {item!r} is deprecated since {note.get('since')}: {note.get('message')}"]
    return _check_type(item, spec.get("type", "string_t"), profiles, path)


_PRIMITIVES: dict[str, tuple[type, ...]] = {
    "string_t": (str,),
    "integer_t": (int,),
    "long_t": (int,),
    "float_t": (int, float),
    "boolean_t": (bool,),
}


def _check_type(item: Any, type_name: str, profiles: tuple[str, ...], path: str) -> list[str]:
    if type_name == "json_t":
        return []
    if type_name == "object":
        return [] if isinstance(item, dict) else [f"{path}: expected an object"]
    if (SCHEMA / "objects" / f"{type_name}.json").exists():
        if not isinstance(item, dict):
            return [f"{path}: expected a {type_name} object"]
        attributes, meta = resolve_object(type_name)
        return _check_object(item, attributes, meta, profiles, path)
    spec = types()[type_name]
    base = spec.get("type", type_name)
    allowed = _PRIMITIVES[base]
    if (isinstance(item, bool) and bool not in allowed) or not isinstance(item, allowed):
        return [f"{path}: {item!r} is not {type_name}"]
    regex = spec.get("regex")
    if regex and not re.match(regex, str(item)):
        return [f"{path}: {item!r} does not match {type_name}"]
    return []
