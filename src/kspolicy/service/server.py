"""Running the service: uvicorn, structured logs, reload on SIGHUP, graceful shutdown.

`serve` loads the policy (a policy with errors stops it before it listens), then serves
until SIGTERM or SIGINT: uvicorn stops accepting connections, lets the requests in flight
finish (up to `grace` seconds), and the app's shutdown writes every audit record still
waiting. SIGHUP loads the policy again, as `POST /v1/policy/reload` does: a policy with
errors is logged and the old one keeps serving. Logs, access logs included, are JSON
lines on standard error.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Any

import uvicorn

from ..diagnostics import KspolicyError, PolicyError
from .app import LOG, JsonLines, ServiceConfig, asgi


def configure_logging(level: str = "info", access: bool = True) -> None:
    """JSON lines on standard error for the service's and uvicorn's loggers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    for name in ("kspolicy.service", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    access_logger = logging.getLogger("kspolicy.service.access")
    access_logger.disabled = not access


def serve(
    config: ServiceConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 8181,
    grace: float = 30,
    log_level: str = "info",
    access_log: bool = True,
) -> int:
    """Serve until stopped; the exit code (0 after a clean shutdown)."""
    configure_logging(log_level, access_log)
    app, service = asgi(config)  # PolicyError here: nothing listens yet
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="on",
            access_log=False,  # ours is structured (app.observed)
            log_config=None,
            log_level=log_level,
            timeout_graceful_shutdown=max(1, round(grace)),
            server_header=False,
            proxy_headers=True,  # X-Forwarded-For from a proxy on this host (docs/service.md)
            forwarded_allow_ips="127.0.0.1",
        )
    )

    async def on_hangup() -> None:
        try:
            await service.reload()
        except (PolicyError, KspolicyError) as exc:
            LOG.error(
                "reload failed; the old policy is still served",
                extra={"fields": {"error": str(exc)}},
            )

    async def main() -> None:
        loop = asyncio.get_running_loop()
        tasks: set[asyncio.Task[Any]] = set()

        def hangup() -> None:
            task = loop.create_task(on_hangup())
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        if hasattr(signal, "SIGHUP"):
            loop.add_signal_handler(signal.SIGHUP, hangup)
        try:
            await server.serve()
        finally:
            service.close()  # idempotent: the app's shutdown has normally done it

    asyncio.run(main())
    return 0 if server.started else 1
