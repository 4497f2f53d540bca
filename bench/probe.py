"""Peak memory, in a child interpreter started by ``bench.memory``: only the standard library at the top.

``function(recording, out)``: import ``app`` (from PYTHONPATH), then make one
request replayed with Stubber; ``floor(out)``: ``import boto3`` and create a
DynamoDB and a KMS client. Both then load the same replay helpers, so the
difference is what the function itself costs. The figure is ``ru_maxrss``, the
peak resident set size of the process.
"""

from __future__ import annotations

import json
import resource
import sys


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def function(recording_path: str, out_path: str) -> None:
    import app  # the function under test

    after_import = _peak_kb()
    from bench import replay

    recording = replay.load(recording_path)
    overrides = getattr(app, "bench_clients", lambda: {})()
    clients = {**replay.handler_clients(recording.services), **overrides}
    stubs = replay.Stubs({k: v for k, v in clients.items() if k in recording.services})
    if "httpx" in sys.modules:  # only functions that talk to providers pay for the mock
        replay.install_provider_mock()
    stubs.queue(recording.prime_calls + recording.calls)
    if recording.prime_event is not None:
        app.lambda_handler(recording.prime_event, replay.context())
    replay.check(recording, app.lambda_handler(recording.event, replay.context()))
    stubs.drained()
    _write(out_path, after_import)


def floor(out_path: str) -> None:
    import boto3

    boto3.client("dynamodb")
    boto3.client("kms")
    after_import = _peak_kb()
    from bench import replay

    replay.Stubs({})  # the same helpers the function probe loads
    _write(out_path, after_import)


def _write(out_path: str, after_import: int) -> None:
    with open(out_path, "w") as stream:
        json.dump({"rss_after_import_kb": after_import, "rss_peak_kb": _peak_kb()}, stream)
