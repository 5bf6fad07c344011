"""The organisations `trailguard eval` runs on (sizes and seeds), the alert budget and the
learning period it counts with: constants the command line shows, without heavy imports.

Kept apart from `pipeline.evaluation.benchmark` so that building the command line (`--help` texts)
does not import the detection stack: every `trailguard` command builds the whole parser.
"""

from __future__ import annotations

from dataclasses import dataclass

from trailguard.pipeline.config import DEFAULTS


@dataclass(frozen=True)
class OrgSize:
    """An organisation size of the matrix (`trailguard synth` knobs)."""

    days: int
    accounts: int
    principals: int
    intensity: float = 1.0


SIZES = {
    "tiny": OrgSize(days=10, accounts=1, principals=10, intensity=0.2),  # --quick, tests
    "small": OrgSize(days=21, accounts=3, principals=60),
    "default": OrgSize(days=21, accounts=6, principals=180),  # `trailguard demo`'s
}
DEFAULT_SEEDS = (7, 11, 23, 31, 41, 53, 67, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127)
# Which benign novelties an organisation holds (hard negatives: pipeline/synth/hard_negatives.py,
# `classic`; pipeline/synth/benign_life.py, `life`, and pipeline/synth/benign_ops/, `ops`, both
# written apart from how detection scores; `both` is classic and life, `all` the three), and
# whether its figures may tune anything. *Tuning* seeds are those whose findings were looked at
# while changing detection: 7 from the start, 11 and 23 since issue 18's second round (their false
# positives were read one by one), so they no longer measure generalisation. 31 and 41 were added
# then, unseen, and joined the tuning seeds in issue 18's third round, when their misses and false
# positives were read. 53 and 67 were added then, unseen, and 79 with the `ops` population,
# written by another engineer without reading the detector: these are the *held-out* ones,
# reported, never tuned to. When a held-out seed's findings are studied to change the detector,
# move it to TUNING_SEEDS and add a fresh seed to DEFAULT_SEEDS. From issue 18's fifth round
# seeds can also change the organisation's *everyday* people and machines: their habits are
# `restless` (pipeline/synth/restless/, written by another engineer without reading the
# detector: roaming addresses, tool upgrades, hosted CI runners, irregular hours), where the
# other seeds' are `steady`. 83 and 97 were the first; their false positives were read (and
# showed the generator's own flaw: scenarios on CI roles ran from runners the restless role never
# used), so they are tuning seeds, and 89 and 101 hold restless habits out. In the sixth round
# 101's false positives were read (it was the one organisation over budget without root's
# sign-ins), so it tunes too, and 103 and 107 were added, unseen, to hold restless habits out.
# A scan of every organisation's findings for one pattern of 101's (an AWS service's name taken
# for a network) also showed it on 79, 103 and 107, so they tune too; 109 (`ops`), 113 (`all`,
# restless) and 127 (`ops`, restless) replace them, unseen.
POPULATIONS = ("classic", "life", "ops", "both", "all")
SEED_POPULATION = {
    7: "classic",
    11: "life",
    23: "both",
    31: "life",
    41: "both",
    53: "life",
    67: "both",
    79: "ops",
    83: "all",
    89: "both",
    97: "life",
    101: "all",
    103: "all",
    107: "ops",
    109: "ops",
    113: "all",
    127: "ops",
}
SEED_HABITS = {seed: "restless" for seed in (83, 89, 97, 101, 103, 107, 113, 127)}
TUNING_SEEDS = frozenset({7, 11, 23, 31, 41, 79, 83, 97, 101, 103, 107})
DEFAULT_SIZES = ("small", "default")
QUICK_SEEDS = (7,)
QUICK_SIZES = ("tiny",)
DEFAULT_BUDGET = 2.0  # findings read per 100 principals per day (docs/detection.md: why 2)
LEARNING_DAYS = (
    DEFAULTS.learning_days
)  # a detector's false positives are counted after this many days of a lake


def population_of(seed: int) -> str:
    """The benign population of a seed's organisations (`both` for seeds not in the table)."""
    return SEED_POPULATION.get(seed, "both")


def habits_of(seed: int) -> str:
    """The everyday behaviour of a seed's organisations (`steady` for seeds not in the table)."""
    return SEED_HABITS.get(seed, "steady")


def run_name(size: str, seed: int) -> str:
    """An organisation's name in eval's output: size, seed, population and unusual habits."""
    habits = habits_of(seed)
    return f"{size}-seed{seed}-{population_of(seed)}" + ("" if habits == "steady" else f"-{habits}")


def role_of(seed: int) -> str:
    """`tuning` or `held-out`: whether a seed's figures were looked at while tuning."""
    return "tuning" if seed in TUNING_SEEDS else "held-out"
