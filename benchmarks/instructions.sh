#!/bin/bash
# Machine instructions one `kspolicy eval --batch` line costs, counted by valgrind: the
# A/B measure for a change to the batch path on a machine too noisy for timings
# (deterministic to ~0.1%, where a timing moves by ±25% between minutes).
#
#   benchmarks/instructions.sh [PYTHON] [-- EXTRA EVAL OPTIONS, e.g. --detail full]
#
# PYTHON is the interpreter of the installation to measure (default: .venv/bin/python).
# The lines are cases 10,001-13,000 of the seeded generated cases bench_batch.py decides
# (tests/generated.py); the figure is (Ir of 3,000 lines - Ir of 1,000 lines) / 2,000, so
# the start-up and the policy's load cancel out. Needs valgrind; ~2 min of CPU.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${1:-$root/.venv/bin/python}
shift || true
[ "${1:-}" = "--" ] && shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PYTHONPATH=$root "$python" - "$work" <<'PY'
import itertools, json, sys
import kspolicy
from tests.generated import generated_cases
schema = kspolicy.load().schema
cases = [json.dumps(c) for c in itertools.islice(generated_cases(schema, 13_000), 10_000, None)]
for count in (1_000, 3_000):
    with open(f"{sys.argv[1]}/lines{count}.jsonl", "w") as out:
        out.write("\n".join(cases[:count]) + "\n")
PY
count() {
  PYTHONHASHSEED=0 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    "$python" -m kspolicy eval --batch "$work/lines$1.jsonl" --out "$work/out.jsonl" \
    --as-of 2026-01-15 --workers 1 "${@:2}" 2>&1 | awk '/I[ ]+refs/ {gsub(",", "", $4); print $4}'
}
few=$(count 1000 "$@")
many=$(count 3000 "$@")
echo "instructions per line: $(( (many - few) / 2000 ))"
