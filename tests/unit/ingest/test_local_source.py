"""A local folder as a source: what it lists, and that reading gives every byte of a file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trailguard.pipeline.ingest.sources import local
from trailguard.pipeline.ingest.sources.local import LocalSource

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


def test_listing_skips_digests_and_symlinks_and_goes_in_key_order(tmp_path: Path) -> None:
    later = KEY.replace("2024/05/01", "2024/05/02")
    _put(tmp_path, later, b"{}")
    _put(tmp_path, KEY, b"{}")
    _put(tmp_path, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/d.json.gz", b"{}")
    (tmp_path / "AWSLogs" / "link.json.gz").symlink_to(tmp_path / KEY)
    keys = [ref.key for ref in LocalSource(tmp_path).list_objects()]
    assert keys == [KEY, later]


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
