"""Where the bench runs: paths, the machine, and child interpreters that import what Lambda would.

The dev virtualenv holds packages the deployed functions never see (pytest, moto,
rich, click, ...). Some of them change what our dependencies import: httpx's
``__init__`` imports its command-line module, which pulls in rich, click and
pygments when they are installed, and they are not in the layer. Child
interpreters therefore start with every top-level module that is neither in the
layer's requirements (and their dependencies) nor in the runtime's boto3 hidden,
so optional imports fail as they do on Lambda.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import os
import platform
import re
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "common"
FUNCTIONS = ROOT / "functions"
ALTERNATIVES = ROOT / "bench" / "alternatives"
RESULTS = ROOT / "bench" / "results"
REGION = "us-east-1"
# What the Lambda Python runtime provides (boto3 and its dependencies): never in the layer.
RUNTIME_PACKAGES = ("boto3",)

# Fake credentials and a region: clients are created but never reach AWS.
AWS_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
_DROPPED_ENV = re.compile(r"^(AWS_|PYTHON|BYOC_|POWERTOOLS_)")


def function_names() -> list[str]:
    """Every function folder with an ``app.py`` (functions being added appear as they land)."""
    return sorted(p.parent.name for p in FUNCTIONS.glob("*/app.py"))


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(path: Path) -> list[str]:
    names = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.append(Requirement(line).name)
    return names


def distribution_closure(names: Iterable[str]) -> set[str]:
    """The installed distributions ``names`` need, without extras (what ``pip install`` would bring)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        key = _normalized(name)
        if key in seen:
            continue
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        seen.add(key)
        for raw in dist.requires or []:
            req = Requirement(raw)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def extra_requirements(distribution: str, extra: str) -> list[str]:
    """What ``distribution[extra]`` adds (Powertools' ``datamasking``: the Encryption SDK, jsonpath-ng)."""
    names = []
    for raw in md.distribution(distribution).requires or []:
        req = Requirement(raw)
        if (
            req.marker is not None
            and req.marker.evaluate({"extra": extra})
            and not req.marker.evaluate({"extra": ""})
        ):
            names.append(req.name)
    return names


def layer_packages() -> list[str]:
    return requirement_names(LAYER / "requirements.txt")


def hidden_modules(extra_packages: Iterable[str] = ()) -> tuple[str, ...]:
    """Top-level modules installed here that neither the layer, the runtime's boto3 nor ``extra`` bring."""
    allowed = distribution_closure([*layer_packages(), *RUNTIME_PACKAGES, *extra_packages])
    hidden = {
        top
        for top, dists in md.packages_distributions().items()
        if top.isidentifier() and not any(_normalized(d) in allowed for d in dists)
    }
    return tuple(sorted(hidden))


def prelude(hidden: Iterable[str]) -> str:
    """First lines of every child interpreter: hidden modules fail to import (costs microseconds)."""
    return f"import sys\nsys.modules.update(dict.fromkeys({tuple(hidden)!r}))\n"


def child_env(pythonpath: Iterable[Path], extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment for a child interpreter: fake AWS credentials, the given import path."""
    env = {k: v for k, v in os.environ.items() if not _DROPPED_ENV.match(k)}
    env.update(AWS_ENV)
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    env.update(extra or {})
    return env


def source_only_layer(dest: Path) -> Path:
    """A copy of the layer as ``sam build`` makes it: the packages' sources, no bytecode.

    Lambda's file system is read-only, so a layer shipped without ``.pyc`` files is
    compiled at every cold start. Importing from this copy with
    ``PYTHONDONTWRITEBYTECODE=1`` does the same here.
    """
    target = dest / "python"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for key in sorted(distribution_closure(layer_packages())):
        dist = md.distribution(key)
        for file in dist.files or []:
            if "__pycache__" in file.parts or file.suffix == ".pyc" or file.parts[0] == "..":
                continue
            source = Path(str(dist.locate_file(file)))
            if source.is_file():
                copy = target / file
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy)
    shutil.copytree(LAYER / "byoc", target / "byoc", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(name: str) -> str | None:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def machine() -> dict[str, object]:
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nproc": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "packages": {
            name: _version(name)
            for name in (
                "boto3",
                "botocore",
                "aws-lambda-powertools",
                "pydantic",
                "httpx",
                "cryptography",
                "aws-encryption-sdk",
                "moto",
            )
        },
    }
