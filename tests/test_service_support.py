"""The real service, started for the service's tests: `kspolicy serve` in a subprocess on a
free loopback port (no mocks, no test client), stopped with SIGTERM as systemd stops it.

It holds no tests itself; test_service*.py use `Served`.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx

from .conftest import ROOT

PACK = ROOT / "policies" / "knowledge-security"
CASES = ROOT / "examples" / "cases"
DRONE = CASES / "drone-technology-with-chinese-university.toml"
TOKEN = "test-token-0123456789abcdef"

_START = "import sys; from kspolicy.tools.cli import main; sys.exit(main(sys.argv[1:]))"


def free_port() -> int:
    """A port nobody listens on now, on the loopback address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def case_json(path: Path) -> dict[str, Any]:
    """A case file as the JSON a client sends (dates as YYYY-MM-DD texts)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    result: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return result


class Served:
    """`kspolicy serve` running on a free port, with an audit log and a token file."""

    def __init__(self, work: Path, *, policy: Path | None = None, audit: bool = True) -> None:
        self.work = work
        self.policy = policy
        self.audit_log = work / "audit.jsonl" if audit else None
        self.token_file = work / "token"
        self.token_file.write_text(TOKEN + "\n", encoding="utf-8")
        self.log = work / "service.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        argv = [sys.executable, "-c", _START, "serve", "--port", str(self.port)]
        argv += ["--token-file", str(self.token_file), "--grace", "10"]
        if policy is not None:
            argv += ["--policy", str(policy)]
        if self.audit_log is not None:
            argv += ["--audit-log", str(self.audit_log)]
        self._log_file = open(self.log, "wb")  # noqa: SIM115 (open while the server runs)
        self.process = subprocess.Popen(
            argv, stdout=self._log_file, stderr=subprocess.STDOUT, env=dict(os.environ)
        )
        # One client for the test's threads (httpx's is thread-safe; a new one per request
        # spends more time making its TLS context than the service takes to answer).
        self.client = httpx.Client(
            base_url=self.url, timeout=60, limits=httpx.Limits(max_connections=16)
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service stopped: {self.log.read_text()}")
            try:
                if self.client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"the service did not start: {self.log.read_text()}")

    def signal(self, number: int) -> None:
        """Send the service a signal (SIGHUP: reload; SIGTERM: stop)."""
        self.process.send_signal(number)

    def stop(self) -> int:
        """Stop it as systemd does (SIGTERM), wait for it; its exit code."""
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=30)
        finally:
            self._log_file.close()
        return code

    def access_log(self) -> list[dict[str, Any]]:
        """The JSON lines the service logged for requests."""
        lines = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("logger") == "kspolicy.service.access":
                    lines.append(entry)
        return lines


_shared: list[Served] = []


def shared(work: Path) -> Served:
    """One service, with no audit log, for the tests that only read from it (the page,
    schemathesis): started once per run, stopped when the run ends."""
    if not _shared:
        server = Served(work, audit=False)
        atexit.register(server.stop)
        _shared.append(server)
    return _shared[0]
