"""Benign populations: which hard negatives an organisation of each plants, and which seeds
the evaluation matrix gives them (pipeline/evaluation/matrix.py, demo.scenarios)."""

from __future__ import annotations

import pytest

from trailguard.pipeline.evaluation.demo import scenarios
from trailguard.pipeline.evaluation.matrix import (
    DEFAULT_SEEDS,
    POPULATIONS,
    SEED_POPULATION,
    TUNING_SEEDS,
    habits_of,
    population_of,
    run_name,
)
from trailguard.pipeline.synth.scenario import load

REGISTRY = load()
ATTACKS = {t for t, tech in REGISTRY.items() if tech.kind == "attack"}


def _hard_negatives(population: str) -> set[str]:
    chosen = scenarios(population)
    assert chosen is not None
    assert set(chosen) & ATTACKS == ATTACKS  # every population meets every attack
    return set(chosen) - ATTACKS


def test_the_populations_are_classic_life_ops_and_two_combinations() -> None:
    assert POPULATIONS == ("classic", "life", "ops", "both", "all")
    assert set(SEED_POPULATION.values()) <= set(POPULATIONS)


def test_each_population_plants_only_its_own_hard_negatives() -> None:
    prefixes = {"classic": "tg.benign.", "life": "tg.life.", "ops": "tg.ops."}
    for population, prefix in prefixes.items():
        planted = _hard_negatives(population)
        assert planted and all(t.startswith(prefix) for t in planted), population


def test_both_stays_classic_and_life_and_all_is_every_scenario() -> None:
    both = _hard_negatives("both")
    assert both == _hard_negatives("classic") | _hard_negatives("life")
    assert not any(t.startswith("tg.ops.") for t in both)
    assert scenarios("all") is None  # every registered scenario, ops included


def test_an_unknown_population_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown population"):
        scenarios("everything")


def test_the_ops_population_has_a_held_out_organisation_with_each_habit() -> None:
    ops = {seed for seed in DEFAULT_SEEDS if population_of(seed) == "ops"} - TUNING_SEEDS
    assert {habits_of(seed) for seed in ops} == {"steady", "restless"}


def test_seeds_outside_the_table_keep_both() -> None:
    assert population_of(12345) == "both"


def test_restless_habits_have_tuning_and_held_out_seeds() -> None:
    restless = {seed for seed in DEFAULT_SEEDS if habits_of(seed) == "restless"}
    assert restless == {83, 89, 97, 101, 103, 107, 113, 127}
    assert restless - TUNING_SEEDS == {89, 113, 127}
    assert run_name("small", 101) == "small-seed101-all-restless"
    assert run_name("default", 107) == "default-seed107-ops-restless"


def test_every_other_seed_keeps_steady_habits_and_its_name() -> None:
    assert habits_of(79) == habits_of(12345) == "steady"
    assert run_name("default", 79) == "default-seed79-ops"
