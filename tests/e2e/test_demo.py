"""``make demo``: the local API and the bundled OpenID provider start together, the demo org's app
is saved, a flow starts at the real provider, and Ctrl+C stops both processes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from tests.e2e.oidc_peer import node_available
from tests.e2e.stack import require

ROOT = Path(__file__).resolve().parents[2]
HEADERS = {"X-Org-Id": "demo-org", "X-User-Id": "demo-user", "X-Org-Role": "admin"}


def _get(url: str, **headers: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={**HEADERS, **headers})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - 127.0.0.1
        return answer.status, json.loads(answer.read())


def _banner(process: subprocess.Popen[str], deadline: float) -> str:
    lines = []
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "Stop with Ctrl+C" in line:
            return "".join(lines)
    raise AssertionError("the demo did not start:\n" + "".join(lines))


def test_the_demo_starts_both_saves_the_app_and_stops_both_on_ctrl_c():
    require(node_available(), "Node.js 20+ with npm (the demo's OpenID provider)")
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers' / 'common'}:{ROOT}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "devserver.demo", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = _banner(process, time.monotonic() + 120)
        api = re.search(r"open (http://127\.0\.0\.1:\d+)/", banner)
        issuer = re.search(r"Issuer URL\s+(http://127\.0\.0\.1:\d+)", banner)
        assert api and issuer, banner
        # Then the demo org's app is saved, waiting for its first connection
        _, listed = _get(f"{api[1]}/integrations")
        [item] = [i for i in listed["integrations"] if i["provider"] == "generic_oidc"]
        assert item["status"] == "pending_setup"
        # ... and a start sends the browser to the real provider
        _, started = _get(f"{api[1]}/oauth/start?provider=generic_oidc", Accept="application/json")
        authorize = urlsplit(started["authorize_url"])
        assert f"{authorize.scheme}://{authorize.netloc}" == issuer[1]
        # When the user presses Ctrl+C, both stop
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        rest = process.stderr.read() if process.stderr else ""
        assert "devserver.demo: stopped" in rest
        time.sleep(0.5)
        try:
            urllib.request.urlopen(f"{issuer[1]}/.well-known/openid-configuration", timeout=2)  # noqa: S310
            raise AssertionError("the OpenID provider still answers after Ctrl+C")
        except OSError:
            pass
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
