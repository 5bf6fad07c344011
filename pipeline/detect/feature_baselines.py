"""Per-principal and per-peer-group feature baselines: the mean of each feature over the
trailing BASELINE before an episode, for the principal alone and for its peer group, read from
the features table once per run. An anomaly finding's top features (pipeline/detect/explain.py)
compare their values with these means.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trailguard.pipeline.detect.anomaly import Episode
from trailguard.pipeline.features.build import BASELINE


class Baselines:
    """Per-principal and per-peer-group means of each feature before a time, from the table."""

    def __init__(self, table: pa.Table, columns: list[str]) -> None:
        self.columns = columns
        # Hour starts as integers in the column's unit: a datetime object per row cost seconds.
        self.unit = table.schema.field("window_start").type
        self.starts = pc.cast(table.column("window_start"), pa.int64()).to_numpy()
        self.values = {c: table.column(c).to_numpy(zero_copy_only=False) for c in columns}
        # Row numbers (ascending) of each principal and each peer group, found once: comparing
        # every row's key per episode cost a scan of the table per finding.
        self.own_rows = _row_numbers([table.column("principal_key"), table.column("account_id")])
        self.peer_rows = _row_numbers([table.column("peer_group")])

    def means(self, episode: Episode, peer_group: str) -> tuple[dict[str, float], dict[str, float]]:
        """(principal's, peer group's) mean per feature over the trailing baseline."""
        own = self.own_rows.get((episode.principal, episode.account_id), _NO_ROWS)
        peers = self.peer_rows.get((peer_group,), _NO_ROWS)
        return self._mean(self._before(own, episode)), self._mean(self._before(peers, episode))

    def _before(self, rows: Any, episode: Episode) -> Any:
        starts = self.starts[rows]
        end, start = self._moment(episode.start), self._moment(episode.start - BASELINE)
        return rows[(starts < end) & (starts >= start)]

    def _moment(self, value: datetime) -> int:
        """`value` as an integer of `starts` (the same unit and epoch)."""
        return int(pa.scalar(value, type=self.unit).cast(pa.int64()).as_py())

    def _mean(self, rows: Any) -> dict[str, float]:
        if not len(rows):
            return {}
        return {c: round(float(self.values[c][rows].mean()), 3) for c in self.columns}


_NO_ROWS = np.zeros(0, dtype=np.int64)


def _row_numbers(columns: list[pa.ChunkedArray]) -> dict[tuple[Any, ...], Any]:
    """Row numbers (ascending) of each distinct combination of the columns' values (nulls too)."""
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    dictionaries: list[list[Any]] = []
    for column in columns:
        encoded = pc.dictionary_encode(column, null_encoding="encode").combine_chunks()
        dictionaries.append(encoded.dictionary.to_pylist())
        codes = codes * len(dictionaries[-1]) + encoded.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")  # stable: each group's rows stay ascending
    found: dict[tuple[Any, ...], Any] = {}
    for rows in np.split(order, np.flatnonzero(np.diff(codes[order])) + 1):
        if len(rows):
            found[_decode(int(codes[rows[0]]), dictionaries)] = rows
    return found


def _decode(code: int, dictionaries: list[list[Any]]) -> tuple[Any, ...]:
    """The values a combined code stands for (see `_row_numbers`)."""
    values = []
    for dictionary in reversed(dictionaries):
        code, index = divmod(code, len(dictionary))
        values.append(dictionary[index])
    return tuple(reversed(values))
