"""The pieces of ``registry.importer``: templates and the fields they need, protocol keys, credentials."""

from __future__ import annotations

import re
from typing import Any

DNS_LABEL = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
SEGMENT = "^[A-Za-z0-9._~-]{1,256}$"
YAML = (
    "https://github.com/NangoHQ/nango/blob/0004941efdc462b2a0d2b527f8e99702717a132f/"
    "packages/providers/providers.yaml"
)
NO_VERIFY = (
    "Neither the reference registry nor a page we read names a cheap request that proves the key: "
    "the key is saved unchecked and the first call through it is the test"
)
_FACT = re.compile(r"\$\{connectionConfig\.([A-Za-z0-9_.-]+)\}")
_ANY = re.compile(r"\$\{([^}]*)\}")
_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")
# Second-level labels under which a country code's registrable domain has three labels.
_SECOND_LEVEL = {"co", "com", "net", "org", "ac", "gov", "ne", "or"}
_UNSAFE_PROBES = ("a/b", "a?b", "a#b", "a@b", "a:b", "a\\b", "a b")


_SECRET_NAME = re.compile(r"(?i)token|jwt|secret|password|private|api.?key")


def _group(where: str) -> str:
    return "api" if where == "api" else "oauth"


class Skip(Exception):
    """The entry cannot be expressed; the message says why."""


def snake(name: str) -> str:
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).replace("-", "_").replace(".", "_")
    return name.lower()


def is_scope(scope: str) -> bool:
    return bool(_SCOPE.match(scope))


# Example names, not a provider's domain: a host like this is the org's own (self-hosted) server.
_PLACEHOLDER_DOMAIN = re.compile(
    r"^(example|(my|your)?(company|store|domain|site)|testing-partner)\.[a-z.]+$"
)


def registrable(host: str) -> str:
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _label(name: str, spec: dict[str, Any]) -> str:
    title = (spec.get("title") or "").strip() or name.replace("_", " ")
    return title[0].upper() + title[1:]


class Context:
    """What one entry's templates need: fields, metadata names, hosts; built while converting."""

    def __init__(self, fact: dict[str, Any], verification: dict[str, Any] | None = None):
        self.fact = fact
        self.config = fact.get("connection_config_fields") or {}
        self.metadata_names = {
            **{snake(m): f"token:$.{m}" for m in fact.get("token_response_metadata") or []},
            **{snake(m): f"callback:{m}" for m in fact.get("redirect_uri_metadata") or []},
        }
        self.enums: dict[str, list[str]] = (verification or {}).get("enums") or {}
        self._fields: dict[str, dict[str, Any]] = {}
        self._hosts: dict[str, list[str]] = {"oauth": [], "api": []}
        self.used_metadata: set[str] = set()
        self.in_urls: set[str] = set()  # fields placed in a URL path: public by nature (a board's token)
        self.deviations: dict[str, str] = {}
        self.notes: list[str] = []

    # ---------------------------------------------------------------- templates

    def url(self, template: str | None, where: str) -> str:
        """The facts' URL template in our syntax, its fields and hosts recorded; or ``Skip``."""
        if not template:
            raise Skip(f"{where}: the facts give no URL")
        reasons = []
        for alternative in template.split(" || "):
            try:
                return self._url(alternative.strip(), where)
            except Skip as problem:
                reasons.append(str(problem))
        raise Skip(reasons[0])

    def _url(self, template: str, where: str) -> str:
        if _ANY.sub("", template) != _FACT.sub("", template):
            raise Skip(f"{where}: {template} names values other than the org's fields")
        leading = re.match(r"^\$\{connectionConfig\.([A-Za-z0-9_-]+)\}", template)
        if leading:
            return self._origin_url(template, leading.group(1), where)
        match = re.match(r"^https://([^/?#]+)(.*)$", template)
        if not match:
            raise Skip(f"{where}: {template} is not an https URL")
        host, rest = match.groups()
        self.in_urls.update(snake(n) for n in _FACT.findall(template))
        return "https://" + self._host(host, where) + self._values(rest, "segment")

    def _origin_url(self, template: str, raw: str, where: str) -> str:
        """A template whose first thing is a whole origin: only a value the provider answered."""
        name = snake(raw)
        if where != "api" or name not in self.metadata_names:
            raise Skip(f"{where}: a whole origin from {raw!r}, which is no value the provider answers")
        token_host = re.match(r"^https://([a-z0-9.-]+)/", self.fact.get("token_url") or "")
        if not token_host:
            raise Skip(f"{where}: the API origin {raw!r} has no fixed provider domain to stay under")
        self.used_metadata.add(name)
        self._hosts[_group(where)].append(registrable(token_host.group(1)))
        rest = template[len("${connectionConfig." + raw + "}") :]
        return "{" + name + "}" + self._values(rest, "segment")

    def _host(self, host: str, where: str) -> str:
        names = _FACT.findall(host)
        if not names:
            self._hosts[_group(where)].append(host.lower())
            return host.lower()
        if all(self.enums.get(n) for n in names):
            return self._select_host(host, names, where)
        whole = re.fullmatch(r"\$\{connectionConfig\.([A-Za-z0-9_-]+)\}", host)
        if whole:
            return "{" + self._whole_host(whole.group(1), where) + "}"
        label = re.fullmatch(r"\$\{connectionConfig\.([A-Za-z0-9_-]+)\}\.([a-z0-9.-]+)", host)
        if label:
            self._hosts[_group(where)].append(label.group(2))
            return "{" + self._field(label.group(1), "label") + "}." + label.group(2)
        raise Skip(f"{where}: a tenant value inside the host {host}, which needs the list of its values")

    def _select_host(self, host: str, names: list[str], where: str) -> str:
        """A host shaped by values with a known list (the reference's ``enum``): each a select,
        every combination rendered to find the domains it may use."""
        combos: list[str] = [host]
        for raw in names:
            combos = [
                c.replace("${connectionConfig." + raw + "}", o) for c in combos for o in self.enums[raw]
            ]
        for rendered in combos[:64]:
            if not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", rendered):
                raise Skip(f"{where}: an option of the host {host} is no host name ({rendered})")
            self._hosts[_group(where)].append(registrable(rendered))
        for raw in names:
            self._field(raw, "select")
        return _FACT.sub(lambda m: "{" + snake(m.group(1)) + "}", host)

    def _whole_host(self, raw: str, where: str) -> str:
        spec = self.config.get(raw) or {}
        sample = spec.get("example") or spec.get("default_value") or ""
        if not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", sample):
            raise Skip(f"{where}: the host is the org's {raw!r} with no example naming its domain")
        domain = registrable(sample)
        if _PLACEHOLDER_DOMAIN.match(domain):
            raise Skip(
                f"{where}: the host is the org's own server ({raw!r}, example {sample}): no provider domain"
            )
        self._hosts[_group(where)].append(domain)
        name = self._field(raw, "host", domain)
        self.deviations["fields"] = (
            f"The host {raw!r} must be a name under {domain} (the facts accept any host name; the "
            "security rules keep the client secret on the provider's domain)"
        )
        return name

    def _values(self, text: str, role: str) -> str:
        if "${" in _FACT.sub("", text):
            raise Skip(f"{text} names values other than the org's fields")
        return _FACT.sub(lambda m: "{" + self._placed(m.group(1), role) + "}", text)

    def value(self, text: str) -> str:
        """A parameter or header value in our syntax (each value a field or metadata name)."""
        for alternative in str(text).split(" || "):
            try:
                return self._values(alternative.strip(), "segment")
            except Skip:
                continue
        raise Skip(f"{text!r} names values other than the org's fields")

    def _placed(self, raw: str, role: str) -> str:
        name = snake(raw)
        if name in self.metadata_names:
            self.used_metadata.add(name)
            return name
        return self._field(raw, role)

    # ---------------------------------------------------------------- fields

    def _field(self, raw: str, role: str, domain: str | None = None) -> str:
        name = snake(raw)
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,63}", name) or name in ("client_id", "client_secret"):
            raise Skip(f"the value {raw!r} cannot be a field of ours")
        known = self._fields.get(name)
        if known is not None and known["role"] != role and "segment" not in (known["role"], role):
            if "select" in (known["role"], role):
                return name  # a select is safe in every position
            raise Skip(f"{raw!r} is used both as a host label and as a whole host")
        if known is None or known["role"] == "segment" or role == "select":
            self._fields[name] = {"raw": raw, "role": role, "domain": domain}
        return name

    def fields(self) -> list[dict[str, Any]]:
        return [self._field_spec(name, info) for name, info in self._fields.items()]

    def _field_spec(self, name: str, info: dict[str, Any]) -> dict[str, Any]:
        spec = self.config.get(info["raw"]) or {}
        out: dict[str, Any] = {"name": name, "label": _label(name, spec)}
        default = spec.get("default_value")
        if spec.get("optional") or default:
            out["required"] = False
        if info["role"] == "select":
            options = [str(o) for o in self.enums[info["raw"]]]
            out.update(type="select", options=options)
            if default in options:
                out["default"] = default
        else:
            out.update(self._text_field(name, info, spec))
        if spec.get("description"):
            out["help"] = spec["description"].strip()
        for key, value in (("example", spec.get("example")), ("default", default)):
            if "pattern" in out and isinstance(value, str) and re.fullmatch(out["pattern"], value):
                out[key] = value
        return out

    def _text_field(self, name: str, info: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"pattern": self._pattern(info, spec)}
        secret_name = _SECRET_NAME.search(f"{info['raw']} {spec.get('title') or ''}")
        if info["role"] == "segment" and secret_name and name not in self.in_urls:
            out.update(type="password", secret=True)  # a token in a connection value: sealed, never shown
        if info["role"] == "label":
            out["max_length"] = 63
        return out

    def _pattern(self, info: dict[str, Any], spec: dict[str, Any]) -> str:
        if info["role"] == "label":
            if spec.get("pattern") and spec["pattern"] != DNS_LABEL:
                self.deviations["fields"] = (
                    f"{info['raw']!r} is one DNS label (security rules item 10); the facts' pattern "
                    f"{spec['pattern']} is looser"
                )
            return DNS_LABEL
        if info["role"] == "host":
            label = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
            return f"^({label}\\.)*" + re.escape(info["domain"]) + "$"
        given = spec.get("pattern")
        if given and _safe_pattern(given):
            return given
        return SEGMENT

    def metadata(self) -> list[dict[str, Any]]:
        return [{"name": n, "from": f} for n, f in self.metadata_names.items()]

    def suffixes(self, where: str) -> list[str]:
        hosts = sorted(set(self._hosts[where]), key=lambda h: (h.count("."), h))
        kept: list[str] = []
        for host in hosts:
            if not any(host == k or host.endswith("." + k) for k in kept):
                kept.append(host)
        return sorted(kept)


def _safe_pattern(pattern: str) -> bool:
    """A facts pattern we keep for a path or parameter value: it compiles, is anchored, and
    refuses every character that could leave a path segment."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        return False
    anchored = pattern.startswith("^") and pattern.endswith("$")
    return anchored and not any(compiled.fullmatch(probe) for probe in _UNSAFE_PROBES)


# -------------------------------------------------------------------- the OAuth block's keys

_CLIENT_AUTH = {"basic": "client_secret_basic", "basic (authorization_method: header)": "client_secret_basic"}
_RENAMABLE = {"client_id", "redirect_uri", "response_type", "scope", "code_challenge"}


def protocol_keys(fact: dict[str, Any], ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    separator = fact.get("scope_separator") or " "
    if separator != " ":
        out["scope_separator"] = separator
    if fact.get("pkce") is False:
        out["pkce"] = False
        ctx.notes.append("PKCE off: the reference facts say the provider does not take it.")
    method = fact.get("token_auth_method")
    if method in _CLIENT_AUTH:
        out["client_auth"] = _CLIENT_AUTH[method]
    elif method not in (None, "body"):
        raise Skip(f"client authentication {method!r} is not one of ours")
    if fact.get("body_format") == "json":
        out["body_format"] = "json"
    elif fact.get("body_format") not in (None, "form"):
        raise Skip(f"its token request is sent as {fact['body_format']!r}, not a form or JSON body")
    if fact.get("alternate_access_token_response_path"):
        out["token_path"] = fact["alternate_access_token_response_path"]
    if fact.get("authorization_code_param_in_callback"):
        out["code_param"] = fact["authorization_code_param_in_callback"]
    names = _renamed(fact.get("authorization_url_replacements") or {})
    if names:
        out["authorize_param_names"] = names
    return out


def _renamed(replacements: dict[str, str]) -> dict[str, str]:
    names = {}
    for old, new in replacements.items():
        old, new = old.rstrip("="), new.rstrip("=")
        if old not in _RENAMABLE or not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", new):
            raise Skip(f"the authorize URL renames {old!r}, which the callback relies on")
        names[old] = new
    return names


def fact_text(value: Any) -> str:
    """A facts parameter value as it goes on the wire: JSON's spelling for booleans."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def parameters(fact: dict[str, Any], ctx: Context) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, fact_key, drop in (
        ("authorize_params", "authorization_params", "response_type"),
        ("token_params", "token_params", "grant_type"),
        ("refresh_params", "refresh_params", "grant_type"),
    ):
        given = {k: v for k, v in (fact.get(fact_key) or {}).items() if k != drop}
        if any("${random" in str(v) or "${now" in str(v) for v in given.values()):
            raise Skip(f"{fact_key}: a value made per request (random or time)")
        if given:
            out[key] = {k: ctx.value(fact_text(v)) for k, v in given.items()}
    headers = _token_headers(fact)
    if headers:
        out["token_headers"] = headers
    return out


def _token_headers(fact: dict[str, Any]) -> dict[str, str]:
    headers = {k: v for k, v in (fact.get("token_headers") or {}).items() if k.lower() != "content-type"}
    if any("${" in str(v) for v in headers.values()):
        raise Skip("token_headers carry a credential or a per-request value")
    return {header_name(k): str(v) for k, v in headers.items()}


# -------------------------------------------------------------------- API block and key entries


def header_name(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def api_auth(fact: dict[str, Any], ctx: Context, oauth: bool) -> tuple[dict[str, str], dict[str, str]]:
    """The ``api.auth`` object and the other headers."""
    headers = {k: str(v) for k, v in (fact.get("proxy_headers") or {}).items() if k.lower() != "content-type"}
    auth = _credentialheader_name(fact, headers, oauth)
    rest = {}
    for key, value in headers.items():
        if "${apiKey}" in value or "${accessToken}" in value:
            raise Skip("the credential goes into more than one header")
        rest[header_name(key)] = ctx.value(value)
    return auth, rest


def _credentialheader_name(fact: dict[str, Any], headers: dict[str, str], oauth: bool) -> dict[str, str]:
    """How the credential is sent; its header is taken out of ``headers``."""
    credential = "${accessToken}" if oauth else "${apiKey}"
    ours = "{access_token}" if oauth else "{api_key}"
    carrier = next((k for k, v in headers.items() if credential in v), None)
    if carrier is not None:
        auth = {
            "in": "header",
            "name": header_name(carrier),
            "format": headers.pop(carrier).replace(credential, ours),
        }
    elif oauth:
        auth = {"in": "header", "name": "Authorization", "format": "Bearer {access_token}"}
    elif fact["auth_mode"] == "BASIC":
        auth = {"in": "basic", "name": "Authorization", "format": "{username}:{password}"}
    else:
        raise Skip("the facts do not say how the API key is sent (no header carries it)")
    if "${" in auth["format"]:
        raise Skip("the credential header mixes in values we do not hold")
    return auth


def credential_fields(fact: dict[str, Any]) -> list[dict[str, Any]]:
    given = fact.get("credentials_fields") or {}
    if fact["auth_mode"] == "API_KEY":
        return [_secret("api_key", given.get("apiKey") or {}, "API key")]
    if set(given) != {"username", "password"}:
        raise Skip("basic auth without a documented user name and password")
    user = given["username"]
    secret_user = re.search(
        r"key|token|secret", (user.get("title") or "") + (user.get("description") or ""), re.I
    )
    username = _secret("username", user, "User name") if secret_user else _plain("username", user)
    return [username, _secret("password", given["password"], "Password")]


def _plain(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "label": _label(name, spec) if spec.get("title") else "User name"}
    if spec.get("description"):
        out["help"] = spec["description"].strip()
    return out


def _secret(name: str, spec: dict[str, Any], fallback: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": name,
        "label": _label(name, spec) if spec.get("title") else fallback,
        "type": "password",
        "secret": True,
    }
    pattern = spec.get("pattern")
    if pattern:
        try:
            re.compile(pattern)
            out["pattern"] = pattern
        except re.error:
            pass
    if spec.get("description"):
        out["help"] = spec["description"].strip()
    out["max_length"] = 1024
    return out
