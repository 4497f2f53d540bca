"""CPU per warm request, in a child interpreter: ``python -m bench.cpu RECORDING OUT REQUESTS``.

The function's ``app`` module is imported from ``PYTHONPATH`` (its folder, or an
alternative's). AWS answers come from botocore's ``Stubber`` (queued before each
timed chunk), provider answers from ``httpx.MockTransport``. The floor is the
same recorded calls made bare on plain boto3 clients, also stubbed, in the same
process; handler and floor chunks alternate so drift hits both. stdout (the
access log lines) goes to /dev/null, as a write, like on Lambda.

A second pass under ``cProfile`` splits the handler's CPU by package, which is
what the docs quote as "what dominates a warm request".
"""

from __future__ import annotations

import cProfile
import json
import pstats
import sys
import time
from pathlib import Path
from typing import Any

from bench import replay

CHUNKS = 10


def _package_of(filename: str) -> str:
    path = filename.replace("\\", "/")
    if "/byoc/" in path:
        return "byoc"
    if "/functions/" in path or "/bench/alternatives/" in path:
        return "handler"
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if path.startswith("<") or path == "~":
        return "builtins"
    return "stdlib"


def profile(run: Any) -> dict[str, float]:
    """Share of the handler's own CPU per package, from cProfile's tottime."""
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    totals: dict[str, float] = {}
    for (filename, _, _), (_, _, tottime, _, _) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        key = _package_of(filename)
        totals[key] = totals.get(key, 0.0) + tottime
    whole = sum(totals.values()) or 1.0
    top = sorted(totals.items(), key=lambda kv: -kv[1])[:8]
    return {name: round(value / whole, 3) for name, value in top}


class Bench:
    """The function under test, its stubbed clients, and a bare set of clients for the floor."""

    def __init__(self, recording: replay.Recording) -> None:
        import app  # the function under test, from PYTHONPATH

        self.app = app
        self.recording = recording
        overrides = getattr(app, "bench_clients", lambda: {})()
        clients = {**replay.handler_clients(recording.services), **overrides}
        self.handler = replay.Stubs({k: v for k, v in clients.items() if k in recording.services})
        self.floor = replay.Stubs(replay.bare_clients(sorted({c.service for c in recording.floor})))
        replay.install_provider_mock()
        self.context = replay.context()

    def request(self, event: dict[str, Any]) -> Any:
        if self.recording.clear_key_cache:
            replay.forget_data_keys()
        return self.app.lambda_handler(event, self.context)

    def checked(self, event: dict[str, Any], calls: list[replay.Call]) -> None:
        """One request whose answer and AWS calls must be exactly the recorded ones."""
        self.handler.queue(calls)
        replay.check(self.recording, self.request(event))
        self.handler.drained()

    def handler_chunk(self, batch: list[dict[str, Any]]) -> float:
        for _ in batch:
            self.handler.queue(self.recording.calls)
        began = time.process_time()
        for event in batch:
            self.request(event)
        spent = time.process_time() - began
        self.handler.drained()
        return spent

    def floor_chunk(self, count: int) -> float:
        for _ in range(count):
            self.floor.queue(self.recording.floor)
        began = time.process_time()
        for _ in range(count):
            self.floor.call_bare(self.recording.floor)
        spent = time.process_time() - began
        self.floor.drained()
        return spent


def main(recording_path: str, out_path: str, requests: int) -> None:
    recording = replay.load(recording_path)
    bench = Bench(recording)
    profiled = min(200, requests)
    # With vary_org every request is another org's: the checked one, the timed ones, the profiled ones.
    events = replay.events_for(recording, 1 + requests + profiled)
    checked, timed, sampled = events[0], events[1 : 1 + requests], events[1 + requests :]
    if recording.prime_event is not None:  # e.g. the token read that caches the data key
        bench.checked(recording.prime_event, recording.prime_calls)
    bench.checked(checked, recording.calls)

    handler_cpu = floor_cpu = 0.0
    size = max(1, requests // CHUNKS)
    for start in range(0, requests, size):
        batch = timed[start : start + size]
        handler_cpu += bench.handler_chunk(batch)
        floor_cpu += bench.floor_chunk(len(batch))
    shares = profile(lambda: bench.handler_chunk(sampled))

    result = {
        "requests": requests,
        "handler_cpu_s": handler_cpu,
        "floor_cpu_s": floor_cpu,
        "handler_us_per_request": handler_cpu / requests * 1e6,
        "floor_us_per_request": floor_cpu / requests * 1e6,
        "ratio": handler_cpu / floor_cpu,
        "profile_shares": shares,
    }
    Path(out_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
