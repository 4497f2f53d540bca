"""What a request asked of AWS, recorded under moto so it can be counted and replayed with botocore's Stubber.

A ``Recorder`` hooks a client's events: ``before-call`` counts the call (the
figure compared with the budget), ``before-parameter-build`` keeps the API
parameters and ``after-call`` the parsed answer, so the CPU benchmark can queue
the very same answers in a ``Stubber`` and make the very same calls bare.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    service: str  # "dynamodb", "kms", "events"
    operation: str  # "GetItem"
    params: dict[str, Any]
    response: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return f"{self.service}.{self.operation}"


def counts(calls: list[Call]) -> dict[str, int]:
    return dict(sorted(Counter(call.key for call in calls).items()))


@dataclass
class Recording:
    """One scenario's measured request: the event, the settings, and its AWS calls in order."""

    scenario: str
    function: str
    event: dict[str, Any]
    env: dict[str, str]
    calls: list[Call]
    # Calls of a request made first to warm the container (e.g. a token read that caches the data key).
    prime_event: dict[str, Any] | None = None
    prime_calls: list[Call] = field(default_factory=list)
    # The callback runs in its own function: its container has not cached the record's data key.
    clear_key_cache: bool = False
    # Vary the org per request (each save is another org's, as in real traffic).
    vary_org: bool = False
    # The floor's calls when they are not the request's own: a request that makes no AWS call
    # (GET /providers) is measured against the cheapest one that does (one DynamoDB GetItem).
    floor_calls: list[Call] | None = None

    @property
    def services(self) -> list[str]:
        return sorted({c.service for c in [*self.calls, *self.prime_calls]})

    @property
    def floor(self) -> list[Call]:
        return self.calls if self.floor_calls is None else self.floor_calls


class Recorder:
    """Counts and records the calls of the clients it is attached to, while ``active``."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.active = False
        self._params: dict[str, Any] = {}

    def attach(self, client: Any) -> None:
        events = client.meta.events
        events.register("before-parameter-build.*.*", self._on_params)
        events.register("before-call.*.*", self._on_call)
        events.register("after-call.*.*", self._on_answer)

    def _on_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.active:
            self._params = copy.deepcopy(params)

    def _on_call(self, model: Any, **_: Any) -> None:
        if self.active:
            self.calls.append(Call(model.service_model.service_name, model.name, self._params))

    def _on_answer(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if self.active and self.calls:
            answer = {k: copy.deepcopy(v) for k, v in parsed.items() if k != "ResponseMetadata"}
            if "Error" in answer:
                raise RuntimeError(f"{model.name} failed while recording: {answer['Error'].get('Code')}")
            self.calls[-1].response = answer

    def take(self) -> list[Call]:
        calls, self.calls = self.calls, []
        return calls
