"""The language: syntax tree, parser, formatter, schema, checker, lints, lists, loader.

Text becomes a checked policy here; nothing in this package evaluates a case.
"""
