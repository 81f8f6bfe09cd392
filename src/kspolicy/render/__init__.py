"""Rendering: diagnostics and decisions as text for people (JSON is `eval.decision`'s job)."""
