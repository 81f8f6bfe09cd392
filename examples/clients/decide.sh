#!/usr/bin/env bash
# Ask a running kspolicy service (kspolicy serve) for a decision, its open questions and
# its explanation, with curl. Usage: examples/clients/decide.sh [URL] [CASE.json]
set -euo pipefail
url="${1:-http://127.0.0.1:8181}"
case_file="${2:-}"
if [[ -z "$case_file" ]]; then
  case_file="$(mktemp)"
  trap 'rm -f "$case_file"' EXIT
  cat >"$case_file" <<'JSON'
{"institution": "UAntwerpen", "as_of": "2026-01-15",
 "project": {"topics": ["robotics.drones"], "trl": 4, "programme": "BOF"},
 "partners": [{"name": "Example University of Technology", "country": "CN",
               "kind": "university", "sanctions": []}],
 "researchers": [], "funders": []}
JSON
fi
echo "== the policy served"
curl -fsS "$url/healthz"; echo
echo "== the decision (JSON; a problem+json document with every bad path if the case is bad)"
curl -sS -X POST -H 'Content-Type: application/json' --data-binary "@$case_file" \
  "$url/v1/decisions?lang=nl"; echo
echo "== what to ask next"
curl -sS -X POST -H 'Content-Type: application/json' --data-binary "@$case_file" \
  "$url/v1/questions?lang=nl"; echo
echo "== the explanation, as Markdown"
curl -sS -X POST -H 'Content-Type: application/json' -H 'Accept: text/markdown' \
  --data-binary "@$case_file" "$url/v1/explanations?lang=nl"
echo "== is this partner on one of the policy's lists (each list's source and freshness too)"
curl -sS -X POST -H 'Content-Type: application/json' \
  --data '{"names": [{"name": "Harbin Inst. of Technology", "country": "CN"}]}' \
  "$url/v1/screen?as_of=2026-01-15"; echo
echo "== many cases: JSON Lines in, JSON Lines out (a bad line answered in its place)"
printf '%s\n{"partners": [{"country": "XX"}]}\n' "$(tr -d '\n' <"$case_file")" |
  curl -sS -X POST -H 'Content-Type: application/x-ndjson' --data-binary @- "$url/v1/batch"
