"""How the lake's Parquet files are encoded: codecs, dictionaries and statistics per column.

A batch's small file (~1,000 rows of a partition) and a compacted one (many batches merged) are
encoded differently (see `_BATCH_COMPRESSION`); every decision about a column's encoding is here.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from trailguard.pipeline.lake.schema import JSON_FIELDS, SCHEMA

ROW_GROUP_ROWS = 128_000
# Columns whose values (nearly) never repeat: a dictionary there only costs a hash per value and
# a page per file, for a larger file. Every other column is dictionary-encoded (Parquet's default).
_UNIQUE_COLUMNS = frozenset(["event_id", "event_time", "request_id", "shared_event_id"])
_DICTIONARY_COLUMNS = [name for name in SCHEMA.names if name not in _UNIQUE_COLUMNS]
# Free text and JSON: no query prunes files by their min/max, and computing it costs a string
# comparison per value. Every other column keeps its statistics.
_FREE_TEXT_COLUMNS = frozenset(
    ["user_identity", *JSON_FIELDS.values(), "extra", "error_message", "user_agent"]
)
_STATISTICS_COLUMNS = [name for name in SCHEMA.names if name not in _FREE_TEXT_COLUMNS]
# Flags, short enumerations and account numbers: in a batch's small file (~1,000 rows) their
# pages are a few bytes once dictionary- and run-length-encoded, which zstd only makes larger
# (its frame) while costing a compression context per page: a sixth of such a file's encoding.
# Compaction, whose files are large, compresses every column.
_SMALL_VALUE_COLUMNS = frozenset(
    [
        *("read_only", "management_event", "event_id_derived", "source_is_ip"),
        *("session_mfa_authenticated", "session_credential_from_console", "ingested_at"),
        *("event_version", "event_type", "event_category", "aws_region", "api_version"),
        *("identity_type", "session_issuer_type", "principal_kind", "error_code"),
        *("identity_invoked_by", "recipient_account_id", "identity_account_id"),
        *("session_issuer_account_id", "vpc_endpoint_account_id"),
    ]
)
_BATCH_COMPRESSION = {n: "none" if n in _SMALL_VALUE_COLUMNS else "zstd" for n in SCHEMA.names}


def to_parquet(table: pa.Table) -> bytes:
    """Rows of the lake schema as the bytes of one batch's Parquet file (`_BATCH_COMPRESSION`)."""
    sink = pa.BufferOutputStream()
    table = table if table.schema == SCHEMA else table.cast(SCHEMA)
    pq.write_table(
        table,
        sink,
        compression=_BATCH_COMPRESSION,
        row_group_size=ROW_GROUP_ROWS,
        use_dictionary=_DICTIONARY_COLUMNS,
        write_statistics=_STATISTICS_COLUMNS,
    )
    return bytes(sink.getvalue())


def from_parquet(data: bytes) -> pa.Table:
    """The rows (lake schema) of a Parquet file's bytes made by `to_parquet`."""
    return pq.read_table(pa.BufferReader(data)).cast(SCHEMA)


def compacted_writer(path: Path) -> pq.ParquetWriter:
    """A writer of one compacted file at `path`: every column compressed (zstd)."""
    return pq.ParquetWriter(
        path,
        SCHEMA,
        compression="zstd",
        use_dictionary=_DICTIONARY_COLUMNS,
        write_statistics=_STATISTICS_COLUMNS,
    )
