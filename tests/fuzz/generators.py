"""Structured inputs for the fuzzers: the shapes that once hung or crashed the engine.

Mutating the pack's files finds broken syntax well, but rarely builds what made kspolicy
hang or blow up: definitions that double or chain a thousand deep, one `and` of many
thousand operands, imports and list globs that leave the policy folder, CSV headers
that disagree about a path. Each generator here turns the fuzzer's bytes into one such
input, so the coverage-guided search starts from those shapes and varies them.

Every generator writes a policy folder (the mini screening policy of
`examples/policies/screening`, with a generated main file) or a batch file into a fresh
temporary folder and returns its path.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "examples" / "policies" / "screening"

HEADER = """policy fuzzed version "1"
  title en "Fuzzed" nl "Fuzzed"
  languages en, nl

import "schema.pol"
lists "lists/*.toml"

decision {
  verdict: scale clear < notify < review < prohibited
}
"""

# Conditions over the mini policy's schema, each true, false or unknown on some case.
ATOMS = (
    "project.shares_outside_eu",
    "project.dual_use == listed",
    "project.trl >= 4",
    "project.programme == FWO",
    "partner.country in RISK",
    "partner.military_ties",
    "partner.name matches SEVEN_SONS",
    "any t in project.topics: t in CRITICAL",
    "all p in partners: p.kind == university",
    "project.dual_use is unknown",
)

# Texts that mean something to Python, a shell or a path: policy text must stay data.
HOSTILE = (
    "root['name']",
    "\"]', open('x','w').write('ran'))))#",
    "../../etc/passwd",
    "/etc/*.toml",
    "",
    "*",
    "**/*.toml",
    "x" * 300,
    "lists/../../..",
    "\\",
    "{}",
    "$HOME",
    "lists/*.toml",
    "schema.pol",
    "/dev/zero",
)


def _folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="kspolicy-fuzz-"))
    shutil.copy(BASE / "schema.pol", folder / "schema.pol")
    shutil.copytree(BASE / "lists", folder / "lists")
    return folder


def _text(provider: atheris.FuzzedDataProvider) -> str:
    if provider.ConsumeBool():
        return HOSTILE[provider.ConsumeIntInRange(0, len(HOSTILE) - 1)]
    text: str = provider.ConsumeUnicodeNoSurrogates(provider.ConsumeIntInRange(0, 40))
    return text


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def definitions(provider: atheris.FuzzedDataProvider) -> Path:
    """A chain of definitions, each built from earlier ones: doubling, deep, mixed."""
    count = provider.ConsumeIntInRange(1, 1200)
    lines = [HEADER, f"define d0 = {ATOMS[provider.ConsumeIntInRange(0, len(ATOMS) - 1)]}"]
    for i in range(1, count):
        a = f"d{i - 1}"
        b = f"d{provider.ConsumeIntInRange(0, i - 1)}"
        shape = provider.ConsumeIntInRange(0, 4)
        body = (f"{a} and {b}", f"{a} or {b}", f"not {a}", f"({a} and {a})",
                f"{a} or {ATOMS[i % len(ATOMS)]}")[shape]
        lines.append(f"define d{i} = {body}")
    lines.append(f"rule r when d{count - 1} then verdict >= review")
    folder = _folder()
    (folder / "policy.pol").write_text("\n".join(lines) + "\n")
    return folder


def chains(provider: atheris.FuzzedDataProvider) -> Path:
    """One long `and`/`or`/`not` chain, flat or parenthesised."""
    count = provider.ConsumeIntInRange(1, 20_000)
    words = []
    for i in range(count):
        atom = ATOMS[provider.ConsumeIntInRange(0, len(ATOMS) - 1)] if i < 64 else ATOMS[i % 4]
        words.append(("not " if provider.ConsumeBool() else "") + atom)
    joiner = " and " if provider.ConsumeBool() else " or "
    condition = joiner.join(words)
    if provider.ConsumeBool():
        depth = provider.ConsumeIntInRange(0, 300)
        condition = "(" * depth + condition + ")" * depth
    folder = _folder()
    (folder / "policy.pol").write_text(f"{HEADER}\nrule r when {condition} then verdict >= notify\n")
    return folder


def imports(provider: atheris.FuzzedDataProvider) -> Path:
    """Imports and list globs naming whatever the bytes say: outside, long, empty, links."""
    folder = _folder()
    statements = []
    for _ in range(provider.ConsumeIntInRange(0, 4)):
        statements.append(f"import {_quoted(_text(provider))}")
    for _ in range(provider.ConsumeIntInRange(0, 4)):
        statements.append(f"lists {_quoted(_text(provider))}")
    if provider.ConsumeBool():
        (folder / "lists" / "link.toml").symlink_to("/etc/passwd")
    if provider.ConsumeBool():
        (folder / "other.pol").write_text(f'import "policy.pol"\nimport {_quoted(_text(provider))}\n')
    text = HEADER.replace('lists "lists/*.toml"', 'lists "lists/*.toml"\n' + "\n".join(statements))
    (folder / "policy.pol").write_text(text + "\nrule r when project.shares_outside_eu then verdict >= notify\n")
    return folder


def csv_batch(provider: atheris.FuzzedDataProvider) -> Path:
    """A CSV batch whose headers are fuzzed fact paths, some of them at odds."""
    parts = ("project", "partners", "institution", "name", "country", "x", "0", "1",
             "100000000", "-1", "", "topics", "trl", "__class__")
    headers = []
    for _ in range(provider.ConsumeIntInRange(0, 8)):
        if provider.ConsumeBool():
            headers.append(provider.ConsumeUnicodeNoSurrogates(12))
        else:
            n = provider.ConsumeIntInRange(1, 4)
            headers.append(".".join(parts[provider.ConsumeIntInRange(0, len(parts) - 1)] for _ in range(n)))
    rows = []
    for _ in range(provider.ConsumeIntInRange(0, 4)):
        rows.append(",".join(_text(provider).replace("\n", " ") for _ in headers))
    folder = Path(tempfile.mkdtemp(prefix="kspolicy-fuzz-"))
    path = folder / "cases.csv"
    raw = ("\n".join([",".join(headers), *rows]) + "\n").encode("utf-8", "surrogatepass")
    if provider.ConsumeBool():
        raw += provider.ConsumeBytes(16)  # not always UTF-8
    path.write_bytes(raw)
    return path
