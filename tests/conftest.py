"""Shared test helpers: golden files (regenerate with `pytest --update-golden`), and the
Hypothesis profiles every property test runs under.

Profiles, chosen with `HYPOTHESIS_PROFILE` (CI sets `CI=true`, which picks `ci`):
`dev` (the default: quick, for the edit-test loop), `ci` (what CI runs, inside its time
budget), `thorough` (for a long look before a release, or after a fuzzer finds
something). Tests never fix their own example counts: a property worth checking 50
times in CI is worth checking 2,000 times when someone has the time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile("ci", max_examples=50, deadline=None, print_blob=True)
settings.register_profile(
    "thorough",
    max_examples=2_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


_PRIVATE = ("KSPOLICY_CACHE", "XDG_STATE_HOME")
_before: dict[str, str | None] = {}
_scratch: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """Tests use a parse cache and cache secret of their own (cache.py), never the user's.

    Set here, before collection, because some test modules load policies at import.
    Under pytest-xdist (the README's command) each worker process runs this too, so
    each has a cache of its own: no two processes write one cache file at once.
    """
    scratch = tempfile.mkdtemp(prefix="kspolicy-tests-")
    for name in _PRIVATE:
        _before[name] = os.environ.get(name)
        os.environ[name] = os.path.join(scratch, name.lower())
    _scratch.append(scratch)


def pytest_unconfigure(config: pytest.Config) -> None:
    for name, value in _before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _before.clear()
    while _scratch:
        shutil.rmtree(_scratch.pop(), ignore_errors=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite golden files with the current output instead of comparing",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[Path, str], None]:
    """Compare text with a golden file, or rewrite the file under --update-golden."""
    update = request.config.getoption("--update-golden")

    def compare(path: Path, actual: str) -> None:
        if update or not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            if not update:
                pytest.fail(f"golden file {path} did not exist; written now, check it in")
        assert actual == path.read_text(encoding="utf-8"), f"differs from {path}"

    return compare


@pytest.fixture
def write_policy(tmp_path: Path) -> Callable[..., Path]:
    """Write policy files into a temporary folder: write_policy({"policy.pol": "..."})."""

    def write(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return tmp_path

    return write
