"""A seed fixes every byte of the output, whatever the number of worker processes."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from trailguard.pipeline.synth.delivery import MemorySink
from trailguard.pipeline.synth.generate import generate_organisation

TINY: dict[str, Any] = {
    "days": 3,
    "accounts": 2,
    "principals": 12,
    "intensity": 0.05,
    "attacks": ["aws.defense-evasion.cloudtrail-stop", "tg.benign.break-glass-root"],
}


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("first")
    generate_organisation(str(root), seed=3, workers=1, **TINY)
    return _tree(root)


def test_same_seed_same_bytes_in_parallel(first: dict[str, str], tmp_path: Path) -> None:
    summary = generate_organisation(str(tmp_path), seed=3, workers=2, **TINY)
    assert _tree(tmp_path) == first
    assert summary.objects > 0 and "labels.json" in first


def test_another_seed_another_organisation(first: dict[str, str]) -> None:
    sink = MemorySink()
    generate_organisation("memory://", seed=4, workers=1, sink=sink, **TINY)
    assert sink.objects and not set(sink.objects) & (set(first) - {"labels.json"})


def test_same_seed_same_bytes_under_another_hash_seed(
    first: dict[str, str], tmp_path: Path
) -> None:
    code = (
        "import json, sys; from trailguard.pipeline.synth.generate import generate_organisation; "
        "generate_organisation(sys.argv[1], seed=3, workers=1, **json.loads(sys.argv[2]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", code, str(tmp_path), json.dumps(TINY)], env=env, check=True
    )
    assert _tree(tmp_path) == first
