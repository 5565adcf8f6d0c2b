"""Pydantic's errors in Chinese: a "one of" error lists its choices with 、 and 或."""

from __future__ import annotations

import enum
from typing import Literal

import pytest
from pydantic import BaseModel, ValidationError

from zhengwu.validation_text import message_en, message_zh


class _Colour(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class _Closing(BaseModel):
    outcome: Literal["rescued", "relocated", "no_longer_needed", "unreachable"] | None = None
    pair: Literal["yes", "no"] | None = None
    colour: _Colour | None = None
    odd: Literal["a, b", "c or d"] | None = None


@pytest.mark.parametrize(
    ("data", "zh"),
    [
        ({"outcome": "saved"},
         "应为以下之一：'rescued'、'relocated'、'no_longer_needed' 或 'unreachable'"),
        ({"pair": "maybe"}, "应为以下之一：'yes' 或 'no'"),
        ({"colour": "pink"}, "应为以下之一：'red'、'green' 或 'blue'"),
        ({"odd": "e"}, "应为以下之一：'a, b' 或 'c or d'"),  # a value's own comma and or
    ],
)  # fmt: skip
def test_a_one_of_error_says_or_in_chinese(data: dict[str, str], zh: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _Closing.model_validate(data)
    [error] = refused.value.errors()
    assert message_zh(error) == zh
    assert " or " not in message_zh(error).replace("c or d", "")
    assert " or " in message_en(error)  # the English half keeps pydantic's own words
