"""Everyday habits of the benign population, chosen per organisation.

``steady``: every principal keeps the profile it was planned with (``profiles.py``), the same
addresses, tools, regions and hours all period. ``restless``: people and machines behave as
they do in real organisations, written apart from the detectors (``pipeline/synth/restless/``):
home addresses that change, VPNs, phones and hotels; tools that upgrade; on-call nights, busy
and quiet days, new services; CI jobs on a fresh hosted runner each time; workloads that follow
the business day, get throttled and are replaced by autoscaling.

Kept free of the generator's imports: the command line lists ``HABITS`` in its help.
"""

from __future__ import annotations

HABITS = ("steady", "restless")


def check_habits(habits: str) -> str:
    """``habits`` when it is a known value, else a ValueError naming the known ones."""
    if habits not in HABITS:
        known = ", ".join(HABITS)
        raise ValueError(f"unknown habits {habits!r}: the known habits are {known}")
    return habits
