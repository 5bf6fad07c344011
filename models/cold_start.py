"""The cold-start scorer: points for what is suspicious in an hour whatever the principal's past.

The isolation forest needs a trained model and novelty needs history: on a lake's first day, or
for a principal nobody has seen, it has nothing to say. Yet a leaked key's first hour is loud on
its own: hundreds of APIs across dozens of services, most of them denied, a GetCallerIdentity
first, an attack tool's agent, a VPS or VPN network. Each such signal is one small function here
registered with `@signal(points=...)`, with the reason it is worth its points; an hour's severity
is the sum of its signals' points (capped at 8.9), and it becomes a finding at 4.0 (Medium) or
more. Only an attack tool in the agent or a sweep of fifty denied APIs reaches Medium alone;
anything else needs two kinds of evidence, e.g. a denied burst *and* breadth, or a hosting network
*and* a role hop.

The points are the only tuned constants, few and reasoned (docs/detection.md, "Cold start"); the
thresholds inside the signals are counts an ordinary principal does not reach in an hour (a
misconfigured workload repeats *one* denied API; a sweep is dozens of distinct ones).

Rows are those of `sql/detect/cold_start.sql` (one per principal and hour, a mapping of its
columns); `score(row)` returns the signals that fired. pipeline/detect/cold_start_findings.py runs
the SQL and turns scored hours into findings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Row = Mapping[str, Any]
MEDIUM = 4.0  # an hour (or episode) becomes a finding at this many points
MAX_SEVERITY = 8.9  # High's top: Critical is for multi-stage sequences (GuardDuty)
# API categories (sql/reference/api_categories.csv) whose first call in an organisation matters.
HIGH_RISK = ("iam_mutation", "logging_tamper", "data_sharing", "credential_access", "persistence")


@dataclass(frozen=True)
class Signal:
    """One history-free signal: its points, techniques and the phrase a description uses."""

    name: str
    points: float
    tactic: str  # GuardDuty threat purpose when this is the strongest signal
    attack: tuple[str, ...]  # ATT&CK technique ids
    stratus: tuple[str, ...]  # Stratus Red Team technique ids
    test: Callable[[Row], bool]
    reason: str


SIGNALS: dict[str, Signal] = {}


def signal(
    *,
    points: float,
    tactic: str,
    attack: tuple[str, ...] = (),
    stratus: tuple[str, ...] = (),
) -> Callable[[Callable[[Row], bool]], Callable[[Row], bool]]:
    """Register the decorated test as the signal named like the function; its docstring's first
    line is its reason."""

    def register(test: Callable[[Row], bool]) -> Callable[[Row], bool]:
        name = test.__name__
        if name in SIGNALS:
            raise ValueError(f"two signals named {name}")
        reason = (test.__doc__ or name).strip().splitlines()[0]
        SIGNALS[name] = Signal(name, points, tactic, attack, stratus, test, reason)
        return test

    return register


def denied_share(row: Row) -> float:
    """The hour's share of denied calls."""
    return float(row["n_denied"]) / max(int(row["n_events"]), 1)


@signal(points=4.5, tactic="Discovery", attack=("T1580", "T1087.004"))
def denied_sweep(row: Row) -> bool:
    """Fifty or more distinct APIs denied in an hour, most calls denied: probing a key's rights."""
    return int(row["n_denied_apis"]) >= 50 and denied_share(row) >= 0.5


@signal(points=3.0, tactic="Discovery", attack=("T1580", "T1087.004"))
def denied_burst(row: Row) -> bool:
    """Ten or more distinct APIs denied, most calls denied (a broken workload repeats one API)."""
    return 10 <= int(row["n_denied_apis"]) < 50 and denied_share(row) >= 0.5


@signal(points=1.0, tactic="Discovery", attack=("T1526",))
def breadth(row: Row) -> bool:
    """Thirty or more distinct APIs across ten or more services in one hour."""
    return int(row["n_apis"]) >= 30 and int(row["n_services"]) >= 10


@signal(points=1.0, tactic="Discovery", attack=("T1580", "T1619", "T1087.004"))
def enumeration(row: Row) -> bool:
    """Enumeration of at least three of IAM, S3, EC2 and Secrets Manager in one hour."""
    return int(row["enum_services"]) >= 3


@signal(points=1.5, tactic="Discovery", attack=("T1033",))
def whoami_then_denied(row: Row) -> bool:
    """GetCallerIdentity, then five or more denied calls, a quarter of the hour's: checking a
    key, then trying it (a scanner's few denials among hundreds of reads are not this)."""
    return int(row["denied_after_whoami"]) >= 5 and denied_share(row) >= 0.25


@signal(
    points=4.0,
    tactic="PenTest",
    attack=("T1588.002",),
    stratus=(),
)
def offensive_tool(row: Row) -> bool:
    """An offensive tool named in the user agent (sql/reference/offensive_agents.csv)."""
    return bool(row["tools"])


@signal(points=2.5, tactic="UnauthorizedAccess", attack=("T1078.004", "T1090"))
def hosting_network(row: Row) -> bool:
    """A hosting provider or VPN network (sql/reference/hosting_networks.csv) new to the
    principal within the day."""
    return bool(row["hosting"])


@signal(points=1.5, tactic="PrivilegeEscalation", attack=("T1078.004", "T1550.001"))
def role_hop(row: Row) -> bool:
    """A long-term IAM user key assuming roles three or more times in an hour."""
    return int(row["n_assume"]) >= 3


@signal(points=1.5, tactic="Persistence", attack=("T1098",))
def org_first_api(row: Row) -> bool:
    """A high-risk API the organisation never called in its (3 days or more of) history."""
    return bool(row["org_first_apis"])


def score(row: Row) -> list[Signal]:
    """The signals an hour fires, strongest first."""
    fired = [s for s in SIGNALS.values() if s.test(row)]
    return sorted(fired, key=lambda s: -s.points)


def severity(fired: list[Signal]) -> float:
    """The sum of the signals' points, capped at High's top."""
    return round(min(sum(s.points for s in fired), MAX_SEVERITY), 1)
