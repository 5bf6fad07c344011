"""A local folder laid out like a bucket (or a single export file): list + read, nothing else."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from trailguard.pipeline.ingest.sources.layout import ObjectRef, is_event_object

# Bytes one `read` is trusted to return in full from a regular file (Linux returns at most
# ~2 GiB at a time): a read short of a request up to this size means the end of the file.
_ONE_READ = 1 << 30


class LocalSource:
    """Objects under a local folder; keys are paths relative to it, with `/` separators."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        if not self.root.exists():
            raise FileNotFoundError(f"source folder does not exist: {self.root}")

    @property
    def remote(self) -> bool:
        """Local files: read sequentially."""
        return False

    @property
    def name(self) -> str:
        """The source's identity in the state table."""
        return self.root.as_uri()

    def list_objects(self) -> Iterator[ObjectRef]:
        """Every event-bearing file, in key order (a single file lists itself), as it is found."""
        if self.root.is_file():
            if not self.root.is_symlink() and is_event_object(self.root.name):
                yield _ref(str(self.root), self.root.name, self.root.stat())
            return
        yield from _walk(str(self.root), "")

    def read_object(self, ref: ObjectRef) -> bytes:
        """The object's bytes (all of them, should the file have grown since it was listed)."""
        # A file descriptor, not a file object: `open` adds a buffer, a `stat` and the object's
        # own set-up, which cost more than reading the few KB of a CloudTrail object.
        fd = os.open(ref.uri, os.O_RDONLY | os.O_CLOEXEC)
        try:
            asked = ref.size + 1
            data = os.read(fd, asked)
            if len(data) < asked <= _ONE_READ:  # short of what was asked: the end of the file
                return data
            parts = [data]
            while chunk := os.read(fd, _ONE_READ):
                parts.append(chunk)
            return b"".join(parts)
        finally:
            os.close(fd)


def _walk(folder: str, prefix: str) -> Iterator[ObjectRef]:
    """Files under `folder` depth first, each folder's entries by name: the order of their
    paths' parts, which `sorted(Path.rglob(...))` gave, without a `Path` per file."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except PermissionError:
        return  # as `Path.rglob`: an unreadable folder is skipped
    for entry in entries:
        if entry.is_symlink():
            continue  # links could point outside the source; never follow them
        key = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path, key + "/")
        elif entry.is_file(follow_symlinks=False) and is_event_object(key):
            yield _ref(entry.path, key, entry.stat(follow_symlinks=False))


def _ref(path: str, key: str, stat: os.stat_result) -> ObjectRef:
    version = f"{stat.st_size}-{stat.st_mtime_ns}"  # a rewritten file is read again
    return ObjectRef(uri=path, key=key, size=stat.st_size, version=version)
