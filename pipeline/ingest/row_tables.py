"""Lake-schema tables of normalised rows, their derived columns computed once per distinct value.

Rows converted in bulk (`pipeline.ingest.chunks`) and rows `normalize_event` made one by one
both become Arrow tables of the lake schema here; a derived column (the identity's columns from
its userIdentity JSON, the base event name, whether the source is an IP) is computed once per
distinct value (hashed by Arrow: one principal makes thousands of calls), then spread with `take`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from operator import itemgetter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from trailguard.pipeline.ingest.identity import IDENTITY_COLUMNS, identity_columns
from trailguard.pipeline.ingest.normalize import base_event_name, looks_like_ip
from trailguard.pipeline.lake.schema import SCHEMA, UTC_TS

# The lake schema and each row's position among the records added (`BulkRows`).
WITH_POSITION = SCHEMA.append(pa.field("_position", pa.int64()))
# The identity columns but the JSON text itself, which the row already has.
_DERIVED_IDENTITY = pa.schema(
    [SCHEMA.field(name) for name in IDENTITY_COLUMNS if name != "user_identity"]
)


def with_derived_columns(part: pa.Table, ingested_at: datetime) -> pa.Table:
    """The lake schema's columns of converted plain records (and `_position`)."""
    n = part.num_rows
    columns = {name: part[name] for name in part.column_names}
    columns["event_id_derived"] = _constant(n, False, pa.bool_())
    columns["ingested_at"] = _constant(n, ingested_at, UTC_TS)
    columns["extra"] = pa.nulls(n, pa.string())
    columns["event_name_base"] = _per_distinct(part["event_name"], base_event_name, pa.string())
    columns["source_is_ip"] = _per_distinct(part["source_ip_address"], looks_like_ip, pa.bool_())
    columns.update(_identity_columns(part["user_identity"]))
    return pa.table(
        [columns[name] for name in WITH_POSITION.names], names=WITH_POSITION.names
    ).cast(WITH_POSITION)


def _identity_columns(texts: pa.ChunkedArray) -> dict[str, pa.Array]:
    """`IDENTITY_COLUMNS` from each row's userIdentity JSON: derived once per distinct text
    (hashed by Arrow: one principal makes thousands of calls), then spread with `take`."""
    encoded = texts.combine_chunks().dictionary_encode(null_encoding="encode")
    distinct = [identity_columns(text) for text in encoded.dictionary.to_pylist()]
    derived = pa.Table.from_pylist(distinct, schema=_DERIVED_IDENTITY).take(encoded.indices)
    return {name: derived[name] for name in _DERIVED_IDENTITY.names}


def _constant(n: int, value: object, dtype: pa.DataType) -> pa.Array:
    return pc.fill_null(pa.nulls(n, dtype), pa.scalar(value, dtype))


def _per_distinct(
    values: pa.ChunkedArray, fn: Callable[[Any], Any], dtype: pa.DataType
) -> pa.Array:
    """`fn` of each value, called once per distinct value (None included)."""
    encoded = values.combine_chunks().dictionary_encode(null_encoding="encode")
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], dtype)
    return mapped.take(encoded.indices)


class SlowRows:
    """Rows `normalize_event` made one by one, as a table of the lake schema; the identity
    columns are built once per distinct userIdentity and spread with `take`."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.identity_ids: list[int] = []
        self.identities: dict[str | None, int] = {}

    def add(self, row: dict[str, Any], identity: str | None) -> None:
        self.rows.append(row)
        self.identity_ids.append(self.identities.setdefault(identity, len(self.identities)))

    def to_table(self) -> pa.Table:
        """The rows as an Arrow table of the lake schema."""
        distinct = [identity_columns(text) for text in self.identities]
        take = pa.array(self.identity_ids, pa.int32())
        columns = {}
        for name, dtype in zip(SCHEMA.names, SCHEMA.types, strict=True):
            if name in IDENTITY_COLUMNS:
                values = pa.array([row[name] for row in distinct], type=dtype)
                columns[name] = values.take(take)
            else:
                columns[name] = pa.array(list(map(itemgetter(name), self.rows)), type=dtype)
        return pa.table(columns, schema=SCHEMA)
