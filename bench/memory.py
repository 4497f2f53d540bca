"""Peak memory (RSS) after import and one request, over ``import boto3`` plus two clients."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.environment import ROOT, child_env, prelude


def _probe(
    probe: str, args: list[str], pythonpath: list[Path], hidden: tuple[str, ...], env: dict[str, str]
) -> dict[str, int]:
    """Run ``bench.probe.<probe>(*args, out)`` in a child interpreter; its peak RSS figures."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rss.json"
        call = ", ".join(repr(a) for a in [*args, str(out)])
        subprocess.run(
            [sys.executable, "-c", prelude(hidden) + f"from bench import probe\nprobe.{probe}({call})\n"],
            env=child_env(pythonpath, env),
            cwd=ROOT,  # the child imports bench from here
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return json.loads(out.read_text())


def floor(hidden: tuple[str, ...], runs: int) -> dict[str, float]:
    return _medians([_probe("floor", [], [], hidden, {}) for _ in range(runs)])


def function(
    recording_path: Path, folder: Path, hidden: tuple[str, ...], env: dict[str, str], runs: int
) -> dict[str, float]:
    pythonpath = [ROOT / "layers" / "common", folder]
    return _medians([_probe("function", [str(recording_path)], pythonpath, hidden, env) for _ in range(runs)])


def _medians(samples: list[dict[str, int]]) -> dict[str, float]:
    return {
        "rss_after_import_mb": round(statistics.median(s["rss_after_import_kb"] for s in samples) / 1024, 1),
        "rss_peak_mb": round(statistics.median(s["rss_peak_kb"] for s in samples) / 1024, 1),
    }
