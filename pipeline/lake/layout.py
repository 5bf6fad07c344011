"""Where the lake's files live: the only code that knows the folder layout of the lake.

Layout: `<lake>/events/event_date=YYYY-MM-DD/account_id=<12 digits>/part-*.parquet`. Rows are
partitioned by the event's own date (from `eventTime`, not the delivery date in the key) and the
account the event was recorded in. An event's id fixes its time and account, hence its
partition, so the writer checks only the partition for a repeated id (`pipeline.lake.dedup`).

How the files are encoded is `pipeline.lake.parquet`; how they are written, `pipeline.lake.write`
(every file appears atomically: `pipeline.lake.atomic`), and merged, `pipeline.lake.compact`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

EVENTS_DIR = "events"
# A partition folder's account: 1 to 64 of [0-9A-Za-z_-], at least one a letter or digit (a name
# of dashes alone, "-" say, reads as an option to shell tools).
_SAFE_ACCOUNT = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_HAS_ALNUM = r"[0-9A-Za-z]"


@dataclass(frozen=True)
class Partition:
    """One folder of the lake: an event date and an account."""

    event_date: str
    account_id: str

    def path(self, lake: Path) -> Path:
        """The partition's folder."""
        return lake / EVENTS_DIR / f"event_date={self.event_date}" / f"account_id={self.account_id}"


def partition_accounts(table: pa.Table, fallback: pa.Array) -> pa.Array:
    """The account each row belongs to: recipient account, else the caller's, else the key's."""
    account = pc.coalesce(
        table["recipient_account_id"], table["identity_account_id"], fallback, pa.scalar("unknown")
    )
    safe = pc.and_(
        pc.match_substring_regex(account, _SAFE_ACCOUNT.pattern),
        pc.match_substring_regex(account, _HAS_ALNUM),
    )
    return pc.if_else(safe, account, pa.scalar("invalid"))


def new_part_name() -> str:
    """A name for a new Parquet file of a partition, unique without asking the folder."""
    return f"part-{uuid.uuid4().hex}.parquet"


def partition_files(folder: Path) -> list[Path]:
    """The committed Parquet files of a partition folder (not temporary or hidden ones)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))


def touched_partitions(lake: Path) -> list[Path]:
    """Every partition folder of the lake."""
    return sorted(p for p in (lake / EVENTS_DIR).glob("event_date=*/account_id=*") if p.is_dir())


def account_sizes(lake: Path, since: date | None = None) -> dict[str, int]:
    """Bytes of committed Parquet per account, in partitions dated `since` or later."""
    sizes: dict[str, int] = {}
    for folder in touched_partitions(lake):
        day = folder.parent.name.removeprefix("event_date=")
        files = partition_files(folder)
        if files and (since is None or day >= since.isoformat()):
            account = folder.name.removeprefix("account_id=")
            sizes[account] = sizes.get(account, 0) + sum(f.stat().st_size for f in files)
    return sizes


def events_globs(
    lake: Path, accounts: Iterable[str] | None = None, *, relative: bool = False
) -> list[str]:
    """Globs of the lake's Parquet files: every file, or those of `accounts` (each a folder);
    `relative` to the lake's folder, or absolute."""
    events = Path(EVENTS_DIR) if relative else lake.resolve() / EVENTS_DIR
    if accounts is None:
        return [f"{events}/*/*/*.parquet"]
    return [f"{events}/event_date=*/account_id={account}/*.parquet" for account in accounts]
