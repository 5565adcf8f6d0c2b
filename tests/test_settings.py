"""Invalid settings stop a command with one bilingual line naming the variable."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from zhengwu.cli.main import app
from zhengwu.config import get_settings
from zhengwu.errors import InvalidInputError


def test_a_bad_setting_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENGWU_WORKER_JOBS", "search-refresh")  # not a JSON list
    monkeypatch.setenv("ZHENGWU_PUBLIC_PHONES", "0371-12345,abc")
    get_settings.cache_clear()
    with pytest.raises(InvalidInputError) as caught:
        get_settings()
    message = caught.value.message_en
    assert message.startswith("invalid setting ")
    assert "ZHENGWU_WORKER_JOBS: Input should be a valid list" in message
    assert "ZHENGWU_PUBLIC_PHONES: " in message and "not a phone number: 'abc'" in message
    assert caught.value.message_zh.startswith("配置有误 ")


@pytest.mark.parametrize(
    ("variable", "value", "zh", "en"),
    [
        ("ZHENGWU_WORKER_IN_SERVER", "maybe", "应为是或否（true / false）", "a valid boolean"),
        ("ZHENGWU_IMPORT_WORKERS", "-1", "不能小于 0", "greater than or equal to 0"),
        ("ZHENGWU_OUTBOX_CONNECTOR", "gateway", "应为以下之一：'none' 或 'file'", "'none' or 'file'"),
        ("ZHENGWU_WORKER_INTERVALS", '{"search-refresh": "often"}', "应为数字", "a valid number"),
        ("ZHENGWU_DESK_HOME_ADCODE", "999999", "不是已知的行政区划代码", "not a known division"),
    ],
)  # fmt: skip
def test_a_bad_value_says_why_in_chinese_and_in_english(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, zh: str, en: str
) -> None:
    """Pydantic's own checks (a boolean, a range, a choice) gave its English reason in the
    Chinese half too (配置有误 ZHENGWU_WORKER_IN_SERVER: Input should be a valid boolean)."""
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    with pytest.raises(InvalidInputError) as caught:
        get_settings()
    assert (
        caught.value.message_zh
        == f"配置有误 {variable}：{caught.value.message_zh.split('：', 1)[1]}"
    )
    assert zh in caught.value.message_zh and not re.search(r"[A-Z][a-z]+ ", caught.value.message_zh)
    assert en not in caught.value.message_zh  # only the Chinese half of a bilingual reason
    assert caught.value.message_en.startswith(f"invalid setting {variable}: ")
    assert en in caught.value.message_en and "Value error" not in caught.value.message_en
    assert not re.search(r"[\u4e00-\u9fff]", caught.value.message_en)
    get_settings.cache_clear()


@pytest.mark.parametrize("value", ["4GB", "8 GiB", "512MB", "50%", "12.5%"])
def test_an_analytics_memory_limit_in_duckdb_units(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ZHENGWU_ANALYTICS_MEMORY_LIMIT", value)
    get_settings.cache_clear()
    assert get_settings().analytics_memory_limit == value.replace(" ", "")
    get_settings.cache_clear()


@pytest.mark.parametrize("value", ["4", "lots", "0%", "150%", "4GB; DROP TABLE posts", "-1GB"])
def test_a_bad_analytics_memory_limit_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ZHENGWU_ANALYTICS_MEMORY_LIMIT", value)
    get_settings.cache_clear()
    with pytest.raises(InvalidInputError) as caught:
        get_settings()
    assert "ZHENGWU_ANALYTICS_MEMORY_LIMIT" in caught.value.message_en
    assert "a memory limit is an amount such as 4GB" in caught.value.message_en
    get_settings.cache_clear()


def test_the_cli_prints_it_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENGWU_PUBLIC_PHONES", "abc")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["store", "stats"])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert "配置有误 ZHENGWU_PUBLIC_PHONES" in output and "invalid setting" in output
    assert "Traceback" not in output and "ValidationError" not in output


@pytest.mark.parametrize(
    "value",
    [
        "dev-only-insecure-secret", "change-me", "CHANGEME", "short",
        " " * 40,  # whitespace is no key: a key of spaces passed the length check
        "short-key" + " " * 30,  # nor a short key padded with it (an env file's trailing blanks)
        "\t dev-only-insecure-secret \t" + " " * 10,
        "  ".join("abcdefghijklmnop"),  # 16 characters between the spaces
    ],
)  # fmt: skip
def test_production_refuses_a_placeholder_or_short_secret(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """The operations guide's sample file says ``ZHENGWU_SECRET_KEY=change-me``: production
    took it (only the built-in default was refused), so a copied sample served as is."""
    monkeypatch.setenv("ZHENGWU_ENV", "production")
    monkeypatch.setenv("ZHENGWU_SECRET_KEY", value)
    get_settings.cache_clear()
    with pytest.raises(InvalidInputError) as caught:
        get_settings()
    assert "ZHENGWU_SECRET_KEY" in caught.value.message_en
    assert "secrets.token_urlsafe" in caught.value.message_en
    assert "生产环境" in caught.value.message_zh
    monkeypatch.setenv("ZHENGWU_SECRET_KEY", "k3Q9v0-Zx8tY2mLw7pR4sN1aB6cD5eF0gH2jK8lM")
    get_settings.cache_clear()
    assert get_settings().env == "production"  # a generated key is taken
    get_settings.cache_clear()
