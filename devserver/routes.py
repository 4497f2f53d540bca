"""The HTTP API's routes, read from template.yaml, and API Gateway's route selection.

``routes_from_template`` is a pure function of the parsed template: every
``AWS::Serverless::Function`` event of ``Type: HttpApi`` becomes one ``Route``.
``RouteTable`` picks the route for a request the way an HTTP API does: a path
variable ``{name}`` matches exactly one non-empty segment, a greedy ``{name+}``
(last segment only) matches the rest of the path, and the most specific path
wins (literal segments before variables, variables before greedy ones, a route
for the request's method before ``ANY``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

__all__ = ["DEFAULT_ROUTE", "Route", "RouteMatch", "RouteTable", "routes_from_template"]

DEFAULT_ROUTE = "$default"
_VARIABLE = re.compile(r"^\{([A-Za-z0-9_.-]+)(\+?)\}$")


def handler_file(project_root: Path, code_uri: str, handler: str) -> Path:
    """``<CodeUri>/<module>.py`` for ``Handler: <module>.<function>``."""
    module, _, _ = handler.rpartition(".")
    return (project_root / code_uri / (module.replace(".", "/") + ".py")).resolve()


@dataclass(frozen=True, slots=True)
class Route:
    """One HttpApi event of one function."""

    method: str  # upper case; "ANY" matches every method
    path: str  # "/oauth/callback/{provider}", or "$default" for the catch-all route
    function: str  # logical id of the AWS::Serverless::Function
    event: str  # name of the event under the function's Events
    code_uri: str  # as written in the template ("functions/oauth_callback/")
    handler: str  # "app.lambda_handler"
    authorizer: str | None  # None when Auth.Authorizer is NONE (or the API has no authorizer)
    timeout: int = 3  # seconds, for the context's get_remaining_time_in_millis()
    memory_mb: int = 128

    @property
    def route_key(self) -> str:
        """API Gateway's routeKey: "GET /integrations", or "$default"."""
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"

    @property
    def auth_none(self) -> bool:
        return self.authorizer is None

    def handler_file(self, project_root: Path) -> Path:
        return handler_file(project_root, self.code_uri, self.handler)

    @property
    def handler_function(self) -> str:
        return self.handler.rpartition(".")[2]


@dataclass(frozen=True, slots=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str] = field(default_factory=dict)


def _scalar(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{what} must be a plain value in template.yaml, not {value!r}")
    return str(value)


def _check_path(path: str, where: str) -> None:
    if path == DEFAULT_ROUTE:
        return
    if not path.startswith("/"):
        raise ValueError(f"{where}: Path {path!r} must start with /")
    segments = path[1:].split("/")
    for index, segment in enumerate(segments):
        if "{" not in segment and "}" not in segment:
            continue
        match = _VARIABLE.match(segment)
        if not match:
            raise ValueError(f"{where}: a path variable must be a whole segment, not {segment!r}")
        if match.group(2) and index != len(segments) - 1:
            raise ValueError(f"{where}: the greedy variable {segment} must be the last segment")


def _authorizer(event_props: dict[str, Any], apis: dict[str, Any], globals_api: dict[str, Any]) -> str | None:
    explicit = (event_props.get("Auth") or {}).get("Authorizer")
    if explicit is not None:
        explicit = _scalar(explicit, "Auth.Authorizer")
        return None if explicit == "NONE" else explicit
    api_ref = event_props.get("ApiId")
    if isinstance(api_ref, dict) and isinstance(api_ref.get("Ref"), str) and api_ref["Ref"] in apis:
        api_auth = (apis[api_ref["Ref"]].get("Properties") or {}).get("Auth") or {}
    else:  # the implicit API SAM creates, configured by Globals.HttpApi
        api_auth = globals_api.get("Auth") or {}
    default = api_auth.get("DefaultAuthorizer")
    return str(default) if default else None


def _function_routes(
    name: str,
    props: dict[str, Any],
    globals_fn: dict[str, Any],
    apis: dict[str, Any],
    globals_api: dict[str, Any],
) -> list[Route]:
    routes: list[Route] = []
    for event_name, event in (props.get("Events") or {}).items():
        if not isinstance(event, dict) or event.get("Type") != "HttpApi":
            continue
        where = f"{name}.Events.{event_name}"
        code_uri = props.get("CodeUri", globals_fn.get("CodeUri"))
        handler = props.get("Handler", globals_fn.get("Handler"))
        if not isinstance(code_uri, str) or not isinstance(handler, str) or "." not in handler:
            raise ValueError(f"{name}: the local server needs a CodeUri folder and a Handler module.function")
        event_props = event.get("Properties") or {}
        path = _scalar(event_props.get("Path", DEFAULT_ROUTE), f"{where}.Path")
        method = _scalar(event_props.get("Method", "ANY"), f"{where}.Method").upper()
        if method in ("*", "X-AMAZON-APIGATEWAY-ANY-METHOD"):
            method = "ANY"
        _check_path(path, where)
        routes.append(
            Route(
                method=method,
                path=path,
                function=name,
                event=event_name,
                code_uri=code_uri,
                handler=handler,
                authorizer=_authorizer(event_props, apis, globals_api),
                timeout=_int_setting(props, globals_fn, "Timeout", 3),
                memory_mb=_int_setting(props, globals_fn, "MemorySize", 128),
            )
        )
    return routes


def _int_setting(props: dict[str, Any], globals_fn: dict[str, Any], key: str, default: int) -> int:
    value = props.get(key, globals_fn.get(key, default))
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def routes_from_template(template: dict[str, Any]) -> list[Route]:
    """Every HttpApi event of every AWS::Serverless::Function, in template order."""
    resources: dict[str, Any] = template.get("Resources") or {}
    template_globals = template.get("Globals") or {}
    globals_fn = template_globals.get("Function") or {}
    globals_api = template_globals.get("HttpApi") or {}
    apis = {
        name: resource
        for name, resource in resources.items()
        if isinstance(resource, dict) and resource.get("Type") == "AWS::Serverless::HttpApi"
    }
    routes: list[Route] = []
    for name, resource in resources.items():
        if isinstance(resource, dict) and resource.get("Type") == "AWS::Serverless::Function":
            routes.extend(
                _function_routes(name, resource.get("Properties") or {}, globals_fn, apis, globals_api)
            )
    seen: set[str] = set()
    for route in routes:
        if route.route_key in seen:
            raise ValueError(f"two HttpApi events declare the route {route.route_key}")
        seen.add(route.route_key)
    return routes


@dataclass(frozen=True, slots=True)
class _Segment:
    kind: str  # "literal", "variable" or "greedy"
    value: str  # the literal text, or the variable's name


def _compile(path: str) -> tuple[_Segment, ...]:
    segments: list[_Segment] = []
    for raw in path[1:].split("/"):
        match = _VARIABLE.match(raw)
        if match:
            segments.append(_Segment("greedy" if match.group(2) else "variable", match.group(1)))
        else:
            segments.append(_Segment("literal", raw))
    return tuple(segments)


def _match(template: tuple[_Segment, ...], request: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, segment in enumerate(template):
        if segment.kind == "greedy":
            rest = "/".join(request[index:])
            if not rest:
                return None
            params[segment.value] = rest
            return params
        if index >= len(request):
            return None
        value = request[index]
        if segment.kind == "variable":
            if not value:
                return None
            params[segment.value] = value
        elif value != segment.value:
            return None
    return params if len(request) == len(template) else None


def _specificity(segments: tuple[_Segment, ...]) -> tuple[int, int, int]:
    """Sort key, most specific first: no greedy, fewer variables, more segments."""
    greedy = sum(s.kind == "greedy" for s in segments)
    variables = sum(s.kind == "variable" for s in segments)
    return (greedy, variables, -len(segments))


class RouteTable:
    """Select the route for a method and a raw (percent-encoded) path."""

    def __init__(self, routes: list[Route]):
        self.routes = list(routes)
        compiled = [(route, _compile(route.path)) for route in self.routes if route.path != DEFAULT_ROUTE]
        self._compiled = sorted(compiled, key=lambda item: _specificity(item[1]))
        self._default = next((r for r in self.routes if r.path == DEFAULT_ROUTE), None)

    def match(self, method: str, raw_path: str) -> tuple[RouteMatch | None, list[str]]:
        """The selected route, or None and the methods the path has routes for (for a 405)."""
        request = [unquote(segment, errors="replace") for segment in raw_path[1:].split("/")]
        method = method.upper()
        best: tuple[tuple[int, int, int], int, RouteMatch] | None = None
        other_methods: list[str] = []
        for route, segments in self._compiled:
            params = _match(segments, request)
            if params is None:
                continue
            if route.method not in (method, "ANY"):
                other_methods.append(route.method)
                continue
            rank = (_specificity(segments), 0 if route.method == method else 1, RouteMatch(route, params))
            if best is None or rank[:2] < best[:2]:
                best = rank
        if best is not None:
            return best[2], []
        if self._default is not None:
            return RouteMatch(self._default, {}), []
        return None, sorted(set(other_methods))
