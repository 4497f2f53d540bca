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


def main(recording_path: str, out_path: str, requests: int) -> None:
    recording = replay.load(recording_path)
    import app  # the function under test, from PYTHONPATH

    overrides = getattr(app, "bench_clients", lambda: {})()
    handler_clients = {**replay.handler_clients(recording.services), **overrides}
    handler = replay.Stubs({k: v for k, v in handler_clients.items() if k in recording.services})
    floor = replay.Stubs(replay.bare_clients(recording.services))
    replay.install_provider_mock()
    context = replay.context()
    profiled = min(200, requests)
    # With vary_org every request is another org's: the checked one, the timed ones, the profiled ones.
    events = replay.events_for(recording, 1 + requests + profiled)
    checked, timed, sampled = events[0], events[1 : 1 + requests], events[1 + requests :]

    if recording.prime_event is not None:
        handler.queue(recording.prime_calls)
        replay.check(recording, app.lambda_handler(recording.prime_event, context))
        handler.drained()

    def run(batch: list[dict[str, Any]]) -> None:
        for event in batch:
            if recording.clear_key_cache:
                replay.forget_data_keys()
            app.lambda_handler(event, context)

    # One checked request first: the replay must succeed exactly as recorded.
    handler.queue(recording.calls)
    if recording.clear_key_cache:
        replay.forget_data_keys()
    replay.check(recording, app.lambda_handler(checked, context))
    handler.drained()

    handler_cpu = floor_cpu = 0.0
    size = max(1, requests // CHUNKS)
    for start in range(0, requests, size):
        batch = timed[start : start + size]
        for _ in batch:
            handler.queue(recording.calls)
        began = time.process_time()
        run(batch)
        handler_cpu += time.process_time() - began
        handler.drained()
        for _ in batch:
            floor.queue(recording.calls)
        began = time.process_time()
        for _ in batch:
            floor.call_bare(recording.calls)
        floor_cpu += time.process_time() - began
        floor.drained()

    for _ in sampled:
        handler.queue(recording.calls)
    shares = profile(lambda: run(sampled))
    handler.drained()

    Path(out_path).write_text(
        json.dumps(
            {
                "requests": requests,
                "handler_cpu_s": handler_cpu,
                "floor_cpu_s": floor_cpu,
                "handler_us_per_request": handler_cpu / requests * 1e6,
                "floor_us_per_request": floor_cpu / requests * 1e6,
                "ratio": handler_cpu / floor_cpu,
                "profile_shares": shares,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
