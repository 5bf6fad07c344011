"""Retries: one policy, built on tenacity, for everything that waits for a fault to clear.

The lake's database file held by another process (`lake.db`), the lake's lock (`lake.lock`), a
destination that is down (`export.deliver`), a Splunk acknowledgement not given yet
(`export.hec`) and an S3 body cut short (`ingest.sources.s3`) each state their policy with
`retrying`: what is transient, how many attempts or until when, how long between them, and what
to log. Everything else (the loop, the stop, the wait) is tenacity's.

When a policy gives up it raises the last error as it was (or returns the last result, for a
retry on results), so that each caller turns it into its own message.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import tenacity
from tenacity.stop import stop_base

Transient = type[BaseException] | tuple[type[BaseException], ...] | Callable[[BaseException], bool]


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: the wait before retry n (from 1) is
    `min(first * 2**(n - 1), cap)` times a factor drawn uniformly from `jitter`."""

    first: float
    cap: float
    # (1, 1): no jitter; (0, 1): "full jitter"; (0.5, 1) or (1, 2): processes that wait for
    # the same thing spread out instead of retrying in step.
    jitter: tuple[float, float] = (1.0, 1.0)

    def __call__(self, state: tenacity.RetryCallState) -> float:
        """The wait after `state`'s failed attempt (tenacity's `wait` protocol)."""
        exponential = tenacity.wait_exponential(multiplier=self.first, max=self.cap)(state)
        low, high = self.jitter
        return exponential * (low if low == high else random.uniform(low, high))


@dataclass(frozen=True)
class RetryEvent:
    """A failed attempt about to be retried, as `on_retry` sees it."""

    attempt: int  # the failed attempt's number, from 1
    wait: float  # seconds until the next attempt
    error: BaseException | None  # None when the attempt returned a result retried on


def retrying(
    *,
    backoff: Backoff,
    transient: Transient = (),
    again: Callable[[Any], bool] | None = None,
    attempts: int | None = None,
    deadline: float | None = None,
    on_retry: Callable[[RetryEvent], None] | None = None,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> tenacity.Retrying:
    """A retry policy: call it as `retrying(...)(fn, *args)`.

    An attempt is retried when it raises a `transient` error (exception types, or a predicate
    on the exception), or when `again` is true of its result; any other error is raised at
    once. The policy gives up after `attempts` attempts, or after an attempt that ended at or
    past `deadline` (a `clock()` value; an attempt may start before the deadline and end after
    it), whichever comes first, and then raises the last error (returns the last result).
    `on_retry` is told of each retry before its wait; `sleep` and `clock` default to
    `time.sleep` and `time.monotonic`, looked up at each call (a test may patch them).
    """
    if attempts is None and deadline is None:
        raise ValueError("a retry policy needs attempts, a deadline or both")
    if attempts is not None and attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    stops: list[stop_base] = []
    if attempts is not None:
        stops.append(tenacity.stop_after_attempt(attempts))
    if deadline is not None:
        stops.append(_StopAt(deadline, clock or _monotonic))
    return tenacity.Retrying(
        retry=_retry_on(transient, again),
        stop=tenacity.stop_any(*stops),
        wait=backoff,
        sleep=sleep or _sleep,
        before_sleep=_notify(on_retry) if on_retry else None,
        retry_error_callback=_give_up,
    )


def log_first(logger: logging.Logger, message: str, *args: object) -> Callable[[RetryEvent], None]:
    """An `on_retry` that logs `message` once, as a warning, before the first retry: for a wait
    on another process, where one line says what happens and a line per poll would be noise."""

    def log(retry: RetryEvent) -> None:
        if retry.attempt == 1:
            logger.warning(message, *args)

    return log


class _StopAt(stop_base):
    """Stop once the clock has reached the deadline."""

    def __init__(self, deadline: float, clock: Callable[[], float]) -> None:
        self.deadline, self.clock = deadline, clock

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self.clock() >= self.deadline


def _retry_on(transient: Transient, again: Callable[[Any], bool] | None) -> tenacity.retry_base:
    if isinstance(transient, type | tuple):
        on_error: tenacity.retry_base = tenacity.retry_if_exception_type(transient)
    else:
        on_error = tenacity.retry_if_exception(transient)
    return on_error if again is None else on_error | tenacity.retry_if_result(again)


def _notify(on_retry: Callable[[RetryEvent], None]) -> Callable[[tenacity.RetryCallState], None]:
    def before_sleep(state: tenacity.RetryCallState) -> None:
        assert state.outcome is not None
        error = state.outcome.exception() if state.outcome.failed else None
        on_retry(RetryEvent(state.attempt_number, state.upcoming_sleep, error))

    return before_sleep


def _give_up(state: tenacity.RetryCallState) -> Any:
    """The last attempt's outcome: its error raised as it was, or its result."""
    assert state.outcome is not None
    return state.outcome.result()


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def _monotonic() -> float:
    return time.monotonic()
