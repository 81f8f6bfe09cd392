"""The `kspolicy serve` command's options and its start, for tools/cli.py.

Importing this module needs none of the service's libraries: `kspolicy --help` works
without the extra, and `kspolicy serve` without it says how to install it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..diagnostics import KspolicyError
from ..limits import Limits
from . import core

MISSING = (
    "kspolicy serve needs the service's libraries (Litestar, uvicorn): "
    "pip install 'kspolicy[service]'"
)


def add_arguments(command: argparse.ArgumentParser) -> None:
    """The options of `kspolicy serve` (docs/service.md)."""
    command.add_argument(
        "--policy",
        type=Path,
        metavar="DIR",
        help="policy directory or .pol file (default: the built-in pack)",
    )
    command.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    command.add_argument("--port", type=int, default=8181, help="port to listen on (8181)")
    command.add_argument(
        "--audit-log", type=Path, metavar="FILE", help="append every decision to this audit log"
    )
    command.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help="a file whose first line is the bearer token POST /v1/policy/reload needs",
    )
    command.add_argument(
        "--grace",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="on SIGTERM, how long requests in flight may take to finish (30)",
    )
    command.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    command.add_argument(
        "--no-access-log", action="store_true", help="do not log each request (JSON lines)"
    )
    command.add_argument(
        "--check",
        action="store_true",
        help="load the policy and check every option, then exit without serving",
    )


def run(args: argparse.Namespace, limits: Limits, root: Path | None) -> int:
    """Start the service as the options say; returns the exit code when it stops."""
    # Every file an option names is checked before the service listens, in words.
    if args.token_file is not None:
        core.read_token(args.token_file)
    if args.audit_log is not None:
        core.check_audit_log(args.audit_log)
    try:
        from . import app, server
    except ImportError as exc:
        raise KspolicyError(f"{MISSING} ({exc.name} is missing)") from None
    config = app.ServiceConfig(
        policy=args.policy,
        limits=limits,
        root=root,
        audit_log=args.audit_log,
        token_file=args.token_file,
    )
    if args.check:
        _, service = app.asgi(config)  # loads the policy: PolicyError if it has errors
        service.close()
        print(f"kspolicy serve: {service.holder.current.policy.name} loads; the options are good")
        return 0
    return server.serve(
        config,
        host=args.host,
        port=args.port,
        grace=args.grace,
        log_level=args.log_level,
        access_log=not args.no_access_log,
    )
