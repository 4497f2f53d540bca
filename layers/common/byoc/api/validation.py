"""The save body's shape (pydantic, ``extra="forbid"``); each field is then checked by ``byoc.oauth.fields``.

Error messages name fields and rules, never the values given: a pasted secret
in the wrong box must not come back in a response or a log line.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from byoc.errors import InvalidRequest

MAX_FIELDS = 32
MAX_SCOPES = 100


class SaveCredentialsBody(BaseModel):
    """``POST /integrations``: which provider, and the values of its fields."""

    model_config = ConfigDict(extra="forbid", strict=True)

    provider: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_-]+$", examples=["zendesk"])
    credentials: dict[str, str] = Field(
        max_length=MAX_FIELDS,
        examples=[{"client_id": "abc123", "client_secret": "s3cr3t", "subdomain": "acme"}],
    )
    scopes: list[str] | None = Field(
        default=None,
        max_length=MAX_SCOPES,
        description="The scopes to ask for (OAuth entries); omitted keeps the saved choice, "
        "or the entry's defaults for a new record.",
        examples=[["chat:write", "channels:read"]],
    )
    user_scopes: list[str] | None = Field(
        default=None,
        max_length=MAX_SCOPES,
        description="Slack's user-token scopes (user_scope); omitted keeps the saved choice.",
        examples=[["search:read"]],
    )

    def scope_choices(self) -> dict[str, list[str]]:
        """The scope sets the body names, by set name."""
        chosen = {"scopes": self.scopes, "user_scopes": self.user_scopes}
        return {name: value for name, value in chosen.items() if value is not None}


def parse_save_body(raw: Any) -> SaveCredentialsBody:
    try:
        return SaveCredentialsBody.model_validate(raw)
    except ValidationError as exc:
        places = sorted({".".join(str(p) for p in error["loc"]) or "body" for error in exc.errors()})
        raise InvalidRequest(
            'The body must be {"provider": string, "credentials": {name: string}, '
            '"scopes"?: [string], "user_scopes"?: [string]} '
            f"with no other fields; check: {', '.join(places)}."
        ) from None
