"""A local folder as a source: what it lists (and says it will not read), and that reading gives
every byte of a regular file, never waits on anything else, and stops past the limit."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

from trailguard.pipeline.ingest.limits import ObjectTooLarge
from trailguard.pipeline.ingest.sources import local
from trailguard.pipeline.ingest.sources.layout import ObjectRef, Skipped
from trailguard.pipeline.ingest.sources.local import LocalSource, SourceError

KEY = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_x.json.gz"


def _put(root: Path, key: str, data: bytes) -> Path:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_listed_object_reads_back_byte_for_byte(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40
    _put(tmp_path, KEY, data)
    source = LocalSource(tmp_path)
    (ref,) = source.list_objects()
    assert (ref.key, ref.size) == (KEY, len(data))
    assert source.read_object(ref) == data


def test_a_file_that_grew_after_the_listing_is_read_whole(tmp_path: Path) -> None:
    path = _put(tmp_path, KEY, b"x" * 1000)
    source = LocalSource(tmp_path)
    (ref,) = source.list_objects()
    grown = b"y" * (3 << 20)  # past the first read and past one read's chunk
    path.write_bytes(grown)
    assert source.read_object(ref) == grown


def test_a_file_that_shrank_after_the_listing_reads_as_it_is_now(tmp_path: Path) -> None:
    path = _put(tmp_path, KEY, b"x" * 1000)
    source = LocalSource(tmp_path)
    (ref,) = source.list_objects()
    path.write_bytes(b"short")
    assert source.read_object(ref) == b"short"


def test_an_empty_file_reads_as_no_bytes(tmp_path: Path) -> None:
    _put(tmp_path, KEY, b"")
    source = LocalSource(tmp_path)
    (ref,) = source.list_objects()
    assert source.read_object(ref) == b""


def test_listing_passes_digests_by_names_symlinks_unfollowed_and_goes_in_key_order(
    tmp_path: Path,
) -> None:
    later = KEY.replace("2024/05/01", "2024/05/02")
    _put(tmp_path, later, b"{}")
    _put(tmp_path, KEY, b"{}")
    _put(tmp_path, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/d.json.gz", b"{}")
    link = tmp_path / "AWSLogs" / "link.json.gz"
    link.symlink_to(tmp_path / KEY)

    listed = list(LocalSource(tmp_path).list_objects())

    assert [ref.key for ref in listed if isinstance(ref, ObjectRef)] == [KEY, later]
    assert [s for s in listed if isinstance(s, Skipped)] == [
        Skipped(str(link), "a symbolic link: not followed")
    ]


def test_a_file_larger_than_one_read_returns_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As Linux does past ~2 GiB: each read returns no more than a cap, short of what was asked.
    monkeypatch.setattr(local, "_ONE_READ", 16)
    read = os.read
    monkeypatch.setattr(local.os, "read", lambda fd, n: read(fd, min(n, 16)))
    data = bytes(range(100))
    _put(tmp_path, KEY, data)
    source = LocalSource(tmp_path)
    (ref,) = source.list_objects()
    assert source.read_object(ref) == data


def test_a_fifo_given_as_the_source_is_refused_in_one_line_before_anything_is_read(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "trail.json.gz"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match=f"^source is a FIFO, not a folder or a file: {fifo}$"):
        LocalSource(fifo)


def test_special_files_in_a_source_are_named_never_opened(tmp_path: Path) -> None:
    _put(tmp_path, KEY, b"{}")
    os.mkfifo(tmp_path / "pipe.json.gz")  # named like a log: reported as unreadable
    os.mkfifo(tmp_path / "pipe")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "agent.sock"))  # a socket path holds ~100 bytes at most

        listed = list(LocalSource(tmp_path).list_objects())

    assert [ref.key for ref in listed if isinstance(ref, ObjectRef)] == [KEY]
    assert [s for s in listed if isinstance(s, Skipped)] == [
        Skipped(str(tmp_path / "agent.sock"), "a socket, not a regular file: not read"),
        Skipped(str(tmp_path / "pipe"), "a FIFO, not a regular file: not read"),
        Skipped(str(tmp_path / "pipe.json.gz"), "a FIFO, not a regular file: not read", True),
    ]


def test_a_fifo_put_in_a_files_place_after_the_listing_reads_as_empty_without_waiting(
    tmp_path: Path,
) -> None:
    path = _put(tmp_path, KEY, b"{}")
    source = LocalSource(tmp_path)
    (ref,) = source.list_objects()
    path.unlink()
    os.mkfifo(path)  # no writer: a blocking open would wait forever

    assert source.read_object(ref) == b""  # quarantined as empty; the next listing names it


def test_a_folder_that_cannot_be_listed_is_reported_as_unreadable_and_the_rest_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _put(tmp_path, KEY, b"{}")
    locked = tmp_path / "AWSLogs" / "444455556666"
    locked.mkdir()
    scandir = os.scandir

    def refusing(path: str) -> Any:
        if path == str(locked):  # as the kernel does for a folder without read permission
            raise PermissionError(13, "Permission denied", path)
        return scandir(path)

    monkeypatch.setattr(local.os, "scandir", refusing)
    listed = list(LocalSource(tmp_path).list_objects())

    assert [ref.key for ref in listed if isinstance(ref, ObjectRef)] == [KEY]
    [skipped] = [s for s in listed if isinstance(s, Skipped)]
    assert (skipped.uri, skipped.unreadable) == (str(locked), True)
    assert skipped.reason.startswith("PermissionError: [Errno 13] Permission denied")
    assert skipped.reason.endswith("(a folder: nothing under it was listed)")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_a_folder_without_read_permission_is_reported_as_unreadable(tmp_path: Path) -> None:
    locked = tmp_path / "AWSLogs"
    locked.mkdir()
    locked.chmod(0)
    try:
        [skipped] = LocalSource(tmp_path).list_objects()
    finally:
        locked.chmod(0o700)
    assert isinstance(skipped, Skipped) and skipped.unreadable


def test_files_that_are_not_cloudtrail_logs_are_listed_as_skipped(tmp_path: Path) -> None:
    _put(tmp_path, KEY, b"{}")
    _put(tmp_path, KEY.replace(".json.gz", ".txt"), b"notes")
    _put(tmp_path, "README.md", b"# trail")

    skipped = [s for s in LocalSource(tmp_path).list_objects() if isinstance(s, Skipped)]

    assert [(Path(s.uri).name, s.reason, s.unreadable) for s in skipped] == [
        ("111122223333_CloudTrail_x.txt", "not a CloudTrail log, by its name", False),
        ("README.md", "not a CloudTrail log, by its name", False),
    ]


def test_a_file_growing_past_the_limit_while_read_is_too_large_not_read_whole(
    tmp_path: Path,
) -> None:
    path = _put(tmp_path, KEY, b"x" * 1000)
    source = LocalSource(tmp_path, max_bytes=2000)
    (ref,) = source.list_objects()
    path.write_bytes(b"y" * 5000)
    with pytest.raises(ObjectTooLarge, match="more than 2,000 bytes"):
        source.read_object(ref)
