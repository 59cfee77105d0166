#!/usr/bin/env bash
# Measures BenchmarkConduit (a page of 20 articles at 10,000, per request)
# and writes its table between the bench:conduit markers of README.md:
#
#   ./bench.sh            # -count 5 (COUNT=10 ./bench.sh for more)
set -euo pipefail
cd "$(dirname "$0")"
count=${COUNT:-5}
raw=$(mktemp)
table=$(mktemp)
trap 'rm -f "$raw" "$table"' EXIT
go test -run '^$' -bench '^BenchmarkConduit$' -benchmem -count "$count" . > "$raw"
{
  echo "Measured $(date -u +%Y-%m-%d) on $(awk -F': ' '/^cpu:/ { print $2; exit }' "$raw"), $(nproc) cores, $(go env GOVERSION),"
  echo "by \`examples/conduit/bench.sh\` (\`go test -bench\`, -count $count, means)."
  echo
  echo "| Request (a page of 20 of 10,000 articles) | Time | Allocations | Bytes |"
  echo "| --- | --- | --- | --- |"
  awk '
    /^BenchmarkConduit\// {
      name = $1; sub(/^BenchmarkConduit\//, "", name); sub(/-[0-9]+$/, "", name)
      if (!(name in n)) order[++k] = name
      n[name]++; ns[name] += $3; b[name] += $5; a[name] += $7
    }
    END {
      label["list"] = "`GET /api/articles`"; label["tag"] = "`?tag=`"; label["author"] = "`?author=`"
      label["feed"] = "`GET /api/articles/feed`, 50 authors followed"; label["list-offset-5000"] = "`?offset=5000`"
      for (i = 1; i <= k; i++) {
        m = order[i]
        printf "| %s | %.0f µs | %.0f | %.0f KB |\n", (m in label ? label[m] : m), ns[m] / n[m] / 1000, a[m] / n[m], b[m] / n[m] / 1024
      }
    }
  ' "$raw"
} > "$table"
awk -v table="$table" '
  $0 == "<!-- bench:conduit:start -->" { print; while ((getline line < table) > 0) print line; skip = 1; next }
  $0 == "<!-- bench:conduit:end -->" { skip = 0 }
  !skip { print }
' README.md > README.md.new && mv README.md.new README.md
echo "README.md updated" >&2
