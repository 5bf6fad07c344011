"""A small synthetic organisation, generated once per test session and read back."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline.synth.generate import SynthSummary, generate_organisation

SMALL = {"days": 9, "accounts": 3, "principals": 30, "seed": 11, "intensity": 0.2}


@dataclass(frozen=True)
class Generated:
    """A generated organisation: where it is, what the run said, what it wrote."""

    root: Path
    summary: SynthSummary
    objects: dict[str, dict[str, Any]]
    labels: dict[str, Any]
    records: list[dict[str, Any]]

    def log_keys(self) -> list[str]:
        """Keys of the log objects (not digests)."""
        return sorted(k for k in self.objects if "/CloudTrail/" in k)


def read_tree(root: Path) -> dict[str, dict[str, Any]]:
    """Every ``.json.gz`` object under ``root``, by key, decoded."""
    return {
        str(path.relative_to(root)): json.loads(gzip.decompress(path.read_bytes()))
        for path in root.rglob("*.json.gz")
    }


@pytest.fixture(scope="session")
def small_org(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """Nine days of a three-account organisation with every registered scenario."""
    root = tmp_path_factory.mktemp("synth")
    summary = generate_organisation(str(root), workers=1, **SMALL)
    labels = json.loads((root / "labels.json").read_text())
    objects = read_tree(root)
    records = [rec for key in sorted(objects) for rec in objects[key].get("Records", [])]
    return Generated(root, summary, objects, labels, records)
