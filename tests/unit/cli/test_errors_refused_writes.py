"""A write the machine refuses (a full disk, a quota, a read-only file system) is one line,
exit 1, naming the file when the OS does; DuckDB's own words for it count too."""

from __future__ import annotations

import errno
from pathlib import Path

import duckdb

from trailguard.pipeline.cli.errors import FAILED, explain

LAKE = Path("/srv/lake")


def test_a_full_disk_names_the_file_and_says_a_rerun_loses_nothing() -> None:
    error = OSError(errno.ENOSPC, "No space left on device", "/srv/lake/events/x/.part.tmp")

    message, code = explain(error, LAKE) or ("", 0)

    assert code == FAILED
    assert message.startswith(
        "could not write to the lake /srv/lake (No space left on device writing "
        "/srv/lake/events/x/.part.tmp): free some space"
    )
    assert "run the command again" in message


def test_a_quota_and_a_read_only_file_system_are_refused_writes_too() -> None:
    for number, words in ((errno.EDQUOT, "Disk quota exceeded"), (errno.EROFS, "Read-only")):
        message, code = explain(OSError(number, words), LAKE) or ("", 0)
        assert code == FAILED and words in message


def test_duckdb_failing_to_commit_on_a_full_disk_is_a_refused_write() -> None:
    error = duckdb.TransactionException(
        'TransactionContext Error: Failed to commit: Could not write file "/srv/lake/'
        'trailguard.duckdb.wal": No space left on device'
    )

    message, code = explain(error, LAKE) or ("", 0)

    assert code == FAILED and "trailguard.duckdb.wal" in message


def test_other_os_errors_are_not_taken_for_a_full_disk() -> None:
    assert explain(OSError(errno.EIO, "Input/output error"), LAKE) is None
