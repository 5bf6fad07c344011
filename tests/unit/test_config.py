"""The one Settings object: defaults, the environment variables that change them, bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from trailguard.pipeline.config import (
    DEFAULTS,
    Settings,
    SettingsError,
    load_settings,
    parse_size,
)


def test_an_empty_environment_gives_the_documented_defaults() -> None:
    settings = load_settings({})

    assert settings == DEFAULTS
    assert settings.lake == Path("lake")
    assert settings.baseline_days == 14
    assert settings.learning_days == 7


def test_each_variable_sets_its_field_with_the_fields_type() -> None:
    settings = load_settings(
        {
            "TRAILGUARD_LAKE": "/var/lib/trailguard",
            "TRAILGUARD_BASELINE_DAYS": "21",
            "TRAILGUARD_LOCK_TIMEOUT": "2.5",
            "TRAILGUARD_TASK_RUNNER": "dask",
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9000",
            "AWS_MAX_ATTEMPTS": "3",
        }
    )

    assert settings.lake == Path("/var/lib/trailguard")
    assert settings.baseline_days == 21
    assert settings.lock_timeout == 2.5
    assert settings.task_runner == "dask"
    assert settings.endpoint_url == "http://127.0.0.1:9000"
    assert settings.s3_attempts == 3


def test_an_empty_variable_is_unset() -> None:
    assert load_settings({"TRAILGUARD_LAKE": "", "TRAILGUARD_BASELINE_DAYS": " "}) == Settings()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("TRAILGUARD_BASELINE_DAYS", "two weeks", "is not a valid baseline_days"),
        ("TRAILGUARD_BASELINE_DAYS", "0", "must be positive"),
        ("TRAILGUARD_TASK_RUNNER", "celery", "is one of thread, dask"),
        ("AWS_RETRY_MODE", "eager", "is one of adaptive, standard, legacy"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as failure:
        load_settings({variable: value})

    assert variable in str(failure.value)


def test_read_limits_default_far_above_cloudtrail_objects_and_take_sizes_with_units() -> None:
    assert (DEFAULTS.max_object_bytes, DEFAULTS.max_record_bytes) == (256 << 20, 16 << 20)

    settings = load_settings(
        {"TRAILGUARD_MAX_OBJECT_BYTES": "1G", "TRAILGUARD_MAX_RECORD_BYTES": "512 KiB"}
    )

    assert (settings.max_object_bytes, settings.max_record_bytes) == (1 << 30, 512 << 10)


@pytest.mark.parametrize(
    ("text", "size"), [("4096", 4096), ("64K", 64 << 10), ("256MiB", 256 << 20), ("2gb", 2 << 30)]
)
def test_a_size_is_bytes_or_a_number_with_a_binary_unit(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["1.5G", "M", "-1", "lots", "0"])
def test_a_size_that_is_not_one_names_its_variable(text: str) -> None:
    with pytest.raises(SettingsError, match="TRAILGUARD_MAX_OBJECT_BYTES"):
        load_settings({"TRAILGUARD_MAX_OBJECT_BYTES": text})
