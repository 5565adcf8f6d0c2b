"""Helpers shared by CLI commands: consoles, clean errors, output paths, dates, JSON output,
progress bars."""

from __future__ import annotations

import errno
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from zhengwu.errors import InvalidInputError, ZhengwuError

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

ORG_HELP = (
    "organisation: its id, code (org_id of the list) or exact name; #ID, code:CODE or "
    "name:NAME when one ref names several (机构：编号、代码或全称)"
)
# Every ``--org`` of the CLI: resolved by :func:`org_id`, so all take the same forms.
OrgOption = Annotated[str, typer.Option("--org", help=ORG_HELP)]


def org_id(session: Any, ref: str) -> int:
    """Return the id of the organisation ``ref`` names (id, code or exact name).

    Raises a bilingual NotFoundError when none does, and InvalidInputError listing the
    candidates when several do (:func:`zhengwu.accounts.service.resolve_organization`).
    """
    from zhengwu.accounts.service import resolve_organization

    return resolve_organization(session, ref).id


# Chinese for the operating-system errors a command line meets; others keep the OS wording.
_ERRNO_ZH = {
    errno.ENOENT: "文件或目录不存在",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.EISDIR: "这是一个目录，不是文件",
    errno.EEXIST: "已存在同名文件",
    errno.EACCES: "没有权限",
    errno.EPERM: "不允许的操作",
    errno.EROFS: "只读文件系统",
    errno.ENOSPC: "磁盘空间不足",
}


def os_reason(exc: OSError) -> tuple[str, str]:
    """Return why an operating-system call failed, in Chinese and in English."""
    reason_en = exc.strerror or type(exc).__name__
    return _ERRNO_ZH.get(exc.errno or -1, reason_en), reason_en


def os_error(exc: OSError) -> InvalidInputError:
    """Return an operating-system error (missing file, no permission …) as a bilingual error."""
    where = exc.filename if exc.filename is not None else ""
    reason_zh, reason_en = os_reason(exc)
    if where:
        return InvalidInputError(
            f"无法访问 {where}：{reason_zh}", f"cannot use {where}: {reason_en}"
        )
    return InvalidInputError(f"输入输出错误：{reason_zh}", f"input/output error: {reason_en}")


def _print_error(exc: ZhengwuError) -> None:
    err_console.print(
        f"[bold red]错误[/]：{escape(exc.message_zh)}", highlight=False, soft_wrap=True
    )
    if exc.message_en != exc.message_zh:
        err_console.print(
            f"[bold red]Error[/]: {escape(exc.message_en)}", highlight=False, soft_wrap=True
        )


def _context() -> Any:
    """Return the Click context of the command running now, or None outside one."""
    try:  # Typer carries its own copy of Click (0.29 here); an older one runs on Click itself
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - depends on the installed Typer
        from click import get_current_context  # type: ignore[no-redef]
    return get_current_context(silent=True)


_JSON_ERROR_FIELDS = "zhengwu.json_error_fields"


def json_error_fields(fields: dict[str, Any]) -> None:
    """Give the JSON line :func:`handle_errors` prints for a failed ``--json`` command these
    keys too, before the error's (``import``: its summary with the counts at 0)."""
    ctx = _context()
    if ctx is not None:
        ctx.meta[_JSON_ERROR_FIELDS] = fields


def _json_requested(ctx: Any) -> bool:
    """Tell whether the running command has a ``--json`` option and was given it."""
    return ctx is not None and any(
        "--json" in getattr(param, "opts", ()) and ctx.params.get(param.name)
        for param in ctx.command.params
    )


def fail(exc: ZhengwuError, code: int) -> typer.Exit:
    """Print ``exc`` in Chinese and English on stderr and, when the command was given
    ``--json``, as the API gives it on stdout (one JSON line: ``error``, ``status``,
    ``message_zh``, ``message_en``); return the exit to raise."""
    _print_error(exc)
    ctx = _context()
    if _json_requested(ctx):
        print_json(ctx.meta.get(_JSON_ERROR_FIELDS, {}) | exc.to_dict())
    return typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn a :class:`ZhengwuError` or an :class:`OSError` into a bilingual message, exit 2.

    An OSError (a file that cannot be read or written) names the path and the reason, so
    no command prints a traceback for a bad ``--out``, ``--csv`` or input path. A database
    that cannot be reached or opened (a wrong ``ZHENGWU_DATABASE_URL``, a server that is
    down) is a bilingual message too, exit 1 (:func:`database_error`). Under ``--json`` each
    of these is also one JSON line on stdout, the error as the API gives it (:func:`fail`),
    so a script reading the last line always gets an object; a bug keeps its traceback.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ZhengwuError as exc:
            raise fail(exc, 2) from None
        except BrokenPipeError:
            raise typer.Exit(1) from None  # the reader (e.g. `| head`) went away: nothing to say
        except OSError as exc:
            raise fail(os_error(exc), 2) from None
        except Exception as exc:
            invalid = validation_error(exc)
            if invalid is not None:  # an option a model refuses (--adcode 岳麓区): no traceback
                raise fail(invalid, 2) from None
            unusable = database_error(exc)
            if unusable is not None:
                raise fail(unusable, 1) from None
            if not _out_of_memory(exc):
                raise
            raise fail(memory_error(exc), 1) from None

    return wrapper  # type: ignore[return-value]


def validation_error(exc: BaseException) -> ZhengwuError | None:
    """Return a pydantic ValidationError (a value a command passes into a model) as a
    bilingual error naming the field and why; None for anything else. Read without
    importing pydantic."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is None or not isinstance(exc, pydantic.ValidationError):
        return None
    from zhengwu.validation_text import message_en, message_zh

    parts_zh, parts_en = [], []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "?"
        shown = f"{field}={error['input']!r}" if isinstance(error.get("input"), str) else field
        parts_zh.append(f"{shown}：{message_zh(error)}")
        parts_en.append(f"{shown}: {message_en(error)}")
    return InvalidInputError(
        "取值无效 " + "；".join(parts_zh), "invalid value " + "; ".join(parts_en)
    )


def _out_of_memory(exc: BaseException) -> bool:
    """Tell whether ``exc`` is DuckDB's out-of-memory error (without importing DuckDB)."""
    duckdb = sys.modules.get("duckdb")
    return duckdb is not None and isinstance(exc, duckdb.OutOfMemoryException)


def database_error(exc: BaseException) -> ZhengwuError | None:
    """Return a database that cannot be used as a bilingual error; None for anything else.

    SQLAlchemy's ``OperationalError`` and ``InterfaceError`` (connection refused, unknown
    host, failed login, a SQLite file that cannot be opened, a lock held too long) say
    something about the database's address or state, not about the command: the operator
    gets the driver's first line and where to look instead of a traceback. Read without
    importing SQLAlchemy (the CLI starts without it).
    """
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is None or not isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return None
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return ZhengwuError(
        f"数据库无法使用：{first}；请检查数据库地址（ZHENGWU_DATABASE_URL 或命令中给出的地址）"
        "以及数据库服务是否在运行",
        f"the database cannot be used: {first}; check its address (ZHENGWU_DATABASE_URL or "
        "the one given to the command) and that the database server is running",
    )


def memory_error(exc: BaseException) -> ZhengwuError:
    """Return DuckDB running out of its memory limit as a bilingual error naming the setting.

    The command can run again once the limit is raised: imports are idempotent, and an
    index run stores its results only when it completes.
    """
    from zhengwu.config import get_settings  # here: the CLI starts without the settings

    limit = get_settings().analytics_memory_limit
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ZhengwuError(
        f"分析库内存不足（ZHENGWU_ANALYTICS_MEMORY_LIMIT={limit}）：请调高该上限后重新运行"
        f"（导入可安全重跑）。DuckDB：{first}",
        f"the analytics store ran out of memory (ZHENGWU_ANALYTICS_MEMORY_LIMIT={limit}): raise "
        f"the limit and run the command again (re-running an import is safe). DuckDB: {first}",
    )


def check_output(path: Path, option: str) -> None:
    """Refuse an output file whose directory does not exist or that is itself a directory.

    Output files (``--out``, ``--csv``, ``--xlsx``) are written into an existing directory;
    no directory is created for them, so a typo in the path fails at once, before any work.
    """
    parent = path.parent
    if path.is_dir():
        raise InvalidInputError(
            f"{option} 指向一个目录，应为文件：{path}",
            f"{option} is a directory, not a file: {path}",
        )
    if not parent.exists():
        raise InvalidInputError(
            f"{option} 的目录不存在：{parent}（请先创建）",
            f"{option}: directory does not exist: {parent} (create it first)",
        )
    if not parent.is_dir():
        raise InvalidInputError(
            f"{option} 的上级不是目录：{parent}", f"{option}: not a directory: {parent}"
        )


def parse_date(text: str | None, option: str) -> date | None:
    """Parse ``YYYY-MM-DD`` given to ``option``; a bad or impossible date is a bilingual error."""
    if text is None or text == "":
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(
            f"{option} 不是有效日期：{text!r}（应为 YYYY-MM-DD，例如 2025-09-30）",
            f"{option}: invalid date {text!r} (expected YYYY-MM-DD, e.g. 2025-09-30)",
        ) from None


def print_json(value: Any) -> None:
    """Print one JSON value on a line of its own (for scripts)."""
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode() + "\n")
    sys.stdout.flush()


def print_refused(refused: list[str], shown: int) -> None:
    """Print the first ``shown`` refused rows of an import or its dry run (each "where:
    why"), and how many more there are (``--json`` lists every one)."""
    for where_why in refused[:shown]:
        console.print(f"  · {where_why}", markup=False, highlight=False)
    if len(refused) > shown:
        more = len(refused) - shown
        console.print(f"  … 另有 {more} 行 and {more} more rows (--json lists every one)")


class ProgressBar:
    """A running progress bar: :meth:`advance` it by a count, :meth:`set_total` once known."""

    def __init__(self, progress: Any, task: Any) -> None:
        self._progress, self._task = progress, task

    def advance(self, n: int) -> None:
        """Count ``n`` more items done."""
        self._progress.advance(self._task, n)

    def set_total(self, total: int) -> None:
        """Give the bar its total (it only counted until then)."""
        self._progress.update(self._task, total=total)


@contextmanager
def progress_bar(
    description: str, *, total: int | None = None, disable: bool = False,
    to: Console | None = None,
) -> Iterator[ProgressBar]:  # fmt: skip
    """Show a Rich progress bar on stderr while a long step runs.

    The bar counts items (done / total, elapsed and remaining time); with ``total``
    None it only counts until :meth:`ProgressBar.set_total`. It is drawn on stderr and
    cleared at the end, so stdout keeps only the results (a ``--json`` line stays
    parseable); ``disable`` hides it (``--json``). ``to``: another console than stderr's.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(),
    )  # fmt: skip
    shown_on = to or err_console
    # Not drawn where the console is no terminal: rich's Progress then only ends with an
    # empty line, which stood above what is printed next (warnings, results).
    hidden = disable or not shown_on.is_interactive
    with Progress(*columns, console=shown_on, transient=True, disable=hidden) as progress:
        yield ProgressBar(progress, progress.add_task(description, total=total))
