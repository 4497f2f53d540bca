"""Import cost: fresh interpreters importing a function's ``app`` module, interleaved, against the floor.

ratio = (median(function) - median(bare)) / (median(floor) - median(bare)), where
the floor is ``import boto3`` plus a DynamoDB and a KMS client. Each round runs
every variant once in a shuffled order, so load on the machine falls on all of
them alike. Wall time is the figure; the child's CPU time (user + system, from
``wait4``) is kept beside it, since it is far less sensitive to other processes.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.environment import ROOT, child_env, prelude

BARE = "pass"
FLOOR = "import boto3\nboto3.client('dynamodb')\nboto3.client('kms')"
HEAVY = ("httpx", "cryptography", "pydantic", "aws_encryption_sdk", "aws_lambda_powertools.event_handler")


@dataclass(frozen=True)
class Variant:
    name: str
    code: str
    pythonpath: tuple[Path, ...]
    hidden: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()

    def argv(self) -> list[str]:
        return [sys.executable, "-c", prelude(self.hidden) + self.code]

    def environ(self) -> dict[str, str]:
        return child_env(self.pythonpath, dict(self.env))


@dataclass
class Samples:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def run_once(variant: Variant) -> tuple[float, float]:
    began = time.perf_counter()
    child = subprocess.Popen(variant.argv(), env=variant.environ(), cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"{variant.name}: the child interpreter failed ({child.returncode})")
    return wall, usage.ru_utime + usage.ru_stime


def measure(variants: list[Variant], rounds: int, warmup: int = 2, seed: int = 7) -> dict[str, Samples]:
    """``rounds`` interleaved runs of each variant (after ``warmup`` rounds that write bytecode caches)."""
    shuffler = random.Random(seed)
    samples = {v.name: Samples() for v in variants}
    for number in range(warmup + rounds):
        order = list(variants)
        shuffler.shuffle(order)
        for variant in order:
            wall, cpu = run_once(variant)
            if number >= warmup:
                samples[variant.name].wall.append(wall)
                samples[variant.name].cpu.append(cpu)
    return samples


def ratios(samples: dict[str, Samples], bare: str, floor: str) -> dict[str, dict[str, float]]:
    med = {name: (statistics.median(s.wall), statistics.median(s.cpu)) for name, s in samples.items()}
    floor_wall = med[floor][0] - med[bare][0]
    floor_cpu = med[floor][1] - med[bare][1]
    return {
        name: {
            "median_wall_ms": round(wall * 1000, 1),
            "median_cpu_ms": round(cpu * 1000, 1),
            "ratio": round((wall - med[bare][0]) / floor_wall, 3),
            "ratio_cpu": round((cpu - med[bare][1]) / floor_cpu, 3),
            "runs": len(samples[name].wall),
        }
        for name, (wall, cpu) in med.items()
    }


def modules_imported(variant: Variant) -> dict[str, bool]:
    """Which heavy packages importing the module pulls in."""
    code = variant.code + "\nimport sys\nprint(' '.join(n for n, m in sys.modules.items() if m is not None))"
    out = subprocess.run(
        [sys.executable, "-c", prelude(variant.hidden) + code],
        env=variant.environ(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    loaded = set(out)
    return {name: name in loaded for name in HEAVY}


def importtime_top(variant: Variant, runs: int = 3, top: int = 8) -> dict[str, float]:
    """Self time of the import, by top-level package (``python -X importtime``), median of ``runs``, ms."""
    totals: dict[str, list[float]] = {}
    for _ in range(runs):
        err = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", prelude(variant.hidden) + variant.code],
            env=variant.environ(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        per_run: dict[str, float] = {}
        for line in err.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, _, name = line.removeprefix("import time:").split("|")
            package = name.strip().split(".")[0]
            per_run[package] = per_run.get(package, 0.0) + int(self_us) / 1000
        for package, value in per_run.items():
            totals.setdefault(package, []).append(value)
    medians = {
        package: statistics.median(values + [0.0] * (runs - len(values)))
        for package, values in totals.items()
    }
    best = sorted(medians.items(), key=lambda kv: -kv[1])[:top]
    return {package: round(ms, 1) for package, ms in best}
