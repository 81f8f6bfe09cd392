"""Rendering: diagnostics and decisions as text for people (JSON is `serde`'s job)."""
