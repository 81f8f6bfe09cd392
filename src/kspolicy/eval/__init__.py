"""Evaluation: cases in, decisions out (compiler, runtime, fast path, decision)."""
