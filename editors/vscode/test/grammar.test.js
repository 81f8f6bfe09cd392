// The TextMate grammar on every .pol file of the project, tokenized by vscode-textmate
// with the Oniguruma engine VS Code uses: every token is scoped, and every keyword of
// grammar/kspolicy.lark is scoped as one (outside texts and comments).
// Run with `npm test` here, or by tests/test_textmate.py.
"use strict";

const assert = require("node:assert");
const fs = require("node:fs");
const path = require("node:path");
const { test } = require("node:test");
const textmate = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const REPO = path.resolve(__dirname, "..", "..", "..");
const GRAMMAR = path.join(__dirname, "..", "syntaxes", "kspolicy.tmLanguage.json");
const SKIP = new Set([".git", ".venv", "node_modules", "__pycache__"]);

function policyFiles(folder, found = []) {
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith(".venv")) continue;
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) policyFiles(full, found);
    else if (entry.isFile() && entry.name.endsWith(".pol")) found.push(full);
  }
  return found;
}

function keywords() {
  const lark = fs.readFileSync(path.join(REPO, "grammar", "kspolicy.lark"), "utf8");
  const words = new Set();
  for (const line of lark.split("\n")) {
    for (const match of line.split("//")[0].matchAll(/"([a-z]+)"/g)) words.add(match[1]);
  }
  return words;
}

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer);
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async () =>
      textmate.parseRawGrammar(fs.readFileSync(GRAMMAR, "utf8"), GRAMMAR),
  });
  return registry.loadGrammar("source.kspolicy");
}

function readText(file) {
  const bytes = fs.readFileSync(file);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null; // a fixture that is not UTF-8 on purpose (KSP110)
  }
}

test("every token of every .pol file is scoped, every keyword as a keyword", async () => {
  const grammar = await loadGrammar();
  const words = keywords();
  assert.ok(words.has("rule") && words.has("matches"), "keywords read from the grammar");
  const files = policyFiles(REPO);
  assert.ok(files.length > 20, `found only ${files.length} .pol files`);
  const problems = [];
  const seen = new Set();
  for (const file of files) {
    const text = readText(file);
    if (text === null) continue;
    let state = textmate.INITIAL;
    text.split(/\r?\n/).forEach((line, number) => {
      const result = grammar.tokenizeLine(line, state);
      for (const token of result.tokens) {
        const piece = line.slice(token.startIndex, token.endIndex);
        const where = `${path.relative(REPO, file)}:${number + 1}:${token.startIndex + 1}`;
        if (!piece.trim()) continue;
        if (token.scopes.length < 2) problems.push(`${where}: unscoped \`${piece}\``);
        const inner = token.scopes.join(" ");
        if (words.has(piece) && !/string|comment|attribute-name\.language/.test(inner)) {
          seen.add(piece);
          if (!/keyword|constant\.language|storage\.type/.test(inner)) {
            problems.push(`${where}: keyword \`${piece}\` scoped ${inner}`);
          }
        }
      }
      state = result.ruleStack;
    });
  }
  assert.deepStrictEqual(problems.slice(0, 20), []);
  // every keyword the grammar has, on a line of its own, is scoped as a keyword
  for (const word of words) {
    const { tokens } = grammar.tokenizeLine(`${word} x`, textmate.INITIAL);
    const scopes = tokens[0].scopes.join(" ");
    assert.match(scopes, /keyword|constant\.language|storage\.type/, `keyword ${word}: ${scopes}`);
  }
  assert.ok(seen.size > 30, `only ${seen.size} keywords met in the .pol files`);
});
