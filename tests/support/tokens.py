"""Helpers for the token tests: a scripted token endpoint, a TokenService with a chosen clock,
and an AWS call counter (a botocore before-call hook)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx

from byoc import container
from byoc.aws.store import Store
from byoc.model import Connection
from byoc.settings import get_settings
from byoc.usecases.tokens import TokenService
from tests.helpers import aws_calls  # noqa: F401  (re-exported for the token tests)
from tests.support.api import form_of

GITLAB = {"client_id": "gl-client-123456", "client_secret": "gl-secret-VERY-SECRET"}
HOUR = 3600
DAY = 86400


class TokenEndpoint:
    """GitLab's token and revocation endpoints: the code exchange, then numbered refreshes.

    ``refresh_answers`` are factories used in order for refresh requests (the last one
    repeats); without any, refresh n answers at-n / rt-n valid for an hour.
    """

    def __init__(self) -> None:
        self.exchange: dict[str, Any] = {
            "access_token": "at-0",
            "refresh_token": "rt-0",
            "token_type": "Bearer",
            "expires_in": HOUR,
            "scope": "read_user api",
        }
        self.refresh_answers: list[Callable[[int], httpx.Response]] = []
        self.refreshes: list[dict[str, str]] = []
        self.revocations: list[dict[str, str]] = []
        self.on_refresh: Callable[[], None] | None = None
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = form_of(request)
        if request.url.path == "/oauth/revoke":
            self.revocations.append(form)
            return httpx.Response(200)
        if form.get("grant_type") != "refresh_token":
            return httpx.Response(200, json=self.exchange)
        with self._lock:
            self.refreshes.append(form)
            number = len(self.refreshes)
        if self.on_refresh:
            self.on_refresh()
        if self.refresh_answers:
            factory = self.refresh_answers[min(number, len(self.refresh_answers)) - 1]
            return factory(number)
        return fresh(number)


def fresh(number: int, **extra: Any) -> httpx.Response:
    body = {"access_token": f"at-{number}", "refresh_token": f"rt-{number}", "expires_in": HOUR}
    body.update(extra)
    return httpx.Response(200, json={k: v for k, v in body.items() if v is not None})


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def service(at: float | None = None, **overrides: Any) -> TokenService:
    base = container.token_service()
    clock = (lambda: at) if at is not None else time.time
    overrides.setdefault("sleep", Sleeps())
    return replace(base, clock=clock, **overrides)


def store() -> Store:
    return Store(get_settings().table_name)


def record(org: str = "org-1") -> Connection:
    connection = store().get_connection(org, "gitlab")
    assert connection is not None
    return connection


def soon_expiring(connected_at: float) -> float:
    """A moment when the first access token (an hour long) expires within the 5-minute margin."""
    return connected_at + HOUR - 60


def after_expiry(connected_at: float) -> float:
    return connected_at + HOUR + 60


def concurrent_reads(
    make_service: Callable[[], TokenService], org: str, provider: str, readers: int, *, timeout: float = 30
) -> list[Any]:
    """``readers`` threads (standing for as many containers), each with its own service, asking
    for the same token at the same moment; each one's access token, or the exception it raised.

    moto's DynamoDB backend is serialized meanwhile, standing for DynamoDB's per-item atomicity."""
    from devserver.serialized_moto import serialized_dynamodb

    barrier = threading.Barrier(readers)
    results: list[Any] = [None] * readers

    def read(index: int) -> None:
        tokens = make_service()
        barrier.wait()
        try:
            results[index] = tokens.get_token(org, provider)["access_token"]
        except Exception as exc:  # kept: a failed reader must show in the caller's assertion
            results[index] = exc

    with serialized_dynamodb():
        threads = [threading.Thread(target=read, args=(i,)) for i in range(readers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=timeout)
    return results
