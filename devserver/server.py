"""The whole HTTP API on http://127.0.0.1:<port>: no AWS account, no Docker.

``LocalServer`` reads template.yaml, starts an in-process moto server (unless told
to use another endpoint or real AWS), creates the table, key and event bus the
template declares, loads every handler the template routes to, and serves the
routes with a stdlib ``ThreadingHTTPServer`` bound to 127.0.0.1 only. Each request
becomes the payload 2.0 event API Gateway would send (see ``devserver.apigw``).

One function runs one request at a time, as one warm Lambda container would; the
handlers' settings come from ``os.environ``, which is process-wide, so one
``LocalServer`` runs per process at a time. ``stop()`` restores the environment.
"""

from __future__ import annotations

import importlib.util
import json
import mimetypes
import os
import sys
import threading
import time
import traceback
import urllib.request
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TextIO
from urllib.parse import unquote, urlsplit

import boto3

from devserver.apigw import InvalidResponse, LambdaContext, build_event, response_from_result
from devserver.cors import CorsPolicy, cors_applies, cors_policy
from devserver.environment import (
    LOCAL_ROUTES_WITH_AWS,
    REGION,
    Backend,
    backend_from_env,
    handler_environment,
    local_routes_refused,
)
from devserver.queues import Consumer, QueueWorker, consumers_from_template, create_queue, queue_variables
from devserver.resources import DEFAULT_STACK_NAME, create_event_bus, create_resources
from devserver.routes import Route, RouteTable, routes_from_template
from devserver.template import load_template

__all__ = ["DEFAULT_TEMPLATE", "MAX_BODY_BYTES", "PROJECT_ROOT", "LocalServer"]

HOST = "127.0.0.1"  # never any other interface
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = PROJECT_ROOT / "template.yaml"
MAX_BODY_BYTES = 1024 * 1024
DRAIN_LIMIT_BYTES = 16 * MAX_BODY_BYTES  # a larger body than this is not read at all
ERROR_HEADERS = [
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
]
STATIC_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".wasm": "application/wasm",
}

# Files served at a fixed path whatever the static folder: the component the reference page loads.
# Exact paths only (nothing else under clients/web is reachable), read from the project on each request.
FIXED_FILES = {"/byoc-connect.js": ("clients", "web", "src", "byoc-connect.js")}

_active_lock = threading.Lock()
_active: LocalServer | None = None
_serial = 0


class HandlerUnavailable(Exception):
    """A handler module could not be loaded (missing file, import error)."""


class _Function:
    """One AWS::Serverless::Function: its handler, loaded on demand, and its one-at-a-time lock."""

    def __init__(self, route: Route | Consumer, project_root: Path, module_name: str):
        self.name = route.function
        self.path = route.handler_file(project_root)
        self.attribute = route.handler_function
        self.timeout = route.timeout
        self.memory_mb = route.memory_mb
        self.module_name = module_name
        self.lock = threading.Lock()
        self.handler: Callable[[dict[str, Any], Any], Any] | None = None

    def load(self) -> Callable[[dict[str, Any], Any], Any]:
        """The handler; a failed load is retried on the next request (fix the file, call again)."""
        if self.handler is not None:
            return self.handler
        if not self.path.is_file():
            raise HandlerUnavailable(f"{self.name}: {self.path} does not exist")
        spec = importlib.util.spec_from_file_location(self.module_name, self.path)
        if spec is None or spec.loader is None:
            raise HandlerUnavailable(f"{self.name}: cannot import {self.path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[self.module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(self.module_name, None)
            raise HandlerUnavailable(
                f"{self.name}: importing {self.path} failed ({type(exc).__name__})"
            ) from exc
        handler = getattr(module, self.attribute, None)
        if not callable(handler):
            sys.modules.pop(self.module_name, None)
            raise HandlerUnavailable(f"{self.name}: {self.path} has no function {self.attribute}")
        self.handler = handler
        return handler

    def unload(self) -> None:
        self.handler = None
        sys.modules.pop(self.module_name, None)


def _reset_handler_caches() -> None:
    """Forget the byoc package's per-container state (settings, boto3 clients, data keys).

    In Lambda it lives as long as the container; here a new server must not see the
    previous one's settings or clients pointing at a stopped endpoint. Nothing to do
    when no handler has loaded the layer yet.
    """
    if "byoc.settings" in sys.modules:  # every handler reads the settings
        importlib.import_module("byoc.container").reset_container_state()


def _layer_paths(template: Mapping[str, Any], project_root: Path) -> list[Path]:
    """The folders of the template's Python layers, as Lambda puts them on sys.path."""
    paths = []
    for resource in (template.get("Resources") or {}).values():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::LayerVersion":
            continue
        content = (resource.get("Properties") or {}).get("ContentUri")
        if isinstance(content, str):
            folder = (project_root / content).resolve()
            paths.append(folder / "python" if (folder / "python").is_dir() else folder)
    return paths


def _printable(text: str, limit: int = 200) -> str:
    cleaned = "".join(c if c.isprintable() else "?" for c in text)
    return cleaned if len(cleaned) <= limit else cleaned[:limit] + "..."


class _RequestTooLarge(Exception):
    def __init__(self, *, close: bool):
        super().__init__("request too large")
        self.close = close  # the rest of the body is still unread: drop the connection


class _BadRequest(Exception):
    pass


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    app: LocalServer


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "byoc-devserver"
    sys_version = ""
    timeout = 120  # an idle keep-alive connection is dropped after this many seconds
    server: _HttpServer
    cors_headers: list[tuple[str, str]] = []  # set per request (devserver.cors)

    def log_message(self, format: str, *args: Any) -> None:  # silence the default per-request log
        return

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self.server.app._serve(self)

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, PROPFIND ...) is routed like these: it gets a JSON 404 or 405,
        # as API Gateway answers, never http.server's HTML 501.
        if name.startswith("do_") and name[3:].isalpha():
            return self.do_GET
        raise AttributeError(name)


class LocalServer:
    """The API on http://127.0.0.1:<port> (port 0: any free port), in a background thread.

    ``env_overrides`` are set in ``os.environ`` last (a None value unsets a variable); they
    may also hold the BYOC_* backend variables. ``project_root`` is the folder CodeUri,
    layer ContentUri, ``examples/dashboard``, ``docs/openapi.json`` and the component served at
    ``/byoc-connect.js`` (``clients/web/src``) are relative to (by default the template's folder);
    ``static_dir`` overrides where ``/`` is served from.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        template_path: str | Path = DEFAULT_TEMPLATE,
        project_root: str | Path | None = None,
        static_dir: str | Path | None = None,
        env_overrides: Mapping[str, str | None] | None = None,
        access_log: TextIO | None = None,
    ):
        self.requested_port = port
        self.template_path = Path(template_path).resolve()
        self.project_root = Path(project_root).resolve() if project_root else self.template_path.parent
        self.static_dir = (
            Path(static_dir).resolve() if static_dir else self.project_root / "examples" / "dashboard"
        )
        self.openapi_path = self.project_root / "docs" / "openapi.json"
        self.env_overrides = dict(env_overrides or {})
        self._access_log = access_log
        self._log_lock = threading.Lock()
        self.template: dict[str, Any] = {}
        self.routes: list[Route] = []
        self.route_table = RouteTable([])
        self.functions: dict[str, _Function] = {}
        self.backend: Backend | None = None
        self.table_name = ""
        self.kms_key_id = ""
        self.event_bus_name = ""
        self.load_errors: dict[str, str] = {}
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._moto: Any = None
        self.moto_url: str | None = None
        self._moto_serialized: Any = None
        self.consumers: list[Consumer] = []
        self.queue_urls: dict[str, str] = {}
        self.workers: list[QueueWorker] = []
        self._saved_env: dict[str, str | None] = {}
        self._started = False
        self.cors: CorsPolicy | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        if self._http is None:
            raise RuntimeError("the server is not started")
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> Self:
        """Create everything and return once the server is listening."""
        global _active, _serial
        with _active_lock:
            if _active is not None:
                raise RuntimeError("a LocalServer is already running in this process (os.environ is shared)")
            _active = self
            _serial += 1
            serial = _serial
        try:
            self._start(serial)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, serial: int) -> None:
        self.template = load_template(self.template_path)
        self.routes = routes_from_template(self.template)
        self.route_table = RouteTable(self.routes)
        self.functions, self.load_errors = {}, {}
        source = {**os.environ, **{k: v for k, v in self.env_overrides.items() if v is not None}}
        for name, value in self.env_overrides.items():
            if value is None:
                source.pop(name, None)
        self.backend = backend_from_env(source)
        self._http = _HttpServer((HOST, self.requested_port), _RequestHandler, bind_and_activate=True)
        self._http.app = self
        self._started = True
        endpoint = self.backend.endpoint_url
        if self.backend.mode == "moto":
            endpoint = self._start_moto()
        self.backend = Backend(
            self.backend.mode,
            endpoint,
            self.backend.table_name,
            self.backend.kms_key_id,
            self.backend.event_bus_name,
        )
        self.table_name, self.kms_key_id, self.event_bus_name = self._prepare_backend(self.backend)
        self.consumers = consumers_from_template(self.template)
        self.queue_urls = self._prepare_queues(self.backend)
        changes = handler_environment(
            template=self.template,
            url=self.url,
            backend=self.backend,
            table_name=self.table_name,
            kms_key_id=self.kms_key_id,
            event_bus_name=self.event_bus_name,
            overrides=self.env_overrides,
            environ=source,
        )
        changes.update(queue_variables(self.template, self.queue_urls))
        self._apply_environment(changes)
        self.cors = cors_policy(self.template, os.environ.get("FRONTEND_URL", ""))
        _reset_handler_caches()
        boto3.setup_default_session()  # a fresh default session, from the environment just set
        for path in reversed(_layer_paths(self.template, self.project_root)):
            if str(path) not in sys.path:
                sys.path.insert(0, str(path))
        self._load_functions(serial)
        self._start_workers()
        self._thread = threading.Thread(target=self._http.serve_forever, name="devserver-http", daemon=True)
        self._thread.start()

    def _start_moto(self) -> str:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no per-request log from moto
        from devserver.serialized_moto import serialized_dynamodb

        # moto applies a conditional write in two steps; DynamoDB applies it atomically. Without
        # this lock, two local refreshes racing could both win the lease (a false invalid_grant).
        self._moto_serialized = serialized_dynamodb()
        self._moto_serialized.__enter__()
        self._moto = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        self._reset_moto()  # moto's state is process-wide: start from nothing
        return self.moto_url

    def _stop_moto(self) -> None:
        if self._moto is not None:
            try:
                self._reset_moto()
            except OSError:
                pass
            self._moto.stop()
            self._moto = None
        if self._moto_serialized is not None:
            self._moto_serialized.__exit__(None, None, None)
            self._moto_serialized = None

    def _reset_moto(self) -> None:
        if self.moto_url is None:
            return
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        request = urllib.request.Request(f"{self.moto_url}/moto-api/reset", method="POST", data=b"")
        with opener.open(request, timeout=10) as answer:  # nosec B310 - our own 127.0.0.1 server
            answer.read()

    def _prepare_backend(self, backend: Backend) -> tuple[str, str, str]:
        if not backend.creates_resources:
            return backend.table_name, backend.kms_key_id or "", backend.event_bus_name
        clients = {name: self._local_client(name, backend) for name in ("dynamodb", "kms", "events")}
        table, key = create_resources(self.template, clients["dynamodb"], clients["kms"], backend.table_name)
        bus = create_event_bus(clients["events"], backend.event_bus_name)
        return table, key, bus

    def _hosts(self) -> set[str]:
        """The Host values this server answers: the address it listens on, by IP or by name."""
        return {f"{HOST}:{self.port}", f"localhost:{self.port}"}

    def _load_functions(self, serial: int) -> None:
        """Every routed function and every queue consumer, loaded now (a failed load is kept)."""
        sources: list[Route | Consumer] = [*self.routes, *self.consumers]
        for source in sources:
            if source.function not in self.functions:
                self.functions[source.function] = _Function(
                    source, self.project_root, f"_devserver_{serial}_{source.function}"
                )
        for function in self.functions.values():
            try:
                function.load()
            except HandlerUnavailable as exc:
                self.load_errors[function.name] = str(exc)

    def _prepare_queues(self, backend: Backend) -> dict[str, str]:
        """Each consumer's queue in the local moto server (none against another endpoint or AWS)."""
        if not backend.creates_resources or not self.consumers:
            return {}
        sqs = self._local_client("sqs", backend)
        return {c.queue: create_queue(sqs, DEFAULT_STACK_NAME, c.queue) for c in self.consumers}

    @staticmethod
    def _local_client(service: str, backend: Backend) -> Any:
        """A client of the local endpoint (moto's, or the one given), with throwaway credentials."""
        session = boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION
        )
        return session.client(service, endpoint_url=backend.endpoint_url)

    def _start_workers(self) -> None:
        """One poller per SQS consumer, standing in for Lambda's event source mapping."""
        if self.backend is None:
            return
        for consumer in self.consumers:
            url = self.queue_urls.get(consumer.queue)
            function = self.functions[consumer.function]
            if url is None or function.handler is None:
                continue
            worker = QueueWorker(
                self._local_client("sqs", self.backend),
                url,
                consumer,
                self._locked(function),
                lambda f=function: LambdaContext(f.name, f.memory_mb, f.timeout),
                lambda name, exc: self._warn(f"{name} raised {type(exc).__name__}", exc, with_message=False),
            )
            worker.start()
            self.workers.append(worker)

    @staticmethod
    def _locked(function: _Function) -> Callable[[dict[str, Any], Any], Any]:
        """The handler, run one event at a time like the HTTP requests to the same function."""

        def run(event: dict[str, Any], context: Any) -> Any:
            with function.lock:
                return function.load()(event, context)

        return run

    def _apply_environment(self, changes: Mapping[str, str | None]) -> None:
        for name, value in changes.items():
            if name not in self._saved_env:
                self._saved_env[name] = os.environ.get(name)
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    def stop(self) -> None:
        """Stop serving, stop moto (its data is dropped) and restore the environment."""
        global _active
        for worker in self.workers:
            worker.stop()
        self.workers.clear()
        if self._http is not None:
            if self._thread is not None:
                self._http.shutdown()
                self._thread.join(timeout=10)
            self._http.server_close()
        self._stop_moto()
        for function in self.functions.values():
            function.unload()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()
        if self._started:
            _reset_handler_caches()
            boto3.DEFAULT_SESSION = None
        self._thread = None
        self._started = False
        with _active_lock:
            if _active is self:
                _active = None

    # ------------------------------------------------------------------ requests

    def log_access(self, method: str, raw_path: str, status: int, millis: float) -> None:
        """One line per request: method, path (never the query), status, milliseconds."""
        when = time.strftime("%H:%M:%S")
        line = f"{when} {_printable(method, 16)} {_printable(raw_path)} {status} {millis:.0f}ms\n"
        stream = self._access_log or sys.stderr
        with self._log_lock:
            stream.write(line)
            stream.flush()

    def _serve(self, request: _RequestHandler) -> None:
        started = time.perf_counter()
        request.cors_headers = []  # a keep-alive connection's previous request set its own
        target = request.path
        if not target.startswith("/"):  # absolute-form: http://host/path?query
            parts = urlsplit(target)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        raw_path, _, raw_query = target.partition("?")
        raw_path = raw_path.split("#", 1)[0] or "/"
        status = 500
        try:
            status = self._respond(request, raw_path, raw_query)
        except (BrokenPipeError, ConnectionResetError):
            request.close_connection = True
        except Exception as exc:  # a bug here: answer 500 rather than drop the connection
            self._warn("the local server failed on a request", exc, with_message=False)
            try:
                status = self._error(request, 500, "internal_error", "The local server failed.", close=True)
            except OSError:
                request.close_connection = True
        finally:
            self.log_access(request.command, raw_path, status, (time.perf_counter() - started) * 1000)

    def _respond(self, request: _RequestHandler, raw_path: str, raw_query: str) -> int:
        method = request.command
        if (request.headers.get("Host") or "").lower() not in self._hosts():
            # A DNS-rebinding page reaches 127.0.0.1 under its own name: only our own names are served.
            message = f"Call this server as http://{HOST}:{self.port} or http://localhost:{self.port}."
            return self._error(request, 421, "misdirected_request", message, close=True)
        try:
            body = _read_body(request)
        except _RequestTooLarge as exc:
            message = "The request body is larger than 1 MiB."
            return self._error(request, 413, "payload_too_large", message, close=exc.close)
        except _BadRequest as exc:
            return self._error(request, 400, "bad_request", str(exc), close=True)
        preflight = self._cors(request, raw_path)
        if preflight is not None:
            return self._send(request, 204, preflight, b"")
        if not cors_applies(raw_path) and self.backend and local_routes_refused(self.backend, os.environ):
            message = f"Development-only routes are off against real AWS (set {LOCAL_ROUTES_WITH_AWS}=true)."
            return self._error(request, 403, "local_route_refused", message)
        match, allowed = self.route_table.match(method, raw_path)
        if match is not None:
            return self._invoke(request, match.route, match.path_parameters, raw_path, raw_query, body)
        if allowed:
            return self._error(
                request,
                405,
                "method_not_allowed",
                f"{method} is not allowed here.",
                [("Allow", ", ".join(allowed))],
            )
        if method in ("GET", "HEAD"):
            file = self._static_file(raw_path)
            if file is not None:
                return self._send_file(request, file)
        return self._error(request, 404, "not_found", "There is nothing at this path.")

    def _cors(self, request: _RequestHandler, raw_path: str) -> list[tuple[str, str]] | None:
        """Set this request's CORS headers; for a preflight, the headers of its 204 (else None)."""
        request.cors_headers = []
        origin = request.headers.get("Origin")
        if self.cors is None or origin is None or not cors_applies(raw_path):
            return None
        asked = request.headers.get("Access-Control-Request-Method")
        if request.command == "OPTIONS" and asked is not None:
            # Answered here, as API Gateway does, whether or not a route takes OPTIONS
            headers = request.headers.get("Access-Control-Request-Headers")
            return [("Vary", "Origin"), *self.cors.preflight(origin, asked, headers)]
        request.cors_headers = [("Vary", "Origin"), *self.cors.response(origin)]
        return None

    def _invoke(
        self,
        request: _RequestHandler,
        route: Route,
        path_parameters: dict[str, str],
        raw_path: str,
        raw_query: str,
        body: bytes,
    ) -> int:
        function = self.functions[route.function]
        event = build_event(
            method=request.command,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=list(request.headers.items()),
            body=body,
            route=route,
            path_parameters=path_parameters,
            domain=f"{HOST}:{self.port}",
            source_ip=request.client_address[0],
            protocol=request.request_version,
            port=self.port,
        )
        context = LambdaContext(function.name, function.memory_mb, function.timeout)
        with function.lock:
            try:
                handler = function.load()
            except HandlerUnavailable as exc:
                self._warn(str(exc), exc.__cause__)
                return self._error(request, 502, "handler_unavailable", str(exc))
            try:
                result = handler(event, context)
            except Exception as exc:
                # Like Lambda, log the failure; the message is left out (it may hold request data).
                self._warn(f"{function.name} raised {type(exc).__name__}", exc, with_message=False)
                return self._error(request, 500, "internal_error", "The function failed.")
        try:
            response = response_from_result(result)
        except InvalidResponse as exc:
            self._warn(f"{function.name} returned an invalid response: {exc}", None)
            return self._error(request, 500, "internal_error", "The function returned an invalid response.")
        return self._send(request, response.status, response.headers, response.body)

    def _warn(self, message: str, exc: BaseException | None, *, with_message: bool = True) -> None:
        lines = [f"devserver: {message}\n"]
        if exc is not None:
            if with_message:
                lines.extend(traceback.format_exception(exc))
            else:
                lines.append("Traceback (most recent call last):\n")
                lines.extend(traceback.format_tb(exc.__traceback__))
        stream = self._access_log or sys.stderr
        with self._log_lock:
            stream.write("".join(lines))
            stream.flush()

    def _static_file(self, raw_path: str) -> Path | None:
        """A static-folder file, docs/openapi.json or a FIXED_FILES one; never outside them, never listed."""
        if raw_path == "/openapi.json" and self.openapi_path.is_file():
            return self.openapi_path
        if raw_path in FIXED_FILES:
            fixed = self.project_root.joinpath(*FIXED_FILES[raw_path])
            return fixed if fixed.is_file() else None
        root = self.static_dir.resolve()
        if not root.is_dir():
            return None
        path = unquote(raw_path, errors="replace")
        if "\x00" in path or "\\" in path:
            return None
        parts = [part for part in path.split("/") if part]
        if any(part.startswith(".") for part in parts):  # "..", and dot files
            return None
        candidate = root.joinpath(*parts).resolve()
        if not candidate.is_relative_to(root):  # a symlink pointing out
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def _send_file(self, request: _RequestHandler, file: Path) -> int:
        content_type = STATIC_TYPES.get(file.suffix.lower()) or mimetypes.guess_type(file.name)[0]
        headers = [
            ("Content-Type", content_type or "application/octet-stream"),
            ("Cache-Control", "no-cache"),
            ("X-Content-Type-Options", "nosniff"),
        ]
        return self._send(request, 200, headers, file.read_bytes())

    def _error(
        self,
        request: _RequestHandler,
        status: int,
        code: str,
        message: str,
        extra: list[tuple[str, str]] | None = None,
        *,
        close: bool = False,
    ) -> int:
        body = json.dumps({"error": {"code": code, "message": message}}).encode("utf-8")
        return self._send(request, status, ERROR_HEADERS + (extra or []), body, close=close)

    @staticmethod
    def _send(
        request: _RequestHandler,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        *,
        close: bool = False,
    ) -> int:
        request.send_response(status)
        for name, value in [*headers, *request.cors_headers]:
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        if close:
            request.send_header("Connection", "close")
            request.close_connection = True
        request.end_headers()
        if body and request.command != "HEAD" and status not in (204, 304):
            request.wfile.write(body)
        return status


def _read_body(request: BaseHTTPRequestHandler) -> bytes:
    """The request body, at most MAX_BODY_BYTES (Content-Length or chunked)."""
    encoding = (request.headers.get("Transfer-Encoding") or "").strip().lower()
    if encoding and encoding != "identity":
        if encoding != "chunked":
            raise _BadRequest("Only chunked transfer encoding is supported.")
        return _read_chunked(request)
    length = request.headers.get("Content-Length")
    if length is None:
        return b""
    try:
        size = int(length)
    except ValueError:
        raise _BadRequest("Content-Length is not a number.") from None
    if size < 0:
        raise _BadRequest("Content-Length is negative.")
    if size > MAX_BODY_BYTES:
        if size > DRAIN_LIMIT_BYTES:
            raise _RequestTooLarge(close=True)
        # Read and drop it, so the client gets the 413 rather than a reset connection.
        while size > 0:
            chunk = request.rfile.read(min(size, 65536))
            if not chunk:
                break
            size -= len(chunk)
        raise _RequestTooLarge(close=False)
    return request.rfile.read(size)


def _read_chunked(request: BaseHTTPRequestHandler) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        line = request.rfile.readline(1024)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise _BadRequest("Malformed chunked body.") from None
        if size == 0:
            while request.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        total += size
        if total > MAX_BODY_BYTES:
            raise _RequestTooLarge(close=True)
        chunks.append(request.rfile.read(size))
        request.rfile.readline(8)
