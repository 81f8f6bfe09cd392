"""The examples stay true: the embedding example runs and says what its docstring says."""

from __future__ import annotations

import runpy

from .conftest import ROOT


def test_embedding_example() -> None:
    module = runpy.run_path(str(ROOT / "examples" / "embed.py"))
    first, second = module["main"]()
    assert first["verdict"] == "prohibited"  # FWO funding with a Seven Sons university
    assert "restrictions.seven-sons" in " ".join(first["certain_because"])
    assert first["contact"] == "researchsecurity@ugent.be"
    assert second["verdict"] == "clear" and second["contact"] == "kennisveiligheid@kuleuven.be"
    assert second["ask_the_researcher"]  # unknown facts are asked, not assumed away
