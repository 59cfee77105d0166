#!/usr/bin/env bash
# Measures memrel's foundation benchmarks beside raw go-memdb and rewrites
# the table between the bench markers in README.md. Anyone can rerun it:
#
#   scripts/bench.sh            # -count 6 (COUNT=10 scripts/bench.sh for more)
#   REUSE=1 scripts/bench.sh    # regenerate the table from bench/foundation.txt
#
# The raw results are kept in bench/foundation.txt for benchstat comparisons.
set -euo pipefail
cd "$(dirname "$0")/.."

count=${COUNT:-6}
benchstat="golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"
mkdir -p bench
raw=bench/foundation.txt

if [ -z "${REUSE:-}" ]; then
  echo "running go test -bench Foundation -count $count (a few minutes)..." >&2
  go test -run '^$' -bench Foundation -count "$count" . > "$raw"
fi
count=$(grep -c '^BenchmarkFoundation/op=insert/engine=memrel' "$raw")

# benchstat's tables, per-item units first, with raw go-memdb as the base.
stats=$(go run "$benchstat" -col '/engine@(memdb memrel)' "$raw")
keep=$(printf '%s\n' "$stats" | awk '
  BEGIN { RS = ""; ORS = "\n\n" }
  /sec\/(row|post|reject)/ { print; next }
  /B\/op|allocs\/op/ { rest = rest $0 "\n\n" }
  END { printf "%s", rest }
')

cpu=$(awk -F': ' '/^cpu:/ { print $2; exit }' "$raw")
{
  echo "Measured $(date -u -r "$raw" +%Y-%m-%d) on $cpu, $(nproc) cores, $(go version | awk '{print $3}'),"
  echo "by \`scripts/bench.sh\` (\`go test -bench Foundation -count $count\`, then benchstat)."
  echo "Each row: raw go-memdb, then memrel and its difference (~ means no significant difference)."
  echo
  echo '```'
  printf '%s\n' "$keep" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
  echo '```'
} > bench/foundation.md

# Replace what lies between the markers.
awk -v table=bench/foundation.md '
  /<!-- bench:foundation:start -->/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
  /<!-- bench:foundation:end -->/ { skip = 0 }
  !skip { print }
' README.md > README.md.new
mv README.md.new README.md
echo "README.md updated; raw results in $raw" >&2
