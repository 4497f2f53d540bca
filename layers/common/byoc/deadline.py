"""One deadline per invocation, from the Lambda context: every outbound call fits in what is left.

The edges (``api_handler``, ``invoke_handler``, the queue consumer) start it from
``context.get_remaining_time_in_millis()`` less ``RESERVE_SECONDS`` (time to write
the answer), capped for HTTP routes by API Gateway's 30-second integration limit.
Calls to providers (``byoc.outbound``) take ``min(their own timeout, time left)``;
AWS calls are refused once too little is left for one attempt (``byoc.aws.clients``).
A use case that has optional work (revoking inline rather than queueing it) asks
``remaining()`` first, and keeps time for its fallback with ``holding_back``.

Without a context (tests, scripts) there is no deadline: ``remaining()`` is None.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

# Time kept after the deadline for the handler to write its answer and its log line.
RESERVE_SECONDS = 0.5
# API Gateway ends an HTTP integration after 30 seconds, whatever the function's timeout.
HTTP_LIMIT_SECONDS = 29.0

_DEADLINE: ContextVar[float | None] = ContextVar("byoc_invocation_deadline", default=None)


def _lambda_remaining(context: Any) -> float | None:
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining_ms):
        return None
    try:
        value = float(remaining_ms())
    except (TypeError, ValueError):
        return None
    return value / 1000 if value > 0 else 0.0


class invocation:  # noqa: N801 - used as ``with deadline.invocation(context):``, like a function
    """Run the body under the invocation's deadline (none when the context has no clock).

    A class rather than a generator: every request enters it once, and this is cheaper.
    """

    __slots__ = ("_deadline", "_token")

    def __init__(self, context: Any, *, limit_seconds: float | None = None) -> None:
        remaining = _lambda_remaining(context)
        if limit_seconds is not None:
            remaining = limit_seconds if remaining is None else min(remaining, limit_seconds)
        left = None if remaining is None else max(remaining - RESERVE_SECONDS, 0.0)
        self._deadline = None if left is None else time.monotonic() + left
        self._token: Token[float | None] | None = None

    def __enter__(self) -> None:
        self._token = _DEADLINE.set(self._deadline)

    def __exit__(self, *_: object) -> None:
        if self._token is not None:
            _DEADLINE.reset(self._token)


def remaining() -> float | None:
    """Seconds left before the deadline (never negative), or None without one."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return None
    return max(deadline - time.monotonic(), 0.0)


def within(seconds: float) -> float:
    """``min(seconds, time left)``: the timeout a call may use."""
    left = remaining()
    return seconds if left is None else min(seconds, left)


@contextmanager
def holding_back(seconds: float) -> Iterator[None]:
    """Inside, the deadline is ``seconds`` earlier: what follows the block keeps that time."""
    deadline = _DEADLINE.get()
    token = _DEADLINE.set(None if deadline is None else deadline - seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)
