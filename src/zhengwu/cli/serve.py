"""``zhengwu serve``: the web console, public pages, JSON API and Open311 in one server."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from zhengwu.cli.common import console, handle_errors

if TYPE_CHECKING:
    from zhengwu.jobs.runner import Worker

WORKER_STOP_SECONDS = 30  # how long the server waits for the worker's step in progress


@handle_errors
def serve_command(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="server processes")] = 1,
    worker: Annotated[
        bool | None,
        typer.Option(
            "--worker/--no-worker",
            help="run the periodic jobs (`zhengwu worker`) in a background thread; "
            "default ZHENGWU_WORKER_IN_SERVER (on)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Start the server (console at /, API docs at /docs, Open311 at /open311/v2/).

    The periodic jobs (`zhengwu worker`) run in a background thread of this process.

    Use --no-worker when a separate `zhengwu worker` runs them.

    Example: zhengwu serve --host 0.0.0.0 --port 8000
    Example: zhengwu serve --no-worker   (with `zhengwu worker` in its own service)
    """
    from zhengwu.db.engine import get_engine
    from zhengwu.db.restore import refuse_pending
    from zhengwu.servicedesk import deadlines

    refuse_taken_port(host, port)
    unmigrated = get_engine(migrate=False)
    refuse_pending(unmigrated)  # a copied backup: `zhengwu db restore` first
    unmigrated.dispose()
    # The desk calendar: an unreadable file stops the start; a provisional year is logged.
    deadlines.warn_at_start()
    background = background_worker(worker)
    if background is not None:
        names = ", ".join(job.name for job in background.jobs)
        console.print(f"后台任务 / worker (in this process): {names}")
    else:
        console.print("后台任务未在本进程运行 / worker off: run `zhengwu worker` separately")

    def listening() -> None:
        console.print(
            f"zhengwu 正在运行 / serving on http://{host}:{port}  (Ctrl+C 停止 / to stop)"
        )

    if background is None:
        _run_server(host, port, workers, listening)
        return
    from zhengwu.cli.worker import stop_on_signals

    # uvicorn handles Ctrl+C / SIGTERM while it runs, then re-raises the signal to the
    # handler it found: ours stops the worker after its step in progress.
    with stop_on_signals(background):
        thread = background.start_thread()
        try:
            _run_server(host, port, workers, listening)
        finally:
            background.stop()
            thread.join(timeout=WORKER_STOP_SECONDS)
    console.print("后台任务已停止 / worker stopped")


def refuse_taken_port(host: str, port: int) -> None:
    """Refuse, in both languages, an address the server could not listen on.

    Bound and let go at once, as uvicorn binds it (``SO_REUSEADDR``), so a port another
    program holds (another ``zhengwu serve``) stops the start before "serving on …" is
    printed — and before ``zhengwu demo`` simulates — instead of uvicorn's English-only
    ``[Errno 98]`` after it.
    """
    import errno
    import socket

    from zhengwu.errors import InvalidInputError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InvalidInputError(
                    f"端口 {host}:{port} 已被占用（另一个程序在用，也许是另一个 zhengwu "
                    "serve）：请用 --port 换一个端口",
                    f"port {port} on {host} is in use (another program, perhaps another "
                    "zhengwu serve, listens there): choose another with --port",
                ) from exc
            raise InvalidInputError(
                f"无法在 {host}:{port} 上监听：{exc.strerror or exc}（请检查 --host 与 --port）",
                f"cannot listen on {host}:{port}: {exc.strerror or exc} (check --host and --port)",
            ) from exc


def background_worker(worker: bool | None) -> Worker | None:
    """Return the worker the server runs in a thread (None when off), ready to start.

    Built before the server starts, so a bad ZHENGWU_WORKER_* setting stops it here; the
    engine (and its first-use migration) too, not raced by the app and the thread. Every
    model is imported and every mapper configured first: the thread's first query would
    otherwise configure them while uvicorn is still importing the app's model modules.
    """
    from zhengwu.config import get_settings
    from zhengwu.db.engine import get_engine
    from zhengwu.db.models import configure_models
    from zhengwu.jobs.runner import Worker

    configure_models()
    if not (get_settings().worker_in_server if worker is None else worker):
        return None
    return Worker.from_settings(engine=get_engine())


def _run_server(host: str, port: int, workers: int, listening: Callable[[], None]) -> None:
    """Run uvicorn as ``uvicorn.run`` does, calling ``listening`` once connections are taken.

    It was said before uvicorn started: a browser that came while the app was still being
    imported (12 s on a busy machine) met "connection refused" under "serving on …". One
    process: once the server's startup is done and its socket listens. Several: once the
    shared socket listens — connections wait in its queue until a process takes them.
    """
    import socket
    import sys

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    class AnnouncingServer(uvicorn.Server):
        """A uvicorn server that says it is serving once its startup is done."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:  # not when the app's startup failed
                listening()

    config = uvicorn.Config(
        "zhengwu.web.app:create_app", factory=True, host=host, port=port, workers=workers,
        log_level="warning",
    )  # fmt: skip
    try:
        if workers > 1:
            sock = config.bind_socket()
            sock.listen(config.backlog)
            listening()
            Multiprocess(config, sockets=[sock]).run()
            return
        server = AnnouncingServer(config)
        server.run()
    except KeyboardInterrupt:  # Ctrl+C, handed on by uvicorn once it stopped
        return
    if not server.started:
        sys.exit(3)  # uvicorn's STARTUP_FAILURE, as uvicorn.run exits
