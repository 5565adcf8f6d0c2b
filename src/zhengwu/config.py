"""Typed settings for zhengwu (pydantic-settings, prefix ``ZHENGWU_``).

Every setting is declared here once; nothing else in the code reads ``os.environ``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from zhengwu.errors import InvalidInputError

DEFAULT_SECRET = "dev-only-insecure-secret"
# Sample values production refuses as ZHENGWU_SECRET_KEY (compared lower-case, without - and _).
_PLACEHOLDERS = frozenset({"changeme", "secret", "password", "yoursecretkey", "secretkey"})


# A DuckDB memory_limit: an amount in its units, or a percentage of the machine's RAM.
_MEMORY = re.compile(r"(?i)\d+(\.\d+)?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)")


class Settings(BaseSettings):
    """Settings of one zhengwu deployment."""

    model_config = SettingsConfigDict(env_prefix="ZHENGWU_", env_file=".env", extra="ignore")

    env: str = Field("development", description="development | test | production")
    data_dir: Path = Field(Path("zhengwu-data"), description="SQLite DB, analytics store, models")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the operational DB; default SQLite in data_dir"
    )
    analytics_path: Path | None = Field(
        None, description="DuckDB file of the analytics store; default data_dir/analytics.duckdb"
    )
    secret_key: SecretStr = Field(
        SecretStr(DEFAULT_SECRET),
        description="the deployment's secret key (production: 32+ characters, no sample value)",
    )
    timezone: str = Field("Asia/Shanghai", description="timezone of naive platform timestamps")
    store_read_wait: float = Field(
        3.0,
        ge=0,
        description="seconds a reader waits while an import or index run writes the "
        "analytics store (then: 503 'store busy')",
    )
    store_write_wait: float = Field(
        120.0,
        ge=0,
        description="seconds a writer waits for readers of the analytics store",
    )
    analytics_memory_limit: str = Field(
        "50%",
        description="most memory DuckDB may hold for the analytics store in one process "
        "(DuckDB's own units, e.g. 4GB, 8GiB, or a share of RAM, 50%); beyond it DuckDB "
        "spills to a .tmp directory beside the store, so a large import or index run keeps "
        "to it instead of DuckDB's default of 80% plus what Python holds",
    )
    import_batch_size: int = Field(50_000, ge=1, description="records per analytics write batch")
    import_workers: int = Field(0, ge=0, description="parser processes for imports; 0 = cores")
    unpack_max_bytes: int = Field(
        256 << 30,
        ge=1,
        description="most bytes one compressed input (.gz, .zip, .7z …) may unpack to, all "
        "its members together; counted as they are read",
    )
    unpack_max_ratio: float = Field(
        200.0,
        gt=1,
        description="most times its compressed size a compressed input (a zip member) may "
        "unpack to, past its first MiB",
    )
    unpack_max_members: int = Field(
        500_000, ge=1, description="most files one .zip or .7z archive may hold"
    )
    compliance_window_days: int = Field(14, ge=1, description="国办 veto: days without a post")
    library_max_upload_bytes: int = Field(
        100 * 1024 * 1024, ge=1, description="largest file the content library accepts"
    )
    max_request_bytes: int = Field(
        0,
        ge=0,
        description="largest request body the server reads (413 beyond, before reading it); "
        "0 = the largest upload limit (library, hotline export, sheets) plus 1 MiB",
    )
    distribution_platforms: list[str] = Field(
        ["weibo", "wechat", "douyin"],
        description="platforms with a publishing connector configured for distribution",
    )
    outbox_connector: Literal["none", "file"] = Field(
        "none",
        description="how the worker delivers the outbox: none (messages stay queued until a "
        "platform connector is set up) or file (hand them to a gateway as JSON Lines files)",
    )
    worker_in_server: bool = Field(
        True, description="`zhengwu serve` runs the periodic jobs in a background thread"
    )
    worker_jobs: list[str] | None = Field(
        None, description="names of the periodic jobs the worker runs; default all"
    )
    worker_intervals: dict[str, float] = Field(
        default_factory=dict, description="seconds between runs of a job, by name (overrides)"
    )
    desk_calendar: Path | None = Field(
        None,
        description="the service desk's working-day calendar file (TOML: the State Council's "
        "schedule of years the built-in calendar lacks, local days off); default "
        "<data_dir>/desk-calendar.toml when it exists",
    )
    public_phones: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="published numbers of no single organisation (a 12345 hotline with its "
        "area code, an emergency command centre), comma-separated: readable on public pages",
    )
    deployment_name: str = Field(
        "",
        max_length=64,
        description="the deployment's name in the header and <title> of the public pages "
        "(e.g. 某某市12345); default: zhengwu",
    )
    deployment_contact: str = Field(
        "",
        max_length=200,
        description="a contact line under that name on the public pages (e.g. 服务热线 12345)",
    )

    rescue_help_limit: int = Field(
        5, ge=1, description="help submissions one anonymous client may send per window"
    )
    rescue_help_window_seconds: float = Field(
        600.0, gt=0, description="the window of rescue_help_limit, in seconds"
    )
    rate_limit_store: Literal["database", "memory"] = Field(
        "database",
        description="where rate limits (login attempts, public submissions) are counted: "
        "database (shared by every server process) or memory (each process on its own)",
    )
    migration_lock_timeout: float = Field(
        600.0,
        ge=0,
        description="seconds a process waits for another process's migration lock (an "
        "upgrade, a downgrade, a server starting) before giving up; 0: does not wait",
    )
    desk_home_adcode: str | None = Field(
        None,
        description="the service desk's home region (a division code, e.g. 430100): places "
        "named in requests' texts count only inside it; default: anywhere in China",
    )

    @field_validator("desk_home_adcode", mode="before")
    @classmethod
    def _known_division(cls, value: Any) -> Any:
        # A typo would silently confine every request to the wrong place: stop the start.
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        from zhengwu import regions

        code = str(value).strip()
        current = regions.current_adcode(code) if code.isdigit() and len(code) == 6 else None
        if current is None:
            raise ValueError(
                f"不是已知的行政区划代码（6 位，如 430100）：{code!r} / not a known division "
                f"code (6 digits, e.g. 430100): {code!r}"
            )
        return current

    @field_validator("analytics_memory_limit", mode="before")
    @classmethod
    def _memory_amount(cls, value: Any) -> Any:
        # Checked here so that a typo stops the start with its variable, not a DuckDB
        # parser error in the middle of an import.
        text = str(value).strip().replace(" ", "")
        if not _MEMORY.fullmatch(text) or (text.endswith("%") and not 0 < float(text[:-1]) <= 100):
            raise ValueError(
                f"内存上限应为如 4GB、8GiB 或 50% 的值 / a memory limit is an amount such as "
                f"4GB, 8GiB or 50% of RAM: {value!r}"
            )
        return text

    @field_validator("deployment_name", "deployment_contact", mode="before")
    @classmethod
    def _one_line(cls, value: Any) -> Any:
        # Shown in a header and a <title>: one line, without surrounding spaces.
        return " ".join(value.split()) if isinstance(value, str) else value

    @field_validator("public_phones", mode="before")
    @classmethod
    def _normalise_public_phones(cls, value: Any) -> Any:
        # Comma-separated in the environment ("0371-12345,0371-69690110"), or a JSON list
        # like the other list settings; each number is checked and brought to its normal
        # form, so a typo stops the start with its reason.
        from zhengwu.privacy.phones import parse_phones

        if isinstance(value, str) and value.lstrip().startswith("["):
            value = json.loads(value)
        if isinstance(value, str | list | tuple):
            return parse_phones(value)
        return value

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        """Production refuses the built-in key, a placeholder (the operations guide's sample
        file says ``change-me``) and any key of fewer than 32 characters other than
        whitespace (a key of spaces, or a short one padded with them, is no key)."""
        if self.env != "production":
            return self
        value = self.secret_key.get_secret_value()
        placeholder = value.strip().lower().replace("-", "").replace("_", "") in _PLACEHOLDERS
        if value.strip() == DEFAULT_SECRET or placeholder or len("".join(value.split())) < 32:
            raise ValueError(
                "ZHENGWU_SECRET_KEY 未设置、是示例值或太短（至少 32 个非空白字符）：生产环境不能使用；"
                "可用 python -c 'import secrets; print(secrets.token_urlsafe(48))' 生成 / "
                "set ZHENGWU_SECRET_KEY to a key of at least 32 characters other than "
                "whitespace: production refuses the default, sample values such as change-me "
                "and short keys; generate one "
                "with python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """Return the operational DB URL, defaulting to SQLite inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'zhengwu.db').resolve()}"

    @property
    def resolved_desk_calendar(self) -> Path:
        """Return the desk calendar file's path (it need not exist unless set explicitly)."""
        return self.desk_calendar or self.data_dir / "desk-calendar.toml"

    @property
    def resolved_analytics_path(self) -> Path:
        """Return the DuckDB analytics store path."""
        return self.analytics_path or self.data_dir / "analytics.duckdb"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (cached; tests call ``get_settings.cache_clear``).

    A bad value raises :class:`zhengwu.errors.InvalidInputError` naming the environment
    variable, so the CLI prints one bilingual line (exit 2) instead of a traceback.
    """
    try:
        return Settings()
    except ValidationError as exc:
        raise settings_error(exc) from None


def settings_error(exc: ValidationError) -> InvalidInputError:
    """Return the bilingual error of invalid settings: each variable and what is wrong.

    Pydantic's own checks (a boolean, a number out of range, one of a list) are worded in
    Chinese by :func:`zhengwu.validation_text.message_zh`, the English half keeps pydantic's;
    a validator's own ``中文 / English`` message is split into its halves. The value itself
    is never repeated: it may be the secret key."""
    from zhengwu.validation_text import message_en, message_zh

    problems_zh, problems_en = [], []
    for error in exc.errors():
        loc = error.get("loc") or ()
        # A check of several settings together (the secret key in production) names them
        # itself; pydantic's "Value error, " prefix is no reason.
        name = f"ZHENGWU_{str(loc[0]).upper()}" if loc else ""
        zh, en = message_zh(error), message_en(error).removeprefix("Value error, ")
        problems_zh.append(f"{name}：{zh}" if name else zh)
        problems_en.append(f"{name}: {en}" if name else en)
    return InvalidInputError(
        f"配置有误 {'；'.join(problems_zh)}", f"invalid setting {'; '.join(problems_en)}"
    )
