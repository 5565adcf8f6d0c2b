"""``zhengwu serve``: the web console, public pages, JSON API and Open311 in one server."""

from __future__ import annotations

from typing import Annotated

import typer

from zhengwu.cli.common import console, handle_errors


@handle_errors
def serve_command(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="server processes")] = 1,
) -> None:
    """Start the server (console at /, API docs at /docs, Open311 at /open311/v2/).

    Example: zhengwu serve --host 0.0.0.0 --port 8000
    """
    import uvicorn

    console.print(f"zhengwu 正在运行 / serving on http://{host}:{port}  (Ctrl+C 停止 / to stop)")
    uvicorn.run(
        "zhengwu.web.app:create_app", factory=True, host=host, port=port, workers=workers,
        log_level="warning",
    )  # fmt: skip
