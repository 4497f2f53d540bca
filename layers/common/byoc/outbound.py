"""The only module that talks to OAuth providers over the network.

Provider hosts are partly tenant-supplied (a subdomain, an issuer URL, the
endpoints found by discovery), so every call here is treated as a potential
SSRF and a potential resource drain (security guide, items 10 and 11):

* ``check_url`` is a pure syntactic gate: https only, no user info, no
  fragment, no IP literals, no ``localhost``, optional allowed host suffixes.
* The address check happens where the socket is opened: a custom httpcore
  network backend resolves the host once, refuses the call if any answer is
  not a public address, and connects to exactly the address it checked, so DNS
  rebinding between a check and the connect cannot happen. TLS still verifies
  the certificate against the URL's host name (httpcore passes it as SNI).
* One overall deadline covers resolve, connect, TLS, send and the whole body:
  httpx timeouts are per operation, so a server dripping one byte a second
  would never trip them. Each socket operation gets ``min(its timeout, time
  left)``. The call's deadline is itself at most the invocation's
  (``byoc.deadline``): a call never outlives the function.
* Bodies are streamed and capped; compressed bodies are decoded with a bounded
  output size, so a small gzip bomb cannot grow past the cap either.
* Redirects are never followed; proxies and other environment settings are
  ignored; TLS verification is always on.

Nothing here opens a socket or builds an ``httpx.Client`` at import or
construction time, which keeps the module safe for Lambda SnapStart snapshots.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NoReturn
from urllib.parse import SplitResult, urlsplit

import httpcore
import httpx

from byoc import deadline as invocation
from byoc.errors import (
    ConfigurationError,
    OutboundBadResponse,
    OutboundConnectError,
    OutboundError,
    OutboundTimeout,
    ResponseTooLarge,
    UnsafeUrl,
)

TOKEN_RESPONSE_MAX_BYTES = 64 * 1024
DISCOVERY_MAX_BYTES = 256 * 1024
DEFAULT_DEADLINE_SECONDS = 8.0
# A call is not started with less time than this left in the invocation (byoc.deadline).
MIN_CALL_SECONDS = 0.5
LOCAL_DEV_HOST = "127.0.0.1"
# Names the development exception accepts; each connects to LOCAL_DEV_HOST, never through DNS.
LOCAL_DEV_NAMES = frozenset({LOCAL_DEV_HOST, "localhost"})
MAX_URL_LENGTH = 4096

Resolver = Callable[[str, int], list[str]]

# One DNS label: letters, digits and inner hyphens (no underscores, no empty label).
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
# A last label that WHATWG and inet_aton would read as a number (2130706433, 0x7f, 017).
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
# Not globally reachable, but older ``ipaddress`` releases (before 3.12.4) miss them.
_ALSO_NOT_PUBLIC_V4 = ipaddress.IPv4Network("192.0.0.0/24")
_ALSO_NOT_PUBLIC_V6 = (ipaddress.IPv6Network("64:ff9b:1::/48"), ipaddress.IPv6Network("5f00::/16"))

# The absolute monotonic deadline of the call running in this thread/context.
# Network streams are pooled and shared across calls, so they read it at each
# operation instead of capturing it when the connection was made.
_DEADLINE: ContextVar[float | None] = ContextVar("byoc_outbound_deadline", default=None)


# --------------------------------------------------------------------------- URL checks


# A pure function of its arguments, so its answers are kept (failures are not: they raise).
# Registry endpoints are checked on every start, callback and save; this spares the parsing.
@lru_cache(maxsize=512)
def check_url(
    url: str,
    *,
    allow_local_http: bool = False,
    allowed_suffixes: tuple[str, ...] | None = None,
) -> str:
    """Return ``url`` (scheme and host lower-cased) if it is safe to call, else raise ``UnsafeUrl``.

    Purely syntactic: it never resolves the host (that happens at connect
    time, see ``_GuardedBackend``). Anything odd is refused rather than
    repaired, because different URL parsers repair differently and the host we
    check must be the host httpx connects to.
    """
    _refuse_odd_characters(url)
    parts = _split(url)
    host, port = _host_and_port(parts.netloc)
    if _is_local_dev(parts.scheme, host, allow_local_http):
        _check_suffix(host, allowed_suffixes)
        return _rebuild(parts, host, port)
    if parts.scheme != "https":
        raise UnsafeUrl("Only https addresses are allowed.")
    _check_hostname(host)
    _check_suffix(host, allowed_suffixes)
    _cross_check_with_httpx(url, host)
    return _rebuild(parts, host, port)


def _refuse_odd_characters(url: str) -> None:
    """Refuse what parsers silently strip or disagree on: controls, spaces, ``\\``, ``#``, non-ASCII."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl()
    if not url.isascii():
        raise UnsafeUrl("Use the IDNA (xn--) form of the host name.")
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        raise UnsafeUrl("The address contains spaces or control characters.")
    if "\\" in url:
        raise UnsafeUrl()
    if "#" in url:
        raise UnsafeUrl("The address must not have a fragment.")


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UnsafeUrl() from None
    if "@" in parts.netloc:
        raise UnsafeUrl("The address must not contain a user name or password.")
    if not parts.netloc:
        raise UnsafeUrl("The address has no host.")
    return parts


def _host_and_port(netloc: str) -> tuple[str, int | None]:
    """Split ``host[:port]`` by hand: bracketed IPv6 literals and empty ports are refused outright."""
    if netloc.startswith("["):
        raise UnsafeUrl("IP addresses are not allowed; use a host name.")
    host, sep, port_text = netloc.partition(":")
    host = host.lower()
    if not host:
        raise UnsafeUrl("The address has no host.")
    if not sep:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UnsafeUrl("The address has an invalid port.")
    return host, int(port_text)


def _is_local_dev(scheme: str, host: str, allow_local_http: bool) -> bool:
    """The one development exception: plain http to this machine (127.0.0.1, localhost), when enabled."""
    return allow_local_http and scheme == "http" and host in LOCAL_DEV_NAMES


def _check_hostname(host: str) -> None:
    if host.endswith("."):
        raise UnsafeUrl("The host name must not end with a dot.")
    if _is_ip_like(host):
        raise UnsafeUrl("IP addresses are not allowed; use a host name.")
    if host == "localhost" or host.endswith(".localhost"):
        raise UnsafeUrl("Local addresses are not allowed.")
    if not _HOSTNAME.fullmatch(host) or len(host) > 253:
        raise UnsafeUrl("The host name is not valid.")


def _is_ip_like(host: str) -> bool:
    """True for any spelling an IP stack may take as an address (``127.1``, ``0x7f.1``, ``2130706433``)."""
    if ":" in host or _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        return True
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        socket.inet_aton(host)
        return True
    except OSError:
        return False


def _check_suffix(host: str, allowed_suffixes: tuple[str, ...] | None) -> None:
    """The host must be a suffix or a subdomain of one (``zendesk.com.evil.com`` is not)."""
    if allowed_suffixes is None:
        return
    for raw in allowed_suffixes:
        suffix = raw.lower().strip(".")
        if not suffix:
            raise ConfigurationError()
        if host == suffix or host.endswith("." + suffix):
            return
    raise UnsafeUrl("This host is not allowed for this provider.")


def _cross_check_with_httpx(url: str, host: str) -> None:
    """httpx sends the request, so its parser must see the same host and no user info."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise UnsafeUrl() from None
    if parsed.raw_host.decode("ascii") != host or parsed.userinfo or parsed.fragment:
        raise UnsafeUrl()


def _rebuild(parts: SplitResult, host: str, port: int | None) -> str:
    netloc = host if port is None else f"{host}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{netloc}{parts.path}{query}"


# --------------------------------------------------------------------------- address checks


def is_public_address(ip: str) -> bool:
    """True only for a globally routable unicast address; anything unparsable is not public.

    ``is_global`` alone is not enough: it is True for multicast and IPv6
    site-local, and IPv6 can embed an IPv4 address (mapped, NAT64, 6to4) that
    the packet really goes to.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return _is_public_v4(address)
    return _is_public_v6(address)


def _is_public_v4(address: ipaddress.IPv4Address) -> bool:
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_reserved
        or address.is_link_local
        or address in _ALSO_NOT_PUBLIC_V4
    )


def _is_public_v6(address: ipaddress.IPv6Address) -> bool:
    if address.ipv4_mapped is not None:
        return _is_public_v4(address.ipv4_mapped)
    if address in _NAT64:
        # DNS64 answers (IPv6-only networks) reach the IPv4 address in the low 32 bits.
        return _is_public_v4(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address in _IPV4_COMPATIBLE or address.teredo is not None:
        return False  # deprecated IPv4-compatible (and ::, ::1), Teredo tunnels
    if address.sixtofour is not None and not _is_public_v4(address.sixtofour):
        return False
    return address.is_global and not _is_special_v6(address)


def _is_special_v6(address: ipaddress.IPv6Address) -> bool:
    return (
        address.is_multicast
        or address.is_private
        or address.is_reserved
        or address.is_link_local
        or address.is_site_local
        or any(address in network for network in _ALSO_NOT_PUBLIC_V6)
    )


# --------------------------------------------------------------------------- network backend


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the system resolver, keeping only TCP addresses, in the order given."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _time_left(timeout: float | None, on_expiry: type[Exception]) -> float | None:
    """``min(timeout, time left before the call's deadline)``; raise ``on_expiry`` when none is left."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise on_expiry("deadline exceeded")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read, write and TLS handshake stops at the call's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = _time_left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _connect_ip(
    ip: str,
    port: int,
    timeout: float | None,
    local_address: str | None,
    socket_options: Iterable[Any] | None,
) -> httpcore.NetworkStream:
    """Open a TCP connection to an address that has already been checked (a seam for tests)."""
    return httpcore.SyncBackend().connect_tcp(
        ip, port, timeout=timeout, local_address=local_address, socket_options=socket_options
    )


def _resolve_within(resolver: Resolver, host: str, port: int, timeout: float | None) -> list[str]:
    """Run the resolver in a daemon thread so a stuck DNS lookup cannot outlive the deadline."""
    answers: list[str] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            answers.extend(resolver(host, port))
        except BaseException as exc:  # handed to the calling thread below
            failures.append(exc)

    worker = threading.Thread(target=run, name="byoc-outbound-resolve", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise httpcore.ConnectTimeout("name resolution timed out")
    if failures:
        if isinstance(failures[0], OSError):
            raise httpcore.ConnectError("name resolution failed")
        raise failures[0]
    return answers


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolve once, refuse non-public answers, connect to exactly the checked address."""

    def __init__(self, resolver: Resolver, allow_local_http: bool) -> None:
        self._resolver = resolver
        self._allow_local_http = allow_local_http

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._checked_addresses(host, port, timeout)
        last_error: Exception = httpcore.ConnectError("no address")
        for ip in addresses:
            try:
                left = _time_left(timeout, httpcore.ConnectTimeout)
                return _DeadlineStream(_connect_ip(ip, port, left, local_address, socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise UnsafeUrl()

    def _checked_addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        if self._allow_local_http and host in LOCAL_DEV_NAMES:
            return [LOCAL_DEV_HOST]
        if _is_ip_like(host):
            raise UnsafeUrl("IP addresses are not allowed; use a host name.")
        left = _time_left(timeout, httpcore.ConnectTimeout)
        addresses = list(dict.fromkeys(_resolve_within(self._resolver, host, port, left)))
        if not addresses:
            raise httpcore.ConnectError("no address")
        if not all(isinstance(ip, str) and is_public_address(ip) for ip in addresses):
            raise UnsafeUrl("This host resolves to a private or reserved address.")
        return addresses


def _guarded_transport(resolver: Resolver, allow_local_http: bool) -> httpx.HTTPTransport:
    """An ``httpx.HTTPTransport`` whose connection pool uses the guarded backend.

    httpx offers no public hook for the network backend, so the pool is
    replaced; the isinstance check fails closed if httpx's internals change.
    """
    ssl_context = httpx.create_ssl_context(verify=True, trust_env=False)
    transport = httpx.HTTPTransport(verify=ssl_context, trust_env=False, retries=0)
    if not isinstance(getattr(transport, "_pool", None), httpcore.ConnectionPool):
        raise ConfigurationError()
    transport._pool = httpcore.ConnectionPool(
        ssl_context=ssl_context,
        network_backend=_GuardedBackend(resolver, allow_local_http),
        max_connections=20,
        max_keepalive_connections=10,
        keepalive_expiry=5.0,
        http1=True,
        http2=False,
        retries=0,
    )
    return transport


# --------------------------------------------------------------------------- client


@dataclass(frozen=True, slots=True)
class OutboundResponse:
    """A provider's complete answer: the body is already read, capped and decoded."""

    status_code: int
    headers: httpx.Headers
    body: bytes


class OutboundClient:
    """Bounded, SSRF-guarded HTTP calls to providers. Safe to share between threads."""

    def __init__(
        self,
        *,
        allow_local_http: bool = False,
        deadline_seconds: float = DEFAULT_DEADLINE_SECONDS,
        resolver: Resolver | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not deadline_seconds > 0:
            raise ConfigurationError()
        self._allow_local_http = allow_local_http
        self._deadline_seconds = deadline_seconds
        self._resolver: Resolver = resolver or system_resolver
        self._transport = transport
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        max_bytes: int,
        allowed_suffixes: tuple[str, ...] | None = None,
    ) -> OutboundResponse:
        """Send one request and return the whole answer, within the deadline and ``max_bytes``.

        ``params`` are added to the query (a credential there: never log the request's URL).
        Redirects are returned as they are, never followed. Errors are
        ``UnsafeUrl`` or an ``OutboundError`` subclass; their messages never
        contain the URL or anything we sent.
        """
        safe_url = check_url(url, allow_local_http=self._allow_local_http, allowed_suffixes=allowed_suffixes)
        if max_bytes <= 0:
            raise ConfigurationError()
        budget = invocation.within(self._deadline_seconds)
        if budget < MIN_CALL_SECONDS:  # nothing was sent: a single-use call may still be retried
            raise OutboundTimeout("No time is left for this call.", request_may_have_been_sent=False)
        deadline = time.monotonic() + budget
        token = _DEADLINE.set(deadline)
        try:
            client = self._http()
            outgoing = client.build_request(
                method, safe_url, headers=headers, data=data, json=json, params=params or None
            )
            return _exchange(client, outgoing, max_bytes, deadline)
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            _translate(exc)
        finally:
            _DEADLINE.reset(token)

    def close(self) -> None:
        """Close pooled connections (tests; Lambda simply freezes the process)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _http(self) -> httpx.Client:
        """Build the ``httpx.Client`` on first use, never at import or construction (SnapStart)."""
        with self._lock:
            if self._client is None:
                transport = self._transport or _guarded_transport(self._resolver, self._allow_local_http)
                self._client = httpx.Client(
                    transport=transport,
                    follow_redirects=False,
                    trust_env=False,
                    timeout=httpx.Timeout(self._deadline_seconds),
                    headers={"Accept-Encoding": "identity"},
                )
            return self._client


def _exchange(
    client: httpx.Client, outgoing: httpx.Request, max_bytes: int, deadline: float
) -> OutboundResponse:
    """Send, then read the body in a stream, stopping as soon as a limit is passed."""
    response = client.send(outgoing, stream=True)
    try:
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > max_bytes:
            raise ResponseTooLarge()
        if response.is_stream_consumed:
            # Transports that build the response in memory (httpx.MockTransport) hand it over
            # already read and decoded: only the cap is left to apply.
            return _in_memory(response, max_bytes)
        raw = _read_capped(response.iter_raw(), max_bytes, deadline)
    finally:
        response.close()  # unread bytes are dropped with the connection, never read
    body = _decode(raw, response.headers.get("content-encoding", ""), max_bytes)
    return OutboundResponse(status_code=response.status_code, headers=response.headers, body=body)


def _in_memory(response: httpx.Response, max_bytes: int) -> OutboundResponse:
    if len(response.content) > max_bytes:
        raise ResponseTooLarge()
    return OutboundResponse(status_code=response.status_code, headers=response.headers, body=response.content)


def _read_capped(chunks: Iterable[bytes], max_bytes: int, deadline: float) -> bytes:
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > max_bytes:
            raise ResponseTooLarge()
        if time.monotonic() > deadline:
            raise OutboundTimeout()
    return bytes(body)


def _decode(raw: bytes, content_encoding: str, max_bytes: int) -> bytes:
    """Undo gzip/deflate with a bounded output size; we ask for identity, but servers may not listen."""
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise OutboundBadResponse("The provider's answer uses an unsupported encoding.")
    decompressor = zlib.decompressobj(32 + zlib.MAX_WBITS)  # accepts gzip and zlib headers
    try:
        body = decompressor.decompress(raw, max_bytes + 1)
    except zlib.error:
        raise OutboundBadResponse() from None
    if len(body) > max_bytes or decompressor.unconsumed_tail:
        raise ResponseTooLarge()
    return body


def _translate(exc: httpx.TransportError | httpx.InvalidURL) -> NoReturn:
    """Map an httpx error to a domain error with a fixed message.

    Never ``str(exc)`` and never chained: an h11 error may echo a header we sent.
    """
    if isinstance(exc, httpx.InvalidURL):
        raise UnsafeUrl() from None
    not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    error: OutboundError
    if isinstance(exc, httpx.TimeoutException):
        error = OutboundTimeout(request_may_have_been_sent=not not_sent)
    elif isinstance(exc, httpx.ProtocolError):
        error = OutboundBadResponse(request_may_have_been_sent=True)
    else:
        error = OutboundConnectError(request_may_have_been_sent=not not_sent)
    raise error from None
