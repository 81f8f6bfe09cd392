"""The clients of examples/clients/ against the real service: the TypeScript one compiled
with `tsc --strict` and run with node, the curl script run with bash. Each gets the
decision the library gives in-process, and a screening result.

Node, npm's TypeScript (`cd examples/clients && npm ci`, as .ci/run does) and curl are
needed: missing, the tests fail in CI (CI set) and are skipped elsewhere, saying why.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

import kspolicy

from .conftest import ROOT
from .test_service_support import Served, shared

CLIENTS = ROOT / "examples" / "clients"
TSC = CLIENTS / "node_modules" / ".bin" / "tsc"
#: The case both clients send (examples/clients/decide.sh and decide.ts hold it).
DRONE = {
    "institution": "UAntwerpen",
    "project": {"topics": ["robotics.drones"], "trl": 4, "programme": "BOF"},
    "partners": [
        {
            "name": "Example University of Technology",
            "country": "CN",
            "kind": "university",
            "sanctions": [],
        }
    ],
    "researchers": [],
    "funders": [],
}


def _needs(what: str, found: bool, how: str) -> None:
    """Fail in CI when a tool is missing (CI must run these tests), else skip saying why."""
    if found:
        return
    message = f"{what} is not installed: {how}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    return shared(tmp_path_factory.mktemp("clients"))


@pytest.fixture(scope="module")
def pack() -> kspolicy.Policy:
    return kspolicy.load()


def _same_decision(answer: dict[str, Any], expected: dict[str, Any]) -> None:
    """The service's decision is the library's, with an id (and no audit: none is kept)."""
    assert len(answer.pop("id")) == 36
    assert answer == expected


def test_typescript_client_compiles_strictly_and_gets_the_library_decision(
    served: Served, pack: kspolicy.Policy, tmp_path: Path
) -> None:
    node = shutil.which("node")
    _needs("node", node is not None, "install Node 18+ (Debian: apt-get install nodejs npm)")
    _needs("TypeScript", TSC.exists(), "run `cd examples/clients && npm ci` (.ci/run does)")
    assert node is not None
    # Compiled here, from the source as it is, with the package's own tsconfig (strict).
    built = subprocess.run(
        [str(TSC), "-p", str(CLIENTS), "--outDir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    run = subprocess.run(
        [node, str(tmp_path / "decide.js"), served.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    decision = json.loads(next(x for x in lines if x.startswith("decision: "))[10:])
    expected = pack.evaluate(DRONE, as_of=dt.date(2026, 1, 15), lang="en").to_dict()
    _same_decision(decision, expected)
    assert decision["outcomes"]["verdict"] == "notify"
    # The screening, and a bad case's problem details read back with every bad path.
    assert "screened Harbin Inst. of Technology (partner-1): match" in lines
    assert "  SEVEN_SONS: match: Harbin Institute of Technology" in "\n".join(lines)
    assert any(x.startswith("422 The case does not fit") for x in lines), run.stdout
    assert "  partners[0].country: " in run.stdout


def test_curl_script_gets_the_library_decision(served: Served, pack: kspolicy.Policy) -> None:
    bash, curl = shutil.which("bash"), shutil.which("curl")
    _needs("curl", bash is not None and curl is not None, "install bash and curl")
    assert bash is not None
    run = subprocess.run(
        [bash, str(CLIENTS / "decide.sh"), served.url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    parts: dict[str, list[str]] = {}
    for line in run.stdout.splitlines():
        if line.startswith("== "):
            heading = line[3:]
            parts[heading] = []
        else:
            parts[heading].append(line)
    headings = list(parts)
    assert json.loads(parts[headings[0]][0])["status"] == "ok"
    decision = json.loads(parts[headings[1]][0])
    case = {**DRONE, "as_of": "2026-01-15"}
    _same_decision(decision, pack.evaluate(case, lang="nl").to_dict())
    assert json.loads(parts[headings[2]][0])["questions"] is not None
    assert "researchsecurity@uantwerpen.be" in "\n".join(parts[headings[3]])
    screened = json.loads(parts[headings[4]][0])
    assert screened["results"][0]["answer"] == "match"
    batch = [json.loads(x) for x in parts[headings[5]] if x]
    assert [b["line"] for b in batch] == [1, 2]
    assert batch[0]["decision"]["outcomes"] == decision["outcomes"]
    assert batch[1]["problem"]["status"] == 422


def _free_port() -> int:
    """A port nothing listens on (bound, then let go): connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_typescript_client_unreachable_or_not_a_url_says_so_in_one_line(tmp_path: Path) -> None:
    """The trial's reproducer: an unreachable service, or `not-a-url`, printed a raw
    `TypeError: fetch failed … at post (dist/decide.js…)` stack."""
    node = shutil.which("node")
    _needs("node", node is not None, "install Node 18+ (Debian: apt-get install nodejs npm)")
    _needs("TypeScript", TSC.exists(), "run `cd examples/clients && npm ci` (.ci/run does)")
    assert node is not None
    built = subprocess.run(
        [str(TSC), "-p", str(CLIENTS), "--outDir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    unreachable = f"http://127.0.0.1:{_free_port()}"
    for argument, code, says in [
        (unreachable, 1, f"cannot reach the kspolicy decision service at {unreachable}"),
        ("not-a-url", 2, "'not-a-url' is not an http(s) URL"),
    ]:
        run = subprocess.run(
            [node, str(tmp_path / "decide.js"), argument],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == code, run.stdout + run.stderr
        assert run.stdout == ""
        (line,) = run.stderr.splitlines()  # one line, no stack
        assert line.startswith(f"decide: {says}"), line
        assert "as the first argument" in line  # the way out
        assert "TypeError" not in line and "at post" not in line
    assert (
        "start it with `kspolicy serve`"
        in subprocess.run(
            [node, str(tmp_path / "decide.js"), unreachable],
            capture_output=True,
            text=True,
            timeout=60,
        ).stderr
    )
