"""``python -m devserver``: the whole API on http://127.0.0.1:$PORT (default 3000), until Ctrl+C."""

from __future__ import annotations

import argparse
import errno
import os
import signal
import sys
import threading
from pathlib import Path

from devserver.environment import ConfigError, admin_rule
from devserver.server import DEFAULT_TEMPLATE, LocalServer


def _banner(server: LocalServer) -> str:
    backend = server.backend
    assert backend is not None
    if backend.mode == "moto":
        data = "Data is in memory (moto), gone when this process stops."
    elif backend.mode == "endpoint":
        data = f"Data is at {backend.endpoint_url} (BYOC_AWS_ENDPOINT_URL)."
    else:
        data = f"Data is in real AWS: table {server.table_name}, key {server.kms_key_id} (BYOC_USE_AWS)."
    lines = [
        f"byoc local API on {server.url}",
        "  " + data,
        "  Routes (send X-Org-Id, X-User-Id, X-Org-Role headers instead of a JWT):",
    ]
    for route in server.routes:
        auth = "" if route.authorizer else "   (no auth)"
        lines.append(f"    {route.route_key:<42} {route.function}{auth}")
    for error in server.load_errors.values():
        lines.append(f"  warning: {error}; its routes answer 502 until it loads")
    lines.append(f"  Admin rule: {admin_rule(os.environ)}")
    lines.append(
        "  CORS: FRONTEND_URL's origins and any http://localhost:<port> or http://127.0.0.1:<port> page"
    )
    frontend = os.environ.get("FRONTEND_URL", "")
    if frontend and frontend != server.url:
        lines.append(f"  FRONTEND_URL is {frontend} (from your environment)")
    lines.append("  Stop with Ctrl+C.")
    return "\n".join(lines) + "\n"


def until_stopped() -> threading.Event:
    """An event set by Ctrl+C (SIGINT) or SIGTERM: wait on it, then stop what runs."""
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    return stop


def start_server(port: int, template: Path = DEFAULT_TEMPLATE, *, prog: str = "devserver") -> LocalServer:
    """The local server, started; or ``SystemExit`` saying why not (settings 2, port in use 1)."""
    server = LocalServer(port, template_path=template)
    try:
        server.start()
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"{prog}: port {port} is in use; try PORT={port + 1}", file=sys.stderr)
            raise SystemExit(1) from None
        raise
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devserver", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000))
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    args = parser.parse_args(argv)
    stop = until_stopped()
    server = start_server(args.port, args.template)
    try:
        sys.stderr.write(_banner(server))
        sys.stderr.flush()
        while not stop.wait(0.5):  # polled: the signal handler runs between waits
            pass
    finally:
        server.stop()
        print("devserver: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
