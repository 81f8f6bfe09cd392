"""The service's metrics, written in Prometheus's text format (version 0.0.4).

Kept by hand rather than with a client library: four families, a lock, and the text
format is a stable, documented one. `kspolicy_requests_total` (by method, route and
status), `kspolicy_request_seconds` (a histogram, by route), `kspolicy_decisions_total`
(by the headline's value), `kspolicy_screenings_total` (names screened, by answer),
`kspolicy_errors_total` (by problem type), and the policy served
(`kspolicy_policy_info`, `kspolicy_reloads_total`).
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter, defaultdict

#: Upper bounds of the latency histogram's buckets, in seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

MEDIA_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**pairs: str) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs.items()) + "}"


class Metrics:
    """Counters and a latency histogram, safe to update from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str, str]] = Counter()
        self.decisions: Counter[str] = Counter()
        self.screenings: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.reloads: Counter[str] = Counter()
        self._buckets: defaultdict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self._sums: defaultdict[str, float] = defaultdict(float)
        self._counts: Counter[str] = Counter()

    def request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count a request answered, and how long it took."""
        with self._lock:
            self.requests[(method, route, str(status))] += 1
            index = bisect.bisect_left(BUCKETS, seconds)
            if index < len(BUCKETS):
                self._buckets[route][index] += 1
            else:
                self._buckets[route]  # noqa: B018 (make the route's buckets exist)
            self._sums[route] += seconds
            self._counts[route] += 1

    def decision(self, headline: str) -> None:
        """Count a decision by its headline's value (`none` for a policy without one)."""
        with self._lock:
            self.decisions[headline or "none"] += 1

    def screening(self, answer: str) -> None:
        """Count a name screened, by its answer (match, possible, none, not covered)."""
        with self._lock:
            self.screenings[answer] += 1

    def error(self, kind: str) -> None:
        """Count a problem answered, by its type."""
        with self._lock:
            self.errors[kind] += 1

    def reload(self, result: str) -> None:
        """Count a reload: `ok` or `failed`."""
        with self._lock:
            self.reloads[result] += 1

    def render(self, policy: tuple[str, str, str]) -> str:
        """Every metric in the text format; `policy` is the name, version and sha256 served."""
        with self._lock:
            out = [
                "# HELP kspolicy_requests_total Requests answered.",
                "# TYPE kspolicy_requests_total counter",
            ]
            for (method, route, status), n in sorted(self.requests.items()):
                labels = _labels(method=method, route=route, status=status)
                out.append(f"kspolicy_requests_total{labels} {n}")
            out += [
                "# HELP kspolicy_request_seconds Time to answer a request.",
                "# TYPE kspolicy_request_seconds histogram",
            ]
            for route, counts in sorted(self._buckets.items()):
                running = 0
                for bound, n in zip(BUCKETS, counts, strict=True):
                    running += n
                    labels = _labels(route=route, le=str(bound))
                    out.append(f"kspolicy_request_seconds_bucket{labels} {running}")
                total = self._counts[route]
                out.append(
                    f"kspolicy_request_seconds_bucket{_labels(route=route, le='+Inf')} {total}"
                )
                out.append(
                    f"kspolicy_request_seconds_sum{_labels(route=route)} {self._sums[route]:.6f}"
                )
                out.append(f"kspolicy_request_seconds_count{_labels(route=route)} {total}")
            out += [
                "# HELP kspolicy_decisions_total Decisions given, by the headline's value.",
                "# TYPE kspolicy_decisions_total counter",
            ]
            for headline, n in sorted(self.decisions.items()):
                out.append(f"kspolicy_decisions_total{_labels(headline=headline)} {n}")
            out += [
                "# HELP kspolicy_screenings_total Names screened, by answer.",
                "# TYPE kspolicy_screenings_total counter",
            ]
            for answer, n in sorted(self.screenings.items()):
                out.append(f"kspolicy_screenings_total{_labels(answer=answer)} {n}")
            out += [
                "# HELP kspolicy_errors_total Problems answered, by type.",
                "# TYPE kspolicy_errors_total counter",
            ]
            for kind, n in sorted(self.errors.items()):
                out.append(f"kspolicy_errors_total{_labels(type=kind)} {n}")
            out += [
                "# HELP kspolicy_reloads_total Policy reloads, by result.",
                "# TYPE kspolicy_reloads_total counter",
            ]
            for result, n in sorted(self.reloads.items()):
                out.append(f"kspolicy_reloads_total{_labels(result=result)} {n}")
            name, version, sha = policy
            out += [
                "# HELP kspolicy_policy_info The policy served.",
                "# TYPE kspolicy_policy_info gauge",
                f"kspolicy_policy_info{_labels(name=name, version=version, sha256=sha)} 1",
            ]
        return "\n".join(out) + "\n"
