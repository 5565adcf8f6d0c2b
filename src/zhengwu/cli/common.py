"""Helpers shared by CLI commands: consoles, clean errors, JSON output."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
import typer
from rich.console import Console

from zhengwu.errors import ZhengwuError

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn a :class:`ZhengwuError` into a bilingual message on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ZhengwuError as exc:
            err_console.print(f"[bold red]错误[/]：{exc.message_zh}")
            if exc.message_en != exc.message_zh:
                err_console.print(f"[bold red]Error[/]: {exc.message_en}")
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def print_json(value: Any) -> None:
    """Print one JSON value on a line of its own (for scripts)."""
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode() + "\n")
    sys.stdout.flush()
