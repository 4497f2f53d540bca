"""Cross checks of an entry's URL templates: what they may name, and where their hosts may go.

The runtime fills ``{name}`` placeholders and checks every rendered URL against the entry's
``allowed_host_suffixes`` before it sends anything (``byoc.oauth.protocol``). These checks run
on the data instead, so that a template naming a missing value, or a host that could leave the
provider's domain, fails the tests and ``make registry`` rather than a customer's request.
Each function returns problems as ``"<key>: <what is wrong>"`` lines (an empty list when fine).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from byoc.oauth.registry import render_template, template_fields

if TYPE_CHECKING:
    from registry.schema import FieldModel, OAuthModel, ProviderModel

# What OpenID discovery (``discovery: true``) stores in the org's config for the templates.
DISCOVERED = ("authorization_endpoint", "token_endpoint", "revocation_endpoint")
URL_KEYS = ("authorize_url", "token_url", "refresh_url", "introspection_url")
PARAM_KEYS = ("authorize_params", "token_params", "refresh_params", "token_headers")
_PLACEHOLDER = re.compile(r"\{[a-z_][a-z0-9_]*\}")
# Characters that end a host: a value holding one could move the rest of the URL out of it.
_HOST_BREAKERS = "/?#@:\\"


def metadata_names(oauth: OAuthModel) -> set[str]:
    """The metadata names an entry keeps (from the token response, the callback, its lookups)."""
    return {m.name for m in oauth.metadata}


def template_names(provider: ProviderModel) -> set[str]:
    """The names every template of this entry may use: its non-secret fields and what discovery
    stores (the org's config, known at start). Some templates may use more (``templates``)."""
    names = {f.name for f in provider.fields if not f.secret}
    if provider.oauth is not None and provider.oauth.discovery:
        names |= set(DISCOVERED)
    return names


# What a revocation URL may name besides the config (filled per request: byoc.oauth.revocation).
REVOCATION_NAMES = frozenset({"client_id", "token"})


def templates(oauth: OAuthModel) -> list[tuple[str, str, frozenset[str]]]:
    """(key, template, names it may use beyond the config) for every URL and parameter value that
    may hold placeholders. A lookup runs after the exchange: it may name metadata and the token."""
    found: list[tuple[str, str, frozenset[str]]] = [
        (key, getattr(oauth, key), frozenset()) for key in URL_KEYS if getattr(oauth, key)
    ]
    if oauth.revocation is not None and oauth.revocation.url:
        found.append(("revocation.url", oauth.revocation.url, REVOCATION_NAMES))
    after = frozenset(metadata_names(oauth) | {"access_token"})
    found += [(f"lookups[{x.id}].url", x.url, after) for x in oauth.lookups]
    for key in PARAM_KEYS:
        found += [(f"{key}.{name}", value, frozenset()) for name, value in getattr(oauth, key).items()]
    return found


def is_url_key(key: str) -> bool:
    return key in URL_KEYS or key == "revocation.url" or key.startswith("lookups[")


def name_problems(key: str, template: str, names: set[str], secret: set[str]) -> list[str]:
    """Placeholders naming nothing available (or a secret), and braces that are no placeholder."""
    problems = []
    for name in sorted(template_fields(template) - names):
        why = "a secret field (never put in a URL)" if name in secret else "no field or metadata name"
        problems.append(f"{key}: {{{name}}} names {why} of this entry")
    if "{" in _PLACEHOLDER.sub("", template) or "}" in _PLACEHOLDER.sub("", template):
        problems.append(f"{key}: holds a brace that is no {{name}} placeholder (lower case, digits, _)")
    return problems


def under(host: str, suffixes: Iterable[str]) -> bool:
    """The runtime's rule (``byoc.outbound``): the host is a suffix or a subdomain of one."""
    host = host.lower()
    return any(host == s.lower() or host.endswith("." + s.lower()) for s in suffixes)


def url_host(template: str) -> str | None:
    """The host part of an ``https://`` template (port left out), or None when it has none."""
    if not template.startswith("https://"):
        return None
    netloc = re.split(r"[/?#]", template[len("https://") :], maxsplit=1)[0]
    return re.sub(r":[0-9]+$", "", netloc)


def host_problems(key: str, template: str, oauth: OAuthModel, fields: Mapping[str, FieldModel]) -> list[str]:
    """A ``host_rule: suffix`` template must start with https:// and its host stay under the suffixes.

    A fixed host is compared as it is; a host templated only by ``select`` fields is rendered
    with every option; a free-text placeholder needs a fixed tail under the suffixes (``{x}.zendesk.com``)
    or, when it is the whole host, a pattern anchored on one; either way its pattern must
    refuse the characters that end a host.
    """
    host = url_host(template)
    suffixes = oauth.allowed_host_suffixes
    if host is None:
        return [f"{key}: must start with https:// (host_rule suffix)"]
    names = sorted(template_fields(host))
    if "@" in host:
        return [f"{key}: a host with user info ({host}) is never allowed"]
    if not names:
        return [] if under(host, suffixes) else [f"{key}: host {host} is not under {_listed(suffixes)}"]
    return _templated_host_problems(key, host, names, oauth, fields)


def _templated_host_problems(
    key: str, host: str, names: Sequence[str], oauth: OAuthModel, fields: Mapping[str, FieldModel]
) -> list[str]:
    suffixes = oauth.allowed_host_suffixes
    unchecked = [n for n in names if n not in fields]
    if unchecked:
        return [f"{key}: {{{unchecked[0]}}} in a host must be a field (with a pattern or options)"]
    free = [n for n in names if fields[n].type != "select"]
    if not free:
        return _rendered_problems(key, host, names, oauth, fields)
    tail = host[host.rindex("}") + 1 :]
    if tail.startswith(".") and under(tail[1:], suffixes):
        return [p for n in free for p in _free_label_problems(key, fields[n], whole=False, suffixes=())]
    if host == "{" + free[0] + "}":
        return _free_label_problems(key, fields[free[0]], whole=True, suffixes=suffixes)
    return [f"{key}: the fixed end of host {host} ({tail or 'none'}) is not under {_listed(suffixes)}"]


def _rendered_problems(
    key: str, host: str, names: Sequence[str], oauth: OAuthModel, fields: Mapping[str, FieldModel]
) -> list[str]:
    """Every host the ``select`` fields' options render to, checked (``template_values`` applied)."""
    problems = []
    choices = [[(n, o) for o in fields[n].options or ()] for n in names]
    for combination in itertools.product(*choices):
        values = {n: oauth.template_values.get(n, {}).get(o, o) for n, o in combination}
        rendered = render_template(host, values)
        if any(c in rendered for c in _HOST_BREAKERS) or not under(rendered, oauth.allowed_host_suffixes):
            given = ", ".join(f"{n}={v!r}" for n, v in combination)
            problems.append(
                f"{key}: host {rendered} ({given}) is not under {_listed(oauth.allowed_host_suffixes)}"
            )
    return problems


def _free_label_problems(key: str, field: FieldModel, *, whole: bool, suffixes: Sequence[str]) -> list[str]:
    """A free-text value in a host: its pattern must keep it a host name (and, as the whole host,
    one under ``suffixes``: probes just outside them must fail, its example and default pass)."""
    where = f"{key}: {{{field.name}}} shapes the host, so fields[{field.name}]"
    if not field.pattern:
        return [f"{where} needs a pattern"]
    pattern = re.compile(field.pattern)
    let_through = [p for p in _probes(whole, suffixes) if pattern.fullmatch(p)]
    problems = [f"{where}.pattern lets {p!r} through" for p in let_through[:3]]
    if whole:
        samples = [v for v in (field.example, field.default) if v is not None]
        problems += [
            f"{where}: {v!r} is not under {_listed(suffixes)}" for v in samples if not under(v, suffixes)
        ]
    return problems


def _probes(whole: bool, suffixes: Sequence[str]) -> list[str]:
    """Values a host-shaping pattern must refuse: each with a character that ends a host and, for a
    whole host, names just outside the suffixes."""
    if not whole:
        return [f"evil.test{c}x" for c in _HOST_BREAKERS]
    probes = [f"evil.test{c}.{s}" for c in _HOST_BREAKERS for s in suffixes]
    return probes + ["evil.test", *(f"evil{s}" for s in suffixes), *(f"{s}.evil.test" for s in suffixes)]


def _listed(suffixes: Sequence[str]) -> str:
    return "allowed_host_suffixes [" + ", ".join(suffixes) + "]"
