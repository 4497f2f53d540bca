"""Peak memory (RSS) after import and one request, over ``import boto3`` plus two clients."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.environment import ROOT, child_env, prelude


def _probe(call: str, pythonpath: list[Path], hidden: tuple[str, ...], env: dict[str, str]) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rss.json"
        code = prelude(hidden) + f"from bench import probe\nprobe.{call}\n"
        subprocess.run(  # noqa: S603
            [sys.executable, "-c", code.replace("OUT", repr(str(out)))],
            env=child_env([ROOT, *pythonpath], env),
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return json.loads(out.read_text())


def floor(hidden: tuple[str, ...], runs: int) -> dict[str, float]:
    samples = [_probe("floor(OUT)", [], hidden, {}) for _ in range(runs)]
    return _medians(samples)


def function(
    recording_path: Path, folder: Path, hidden: tuple[str, ...], env: dict[str, str], runs: int
) -> dict[str, float]:
    call = f"function({str(recording_path)!r}, OUT)"
    samples = [_probe(call, [ROOT / "layers" / "common", folder], hidden, env) for _ in range(runs)]
    return _medians(samples)


def _medians(samples: list[dict[str, int]]) -> dict[str, float]:
    return {
        "rss_after_import_mb": round(statistics.median(s["rss_after_import_kb"] for s in samples) / 1024, 1),
        "rss_peak_mb": round(statistics.median(s["rss_peak_kb"] for s in samples) / 1024, 1),
    }
