"""A small synthetic organisation, generated once per test session and read back."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from trailguard.pipeline.synth.delivery import MemorySink
from trailguard.pipeline.synth.generate import SynthSummary, generate_organisation

SMALL = {"days": 9, "accounts": 3, "principals": 30, "seed": 11, "intensity": 0.2}


@dataclass(frozen=True)
class Generated:
    """A generated organisation: its objects (raw and decoded), the run's summary, labels."""

    raw: dict[str, bytes]
    summary: SynthSummary
    objects: dict[str, dict[str, Any]]
    labels: dict[str, Any]
    records: list[dict[str, Any]]

    def log_keys(self) -> list[str]:
        """Keys of the log objects (not digests)."""
        return sorted(k for k in self.objects if "/CloudTrail/" in k)


def read_tree(root: Path) -> dict[str, bytes]:
    """Every ``.json.gz`` object under ``root``, by key (as the S3 key would be)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*.json.gz")}


def decode(raw: dict[str, bytes], labels: bytes, summary: SynthSummary) -> Generated:
    """Decode every object of a generated organisation."""
    objects = {
        key: json.loads(gzip.decompress(body))
        for key, body in raw.items()
        if key.endswith(".json.gz")
    }
    records = [rec for key in sorted(objects) for rec in objects[key].get("Records", [])]
    return Generated(raw, summary, objects, json.loads(labels), records)


@pytest.fixture(scope="session")
def small_org() -> Generated:
    """Nine days of a three-account organisation with every registered scenario (in memory:
    thousands of small files are slow to write on a busy disk)."""
    sink = MemorySink()
    summary = generate_organisation("memory://small", workers=1, sink=sink, **SMALL)
    return decode(sink.objects, sink.objects["labels.json"], summary)
