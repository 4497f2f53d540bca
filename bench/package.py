"""The built package (``make build``: ``sam build``) against Lambda's 250 MB unzipped limit.

The limit applies to one function: its code plus all its layers, unzipped. Every
function here has the one common layer, so the largest function folder plus the
layer is the figure that must fit; the sum of all function folders plus the layer
is reported beside it. boto3 is not in the build: the runtime provides it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from bench.environment import ROOT, distribution_closure

LIMIT_BYTES = 250 * 1024 * 1024  # Lambda quota: 250 MB for a function and its layers, unzipped
BUILD = ROOT / ".aws-sam" / "build"
LAYER = "CommonLayer"


def tree_bytes(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build() -> dict[str, Any]:
    """Run ``make build``; returns whether it succeeded and the tail of its output when not."""
    done = subprocess.run(["make", "build"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    ok = done.returncode == 0
    return {"ok": ok, "output_tail": "" if ok else (done.stdout + done.stderr)[-1500:]}


def installed_bytes(names: list[str]) -> int:
    """Bytes of installed distributions (for what bundling boto3 would add)."""
    import importlib.metadata as md

    total = 0
    for name in sorted(distribution_closure(names)):
        for file in md.distribution(name).files or []:
            path = Path(str(md.distribution(name).locate_file(file)))
            if path.is_file() and "__pycache__" not in path.parts:
                total += path.stat().st_size
    return total


def sizes(skip_build: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"built_now": False}
    if not skip_build:
        outcome = build()
        result["built_now"] = outcome["ok"]
        if not outcome["ok"]:
            result["build_error"] = outcome["output_tail"]
    if not (BUILD / LAYER).is_dir():
        result["error"] = "no .aws-sam/build/CommonLayer: run make build"
        return result
    functions = {p.name: tree_bytes(p) for p in sorted(BUILD.iterdir()) if p.is_dir() and p.name != LAYER}
    layer = tree_bytes(BUILD / LAYER)
    largest = max(functions.values(), default=0)
    layer_python = BUILD / LAYER / "python"
    bundled = sorted(n for n in ("boto3", "botocore", "s3transfer") if (layer_python / n).exists())
    boto3_bytes = installed_bytes(["boto3"])
    result.update(
        {
            "functions_bytes": functions,
            "layer_bytes": layer,
            "total_bytes": layer + sum(functions.values()),
            "largest_function_with_layer_bytes": layer + largest,
            "limit_bytes": LIMIT_BYTES,
            "share_of_limit": round((layer + sum(functions.values())) / LIMIT_BYTES, 4),
            "largest_function_share_of_limit": round((layer + largest) / LIMIT_BYTES, 4),
            "boto3_bundled": bool(bundled),
            "boto3_closure_bytes_if_bundled": boto3_bytes,
            "boto3_share_of_limit_if_bundled": round(boto3_bytes / LIMIT_BYTES, 4),
            "bytecode_files_in_build": sum(1 for _ in BUILD.rglob("*.pyc")),
        }
    )
    return result
