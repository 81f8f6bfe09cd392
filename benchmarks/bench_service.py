"""The decision service under a bounded loopback load, beside in-process `evaluate`.

    python benchmarks/bench_service.py [--rounds 40] [--clients 4]

Starts `kspolicy serve` (built-in pack, no audit log, no access log) on a free port of
127.0.0.1, then, on the pack's thirteen example cases:

1. latency, in `rounds` interleaved rounds (so that each side sees the same load of this
   shared machine): per case, in process `policy.evaluate(case)`, the same with the
   decision turned into JSON (as the service does), and the service's `POST
   /v1/decisions` from one client on one kept-alive connection;
2. throughput: the service with `clients` clients at once, the same number of requests.

Every request count is fixed; traffic goes to the loopback address only; the service is
stopped at the end. Prints median, p99 and throughput, checks the service's median is at
most 3x the in-process one with zero errors (exit 1 otherwise), and writes the figures
to benchmarks/results/service-<time>.json.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import kspolicy

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "examples" / "cases").glob("*.toml"))
START = "import sys; from kspolicy.tools.cli import main; sys.exit(main(sys.argv[1:]))"


def _cases() -> list[dict[str, Any]]:
    return [json.loads(json.dumps(tomllib.loads(p.read_text("utf-8")), default=str)) for p in CASES]


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _summary(seconds: list[float], wall: float) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "n": len(ordered),
        "median_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "per_second": len(ordered) / wall,
    }


def _post(connection: http.client.HTTPConnection, body: bytes) -> int:
    connection.request(
        "POST", "/v1/decisions", body=body, headers={"Content-Type": "application/json"}
    )
    response = connection.getresponse()
    response.read()
    return response.status


def latency(
    port: int, cases: list[dict[str, Any]], rounds: int
) -> tuple[dict[str, dict[str, float]], int]:
    """In process and over HTTP, case by case in interleaved rounds; errors of the service."""
    policy = kspolicy.load()
    bodies = [json.dumps(case).encode() for case in cases]
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for case, body in zip(cases, bodies, strict=True):  # warm up both
        policy.evaluate(case)
        _post(connection, body)
    times: dict[str, list[float]] = {"evaluate": [], "evaluate+json": [], "service": []}
    errors = 0
    for _ in range(rounds):
        for case, body in zip(cases, bodies, strict=True):
            t = time.perf_counter()
            policy.evaluate(case)
            times["evaluate"].append(time.perf_counter() - t)
            t = time.perf_counter()
            json.dumps(policy.evaluate(case).to_dict(), separators=(",", ":"))
            times["evaluate+json"].append(time.perf_counter() - t)
            t = time.perf_counter()
            errors += _post(connection, body) != 200
            times["service"].append(time.perf_counter() - t)
    connection.close()
    return {name: _summary(found, sum(found)) for name, found in times.items()}, errors


def _client(port: int, bodies: list[bytes]) -> tuple[list[float], int]:
    """Send the bodies in turn on one kept-alive connection; latencies and errors."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times, errors = [], 0
    for body in bodies:
        t = time.perf_counter()
        errors += _post(connection, body) != 200
        times.append(time.perf_counter() - t)
    connection.close()
    return times, errors


def over_http(port: int, bodies: list[bytes], clients: int) -> tuple[dict[str, float], int]:
    shares = [bodies[i::clients] for i in range(clients)]
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(lambda share: _client(port, share), shares))
    wall = time.perf_counter() - started
    times = [t for share, _ in results for t in share]
    return _summary(times, wall), sum(errors for _, errors in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40, help="passes over the 13 cases")
    parser.add_argument("--clients", type=int, default=4, help="clients for throughput")
    args = parser.parse_args()
    cases = _cases()
    bodies = [json.dumps(case).encode() for case in cases] * args.rounds
    port = _port()
    argv = [sys.executable, "-c", START, "serve", "--port", str(port), "--no-access-log"]
    server = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        interleaved, errors_one = latency(port, cases, args.rounds)
        many, errors_many = over_http(port, bodies, args.clients)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    local, one = interleaved["evaluate"], interleaved["service"]
    ratio = one["median_ms"] / local["median_ms"]
    rows = [
        ("in-process evaluate", local),
        ("in-process evaluate + JSON", interleaved["evaluate+json"]),
        ("service, 1 client", one),
        (f"service, {args.clients} clients", many),
    ]
    print(f"{len(bodies)} requests per row, {len(cases)} cases, loadavg {os.getloadavg()[0]:.1f}")
    print(f"{'':30} {'median ms':>10} {'p99 ms':>10} {'per s':>10}")
    for name, row in rows:
        print(f"{name:30} {row['median_ms']:10.2f} {row['p99_ms']:10.2f} {row['per_second']:10.0f}")
    errors = errors_one + errors_many
    print(f"service median / in-process median: {ratio:.2f}x (at most 3x); errors: {errors}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    record = {
        "rows": dict(rows),
        "ratio": ratio,
        "errors": errors,
        "loadavg": os.getloadavg(),
        "requests": len(bodies),
    }
    (out / f"service-{stamp}.json").write_text(json.dumps(record, indent=2), "utf-8")
    return 0 if ratio <= 3 and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
