"""Run a real OpenID Connect provider (npm ``oidc-provider``) for end-to-end tests.

The provider lives in ``tests/e2e/oidc_server`` (see ``server.mjs`` there). This
module has no pytest dependency::

    with OidcPeer(["http://127.0.0.1:8080/callback"]) as peer:
        verifier, challenge = make_pkce_pair()
        url = peer.authorize_url(peer.basic_client, "http://127.0.0.1:8080/callback",
                                 state="s", code_challenge=challenge)
        with httpx.Client() as browser:
            callback = login_and_consent(browser, url)
        code = callback.params["code"]
        ...

Clients registered by the provider (both confidential, authorization_code +
refresh_token, scopes ``openid profile email offline_access``, PKCE S256 required):

* ``peer.basic_client``: ``basic-client``, ``client_secret_basic`` only
* ``peer.post_client``:  ``post-client``,  ``client_secret_post`` only

A client using the other method gets HTTP 401 ``invalid_client``. Refresh tokens
are only issued when ``offline_access`` is requested together with
``prompt=consent``; they rotate on every use, and replaying a used one fails with
``invalid_grant`` *and revokes the whole grant* (the rotated token dies too).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import fcntl
import hashlib
import html.parser
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import weakref
from pathlib import Path
from typing import IO, Any, NamedTuple
from urllib.parse import urlencode, urljoin

import httpx

SERVER_DIR = Path(__file__).resolve().parent / "oidc_server"
MIN_NODE_MAJOR = 20

DEFAULT_SCOPE = "openid profile email offline_access"

_AUTH_METHODS = {
    "basic-client": "client_secret_basic",
    "post-client": "client_secret_post",
}


class OidcClientCredentials(NamedTuple):
    client_id: str
    client_secret: str

    @property
    def auth_method(self) -> str:
        """The registered ``token_endpoint_auth_method``."""
        return _AUTH_METHODS[self.client_id]


class OidcPeerError(RuntimeError):
    pass


# --------------------------------------------------------------------------- node


def _node_major() -> int | None:
    node = shutil.which("node")
    if node is None:
        return None
    try:
        out = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        return int(out.lstrip("v").split(".")[0])
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def _deps_installed() -> bool:
    return (SERVER_DIR / "node_modules" / "oidc-provider" / "package.json").is_file()


def node_available() -> bool:
    """True if Node.js (>= 20) is usable and the provider's deps are or can be installed."""
    major = _node_major()
    if major is None or major < MIN_NODE_MAJOR:
        return False
    return _deps_installed() or shutil.which("npm") is not None


def ensure_node_modules(timeout: float = 300) -> None:
    """Run ``npm ci`` in the server directory unless the deps are installed already."""
    if _deps_installed():
        return
    lock_path = Path(tempfile.gettempdir()) / "oidc_peer_npm_ci.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel workers: one installs, others wait
        try:
            if _deps_installed():
                return
            npm = shutil.which("npm")
            if npm is None:
                raise OidcPeerError("npm not found; cannot install tests/e2e/oidc_server deps")
            proc = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=SERVER_DIR,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
            if proc.returncode != 0:
                raise OidcPeerError(
                    f"npm ci failed in {SERVER_DIR} (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
                )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- pkce


def make_pkce_pair() -> tuple[str, str]:
    """Return ``(code_verifier, code_challenge)`` for PKCE S256."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


# --------------------------------------------------------------------------- peer

_live_processes: weakref.WeakSet[OidcPeer] = weakref.WeakSet()


@atexit.register
def _stop_leftovers() -> None:
    for peer in list(_live_processes):
        peer.stop()


class OidcPeer:
    """Context manager running ``node server.mjs`` on 127.0.0.1 with a free port."""

    def __init__(
        self,
        redirect_uris: list[str],
        access_token_ttl: int = 3600,
        env: dict[str, str] | None = None,
        *,
        startup_timeout: float = 20.0,
        stop_timeout: float = 5.0,
    ) -> None:
        if not redirect_uris:
            raise ValueError("redirect_uris must not be empty")
        if any("," in uri for uri in redirect_uris):
            raise ValueError("redirect URIs must not contain commas")
        self.redirect_uris = list(redirect_uris)
        self.access_token_ttl = int(access_token_ttl)
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._extra_env = dict(env or {})
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr_file: IO[bytes] | None = None
        self._stdout_thread: threading.Thread | None = None
        self._issuer: str | None = None
        self._metadata: dict[str, Any] | None = None
        secret_env = {
            "BASIC_CLIENT_SECRET": f"basic-secret-{secrets.token_urlsafe(18)}",
            "POST_CLIENT_SECRET": f"post-secret-{secrets.token_urlsafe(18)}",
        }
        secret_env.update({k: v for k, v in self._extra_env.items() if k in secret_env})
        self.basic_client = OidcClientCredentials("basic-client", secret_env["BASIC_CLIENT_SECRET"])
        self.post_client = OidcClientCredentials("post-client", secret_env["POST_CLIENT_SECRET"])

    # -- lifecycle ------------------------------------------------------------

    def __enter__(self) -> OidcPeer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if self._proc is not None:
            raise OidcPeerError("already started")
        node = shutil.which("node")
        if node is None:
            raise OidcPeerError("node not found on PATH")
        ensure_node_modules()

        env = os.environ.copy()
        env.update(
            {
                "PORT": "0",
                "REDIRECT_URIS": ",".join(self.redirect_uris),
                "ACCESS_TOKEN_TTL": str(self.access_token_ttl),
                "BASIC_CLIENT_SECRET": self.basic_client.client_secret,
                "POST_CLIENT_SECRET": self.post_client.client_secret,
                "EXIT_ON_STDIN_EOF": "1",
            }
        )
        env.update(self._extra_env)

        # stderr goes to a file (never a pipe that could fill up and block node).
        self._stderr_file = tempfile.TemporaryFile(prefix="oidc_peer_stderr_")
        ready = threading.Event()
        issuer_box: list[str] = []

        self._proc = subprocess.Popen(
            [node, "server.mjs"],
            cwd=SERVER_DIR,
            env=env,
            # stdin stays open as a lifeline: node exits when it sees EOF, i.e.
            # when this process dies, even by SIGKILL.
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
        )
        _live_processes.add(self)
        proc = self._proc
        assert proc.stdout is not None

        def pump_stdout() -> None:
            # Read the READY line, then keep draining stdout until EOF.
            for raw in proc.stdout:  # type: ignore[union-attr]
                line = raw.decode("utf-8", "replace").strip()
                if not ready.is_set() and line.startswith("READY "):
                    issuer_box.append(line.split(" ", 1)[1])
                    ready.set()
            ready.set()  # EOF: unblock the waiter

        self._stdout_thread = threading.Thread(target=pump_stdout, name="oidc-peer-stdout", daemon=True)
        self._stdout_thread.start()

        try:
            if not ready.wait(self.startup_timeout):
                raise OidcPeerError(
                    f"oidc server not ready after {self.startup_timeout}s\n{self.stderr_text()}"
                )
            if not issuer_box:
                proc.wait(timeout=5)
                raise OidcPeerError(
                    f"oidc server exited (code {proc.returncode}) before READY\n{self.stderr_text()}"
                )
            self._issuer = issuer_box[0]
            resp = httpx.get(f"{self._issuer}/.well-known/openid-configuration", timeout=10)
            resp.raise_for_status()
            self._metadata = resp.json()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Terminate the server by PID (SIGTERM, then SIGKILL). Idempotent."""
        proc = self._proc
        if proc is None:
            return
        try:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=self.stop_timeout)
        finally:
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
            if self._stdout_thread is not None:
                self._stdout_thread.join(timeout=2)
            self._proc = None
            _live_processes.discard(self)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()

    # -- info -----------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def issuer(self) -> str:
        if self._issuer is None:
            raise OidcPeerError("OidcPeer not started")
        return self._issuer

    @property
    def metadata(self) -> dict[str, Any]:
        """The provider's ``/.well-known/openid-configuration`` document."""
        if self._metadata is None:
            raise OidcPeerError("OidcPeer not started")
        return self._metadata

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def authorization_endpoint(self) -> str:
        return self.metadata["authorization_endpoint"]

    @property
    def token_endpoint(self) -> str:
        return self.metadata["token_endpoint"]

    @property
    def userinfo_endpoint(self) -> str:
        return self.metadata["userinfo_endpoint"]

    @property
    def introspection_endpoint(self) -> str:
        return self.metadata["introspection_endpoint"]

    @property
    def revocation_endpoint(self) -> str:
        return self.metadata["revocation_endpoint"]

    @property
    def jwks_uri(self) -> str:
        return self.metadata["jwks_uri"]

    def stderr_text(self) -> str:
        """What the node process wrote to stderr so far."""
        f = self._stderr_file
        if f is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            f.flush()
            f.seek(0)
            return f.read().decode("utf-8", "replace")
        return ""

    # -- helpers --------------------------------------------------------------

    def authorize_url(
        self,
        client: OidcClientCredentials | str,
        redirect_uri: str,
        *,
        state: str,
        code_challenge: str,
        scope: str = DEFAULT_SCOPE,
        nonce: str | None = None,
        prompt: str | None = "consent",
        **extra: str,
    ) -> str:
        """Build an authorization request URL (code flow, PKCE S256).

        ``prompt="consent"`` is the default because the provider silently drops
        ``offline_access`` (so: no refresh token) without it.
        """
        client_id = client if isinstance(client, str) else client.client_id
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        if nonce is not None:
            params["nonce"] = nonce
        if prompt is not None:
            params["prompt"] = prompt
        params.update(extra)
        return f"{self.authorization_endpoint}?{urlencode(params)}"

    def stats(self) -> dict[str, int]:
        """Token endpoint request counts by grant_type (all requests, successful or not)."""
        resp = httpx.get(f"{self.issuer}/__stats", timeout=10)
        resp.raise_for_status()
        return resp.json()

    def reset_stats(self) -> None:
        resp = httpx.post(f"{self.issuer}/__stats/reset", timeout=10)
        resp.raise_for_status()


# --------------------------------------------------------------------------- browser


class _FormParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.errors: dict[str, str] = {}
        self._form: dict[str, Any] | None = None
        self._link: list[str] | None = None
        self._pre_key: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "inputs": {},
            }
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form["inputs"][a["name"]] = {
                "type": a.get("type", "text").lower(),
                "value": a.get("value", ""),
            }
        elif tag == "a" and "href" in a:
            self._link = [a["href"], ""]
        elif tag == "pre" and a.get("data-key"):
            self._pre_key = a["data-key"]
            self.errors[self._pre_key] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "a" and self._link is not None:
            self.links.append((self._link[0], self._link[1].strip()))
            self._link = None
        elif tag == "pre":
            self._pre_key = None

    def handle_data(self, data: str) -> None:
        if self._link is not None:
            self._link[1] += data
        if self._pre_key is not None:
            self.errors[self._pre_key] += data


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, port


def login_and_consent(
    client: httpx.Client,
    authorize_url: str,
    *,
    deny: bool = False,
    login: str = "alice",
    max_steps: int = 20,
) -> httpx.URL:
    """Drive the provider's dev login/consent pages like a browser would.

    ``client`` must keep cookies (any ``httpx.Client`` does). Follows the
    provider's redirects, submits the login form (any login/password is
    accepted) and the consent form, or with ``deny=True`` follows the
    "Cancel" (abort) link. Returns the first redirect target outside the
    issuer's origin -- the callback URL with ``code``/``state`` (or
    ``error=access_denied``) -- without requesting it.
    """
    issuer_origin = _origin(httpx.URL(authorize_url))
    resp = client.get(authorize_url, follow_redirects=False)

    for _ in range(max_steps):
        if resp.is_redirect:
            location = resp.headers["location"]
            target = httpx.URL(urljoin(str(resp.url), location))
            if _origin(target) != issuer_origin:
                return target
            resp = client.get(target, follow_redirects=False)
            continue

        page = _FormParser()
        page.feed(resp.text)
        if resp.status_code != 200 or page.errors:
            detail = page.errors or resp.text[:2000]
            raise OidcPeerError(f"provider returned {resp.status_code} at {resp.url}: {detail}")

        if deny:
            abort = next((href for href, _ in page.links if href.rstrip("/").endswith("/abort")), None)
            if abort is None:
                raise OidcPeerError(f"no abort link on {resp.url}")
            resp = client.get(urljoin(str(resp.url), abort), follow_redirects=False)
            continue

        form = next((f for f in page.forms if f["method"] == "post"), None)
        if form is None:
            raise OidcPeerError(f"no form on {resp.url}: {resp.text[:2000]}")
        data = {name: field["value"] for name, field in form["inputs"].items()}
        prompt = data.get("prompt")
        if prompt == "login":
            data["login"] = login
            data["password"] = data.get("password") or "any-password"
        elif prompt != "consent":
            raise OidcPeerError(f"unexpected interaction prompt {prompt!r} at {resp.url}")
        action = urljoin(str(resp.url), form["action"] or str(resp.url))
        resp = client.post(action, data=data, follow_redirects=False)

    raise OidcPeerError(f"no redirect out of the provider after {max_steps} steps")
