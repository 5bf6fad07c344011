"""Headless Chromium for the report's layout tests: `chromium --headless --dump-dom` after the
page's script ran, and screenshots. Skips when Chromium is missing, except under CI=true, where
.ci/run installs it and a missing browser is a failure."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

WIDTH, HEIGHT = 1280, 900


def chromium() -> str:
    """The Chromium binary; skip (or fail under CI=true) without one."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is missing: .ci/run installs it (apt-get install -y chromium)")
    pytest.skip("chromium is not installed (apt-get install -y chromium)")


def _run(args: list[str], timeout: float = 120) -> str:
    base = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    base += [f"--window-size={WIDTH},{HEIGHT}", "--virtual-time-budget=5000"]
    done = subprocess.run(
        [*base, *args], capture_output=True, text=True, timeout=timeout, check=True
    )
    return done.stdout


def dump_dom(page: Path, fragment: str = "") -> str:
    """The page's DOM after its script ran, opened at `fragment` (e.g. `#severity=high`)."""
    return _run(["--dump-dom", page.resolve().as_uri() + fragment])


def screenshot(page: Path, out: Path) -> Path:
    """A PNG of the first screen (WIDTH x HEIGHT)."""
    _run([f"--screenshot={out}", page.resolve().as_uri()])
    return out
