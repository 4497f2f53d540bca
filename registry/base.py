"""The schema's building blocks: JSON types, the ``Block`` base model, and how problems are raised."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from byoc.oauth.scopes import SCOPE_TOKEN

AuthType = Literal["oauth2", "oauth2_cc", "api_key", "basic"]
# The entries with an ``oauth`` block: the authorization code, and client credentials (RFC 6749 §4.4).
OAUTH_AUTH_TYPES = ("oauth2", "oauth2_cc")
FieldType = Literal["text", "password", "url", "select"]
ClientAuth = Literal["client_secret_basic", "client_secret_post"]
BodyFormat = Literal["form", "json"]
HostRule = Literal["suffix", "public"]
ScopeSeparator = Literal[" ", ",", "+"]

Text = Annotated[str, StringConstraints(min_length=1)]
HttpsUrl = Annotated[str, StringConstraints(pattern=r"^https://[^\s/]+(/\S*)?$")]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")]
# A field's name is the ``{name}`` of the templates: the placeholder syntax.
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]{0,63}$")]
ParamName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
DottedPath = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")]
HostSuffix = Annotated[
    str, StringConstraints(pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
]


def _scope_token(value: str) -> str:
    if not SCOPE_TOKEN.fullmatch(value):
        raise ValueError(f"{value!r} is not an RFC 6749 scope-token (visible ASCII, no space, quote or \\)")
    return value


ScopeToken = Annotated[str, AfterValidator(_scope_token)]


def _raise(problems: list[str]) -> None:
    """One error per block, one line per problem (``registry.compiler`` prefixes each with the entry)."""
    if problems:
        raise ValueError("\n".join(problems))


class Block(BaseModel):
    """Every block of the file: declared keys only, exact JSON types."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
