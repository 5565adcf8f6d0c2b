"""The public board's "我要反映" form: its fields, checked one by one for the citizen.

The JSON API (``POST /api/requests``) answers a program with one error; a person filling in
the board's form needs each refused field named next to it, in Chinese and English, and the
form back with everything typed. This module checks the typed values and builds the
:class:`~zhengwu.servicedesk.schemas.RequestIntake` the service takes in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from pydantic import ValidationError

from zhengwu.privacy.phones import PhoneError, normalise_callback_phone
from zhengwu.servicedesk.schemas import MAX_TEXT, RequestIntake

FIELDS = ("text", "category_code", "address", "citizen_name", "citizen_phone", "private")
TEXT_MIN = 2  # characters once surrounding blanks are trimmed

FieldErrors = dict[str, tuple[str, str]]

# What the form says next to a field it refuses (Chinese, then English).
MESSAGES: dict[str, tuple[str, str]] = {
    "text": (
        f"请描述问题，{TEXT_MIN} 到 {MAX_TEXT} 个字（什么事、在哪里）",
        f"describe the problem in {TEXT_MIN} to {MAX_TEXT} characters (what, where)",
    ),
    "category_code": ("请从列表中选择分类", "choose a category from the list"),
    "address": ("地点最多 256 个字", "the place is at most 256 characters"),
    "citizen_name": ("姓名最多 64 个字", "the name is at most 64 characters"),
    "citizen_phone": (
        "电话号码无效：手机写 11 位，座机带区号，如 0371-66661234",
        "not a phone number: a mobile has 11 digits, a landline its area code, e.g. 0371-66661234",
    ),
}


def typed_values(form: Mapping[str, object]) -> dict[str, str]:
    """Return the form's fields as typed (missing ones as ""), to check and to show again."""
    return {k: v if isinstance(v := form.get(k), str) else "" for k in FIELDS}


def check(
    values: Mapping[str, str], *, categories: Collection[str]
) -> tuple[RequestIntake | None, FieldErrors]:
    """Return the intake of a public form (source ``form``), or the errors of its fields.

    ``categories`` are the codes the form offers; an empty choice leaves the category to
    the classifier. The citizen chooses whether the request shows on the board: it does
    (masked) unless they tick 不公开 (``private=1``).
    """
    errors: FieldErrors = {}
    data: dict[str, object] = {"source": "form", "public": values.get("private", "") != "1"}
    text = values.get("text", "").strip()
    if len(text) < TEXT_MIN or len(text) > MAX_TEXT:
        errors["text"] = MESSAGES["text"]
    data["text"] = text
    category = values.get("category_code", "").strip()
    if category and category not in categories:
        errors["category_code"] = MESSAGES["category_code"]
    phone = values.get("citizen_phone", "").strip()
    if phone:
        try:
            data["citizen_phone"] = normalise_callback_phone(phone)
        except PhoneError:
            errors["citizen_phone"] = MESSAGES["citizen_phone"]
    for key in ("category_code", "address", "citizen_name"):
        if value := values.get(key, "").strip():
            data[key] = value
    try:
        intake = RequestIntake.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error.get("loc") else "text"
            errors.setdefault(field, MESSAGES.get(field, MESSAGES["text"]))
        return None, errors
    return (None, errors) if errors else (intake, errors)
