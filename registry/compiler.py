"""providers.json, validated by ``registry.schema``, as the file the layer loads (``make registry``).

The compiled file holds each entry as the keyword arguments of the layer's dataclasses
(``byoc.oauth.registry``): ``client_id`` and ``client_secret`` merged into the fields of every
OAuth entry, the scope keys turned into scope sets, every default of the schema applied, and then
every value equal to its dataclass's own default left out (the dataclass puts it back, so this is
lossless by construction, and a smaller file parses faster). So the runtime loader does no
validation and no reshaping, and needs no schema library. ``source_sha256`` is the hash of the
source it was compiled from: the loader refuses a compiled file that disagrees with the
providers.json beside it (a checkout where someone forgot ``make registry``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import MISSING, asdict, fields
from typing import Any

from pydantic import ValidationError

from byoc.oauth.registry import CLIENT_ID, CLIENT_SECRET, Field, OAuthSpec, Provider
from byoc.oauth.scopes import ScopeSet
from registry import extends
from registry.schema import OAuthModel, ProviderModel, RegistryModel, ScopeKeys

FORMAT = 1
_SCOPE_KEYS = {*ScopeKeys.model_fields, "user_scopes"}


class RegistryInvalid(ValueError):
    """providers.json does not follow the schema; ``problems`` has one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("providers.json is not valid:\n  " + "\n  ".join(problems))
        self.problems = problems


def validate(data: Any) -> RegistryModel:
    """The file as models, or ``RegistryInvalid`` naming each problem's entry id and key."""
    if isinstance(data, dict) and isinstance(data.get("providers"), list):
        try:
            data = {**data, "providers": extends.resolve(data["providers"])}
        except extends.ExtendsProblem as error:
            raise RegistryInvalid(error.problems) from None
    try:
        return RegistryModel.model_validate(data)
    except ValidationError as error:
        raise RegistryInvalid(problems(error, data)) from None


def problems(error: ValidationError, data: Any) -> list[str]:
    """pydantic's errors as ``"<entry id>: <key path>: <message>"`` lines.

    A block's validator words each problem as ``"<key>: <message>"``; that key is joined to the
    block's path (``zoho: fields[region].default: ...``).
    """
    lines = []
    for item in error.errors(include_url=False):
        who, path = _where(data, item["loc"])
        for line in item["msg"].removeprefix("Value error, ").splitlines():
            if path and _KEYED.match(line):
                line = f"{path}.{line}"
            elif path:
                line = f"{path}: {line}"
            lines.append(f"{who}: {line}" if who else line)
    return lines


_KEYED = re.compile(r"^[A-Za-z_][\w.\[\]-]*: ")


def _where(data: Any, loc: tuple[int | str, ...]) -> tuple[str | None, str]:
    """(the entry's id, the key path in it: ``oauth.known_scopes[read].name``, list items by name)."""
    if len(loc) < 2 or loc[0] != "providers" or not isinstance(loc[1], int):
        return None, ".".join(map(str, loc))
    entry = _at(data, loc[:2])
    who = entry.get("id") if isinstance(entry, dict) and isinstance(entry.get("id"), str) else f"#{loc[1]}"
    path = ""
    for depth, part in enumerate(loc[2:], start=2):
        if isinstance(part, int):
            item = _at(data, loc[: depth + 1])
            name = item.get("name") if isinstance(item, dict) else None
            path += f"[{name if isinstance(name, str) else part}]"
        else:
            path += f".{part}" if path else str(part)
    return who, path


def _at(data: Any, loc: tuple[int | str, ...]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _sparse(arguments: dict[str, Any], cls: type) -> dict[str, Any]:
    """The arguments without those equal to the dataclass's default (lists compared as tuples)."""
    defaults = {}
    for spec in fields(cls):
        if spec.default is not MISSING:
            defaults[spec.name] = spec.default
        elif spec.default_factory is not MISSING:
            defaults[spec.name] = spec.default_factory()
    return {
        k: v
        for k, v in arguments.items()
        if k not in defaults or (tuple(v) if isinstance(v, list) else v) != defaults[k]
    }


def compiled_oauth(oauth: OAuthModel) -> dict[str, Any]:
    """``OAuthSpec``'s arguments: the block, its scope keys as ``scope_sets``."""
    separator = oauth.scope_separator
    sets = [oauth.scope_set(name="scopes", param="scope", label="Scopes", separator=separator)]
    if oauth.user_scopes is not None:
        user = oauth.user_scopes
        sets.append(
            user.scope_set(name="user_scopes", param=user.param, label="User scopes", separator=separator)
        )
    scope_sets = [_sparse(s, ScopeSet) for s in sets]
    nested = ("metadata", "lookups", "revocation", "variants")
    dumped = oauth.model_dump(exclude=_SCOPE_KEYS | set(nested))
    # The nested blocks as the source writes them (the loader's parsers read that form).
    for key in nested:
        value = getattr(oauth, key)
        if isinstance(value, list):
            dumped[key] = [v.model_dump(by_alias=True, exclude_none=True) for v in value]
        elif value is not None:
            dumped[key] = value.model_dump(by_alias=True, exclude_none=True)
    return _sparse({**dumped, "scope_sets": scope_sets}, OAuthSpec)


def compiled_provider(provider: ProviderModel) -> dict[str, Any]:
    """``Provider``'s arguments; an OAuth entry's fields start with client_id and client_secret."""
    given = [f.model_dump() for f in provider.fields]
    if provider.oauth is not None:
        given = [asdict(CLIENT_ID), asdict(CLIENT_SECRET), *given]
    arguments = provider.model_dump(exclude={"fields", "oauth", "api", "verify", "verified"})
    arguments["api"] = provider.api.model_dump(by_alias=True) if provider.api is not None else None
    arguments["verify"] = provider.verify.model_dump(exclude_none=True) if provider.verify else None
    arguments["verified"] = provider.verified.model_dump(exclude_none=True, exclude_defaults=True)
    arguments["verified"]["level"] = provider.verified.level
    arguments["fields"] = [_sparse(f, Field) for f in given]
    arguments["oauth"] = compiled_oauth(provider.oauth) if provider.oauth is not None else None
    return _sparse(arguments, Provider)


def compile_source(source: bytes) -> str:
    """The compiled file's text for this providers.json (``RegistryInvalid`` if it is not valid).

    Minified, one entry per line: a change to one entry changes that line and the head's index.
    The head (the first line) holds ``index``: each entry's byte offset and length in the text
    after the head, so a container slices and parses only the entries it uses
    (``byoc.oauth.registry.compiled_lines``). The whole file is still one JSON document.
    """
    model = validate(json.loads(source))
    entries = [_dumps(compiled_provider(p)) for p in model.providers]
    index, offset = {}, 0
    for provider, line in zip(model.providers, entries, strict=True):
        index[provider.id] = [offset, len(line)]
        offset += len(line) + 2  # the ",\n" after it (ASCII: characters are bytes)
    head = {"format": FORMAT, "source_sha256": hashlib.sha256(source).hexdigest(), "index": index}
    return _dumps(head)[:-1] + ',"providers":[\n' + ",\n".join(entries) + "\n]}\n"


def compile_catalogue(compiled: str) -> str:
    """``GET /providers``' body for this compiled registry, with ``BASE_PLACEHOLDER`` for the
    API's URL (``byoc.api.catalog.precomputed``), after a head line naming the source's hash."""
    from byoc.api.catalog import BASE_PLACEHOLDER, catalogue_body
    from byoc.oauth.registry import Registry, compiled_lines

    head, lines = compiled_lines(compiled.encode())
    body = catalogue_body(Registry.from_lines(lines), BASE_PLACEHOLDER)
    return _dumps({"source_sha256": head["source_sha256"]}) + "\n" + body + "\n"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))  # ASCII: the compact str kind parses fastest
