"""A local folder laid out like a bucket (or a single export file): list + read, nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.sources.layout import ObjectRef, is_event_object


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
        """Every event-bearing file, in key order (a single file lists itself)."""
        paths = [self.root] if self.root.is_file() else sorted(self.root.rglob("*"))
        for path in paths:
            if path.is_symlink() or not path.is_file():
                continue  # links could point outside the source; never follow them
            key = path.name if path == self.root else path.relative_to(self.root).as_posix()
            if not is_event_object(key):
                continue
            stat = path.stat()
            version = f"{stat.st_size}-{stat.st_mtime_ns}"
            yield ObjectRef(uri=str(path), key=key, size=stat.st_size, version=version)

    def read_object(self, ref: ObjectRef) -> bytes:
        """The object's bytes."""
        return Path(ref.uri).read_bytes()
