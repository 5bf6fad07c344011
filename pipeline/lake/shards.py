"""Shards: whole accounts grouped so that per-account work can run as one task per shard.

A principal's events all live in its account's partitions of the lake (`account_id` is the account
an event was recorded in, and features are keyed by principal and account), so a shard of whole
accounts computes the same rows for its principals as the whole lake would, and reads only its
accounts' files. What spans accounts (a peer group's history) is merged after a first pass over
every shard. Shards are balanced by a weight per account (its bytes of Parquet, its feature rows)
and are at most one per account: the largest account bounds the smallest shard.

`Each` is how a caller runs one function over every shard: `in_turn` here, one after another in
this process; a Prefect flow passes one that maps them as tasks on its task runner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

R = TypeVar("R")
Shard = tuple[str, ...]  # the account ids of one shard, sorted


class Each(Protocol):
    """Runs `fn(*call)` for each call and returns the results in call order."""

    def __call__(self, fn: Callable[..., R], calls: Sequence[tuple[Any, ...]]) -> list[R]: ...


def in_turn(fn: Callable[..., R], calls: Sequence[tuple[Any, ...]]) -> list[R]:
    """`fn(*call)` for each call, one after another (at most one shard in memory at a time)."""
    return [fn(*call) for call in calls]


def assign(weights: Mapping[str, int], count: int) -> tuple[Shard, ...]:
    """Accounts in at most `count` shards of similar total weight (heaviest placed first)."""
    if count < 1:
        raise ValueError(f"shards must be at least 1, not {count}")
    totals = [0] * min(count, len(weights))
    members: list[list[str]] = [[] for _ in totals]
    for account, weight in sorted(weights.items(), key=lambda item: (-item[1], item[0])):
        lightest = min(range(len(totals)), key=lambda i: (totals[i], i))
        totals[lightest] += weight
        members[lightest].append(account)
    return tuple(tuple(sorted(accounts)) for accounts in members)


def account_weights(table: pa.Table) -> dict[str, int]:
    """Rows per `account_id` of a table (the weight of an account in a scoring shard)."""
    counts = pc.value_counts(table.column("account_id")).to_pylist()
    return {str(entry["values"]): int(entry["counts"]) for entry in counts}


def rows_of(table: pa.Table, shard: Shard) -> pa.Table:
    """The rows of `table` whose `account_id` is in `shard`."""
    return table.filter(pc.is_in(table.column("account_id"), pa.array(shard, pa.string())))
