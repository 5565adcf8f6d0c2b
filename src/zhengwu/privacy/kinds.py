"""The kinds of personal data zhengwu finds, and the shape finders report them in."""

from __future__ import annotations

from typing import Literal

Kind = Literal["phone", "id_card", "plate", "email", "bank_card", "name"]
ALL: frozenset[Kind] = frozenset({"phone", "id_card", "plate", "email", "bank_card", "name"})

#: What a finder yields: the kind and the span ``[start, end)`` in the text.
Found = tuple[Kind, int, int]
