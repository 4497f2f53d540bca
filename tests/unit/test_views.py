"""What the API shows of a client id: recognisable, never most of it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from byoc.api.views import mask_client_id


@pytest.mark.parametrize(
    ("client_id", "masked"),
    [
        ("abc", "•••…c"),
        ("abcdefghi", "a…hi"),  # 9 characters: 3 shown, not 8
        ("gl-client-123456", "gl…456"),
        ("1234567890-abcdefghijklmnop.apps.googleusercontent.com", "1234….com"),
    ],
)
def test_a_client_id_is_masked_by_proportion(client_id: str, masked: str) -> None:
    assert mask_client_id(client_id) == masked


def test_an_id_too_short_to_show_any_of_shows_none() -> None:
    assert mask_client_id("ab") == "•••"
    assert mask_client_id("") is None and mask_client_id(None) is None


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=200))
def test_at_most_a_third_and_at_most_eight_characters_are_shown(client_id: str) -> None:
    masked = mask_client_id(client_id)
    assert masked is not None
    shown = masked.replace("•", "").replace("…", "", 1)
    assert len(shown) <= min(8, len(client_id) // 3)
    if shown and "…" in masked:
        head, tail = masked.split("…", 1)
        assert client_id.startswith(head.replace("•", "")) and client_id.endswith(tail)
