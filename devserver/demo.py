"""``make demo``: the local API with a real OpenID provider beside it and an app already saved.

Starts the local server (as ``make dev``) and the OpenID provider the end-to-end tests use
(npm ``oidc-provider`` on 127.0.0.1, plain http, any login and password accepted), saves that
provider's client as the ``generic_oidc`` app of the reference page's org (``demo-org``), and
prints what to open and what to paste into another org. Ctrl+C stops both.

Test-grade on purpose: the provider keeps everything in memory and trusts any login. It is
for a first look, never for a deployment.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from typing import Any

from devserver.__main__ import start_server, until_stopped

DEMO_ORG = "demo-org"  # the reference page's default identity (examples/dashboard/app.js)
PROVIDER = "generic_oidc"


def save_demo_app(api_url: str, issuer: str, client_id: str, client_secret: str) -> dict[str, Any]:
    """Save the provider's client as the demo org's app, through the API like a frontend would."""
    body = {
        "provider": PROVIDER,
        "credentials": {
            "client_id": client_id,
            "client_secret": client_secret,
            "issuer": issuer,
            "client_auth_method": "client_secret_basic",
        },
        "scopes": ["openid", "profile", "offline_access"],
    }
    request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
        f"{api_url}/integrations",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Org-Id": DEMO_ORG,
            "X-User-Id": "demo-user",
            "X-Org-Role": "admin",
        },
    )
    with urllib.request.urlopen(request, timeout=15) as answer:  # noqa: S310 # nosec B310
        saved: dict[str, Any] = json.loads(answer.read())
    return saved


def banner(api_url: str, issuer: str, client_id: str, client_secret: str) -> str:
    return "\n".join(
        [
            f"byoc demo: open {api_url}/ and press Connect on OpenID Connect (any provider).",
            "  Log in at the provider with any name and password, then Continue.",
            f"  The app is saved for {DEMO_ORG}; for another org, paste:",
            f"    Issuer URL     {issuer}",
            f"    Client ID      {client_id}",
            f"    Client Secret  {client_secret}",
            "    Client authentication  client_secret_basic",
            "  The provider is test-grade (in memory, any login accepted). Stop with Ctrl+C.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devserver.demo", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000))
    args = parser.parse_args(argv)
    # The provider lives beside the tests (tests/e2e/oidc_server): imported only here.
    from tests.e2e.oidc_peer import OidcPeer, OidcPeerError, node_available

    if not node_available():
        print("devserver.demo: the demo's OpenID provider needs Node.js 20+ with npm", file=sys.stderr)
        return 2
    stop = until_stopped()
    server = start_server(args.port, prog="devserver.demo")
    try:
        with OidcPeer([f"{server.url}/oauth/callback/{PROVIDER}"]) as peer:
            client = peer.basic_client
            save_demo_app(server.url, peer.issuer, client.client_id, client.client_secret)
            sys.stderr.write(banner(server.url, peer.issuer, client.client_id, client.client_secret))
            sys.stderr.flush()
            while not stop.wait(0.5):  # polled: the signal handler runs between waits
                pass
    except OidcPeerError as exc:
        print(f"devserver.demo: the OpenID provider did not start: {exc}", file=sys.stderr)
        return 1
    finally:
        server.stop()
        print("devserver.demo: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
