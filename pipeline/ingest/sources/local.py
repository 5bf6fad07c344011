"""A local folder laid out like a bucket (or a single export file): list + read, nothing else.

Nothing found is passed by in silence. A folder that cannot be listed, and a FIFO, socket or
device named like a log, are `Skipped` as unreadable (reported as failed reads, as an unreadable
file is); any other file that is not a CloudTrail log, and a symbolic link (never followed: it
could point outside the source), is `Skipped` and counted; only CloudTrail's digests and Insights
files pass unremarked. A source that is itself a FIFO, socket or device is refused before
anything is read (`SourceError`). A read opens without blocking, so that a FIFO put in a file's
place after the listing reads as empty (or fails) instead of waiting for a writer forever, and
stops past `max_bytes` (a device would read on without end).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from trailguard.pipeline.ingest.limits import ObjectTooLarge, too_large
from trailguard.pipeline.ingest.sources.layout import ObjectRef, Skipped, is_digest, is_event_object

# Bytes one `read` is trusted to return in full from a regular file (Linux returns at most
# ~2 GiB at a time): a read short of a request up to this size means the end of the file.
_ONE_READ = 1 << 30
_KINDS = (
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


class SourceError(ValueError):
    """A source that cannot be read at all; the message (one line) says why."""


class LocalSource:
    """Objects under a local folder; keys are paths relative to it, with `/` separators."""

    def __init__(self, root: str | Path, max_bytes: int | None = None) -> None:
        self.root = Path(root).resolve()
        if not self.root.exists():
            raise FileNotFoundError(f"source folder does not exist: {self.root}")
        kind = special_kind(self.root.stat().st_mode)
        if kind:
            raise SourceError(f"source is a {kind}, not a folder or a file: {self.root}")
        self.max_bytes = max_bytes  # a file growing past this while read is not read whole

    @property
    def remote(self) -> bool:
        """Local files: read sequentially."""
        return False

    @property
    def name(self) -> str:
        """The source's identity in the state table."""
        return self.root.as_uri()

    def list_objects(self) -> Iterator[ObjectRef | Skipped]:
        """Every event-bearing file, in key order (a single file lists itself), as it is found;
        and what is not read (see the module docstring)."""
        if self.root.is_file():
            yield from _listed(str(self.root), self.root.name, self.root.stat())
            return
        yield from _walk(str(self.root), "")

    def read_object(self, ref: ObjectRef) -> bytes:
        """The object's bytes (all of them, should the file have grown since it was listed, up
        to `max_bytes`: past them, `ObjectTooLarge`)."""
        # A file descriptor, not a file object: `open` adds a buffer, a `stat` and the object's
        # own set-up, which cost more than reading the few KB of a CloudTrail object. (So no
        # `fstat` either: the listing saw a regular file, and O_NONBLOCK keeps anything put in
        # its place since from blocking the read.)
        fd = os.open(ref.uri, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        try:
            asked = ref.size + 1
            data = os.read(fd, asked)
            if len(data) < asked <= _ONE_READ:  # short of what was asked: the end of the file
                return data
            return self._read_rest(fd, [data])
        finally:
            os.close(fd)

    def _read_rest(self, fd: int, parts: list[bytes]) -> bytes:
        """The rest of a file that grew since it was listed (or is larger than one read)."""
        size = len(parts[0])
        while chunk := os.read(fd, _ONE_READ):
            parts.append(chunk)
            size += len(chunk)
            if self.max_bytes is not None and size > self.max_bytes:
                raise ObjectTooLarge(too_large(self.max_bytes, "is"))
        return b"".join(parts)


def special_kind(mode: int) -> str | None:
    """ "FIFO", "socket", "character device" or "block device"; None for a file or folder."""
    return next((kind for test, kind in _KINDS if test(mode)), None)


def _walk(folder: str, prefix: str) -> Iterator[ObjectRef | Skipped]:
    """Files under `folder` depth first, each folder's entries by name: the order of their
    paths' parts, which `sorted(Path.rglob(...))` gave, without a `Path` per file."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as exc:  # read again next run, as an unreadable file is
        reason = f"{type(exc).__name__}: {exc} (a folder: nothing under it was listed)"
        yield Skipped(folder, reason, unreadable=True)
        return
    for entry in entries:
        key = prefix + entry.name
        try:  # the common case first, and inline: this runs for every object of a source
            if entry.is_file(follow_symlinks=False) and is_event_object(key):
                yield _ref(entry.path, key, entry.stat(follow_symlinks=False))
            elif entry.is_dir(follow_symlinks=False):
                yield from _walk(entry.path, key + "/")
            else:
                yield from _other(entry, key)
        except OSError as exc:  # gone or unreadable since its folder was listed
            yield Skipped(entry.path, f"{type(exc).__name__}: {exc}", unreadable=True)


def _other(entry: os.DirEntry[str], key: str) -> Iterator[Skipped]:
    """Why an entry that is neither a log nor a folder is not read (a digest: no reason)."""
    if entry.is_symlink():  # links could point outside the source; never follow them
        yield Skipped(entry.path, "a symbolic link: not followed")
        return
    kind = special_kind(entry.stat(follow_symlinks=False).st_mode)
    if kind:
        reason = f"a {kind}, not a regular file: not read"
        yield Skipped(entry.path, reason, unreadable=is_event_object(key))
    elif not is_digest(key):
        yield Skipped(entry.path, "not a CloudTrail log, by its name")


def _listed(path: str, key: str, info: os.stat_result) -> Iterator[ObjectRef | Skipped]:
    """A single file given as the source: an object to read, or why it is not read."""
    kind = special_kind(info.st_mode)
    if kind:
        yield Skipped(path, f"a {kind}, not a regular file: not read", unreadable=True)
    elif is_event_object(key):
        yield _ref(path, key, info)
    elif not is_digest(key):
        yield Skipped(path, "not a CloudTrail log, by its name")


def _ref(path: str, key: str, info: os.stat_result) -> ObjectRef:
    version = f"{info.st_size}-{info.st_mtime_ns}"  # a rewritten file is read again
    return ObjectRef(uri=path, key=key, size=info.st_size, version=version)
