"""byoc.outbound: SSRF rules and bounded calls (security guide, items 10 and 11).

Real servers run on 127.0.0.1 only, each in a daemon thread on a free port,
and stop themselves; nothing here touches an external network. Where a test
needs a "public" host, the resolver is faked and ``_connect_ip`` (the one place
a checked address is dialled) is spied on.
"""

from __future__ import annotations

import datetime
import gzip
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpcore
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from byoc import deadline, outbound
from byoc.errors import (
    ByocError,
    OutboundBadResponse,
    OutboundConnectError,
    OutboundError,
    OutboundTimeout,
    ResponseTooLarge,
    UnsafeUrl,
)
from byoc.oauth import answers
from byoc.outbound import (
    DISCOVERY_MAX_BYTES,
    TOKEN_RESPONSE_MAX_BYTES,
    OutboundClient,
    check_url,
    is_public_address,
    system_resolver,
)

PUBLIC_IP = "93.184.215.14"
Handler = Callable[[socket.socket, threading.Event], None]


# --------------------------------------------------------------------------- local servers


class Listener:
    """A listening socket that never accepts on its own: it only counts connection attempts.

    A loopback ``connect()`` completes the handshake before it returns, so a
    non-blocking ``accept()`` afterwards sees every attempt without waiting.
    """

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]

    def attempts(self) -> int:
        self.sock.setblocking(False)
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def close(self) -> None:
        self.sock.close()


class Server:
    """A TCP server on 127.0.0.1 running ``handler`` per connection in threads.

    It stops itself after ``lifetime`` seconds even if a test forgets to close it.
    """

    def __init__(self, handler: Handler, lifetime: float = 15.0) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port: int = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self._handler = handler
        self._until = time.monotonic() + lifetime
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set() and time.monotonic() < self._until:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()
        self.sock.close()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            self._handler(conn, self.stop)
        except OSError:
            pass  # the client went away: exactly what several tests provoke
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self._thread.join(timeout=2)


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], Server]]:
    servers: list[Server] = []

    def start(handler: Handler) -> Server:
        server = Server(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    sock = Listener()
    yield sock
    sock.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def respond(raw: bytes) -> Handler:
    def handler(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        conn.sendall(raw)

    return handler


class SpyConnect:
    """Replaces ``outbound._connect_ip``: records each dialled address, then fails or goes to 127.0.0.1."""

    def __init__(self, redirect_to_local: bool = False) -> None:
        self.calls: list[tuple[str, int]] = []
        self._redirect = redirect_to_local
        self._real = outbound._connect_ip

    def __call__(self, ip: str, port: int, *args: object) -> httpcore.NetworkStream:
        self.calls.append((ip, port))
        if not self._redirect:
            raise httpcore.ConnectError("unreachable in tests")
        return self._real("127.0.0.1", port, *args)  # type: ignore[arg-type]


class FakeResolver:
    def __init__(self, *answers: list[str]) -> None:
        self.calls: list[tuple[str, int]] = []
        self._answers = list(answers)

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        return self._answers[min(len(self.calls), len(self._answers)) - 1]


# --------------------------------------------------------------------------- check_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://acme.zendesk.com/oauth/tokens", "https://acme.zendesk.com/oauth/tokens"),
        ("HTTPS://Acme.Zendesk.COM:8443/a?b=C", "https://acme.zendesk.com:8443/a?b=C"),
        ("https://login.example.com/x?login_hint=a@b.com", "https://login.example.com/x?login_hint=a@b.com"),
        ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
        ("https://accounts.google.com", "https://accounts.google.com"),
    ],
)
def test_check_url_accepts_plain_https_hosts(url: str, expected: str) -> None:
    assert check_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        # from the security guide
        "evil.com#",
        "https://evil.com#",
        "a@evil.com",
        "https://a@evil.com/",
        "https://user:pw@evil.com/",
        "https://zendesk.com@evil.com/",
        "https://evil.com#@zendesk.com",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:127.0.0.1]/",
        "https://[::1]:443/",
        "https://localhost/",
        "https://app.localhost/",
        "https://LOCALHOST./",
        "http://example.com/",
        "http://127.0.0.1:8080/",  # only with allow_local_http
        # IP literals in every spelling a stack may accept
        "https://127.0.0.1/",
        "https://2130706433/",
        "https://0x7f.1/",
        "https://0x7f000001/",
        "https://0177.0.0.1/",
        "https://127.1/",
        "https://10.0.0.1/",
        "https://1.0x7f/",
        "https://example.0x/",
        # syntax games
        "https:///evil.com",
        "https:evil.com",
        "https://",
        "https://:443/",
        "https://evil.com:/",
        "https://evil.com:0/",
        "https://evil.com:99999/",
        "https://evil.com:80a/",
        "https://zendesk.com./",
        "https://zendesk..com/",
        "https://-zendesk.com/",
        "https://zen_desk.com/",
        "https://intranet/",
        "https://ev il.com/",
        "https://evil.com/\n",
        "https://evil.com\t.zendesk.com/",
        "\x00https://evil.com/",
        " https://evil.com/",
        "https://evil.com\\@zendesk.com/",
        "https://bücher.example/",
        "https://evil.com%2ezendesk.com/",
        "ftp://evil.com/",
        "javascript:alert(1)",
        "//evil.com/",
        "",
        "https://" + "a" * 5000 + ".com/",
    ],
)
def test_check_url_refuses(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    ["https://zendesk.com/", "https://acme.zendesk.com/oauth", "https://a.b.ZENDESK.com:8443/x"],
)
def test_check_url_accepts_allowed_suffix(url: str) -> None:
    assert check_url(url, allowed_suffixes=("zendesk.com", ".freshdesk.com"))


@pytest.mark.parametrize(
    "url",
    [
        "https://zendesk.com.evil.com/",
        "https://evilzendesk.com/",
        "https://zendesk.co/",
        "https://evil.com/zendesk.com",
        "https://evil.com/?.zendesk.com",
        "https://evil.com#.zendesk.com",
        "https://acme.zendesk.com.evil.com/",
    ],
)
def test_check_url_refuses_other_suffixes(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url, allowed_suffixes=("zendesk.com",))


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/", "http://127.0.0.1:8080/cb?x=1", "http://localhost:8080/", "http://LOCALHOST/"],
)
def test_local_http_is_allowed_only_when_enabled(url: str) -> None:
    assert check_url(url, allow_local_http=True) == url.replace("LOCALHOST", "localhost")
    with pytest.raises(UnsafeUrl):
        check_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://app.localhost:8080/",
        "http://127.0.0.2/",
        "http://127.1/",
        "http://127.0.0.1.nip.io/",
        "http://example.com/",
        "https://127.0.0.1/",
        "http://user@127.0.0.1/",
    ],
)
def test_local_http_exception_is_exactly_this_machine(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_url(url, allow_local_http=True)


def test_local_http_still_honours_suffixes() -> None:
    with pytest.raises(UnsafeUrl):
        check_url("http://127.0.0.1:8080/", allow_local_http=True, allowed_suffixes=("zendesk.com",))


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(["https://", "http://", "https:", "", "https://acme."]),
    middle=st.text(min_size=0, max_size=40),
    suffix=st.sampled_from(["", ".zendesk.com", ".zendesk.com/", "zendesk.com", "/x"]),
)
def test_check_url_either_refuses_or_httpx_agrees_on_the_host(prefix: str, middle: str, suffix: str) -> None:
    """Whatever the input, the only failure is UnsafeUrl, and an accepted URL is what httpx will dial."""
    try:
        result = check_url(prefix + middle + suffix, allowed_suffixes=("zendesk.com",))
    except UnsafeUrl:
        return
    parsed = httpx.URL(result)
    host = parsed.raw_host.decode()
    assert parsed.scheme == "https" and not parsed.userinfo and not parsed.fragment
    assert host == "zendesk.com" or host.endswith(".zendesk.com")


# --------------------------------------------------------------------------- is_public_address


@pytest.mark.parametrize(
    ("ip", "public"),
    [
        ("93.184.215.14", True),
        ("8.8.8.8", True),
        ("2001:4860:4860::8888", True),
        ("::ffff:8.8.8.8", True),  # mapped public IPv4
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
        ("10.0.0.1", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("0.0.0.0", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),  # shared address space
        ("192.0.0.8", False),
        ("192.0.2.1", False),  # documentation
        ("198.18.0.1", False),  # benchmarking
        ("224.0.0.1", False),  # multicast (is_global says True)
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::1", False),
        ("::", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::8.8.8.8", False),  # IPv4-compatible, deprecated
        ("64:ff9b::a00:1", False),  # NAT64 of 10.0.0.1
        ("64:ff9b::7f00:1", False),
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:a00:1::1", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("fe80::1", False),
        ("fe80::1%eth0", False),
        ("fec0::1", False),  # site-local (is_global says True)
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("ff02::1", False),
        ("ff0e::1", False),  # global-scope multicast
        ("2001:db8::1", False),
        ("100::1", False),
        ("64:ff9b:1::a00:1", False),  # local-use NAT64
        ("5f00::1", False),  # SRv6 SIDs
        ("not-an-ip", False),
        ("", False),
        ("1.2.3", False),
        ("8.8.8.8%eth0", False),
    ],
)
def test_is_public_address(ip: str, public: bool) -> None:
    assert is_public_address(ip) is public


# --------------------------------------------------------------------------- client basics


def test_constants() -> None:
    assert TOKEN_RESPONSE_MAX_BYTES == 64 * 1024
    assert DISCOVERY_MAX_BYTES == 256 * 1024


def test_nothing_is_built_before_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """SnapStart: constructing the client must not build an httpx client, a pool or a socket."""

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("built too early")

    monkeypatch.setattr(outbound.httpx, "Client", forbidden)
    monkeypatch.setattr(outbound, "_guarded_transport", forbidden)
    OutboundClient()
    OutboundClient(allow_local_http=True, deadline_seconds=2, resolver=lambda h, p: [])


def test_system_resolver_returns_ip_strings() -> None:
    assert system_resolver("127.0.0.1", 443) == ["127.0.0.1"]


def recording_transport(
    requests: list[httpx.Request], response: Callable[[httpx.Request], httpx.Response]
) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        requests.append(request)
        return response(request)

    return httpx.MockTransport(handler)


def test_mock_transport_records_the_request() -> None:
    seen: list[httpx.Request] = []
    transport = recording_transport(seen, lambda r: httpx.Response(200, json={"access_token": "at"}))
    client = OutboundClient(transport=transport)

    response = client.request(
        "POST",
        "https://acme.zendesk.com/oauth/tokens",
        headers={"Accept": "application/json"},
        data={"grant_type": "authorization_code", "code": "c0de"},
        max_bytes=TOKEN_RESPONSE_MAX_BYTES,
        allowed_suffixes=("zendesk.com",),
    )

    assert response.status_code == 200
    assert json.loads(response.body) == {"access_token": "at"}
    assert response.headers["content-type"] == "application/json"
    [request] = seen
    assert request.method == "POST"
    assert str(request.url) == "https://acme.zendesk.com/oauth/tokens"
    assert request.content == b"grant_type=authorization_code&code=c0de"
    assert request.headers["accept"] == "application/json"
    assert request.headers["accept-encoding"] == "identity"


def test_mock_transport_sends_json_body() -> None:
    seen: list[httpx.Request] = []
    client = OutboundClient(transport=recording_transport(seen, lambda r: httpx.Response(204)))
    response = client.request("POST", "https://api.example.com/x", json={"a": 1}, max_bytes=10)
    assert response.status_code == 204 and response.body == b""
    assert seen[0].content == b'{"a":1}'


@pytest.mark.parametrize(
    ("url", "suffixes"),
    [
        ("https://169.254.169.254/", None),
        ("http://example.com/", None),
        ("https://zendesk.com.evil.com/", ("zendesk.com",)),
    ],
)
def test_unsafe_url_makes_no_request_even_with_a_transport(
    url: str, suffixes: tuple[str, ...] | None
) -> None:
    seen: list[httpx.Request] = []
    client = OutboundClient(transport=recording_transport(seen, lambda r: httpx.Response(200)))
    with pytest.raises(UnsafeUrl):
        client.request("GET", url, max_bytes=100, allowed_suffixes=suffixes)
    assert seen == []


def test_declared_content_length_over_the_cap_is_refused() -> None:
    client = OutboundClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"x" * 101)))
    with pytest.raises(ResponseTooLarge) as caught:
        client.request("GET", "https://api.example.com/", max_bytes=100)
    assert caught.value.code == "provider_response_too_large"


def test_streamed_body_stops_at_the_cap_without_reading_the_rest() -> None:
    produced: list[int] = []

    def chunks() -> Iterator[bytes]:
        for i in range(1000):
            produced.append(i)
            yield b"x" * 1024

    client = OutboundClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=chunks())))
    with pytest.raises(ResponseTooLarge):
        client.request("GET", "https://api.example.com/", max_bytes=10 * 1024)
    assert len(produced) == 11


def test_body_at_exactly_the_cap_is_fine() -> None:
    client = OutboundClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=b"x" * 100)))
    assert client.request("GET", "https://api.example.com/", max_bytes=100).body == b"x" * 100


def streamed(body: bytes, headers: dict[str, str]) -> httpx.MockTransport:
    """A mock answer httpx has not read yet, so the raw bytes reach our own bounded decoder."""
    return httpx.MockTransport(lambda r: httpx.Response(200, content=iter([body]), headers=headers))


def test_gzip_is_decoded_within_the_cap() -> None:
    body = gzip.compress(b'{"ok": true}')
    headers = {"content-encoding": "gzip"}
    client = OutboundClient(transport=streamed(body, headers))
    assert json.loads(client.request("GET", "https://api.example.com/", max_bytes=100).body) == {"ok": True}


def test_gzip_bomb_is_cut_off_at_the_cap() -> None:
    bomb = gzip.compress(b"\0" * (10 * 1024 * 1024))
    assert len(bomb) < TOKEN_RESPONSE_MAX_BYTES
    headers = {"content-encoding": "gzip"}
    client = OutboundClient(transport=streamed(bomb, headers))
    with pytest.raises(ResponseTooLarge):
        client.request("GET", "https://api.example.com/", max_bytes=TOKEN_RESPONSE_MAX_BYTES)


@pytest.mark.parametrize(("encoding", "body"), [("br", b"\x0b\x02\x80{}\x03"), ("gzip", b"not gzip")])
def test_unreadable_encodings_are_bad_responses(encoding: str, body: bytes) -> None:
    headers = {"content-encoding": encoding}
    client = OutboundClient(transport=streamed(body, headers))
    with pytest.raises(OutboundBadResponse):
        client.request("GET", "https://api.example.com/", max_bytes=100)


@pytest.mark.parametrize("body", [b"<html>", b"", b"\xff\xfe\x00", b"[" * 50_000])
def test_bad_json_is_no_value_at_the_parsing_boundary(body: bytes) -> None:
    client = OutboundClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=body)))
    response = client.request(
        "GET", "https://api.example.com/?token=s3cret", max_bytes=TOKEN_RESPONSE_MAX_BYTES
    )
    # The one parsing boundary reads it (byoc.oauth.answers): not JSON, or too deep, is None.
    assert answers.json_value(response.body) is None


def test_error_hierarchy_and_codes() -> None:
    for error, code in [
        (OutboundTimeout, "provider_timeout"),
        (ResponseTooLarge, "provider_response_too_large"),
        (OutboundConnectError, "provider_unreachable"),
    ]:
        assert issubclass(error, OutboundError) and issubclass(error, ByocError)
        assert error.code == code


# --------------------------------------------------------------------------- SSRF at connect time


def test_private_answer_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch, listener: Listener
) -> None:
    spy = SpyConnect()
    monkeypatch.setattr(outbound, "_connect_ip", spy)
    resolver = FakeResolver(["10.0.0.1"])
    client = OutboundClient(resolver=resolver)

    with pytest.raises(UnsafeUrl) as caught:
        client.request("GET", f"https://internal.example.com:{listener.port}/", max_bytes=100)

    assert resolver.calls == [("internal.example.com", listener.port)]
    assert spy.calls == []
    assert listener.attempts() == 0
    assert caught.value.code == "unsafe_url"


@pytest.mark.parametrize(
    "answers",
    [
        ["127.0.0.1"],
        ["169.254.169.254"],
        ["::ffff:127.0.0.1"],
        ["::1"],
        [PUBLIC_IP, "127.0.0.1"],  # one bad answer spoils the lot
        ["0.0.0.0"],
        ["garbage"],
    ],
)
def test_any_non_public_answer_is_refused_and_never_reached(
    answers: list[str], monkeypatch: pytest.MonkeyPatch, listener: Listener
) -> None:
    """The listener really is on 127.0.0.1 at that port: a leak would show up as a connection attempt."""
    spy = SpyConnect()
    monkeypatch.setattr(outbound, "_connect_ip", spy)
    resolver = FakeResolver(answers)
    client = OutboundClient(resolver=resolver)

    with pytest.raises(UnsafeUrl):
        client.request("GET", f"https://looks-fine.example.com:{listener.port}/", max_bytes=100)

    assert len(resolver.calls) == 1
    assert spy.calls == []
    assert listener.attempts() == 0


def test_dns_rebinding_never_reaches_the_private_address(
    monkeypatch: pytest.MonkeyPatch, listener: Listener
) -> None:
    """Public on the first lookup, 127.0.0.1 afterwards.

    One lookup per connection, and the address dialled is the one that was checked.
    """
    spy = SpyConnect()
    monkeypatch.setattr(outbound, "_connect_ip", spy)
    resolver = FakeResolver([PUBLIC_IP], ["127.0.0.1"])
    client = OutboundClient(resolver=resolver)
    url = f"https://rebind.example.com:{listener.port}/token"

    with pytest.raises(OutboundConnectError) as caught:
        client.request("POST", url, data={"code": "c"}, max_bytes=100)

    assert len(resolver.calls) == 1
    assert spy.calls == [(PUBLIC_IP, listener.port)]
    assert listener.attempts() == 0
    assert caught.value.request_may_have_been_sent is False

    # The next connection resolves again and gets the rebound answer: refused, still never reached.
    with pytest.raises(UnsafeUrl):
        client.request("POST", url, data={"code": "c"}, max_bytes=100)
    assert len(resolver.calls) == 2
    assert spy.calls == [(PUBLIC_IP, listener.port)]
    assert listener.attempts() == 0


def test_every_checked_address_is_tried_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = SpyConnect()
    monkeypatch.setattr(outbound, "_connect_ip", spy)
    client = OutboundClient(resolver=FakeResolver(["2001:4860:4860::8888", PUBLIC_IP, PUBLIC_IP]))
    with pytest.raises(OutboundConnectError):
        client.request("GET", "https://dual.example.com/", max_bytes=100)
    assert spy.calls == [("2001:4860:4860::8888", 443), (PUBLIC_IP, 443)]


@pytest.mark.parametrize("failure", [socket.gaierror(-2, "Name or service not known"), None])
def test_resolution_failure_is_unreachable(failure: OSError | None) -> None:
    def resolver(host: str, port: int) -> list[str]:
        if failure is not None:
            raise failure
        return []

    with pytest.raises(OutboundConnectError) as caught:
        OutboundClient(resolver=resolver).request("GET", "https://nxdomain.example.com/", max_bytes=100)
    assert caught.value.request_may_have_been_sent is False


def test_a_stuck_resolver_is_cut_off_by_the_deadline() -> None:
    release = threading.Event()

    def resolver(host: str, port: int) -> list[str]:
        release.wait(5)
        return [PUBLIC_IP]

    client = OutboundClient(resolver=resolver, deadline_seconds=0.3)
    started = time.monotonic()
    try:
        with pytest.raises(OutboundTimeout):
            client.request("GET", "https://slow-dns.example.com/", max_bytes=100)
    finally:
        release.set()
    assert time.monotonic() - started < 1.5


def _self_signed(tmp_path: Path, name: str) -> ssl.SSLContext:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


def test_tls_is_verified_against_the_url_host(
    monkeypatch: pytest.MonkeyPatch, serve: Callable[[Handler], Server], tmp_path: Path
) -> None:
    """Dialling the checked IP must not weaken TLS: SNI is the URL's host and an untrusted cert is refused."""
    context = _self_signed(tmp_path, "tls.example.com")
    server_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    handshakes: list[str] = []

    def handler(conn: socket.socket, stop: threading.Event) -> None:
        try:
            context.wrap_socket(conn, server_side=True)
            handshakes.append("completed")
        except ssl.SSLError:
            handshakes.append("refused by client")

    server = serve(handler)
    spy = SpyConnect(redirect_to_local=True)
    monkeypatch.setattr(outbound, "_connect_ip", spy)
    client = OutboundClient(resolver=FakeResolver([PUBLIC_IP]))

    with pytest.raises(OutboundConnectError):
        client.request("GET", f"https://tls.example.com:{server.port}/", max_bytes=100)

    assert spy.calls == [(PUBLIC_IP, server.port)]
    deadline = time.monotonic() + 2
    while not handshakes and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server_names == ["tls.example.com"]
    assert handshakes == ["refused by client"]


# --------------------------------------------------------------------------- bounded calls, real servers


def local_client(deadline: float = 3.0) -> OutboundClient:
    def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError("127.0.0.1 is never resolved")

    return OutboundClient(allow_local_http=True, deadline_seconds=deadline, resolver=no_dns)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])  # localhost connects to 127.0.0.1, no DNS
def test_local_server_round_trip(serve: Callable[[Handler], Server], host: str) -> None:
    body = b'{"issuer": "http://127.0.0.1"}'
    server = serve(respond(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)))
    client = local_client()
    try:
        response = client.request("GET", f"http://{host}:{server.port}/.well-known", max_bytes=1000)
    finally:
        client.close()
    assert response.status_code == 200
    assert json.loads(response.body) == {"issuer": "http://127.0.0.1"}


def test_closed_port_is_unreachable(listener: Listener) -> None:
    port = listener.port
    listener.close()
    with pytest.raises(OutboundConnectError) as caught:
        local_client().request("GET", f"http://127.0.0.1:{port}/", max_bytes=100)
    assert caught.value.request_may_have_been_sent is False


def test_redirects_are_not_followed(serve: Callable[[Handler], Server], listener: Listener) -> None:
    location = f"http://127.0.0.1:{listener.port}/stolen"
    server = serve(
        respond(f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n".encode())
    )

    response = local_client().request("GET", f"http://127.0.0.1:{server.port}/", max_bytes=100)

    assert response.status_code == 302
    assert response.headers["location"] == location
    assert server.connections == 1
    assert listener.attempts() == 0


def drip(head: bytes, rest: bytes) -> Handler:
    """Send ``head`` at once, then ``rest`` one byte a second: every read succeeds, the call never ends."""

    def handler(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        conn.sendall(head)
        for byte in rest:
            if stop.wait(1.0):
                return
            conn.sendall(bytes([byte]))

    return handler


@pytest.mark.parametrize(
    ("head", "rest"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", b"x" * 100),  # drips the body
        (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"y" * 100),  # drips the headers
    ],
    ids=["body", "headers"],
)
def test_slow_drip_is_cut_off_at_the_overall_deadline(
    head: bytes, rest: bytes, serve: Callable[[Handler], Server]
) -> None:
    server = serve(drip(head, rest))
    client = local_client(deadline=1.5)
    started = time.monotonic()

    with pytest.raises(OutboundTimeout) as caught:
        client.request("GET", f"http://127.0.0.1:{server.port}/?client_secret=s3cret", max_bytes=1000)

    elapsed = time.monotonic() - started
    assert 1.4 < elapsed < 3.0
    assert caught.value.code == "provider_timeout"
    assert caught.value.request_may_have_been_sent is True
    assert "s3cret" not in str(caught.value) and "127.0.0.1" not in str(caught.value)
    assert caught.value.__cause__ is None


def big_body(declare_length: bool, finished: list[bool]) -> Handler:
    size = 10 * 1024 * 1024

    def handler(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        length = f"Content-Length: {size}\r\n" if declare_length else "Connection: close\r\n"
        conn.sendall(f"HTTP/1.1 200 OK\r\n{length}\r\n".encode())
        chunk = b"z" * 65536
        for _ in range(size // len(chunk)):
            conn.sendall(chunk)
        finished.append(True)

    return handler


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "read-until-close"])
def test_ten_megabytes_are_cut_off(declare_length: bool, serve: Callable[[Handler], Server]) -> None:
    finished: list[bool] = []
    server = serve(big_body(declare_length, finished))
    client = local_client(deadline=5)
    started = time.monotonic()

    with pytest.raises(ResponseTooLarge):
        client.request("GET", f"http://127.0.0.1:{server.port}/", max_bytes=TOKEN_RESPONSE_MAX_BYTES)

    assert time.monotonic() - started < 2
    time.sleep(0.2)  # let the server notice the closed connection
    assert finished == []


# --------------------------------------------------------------------------- the invocation's deadline


class LambdaContext:
    """The one method of the Lambda context the deadline reads."""

    def __init__(self, remaining_ms: int) -> None:
        self._ends = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._ends - time.monotonic()) * 1000), 0)


def test_a_call_ends_at_the_invocations_deadline_not_its_own(serve: Callable[[Handler], Server]) -> None:
    server = serve(drip(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", b"x" * 100))
    client = local_client(deadline=8.0)
    started = time.monotonic()
    with deadline.invocation(LambdaContext(1800)), pytest.raises(OutboundTimeout):
        client.request("GET", f"http://127.0.0.1:{server.port}/", max_bytes=1000)
    elapsed = time.monotonic() - started
    assert 1.0 < elapsed < 2.0  # 1.8 s left less the 0.5 s kept to answer, not the call's own 8 s


def test_no_call_starts_without_time_left(listener: Listener) -> None:
    with deadline.invocation(LambdaContext(600)), pytest.raises(OutboundTimeout) as caught:
        local_client().request("GET", f"http://127.0.0.1:{listener.port}/", max_bytes=100)
    assert caught.value.request_may_have_been_sent is False  # a code exchange may still be retried
    assert listener.attempts() == 0


def test_holding_back_keeps_time_for_what_follows() -> None:
    with deadline.invocation(LambdaContext(10_000)):
        full = deadline.remaining()
        with deadline.holding_back(3.0):
            held = deadline.remaining()
        assert full is not None and held is not None
        assert 2.9 < full - held < 3.1
        assert deadline.within(60.0) == pytest.approx(full, abs=0.1)
    assert deadline.remaining() is None  # outside an invocation there is no deadline
    assert deadline.within(60.0) == 60.0
