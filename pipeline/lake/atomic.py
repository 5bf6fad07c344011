"""Files of the lake that appear whole or not at all.

Each is written under a dot-name (`.<name>.tmp`, which `partition_files` never lists) and then
renamed: a crash leaves either no file or the whole one, and a failed write (a full disk, a
quota) removes what it wrote at once. `compact.init_lake` removes the dot-names a crash left.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trailguard.pipeline.faults import crash_point
from trailguard.pipeline.lake.layout import new_part_name


def write_part(folder: Path, data: bytes) -> Path:
    """A new Parquet file in `folder` holding `data`, appearing at once."""
    folder.mkdir(parents=True, exist_ok=True)
    name = new_part_name()
    tmp = folder / f".{name}.tmp"
    with removed_on_error(tmp):  # a full disk: the part written is freed at once
        tmp.write_bytes(data)
    crash_point("parquet_tmp")
    final = folder / name
    os.replace(tmp, final)
    crash_point("parquet_done")
    return final


@contextmanager
def removed_on_error(path: Path) -> Iterator[None]:
    """Remove `path` if the block fails (a write refused half-way: a full disk, a quota)."""
    try:
        yield
    except BaseException:
        path.unlink(missing_ok=True)
        raise
