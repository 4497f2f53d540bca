"""``make bench``: the figures of docs/performance.md, as a table and in bench/results/latest.json.

    python -m bench [--rounds 21] [--requests 1000] [--memory-runs 5] [--skip-build] [--quick]

Every measurement runs in child interpreters (this process imports neither byoc
nor boto3). About six to eight minutes on two cores; ``--quick`` (5 rounds, 200
requests, no build) only checks that everything runs: its figures are too noisy.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench import imports, memory, package, report
from bench.environment import (
    ALTERNATIVES,
    FUNCTIONS,
    LAYER,
    RESULTS,
    ROOT,
    child_env,
    extra_requirements,
    function_names,
    hidden_modules,
    machine,
    source_only_layer,
)
from bench.imports import Variant
from bench.replay import load as load_recording

IMPORT_TARGETS = {
    "list_integrations": 1.15,
    "oauth_start": 1.25,
    "oauth_callback": 1.25,
    "save_credentials": 1.40,
}
CPU_TARGET = 1.5
MEMORY_TARGET = 1.6
PACKAGE_TARGET = 0.30
# Bench-only stand-ins (bench/alternatives/<name>/app.py) and the function whose recording they replay.
ALTERNATIVE_BASES = {"list_resolver": "list_integrations", "save_datamasking": "save_credentials"}
MEMORY_SIZES_MB = (256, 512, 1024, 1769)
ONE_VCPU_MB = 1769
FAKE_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/bench"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_calls(workdir: Path) -> tuple[list[dict[str, Any]], dict[str, Path]]:
    """The moto scenarios, in a child: call counts, and recordings of the primary requests."""
    subprocess.run(
        [sys.executable, "-m", "bench.scenarios", str(workdir)],
        env=child_env([LAYER, ROOT]),
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,  # the handlers' log lines
    )
    rows = json.loads((workdir / "calls.json").read_text())
    recordings = {row["function"]: workdir / row.pop("recording") for row in rows if "recording" in row}
    return rows, recordings


def import_variants(
    functions: list[str],
    alternatives: list[str],
    hidden: tuple[str, ...],
    hidden_alt: tuple[str, ...],
    source: Path,
) -> list[Variant]:
    layer = (LAYER,)
    logger = "import boto3\nfrom aws_lambda_powertools import Logger\nLogger(service='byoc')"
    variants = [
        Variant("bare", imports.BARE, layer, hidden),
        Variant("floor", imports.FLOOR, layer, hidden),
        Variant("boto3 import only", "import boto3", layer, hidden),
        Variant("boto3 + Powertools Logger", logger, layer, hidden),
    ]
    no_bytecode = (("PYTHONDONTWRITEBYTECODE", "1"),)
    for name in functions:
        variants.append(Variant(name, "import app", (LAYER, FUNCTIONS / name), hidden))
        variants.append(
            Variant(f"{name} [no .pyc]", "import app", (source, FUNCTIONS / name), hidden, no_bytecode)
        )
    for name in alternatives:
        env = (("KMS_KEY_ID", FAKE_KEY_ARN),)
        variants.append(Variant(f"alt:{name}", "import app", (LAYER, ALTERNATIVES / name), hidden_alt, env))
    return variants


def run_imports(variants: list[Variant], rounds: int) -> dict[str, Any]:
    table = imports.ratios(imports.measure(variants, rounds), "bare", "floor")
    for variant in variants:
        if variant.code == "import app" and "[no .pyc]" not in variant.name:
            table[variant.name]["imports"] = imports.modules_imported(variant)
            table[variant.name]["importtime_ms_by_package"] = imports.importtime_top(variant)
    return table


def run_cpu(
    recording: Path, folder: Path, requests: int, extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    env = {**_settings_env(recording), **(extra_env or {})}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cpu.json"
        subprocess.run(
            [sys.executable, "-m", "bench.cpu", str(recording), str(out), str(requests)],
            env=child_env([LAYER, folder], env),
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        result = json.loads(out.read_text())
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}


def _settings_env(recording: Path) -> dict[str, str]:
    """The functions' settings in the moto account the request was recorded in (table, key, bus ...)."""
    return load_recording(recording).env


def run_all_cpu(
    recordings: dict[str, Path], functions: Iterable[str], alternatives: Iterable[str], requests: int
) -> dict[str, Any]:
    cpu: dict[str, Any] = {}
    for name in functions:
        if name in recordings:
            cpu[name] = run_cpu(recordings[name], FUNCTIONS / name, requests)
            silent = run_cpu(
                recordings[name], FUNCTIONS / name, requests, {"POWERTOOLS_LOG_LEVEL": "WARNING"}
            )
            cpu[name]["ratio_without_log_line"] = silent["ratio"]
    for name in alternatives:
        base = ALTERNATIVE_BASES[name]
        if base in recordings:
            cpu[f"alt:{name}"] = run_cpu(recordings[base], ALTERNATIVES / name, requests)
    return cpu


def run_memory(
    recordings: dict[str, Path],
    functions: Iterable[str],
    alternatives: Iterable[str],
    hidden: tuple[str, ...],
    hidden_alt: tuple[str, ...],
    runs: int,
) -> dict[str, Any]:
    mem: dict[str, Any] = {"floor": memory.floor(hidden, runs)}
    targets = [(name, name, FUNCTIONS / name, hidden) for name in functions]
    targets += [
        (f"alt:{name}", ALTERNATIVE_BASES[name], ALTERNATIVES / name, hidden_alt) for name in alternatives
    ]
    for label, base, folder, hide in targets:
        if base in recordings:
            mem[label] = memory.function(
                recordings[base], folder, hide, _settings_env(recordings[base]), runs
            )
    for row in mem.values():
        row["ratio"] = round(row["rss_peak_mb"] / mem["floor"]["rss_peak_mb"], 3)
    return mem


def memory_model(import_table: dict[str, Any], cpu: dict[str, Any]) -> dict[str, Any]:
    """CPU-bound cold start and warm CPU per MemorySize, if Lambda's CPU share is memory/1769 MB.

    The cold start counted here is the import plus the clients made on the first
    request (the floor minus ``import boto3``), on this machine's core: a Graviton
    core's speed differs, so the figures compare sizes; they are not a forecast.
    """
    bare = import_table["bare"]["median_wall_ms"]
    clients_ms = import_table["floor"]["median_wall_ms"] - import_table["boto3 import only"]["median_wall_ms"]
    rows = {}
    for name, row in cpu.items():
        if name.startswith("alt:") or name not in import_table:
            continue
        init_ms = import_table[name]["median_wall_ms"] - bare + clients_ms
        warm_ms = row["handler_us_per_request"] / 1000
        rows[name] = {
            str(mb): {
                "cpu_bound_cold_start_ms": round(init_ms * max(1.0, ONE_VCPU_MB / mb)),
                "warm_cpu_ms": round(warm_ms * max(1.0, ONE_VCPU_MB / mb), 2),
            }
            for mb in MEMORY_SIZES_MB
        }
    return {"clients_ms_here": round(clients_ms, 1), "functions": rows}


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="interleaved import runs per variant (>= 15)")
    parser.add_argument("--requests", type=int, default=1000, help="warm requests per CPU measurement")
    parser.add_argument("--memory-runs", type=int, default=5, help="memory probes per function (median)")
    parser.add_argument("--skip-build", action="store_true", help="measure the existing .aws-sam/build")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 5 rounds, 200 requests, no build")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.requests, args.memory_runs, args.skip_build = 5, 200, 2, True
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    began = time.monotonic()
    functions = function_names()
    masking = extra_requirements("aws-lambda-powertools", "datamasking")
    has_sdk = all(importlib.util.find_spec(m) for m in ("aws_encryption_sdk", "jsonpath_ng"))
    alternatives = [n for n in ALTERNATIVE_BASES if has_sdk or n != "save_datamasking"]
    hidden = hidden_modules()
    hidden_alt = hidden_modules(masking) if has_sdk else hidden
    results: dict[str, Any] = {
        "machine": machine(),
        "settings": {"rounds": args.rounds, "requests": args.requests, "memory_runs": args.memory_runs},
        "targets": {
            "import_ratio": IMPORT_TARGETS,
            "cpu_ratio": CPU_TARGET,
            "memory_ratio": MEMORY_TARGET,
            "package_share": PACKAGE_TARGET,
        },
        "hidden_modules": len(hidden),
        "notes": []
        if has_sdk
        else ["aws-lambda-powertools[datamasking] is not installed: its alternative was skipped"],
    }
    with tempfile.TemporaryDirectory(prefix="byoc-bench-") as tmp:
        workdir = Path(tmp)
        say("AWS calls per request (moto) ...")
        results["calls"], recordings = run_calls(workdir)
        say(f"import cost: {args.rounds} interleaved rounds ...")
        source = source_only_layer(workdir / "layer")
        results["imports"] = run_imports(
            import_variants(functions, alternatives, hidden, hidden_alt, source), args.rounds
        )
        say(f"CPU per warm request: {args.requests} requests each ...")
        results["cpu"] = run_all_cpu(recordings, functions, alternatives, args.requests)
        say("peak memory ...")
        results["memory"] = run_memory(
            recordings, functions, alternatives, hidden, hidden_alt, args.memory_runs
        )
    say("package size (make build) ..." if not args.skip_build else "package size (existing build) ...")
    results["package"] = package.sizes(args.skip_build)
    results["memory_model"] = memory_model(results["imports"], results["cpu"])
    results["elapsed_s"] = round(time.monotonic() - began, 1)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]

    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_suffix(".tmp")
    partial.write_text(json.dumps(results, indent=2) + "\n")
    partial.replace(args.out)
    print(report.render(results))
    print(f"\nwritten to {args.out}")
    misses = report.misses(results)
    print("targets missed: " + ("; ".join(misses) if misses else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
