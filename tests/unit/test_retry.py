"""The retry policy (pipeline/retry.py), on a fake clock: no test waits for real."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import pytest

from trailguard.pipeline import retry as retry_module
from trailguard.pipeline.retry import Backoff, RetryEvent, log_first, retrying

NO_JITTER = Backoff(first=0.05, cap=1.0)


class Busy(Exception):
    """A transient fault in these tests."""


class Broken(Exception):
    """A fault that retrying cannot mend."""


@dataclass
class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps (or a call takes
    `call_seconds`)."""

    now: float = 100.0
    call_seconds: float = 0.0
    waits: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


@dataclass
class Flaky:
    """A call that raises `error` its first `failures` times, then returns "done"; it notes the
    clock's time of each call (a call takes `clock.call_seconds`)."""

    failures: int
    error: Exception
    clock: FakeClock = field(default_factory=FakeClock)
    calls: list[float] = field(default_factory=list)

    def __call__(self) -> str:
        self.clock.now += self.clock.call_seconds
        self.calls.append(self.clock.now)
        if len(self.calls) <= self.failures:
            raise self.error
        return "done"


def test_a_transient_error_is_retried_until_the_call_succeeds() -> None:
    clock = FakeClock()
    call = Flaky(2, Busy("busy"))

    result = retrying(transient=Busy, attempts=5, backoff=NO_JITTER, sleep=clock.sleep)(call)

    assert result == "done" and len(call.calls) == 3
    assert clock.waits == [0.05, 0.1]


def test_a_transient_error_is_retried_up_to_the_attempts_then_raised_as_it_was() -> None:
    clock = FakeClock()
    error = Busy("still busy")
    call = Flaky(10, error)

    with pytest.raises(Busy) as raised:
        retrying(transient=Busy, attempts=4, backoff=NO_JITTER, sleep=clock.sleep)(call)

    assert raised.value is error  # the caller's own error, not a wrapper
    assert len(call.calls) == 4 and len(clock.waits) == 3


def test_a_non_transient_error_is_raised_at_once() -> None:
    clock = FakeClock()
    call = Flaky(1, Broken("broken"))

    with pytest.raises(Broken):
        retrying(transient=Busy, attempts=5, backoff=NO_JITTER, sleep=clock.sleep)(call)

    assert len(call.calls) == 1 and clock.waits == []


def test_a_predicate_can_decide_which_errors_are_transient() -> None:
    clock = FakeClock()
    policy = retrying(
        transient=lambda error: "lock" in str(error),
        attempts=3,
        backoff=NO_JITTER,
        sleep=clock.sleep,
    )

    assert policy(Flaky(2, OSError("file is locked"))) == "done"
    with pytest.raises(OSError, match="disk full"):
        policy(Flaky(2, OSError("disk full")))
    assert len(clock.waits) == 2  # only the locked file waited


def test_the_waits_double_from_first_up_to_the_cap() -> None:
    clock = FakeClock()
    policy = retrying(transient=Busy, attempts=8, backoff=NO_JITTER, sleep=clock.sleep)

    with pytest.raises(Busy):
        policy(Flaky(99, Busy()))

    assert clock.waits == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


@pytest.mark.parametrize("jitter", [(0.0, 1.0), (0.5, 1.0), (1.0, 2.0)])
def test_jitter_scales_each_wait_by_a_factor_drawn_from_its_range(
    jitter: tuple[float, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    draws = iter([jitter[0], jitter[1], jitter[0]])  # the ends of the range, in turn

    def uniform(low: float, high: float) -> float:
        assert (low, high) == jitter
        return next(draws)

    monkeypatch.setattr(retry_module.random, "uniform", uniform)
    backoff = Backoff(first=1.0, cap=60.0, jitter=jitter)

    with pytest.raises(Busy):
        retrying(transient=Busy, attempts=3, backoff=backoff, sleep=clock.sleep)(Flaky(9, Busy()))

    assert clock.waits == [jitter[0] * 1.0, jitter[1] * 2.0]


def test_the_deadline_ends_the_retries_at_the_first_failure_at_or_past_it() -> None:
    clock = FakeClock(call_seconds=0.01)
    call = Flaky(99, Busy(), clock)
    policy = retrying(
        transient=Busy, backoff=NO_JITTER, deadline=clock() + 2.0, clock=clock, sleep=clock.sleep
    )

    with pytest.raises(Busy):
        policy(call)

    assert (
        call.calls[-1] >= 102.0 > call.calls[-2]
    )  # it never gives up before the deadline, nor after
    assert clock.now - 100.0 < 2.0 + 1.0 + 0.02  # one wait (at most the cap) past it


@pytest.mark.parametrize(
    ("attempts", "seconds", "calls"),
    [(3, 5.0, 2), (2, 100.0, 2), (5, 25.0, 4)],  # calls at 100, 110, 120, 130, ...
)
def test_the_attempts_and_the_deadline_end_the_retries_whichever_comes_first(
    attempts: int, seconds: float, calls: int
) -> None:
    clock = FakeClock()
    policy = retrying(
        transient=Busy,
        attempts=attempts,
        backoff=Backoff(first=10.0, cap=10.0),
        deadline=clock() + seconds,
        clock=clock,
        sleep=clock.sleep,
    )
    call = Flaky(99, Busy(), clock)

    with pytest.raises(Busy):
        policy(call)

    assert len(call.calls) == calls


def test_a_result_retried_on_is_polled_until_it_changes_or_returned_at_the_deadline() -> None:
    clock = FakeClock()
    answers = iter([False, False, True])
    policy = retrying(
        again=lambda acked: not acked,
        backoff=NO_JITTER,
        deadline=clock() + 1.0,
        clock=clock,
        sleep=clock.sleep,
    )

    assert policy(lambda: next(answers)) is True
    assert policy(lambda: False) is False  # the last answer, once the deadline passed


def test_each_retry_is_reported_before_its_wait() -> None:
    clock = FakeClock()
    events: list[RetryEvent] = []
    error = Busy("busy")
    policy = retrying(
        transient=Busy, attempts=3, backoff=NO_JITTER, on_retry=events.append, sleep=clock.sleep
    )

    policy(Flaky(2, error))

    assert events == [RetryEvent(1, 0.05, error), RetryEvent(2, 0.1, error)]


def test_log_first_warns_once_however_many_retries(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    logger = logging.getLogger("tests.retry")
    on_retry = log_first(logger, "waiting for %s: another process holds it", "lake.duckdb")
    policy = retrying(
        transient=Busy, attempts=5, backoff=NO_JITTER, on_retry=on_retry, sleep=clock.sleep
    )

    with caplog.at_level(logging.WARNING, logger="tests.retry"):
        policy(Flaky(4, Busy()))

    assert caplog.messages == ["waiting for lake.duckdb: another process holds it"]


def test_without_a_sleep_it_sleeps_with_time_sleep_as_patched_at_the_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    waits: list[float] = []
    policy = retrying(transient=Busy, attempts=2, backoff=NO_JITTER)
    monkeypatch.setattr(time, "sleep", waits.append)

    assert policy(Flaky(1, Busy())) == "done"
    assert waits == [0.05]


@pytest.mark.parametrize("limits", [{}, {"attempts": 0}])
def test_a_policy_that_would_never_end_or_never_try_is_refused(limits: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        retrying(transient=Busy, backoff=NO_JITTER, **limits)  # type: ignore[arg-type]
