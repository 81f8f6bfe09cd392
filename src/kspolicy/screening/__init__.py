"""Screening: who a party is, from the names on real lists (see docs/screening-import.md)."""
