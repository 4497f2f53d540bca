"""Importing a function (its Lambda init) creates nothing unique and opens nothing: SnapStart-safe.

With SnapStart, init runs once and every execution environment resumes from its
snapshot, so anything made during init is shared by all of them: a nonce, an
OAuth state or a cached data key would repeat, and a network connection would be
stale. Each function's ``app`` module is imported in a fresh interpreter with the
random sources, client constructors and socket calls watched; nothing may be
called from our code, no client may be made at all, and the caches stay empty.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ROOT

FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))
OURS = (ROOT / "layers" / "common", ROOT / "functions")

# Runs in the child: watch, import ``app``, report. argv: output file, then the folders whose code is ours.
PROBE = r"""
import json, os, secrets, socket, sys, uuid
out, ours = sys.argv[1], tuple(sys.argv[2:])
found = {"random": [], "clients": [], "http_clients": [], "network": []}

def watch(owner, name, bucket, ours_only):
    original = getattr(owner, name)
    def watched(*args, **kwargs):
        caller = sys._getframe(1).f_code.co_filename
        if not ours_only or caller.startswith(ours):
            found[bucket].append(f"{name} from {caller}:{sys._getframe(1).f_lineno}")
        return original(*args, **kwargs)
    setattr(owner, name, watched)

for name in ("token_bytes", "token_hex", "token_urlsafe", "randbits", "choice"):
    watch(secrets, name, "random", ours_only=True)
watch(os, "urandom", "random", ours_only=True)
watch(uuid, "uuid4", "random", ours_only=True)
for owner, name in ((socket.socket, "connect"), (socket, "create_connection"), (socket, "getaddrinfo")):
    watch(owner, name, "network", ours_only=False)

import botocore.session
import httpx
watch(botocore.session.Session, "create_client", "clients", ours_only=False)
watch(httpx.Client, "__init__", "http_clients", ours_only=False)
watch(httpx.AsyncClient, "__init__", "http_clients", ours_only=False)

import app  # the function's init

def cached(module, name):
    function = getattr(sys.modules.get(module), name, None)
    return None if function is None else function.cache_info().currsize

crypto = sys.modules.get("byoc.aws.crypto")
state = {
    "data_keys_cached": None if crypto is None else len(crypto.DATA_KEY_CACHE),
    "aws_clients_cached": cached("byoc.aws.clients", "client"),
    "outbound_clients_cached": cached("byoc.container", "outbound"),
    "settings_read": cached("byoc.settings", "get_settings"),
}
with open(out, "w") as stream:
    json.dump({"found": found, "state": state}, stream)
"""
# What importing ``app`` alone loads (the watched probe above loads httpx itself).
MODULES = r"""
import json, sys
import app
with open(sys.argv[1], "w") as stream:
    json.dump(sorted(name for name, module in sys.modules.items() if module is not None), stream)
"""


def probe(folder: Path, tmp: Path, ours: tuple[Path, ...] = OURS, code: str = PROBE) -> Any:
    """Import ``folder/app.py`` in a fresh interpreter with the layer on the path; what it made."""
    out = tmp / f"{folder.name}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BYOC_", "PYTHON"))}
    # A region and fake credentials, so a client made at import would be made (and seen), not fail.
    env |= {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "layers" / "common"), str(folder)])
    subprocess.run(
        [sys.executable, "-c", code, str(out), *map(str, ours)],
        env=env,
        cwd=tmp,
        check=True,
        capture_output=True,
    )
    return json.loads(out.read_text())


@cache
def imported(function: str) -> dict[str, Any]:
    """One probe per function for the whole module (each is a fresh interpreter)."""
    with tempfile.TemporaryDirectory() as tmp:
        return probe(ROOT / "functions" / function, Path(tmp))


@cache
def modules_of(function: str) -> frozenset[str]:
    with tempfile.TemporaryDirectory() as tmp:
        return frozenset(probe(ROOT / "functions" / function, Path(tmp), code=MODULES))


@pytest.mark.parametrize("function", FUNCTIONS)
def test_importing_a_function_makes_no_nonce_state_or_key(function: str) -> None:
    # When the function is imported (its init)
    found = imported(function)["found"]
    # Then none of our code drew randomness: no state, verifier, nonce or id exists yet
    assert found["random"] == []


@pytest.mark.parametrize("function", FUNCTIONS)
def test_importing_a_function_creates_no_aws_client(function: str) -> None:
    result = imported(function)
    # Then no boto3 client was made by anyone (they are made on first use, after a restore)
    assert result["found"]["clients"] == []
    assert result["state"]["aws_clients_cached"] in (None, 0)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_importing_a_function_creates_no_http_client_and_opens_no_connection(function: str) -> None:
    result = imported(function)
    # Then no httpx client exists and no socket was resolved or connected
    assert result["found"]["http_clients"] == []
    assert result["found"]["network"] == []
    assert result["state"]["outbound_clients_cached"] in (None, 0)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_importing_a_function_caches_no_data_key_and_reads_no_settings(function: str) -> None:
    state = imported(function)["state"]
    # Then the data key cache is empty and the settings are read at the first request, not at init
    assert state["data_keys_cached"] in (None, 0)
    assert state["settings_read"] in (None, 0)


def test_listing_integrations_imports_neither_httpx_cryptography_nor_pydantic() -> None:
    # When the list function is imported
    modules = modules_of("list_integrations")
    # Then it loads no HTTP client, no crypto and no validation library: it needs none of them
    assert {"httpx", "cryptography", "pydantic"} & modules == set()


@pytest.mark.parametrize("function", ["oauth_start", "oauth_callback"])
def test_the_oauth_flow_functions_do_not_import_pydantic(function: str) -> None:
    # When a flow function is imported, Then pydantic (only the save body needs it) is not loaded
    assert "pydantic" not in modules_of(function)


def test_the_probe_sees_a_state_made_at_import(tmp_path: Path) -> None:
    # Given a function that makes a state at module level
    folder = tmp_path / "bad_state"
    folder.mkdir()
    (folder / "app.py").write_text("import secrets\nSTATE = secrets.token_urlsafe(32)\n")
    # When it is probed with its folder counted as ours
    found = probe(folder, tmp_path, ours=(folder,))["found"]
    # Then the probe reports it
    assert len(found["random"]) == 1 and found["random"][0].startswith("token_urlsafe from ")


def test_the_probe_sees_a_client_made_at_import(tmp_path: Path) -> None:
    # Given a function that creates a boto3 client at module level
    folder = tmp_path / "bad_client"
    folder.mkdir()
    (folder / "app.py").write_text("import boto3\nKMS = boto3.client('kms')\n")
    # When it is probed, Then the probe reports the client
    assert len(probe(folder, tmp_path, ours=(folder,))["found"]["clients"]) == 1


def _drawn_twice_from_one_snapshot(draw: Any) -> tuple[float, float]:
    """Two draws, each as an environment resumed from one snapshot would make it.

    A snapshot copies memory, so a generator's state comes back as it was at init:
    restore that state before each draw. (A fork is no model here: Python re-seeds
    ``random`` in a forked child, and a SnapStart restore runs no such hook.)
    """
    generator = getattr(draw, "__self__", None)
    try:
        state = generator.getstate()  # type: ignore[union-attr]
    except (AttributeError, NotImplementedError):  # no state in memory: the OS draws each time
        return draw(), draw()
    first = draw()
    generator.setstate(state)  # type: ignore[union-attr]
    return first, draw()


def test_token_refresh_jitter_differs_between_environments_restored_from_one_snapshot() -> None:
    # Given the token service's jitter, as it stands after init
    from dataclasses import fields

    from byoc.usecases.tokens import TokenService

    jitter = next(f.default for f in fields(TokenService) if f.name == "jitter")
    # When two environments resumed from the same snapshot draw from it
    first, second = _drawn_twice_from_one_snapshot(jitter)
    # Then they wait differently: the jitter keeps no pseudo-random state that the snapshot copies
    assert first != second


def test_the_snapshot_check_sees_the_random_module_repeat_itself() -> None:
    # Given the random module's generator, seeded once at init
    import random

    # When two restored environments draw from it, Then both draw the same number
    first, second = _drawn_twice_from_one_snapshot(random.random)
    assert first == second
