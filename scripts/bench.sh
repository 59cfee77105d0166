#!/usr/bin/env bash
# Measures memrel's benchmarks and rewrites the generated tables: every
# suite's tables between the bench markers in bench/README.md, and the one
# summary table (memrel beside its peers) between the bench:summary markers
# in README.md. Anyone can rerun it:
#
#   scripts/bench.sh            # -count 6 (COUNT=10 scripts/bench.sh for more)
#   REUSE=1 scripts/bench.sh    # regenerate the tables from bench/*.txt only
#
#   SUITES="Peers Scale" scripts/bench.sh   # rerun some suites; the tables of the rest come from bench/*.txt
#   FEEDUSERS=1000 scripts/bench.sh   # the feed without memrel's 100,000-user run (~12 GB, minutes)
#   SCALE=1000,10000,100000 scripts/bench.sh   # the scaling sizes (the default
#                                               # adds 1,000,000: ~20 GB of RAM)
#
# Raw results are kept in bench/*.txt (foundation, loading, batch, write,
# peers, lookup, levers, scale, feed, stores, export), for benchstat comparisons; each
# suite's tables are also written to bench/<suite>.md, Feed's excepted: its
# table in bench/README.md is written by hand from bench/feed.txt. The
# reads table of bench/README.md (bench:reads) is the targets of the application
# reads, from batch, loading, write, feed and peers.
set -euo pipefail
cd "$(dirname "$0")/.."

count=${COUNT:-6}
suites=${SUITES:-Foundation Loading Batch Write Peers Lookup Levers Scale Feed Stores Export}
feedusers=${FEEDUSERS:-1000,100000}
scale=${SCALE:-1000,10000,100000,1000000}
benchstat="golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"
mkdir -p bench

for suite in $suites; do
  raw=bench/$(echo "$suite" | tr 'A-Z' 'a-z').txt
  [ -n "${REUSE:-}" ] && [ -f "$raw" ] && continue
  echo "running the $suite benchmarks (several minutes)..." >&2
  printf 'date: %s\ncores: %s\ngoversion: %s\n' "$(date -u +%Y-%m-%d)" "$(nproc)" "$(go env GOVERSION)" > "$raw"
  case $suite in
    Foundation|Loading|Batch) go test -run '^$' -bench "^Benchmark$suite\$" -count "$count" -timeout 60m . >> "$raw" ;;
    Write) go test -run '^$' -bench '^BenchmarkWriteThenLoad$' -count "$count" -timeout 60m . >> "$raw" ;;
    Peers) (cd bench && go test -run '^$' -bench '^BenchmarkOp$' -count "$count" -timeout 60m .) >> "$raw" ;;
    Lookup) (cd bench && go test -run '^$' -bench '^BenchmarkLookup$' -count "$count" -timeout 60m .) >> "$raw" ;;
    Levers) (cd bench && go test -run '^$' -bench '^BenchmarkLevers$' -count "$count" -timeout 60m .) >> "$raw" ;;
    Feed)
      (cd bench && go test -run '^$' -bench '^BenchmarkFeed/users=1000/' -count "$count" -timeout 60m .) >> "$raw"
      # memrel alone at the larger sizes, once: the other engines take long to load them.
      for u in ${feedusers//,/ }; do
        [ "$u" = 1000 ] && continue
        (cd bench && go test -run '^$' -bench "^BenchmarkFeed/users=$u/engine=memrel\$" -count 1 -timeout 60m . -feedusers "$u") | grep '^Benchmark' >> "$raw"
      done ;;
    Stores)
      # A private PostgreSQL for the template clones (scripts/pg.sh), unless
      # MEMREL_PG_DSN names one; without PostgreSQL that engine is skipped.
      dsn=${MEMREL_PG_DSN:-$(scripts/pg.sh start || true)}
      (cd bench && MEMREL_PG_DSN=$dsn go test -run '^$' -bench '^BenchmarkTestStore$' -count "$count" -storerows 25,2500,25000 -timeout 60m .) >> "$raw"
      [ -z "${MEMREL_PG_DSN:-}" ] && scripts/pg.sh stop ;;
    Export)
      # A million rows out of memrel and into PostgreSQL and SQLite, once.
      dsn=${MEMREL_PG_DSN:-$(scripts/pg.sh start || true)}
      (cd bench && MEMREL_PG_DSN=$dsn go test -run '^$' -bench '^BenchmarkExport$' -benchtime 1x -count 1 -exportrows "${EXPORTROWS:-1000000}" -timeout 60m .) >> "$raw"
      [ -z "${MEMREL_PG_DSN:-}" ] && scripts/pg.sh stop ;;
    Scale) (cd bench && GOMEMLIMIT=${GOMEMLIMIT:-18GiB} go test -run '^$' -bench '^BenchmarkScale$' -count 1 -timeout 120m . -scale "$scale") >> "$raw" ;;
  esac
done

# header FILE: the machine and date a result file was measured on, and how
# many times each benchmark ran (read from the file, not from COUNT, so that
# a reused file is described as it was measured).
header() {
  local raw=$1 n runs
  n=$(grep -c '^Benchmark' "$raw" | awk '{print $1}')
  runs=$(awk '/^Benchmark/ { c[$1]++ } END { for (k in c) if (c[k] > m) m = c[k]; print m + 0 }' "$raw")
  local when cores gov
  when=$(awk '/^date: / { print $2; exit }' "$raw")
  cores=$(awk '/^cores: / { print $2; exit }' "$raw")
  gov=$(awk '/^goversion: / { print $2; exit }' "$raw")
  echo "Measured ${when:-$(date -u -r "$raw" +%Y-%m-%d)} on $(awk -F': ' '/^cpu:/ { print $2; exit }' "$raw"), ${cores:-$(nproc)} cores, ${gov:-$(go env GOVERSION)},"
  echo "by \`scripts/bench.sh\` (\`go test -bench\`, -count $runs, then benchstat; $n results)."
}

# tables UNITS BENCHSTAT-ARGS...: benchstat's tables whose unit matches the
# awk regular expression UNITS, in a code block.
tables() {
  local units=$1
  shift
  echo '```'
  go run "$benchstat" "$@" | awk -v re="$units" '
    BEGIN { RS = ""; ORS = "\n\n" }
    $0 ~ re { print }
  ' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
  echo '```'
}

# targets RAW PREFIX UNITS ROWS: the target table of RAW's benchmarks named
# PREFIX..., from the mean per-item time (ns/UNITS) of each over the runs.
# ROWS is awk code calling row(what, a, b, op, target): a's time over b's.
targets() {
  awk -v prefix="$2" -v units="$3" '
    index($1, prefix) == 1 {
      name = substr($1, length(prefix) + 1); sub(/-[0-9]+$/, "", name)
      for (i = 3; i < NF; i++) if ($(i+1) ~ ("^ns/(" units ")$")) { sum[name] += $i; n[name]++ }
    }
    function m(k) { return n[k] ? sum[k] / n[k] : 0 }
    function row(what, a, b, op, target,   r, ok) {
      if (!m(a) || !m(b)) return
      r = m(a) / m(b)
      ok = (op == "<=") ? (r <= target) : (r >= target)
      printf "| %s | %.2fx | %s %gx | %s |\n", what, r, op, target, ok ? "met" : "**missed**"
    }
    END {
      print "| Target (one run, means of the counts) | Measured | Target | |"
      print "| --- | --- | --- | --- |"
      '"$4"'
    }
  ' "$1"
}

# The foundation: per-item tables first, raw go-memdb as the base.
{
  header bench/foundation.txt
  echo "Each row: raw go-memdb, then memrel and its difference (~ means no significant difference)."
  echo
  echo '```'
  go run "$benchstat" -col '/engine@(memdb memrel)' bench/foundation.txt | awk '
    BEGIN { RS = ""; ORS = "\n\n" }
    /sec\/(row|post|reject)/ { print; next }
    /B\/op|allocs\/op/ { rest = rest $0 "\n\n" }
    END { printf "%s", rest }
  ' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
  echo '```'
} > bench/foundation.md

# Loading: per-item time by engine, then the targets, computed from the
# same results (means over the runs).
{
  header bench/loading.txt
  echo "memrel is each row's base: a negative difference means that engine is faster."
  echo
  tables 'sec\/(post|pair)' -col /engine -row /users,/op,/strategy bench/loading.txt
  echo
  targets bench/loading.txt BenchmarkLoading/ 'post|pair' '
      u = "users=1000/"
      row("merge-join eager / maps floor, per post", u "op=children/strategy=merge/engine=memrel", u "op=children/strategy=merge/engine=maps", "<=", 4)
      row("lazy children / raw go-memdb, per post", u "op=children/strategy=lazy/engine=memrel", u "op=children/strategy=lazy/engine=memdb", "<=", 1.2)
      row("lazy parent (reverse) / raw go-memdb, per post", u "op=parent/strategy=lazy/engine=memrel", u "op=parent/strategy=lazy/engine=memdb", "<=", 1.2)
      row("lazy / eager many-to-many, post -> tags, per pair", u "op=post-tags/strategy=lazy/engine=memrel", u "op=post-tags/strategy=merge/engine=memrel", ">=", 5)
      row("lazy / eager many-to-many, pair-keyed, per pair", u "op=post-tags/strategy=lazy/engine=memrel-pair", u "op=post-tags/strategy=merge/engine=memrel-pair", ">=", 5)
      row("lazy / eager many-to-many, tag -> posts, per pair", u "op=tag-posts/strategy=lazy/engine=memrel", u "op=tag-posts/strategy=merge/engine=memrel", ">=", 5)
      row("the same on the first load after a write, post -> tags", u "op=post-tags/strategy=lazy/engine=memrel", u "op=post-tags/strategy=merge-after-write/engine=memrel", ">=", 5)
      row("the same without a join index, post -> tags", u "op=post-tags/strategy=lazy/engine=memrel", u "op=post-tags/strategy=merge-cold/engine=memrel", ">=", 5)
      row("the same without a join index, pair-keyed", u "op=post-tags/strategy=lazy/engine=memrel-pair", u "op=post-tags/strategy=merge-cold/engine=memrel-pair", ">=", 5)
      row("the same without a join index, tag -> posts", u "op=tag-posts/strategy=lazy/engine=memrel", u "op=tag-posts/strategy=merge-cold/engine=memrel", ">=", 5)
      row("merge-join per post, 100,000 / 1,000 users", "users=100000/op=children/strategy=merge/engine=memrel", u "op=children/strategy=merge/engine=memrel", "<=", 2)
      row("the same without a join index", "users=100000/op=children/strategy=merge-cold/engine=memrel", u "op=children/strategy=merge-cold/engine=memrel", "<=", 2)
      row("lazy per post, 100,000 / 1,000 users", "users=100000/op=children/strategy=lazy/engine=memrel", u "op=children/strategy=lazy/engine=memrel", "<=", 2)
'
} > bench/loading.md

# Peers: per-item time by engine, memrel the base, then the targets.
{
  header bench/peers.txt
  echo "memrel is each row's base: a positive difference means that engine is slower."
  echo
  tables 'sec\/(row|post|pair|user|reject|fork)' -col '/engine@(memrel memrel-cold memdb maps sqlite-mattn sqlite-modernc gorm)' -row /op bench/peers.txt
  echo
  targets bench/peers.txt BenchmarkOp/ 'row|post|pair|user|reject|fork' '
      row("lazy: SQLite (cgo) / memrel", "op=lazy/engine=sqlite-mattn", "op=lazy/engine=memrel", ">=", 25)
      row("reverse: SQLite (cgo) / memrel", "op=reverse/engine=sqlite-mattn", "op=reverse/engine=memrel", ">=", 25)
      row("eager: SQLite (cgo) / memrel", "op=eager/engine=sqlite-mattn", "op=eager/engine=memrel", ">=", 25)
      row("eager: memrel / maps floor", "op=eager/engine=memrel", "op=eager/engine=maps", "<=", 4)
      row("eager without a join index: SQLite (cgo) / memrel", "op=eager/engine=sqlite-mattn", "op=eager/engine=memrel-cold", ">=", 25)
      row("FK-checked load: SQLite (cgo) / memrel", "op=load/engine=sqlite-mattn", "op=load/engine=memrel", ">=", 1)
      row("cascade delete: SQLite (cgo) / memrel", "op=cascade/engine=sqlite-mattn", "op=cascade/engine=memrel", ">=", 1)
'
} > bench/peers.md

# Lookup: one point read, layer by layer.
{
  header bench/lookup.txt
  echo
  tables 'sec\/lookup|allocs\/op' -col '/way@(radix memdb memrel maps sqlite-mattn)' -row .name bench/lookup.txt
} > bench/lookup.md

# Levers: memrel's write path in other layouts, the default (pair) the base.
{
  header bench/levers.txt
  echo
  tables 'sec\/(row|user)|allocs\/op' -col '/variant@(pair id-keyed untracked)' -row /op bench/levers.txt
} > bench/levers.md

# Scale: one run per size (the largest take minutes each), as a table.
{
  header bench/scale.txt
  echo
  awk '
    /^BenchmarkScale\// {
      split($1, f, "/"); op = f[2]; sub(/^op=/, "", op); users = f[3]; sub(/^users=/, "", users)
      engine = f[4]; sub(/^engine=/, "", engine); sub(/-[0-9]+$/, "", engine)
      for (i = 3; i < NF; i++) if ($(i+1) ~ /^(ns|B)\//) { v[op, users, engine] = $i; unit[op] = $(i+1) }
      if (!(users in seen)) { seen[users] = 1; sizes[++ns] = users }
      if (!(op in seenop)) { seenop[op] = 1; ops[++no] = op }
    }
    END {
      printf "| operation | users | memrel | raw go-memdb | memrel / go-memdb |\n| --- | --- | --- | --- | --- |\n"
      for (o = 1; o <= no; o++) for (s = 1; s <= ns; s++) {
        a = v[ops[o], sizes[s], "memrel"]; b = v[ops[o], sizes[s], "memdb"]
        if (b == "") { printf "| %s (%s) | %s | %.1f | - | - |\n", ops[o], unit[ops[o]], sizes[s], a; continue }
        printf "| %s (%s) | %s | %.1f | %.1f | %.2fx |\n", ops[o], unit[ops[o]], sizes[s], a, b, b ? a / b : 0
      }
      print ""
      print "| Target | Measured | Target | |"
      print "| --- | --- | --- | --- |"
      lo = sizes[1]; hi = sizes[ns]
      for (o = 1; o <= no; o++) {
        op = ops[o]
        if (op == "joins") continue
        if (op == "memory") {
          r = v[op, hi, "memrel"] / v[op, hi, "memdb"]
          printf "| heap per row, memrel / raw go-memdb, %s users | %.2fx | <= 1x | %s |\n", hi, r, r <= 1 ? "met" : "**missed**"
          continue
        }
        r = v[op, hi, "memrel"] / v[op, lo, "memrel"]
        printf "| %s per item, memrel, %s / %s users | %.2fx | <= 2x | %s |\n", op, hi, lo, r, r <= 2 ? "met" : "**missed**"
      }
    }
  ' bench/scale.txt
} > bench/scale.md

# Summary, for README.md: the peers' median time per item (benchstat's
# center, the same figures as bench/README.md's peers table), one row per
# operation, one column per engine.
summary=$(mktemp)
{
  header bench/peers.txt
  echo
  go run "$benchstat" -format csv -col '/engine@(memrel memrel-cold memdb maps sqlite-mattn sqlite-modernc gorm)' -row /op bench/peers.txt 2>/dev/null | awk -F, '
    # benchstat CSV: blocks separated by blank lines, each an engines line,
    # a units line, then one line per operation.
    /^$/ { state = 0; next }
    state == 0 && $1 == "" && NF > 1 { split("", eng); split("", unit); for (j = 2; j <= NF; j++) eng[j] = $j; state = 1; next }
    state == 1 { for (j = 2; j <= NF; j++) unit[j] = $j; state = 2; next }
    state == 2 && $1 != "geomean" {
      for (j = 2; j <= NF; j++)
        if (eng[j] != "" && unit[j] ~ /^sec\/(row|post|pair|user|reject|fork)$/ && $j != "") v[$1, eng[j]] = $j
    }
    function t(s,   ns) {
      if (s == "") return "-"
      ns = s * 1e9
      if (ns < 10) return sprintf("%.2f ns", ns)
      if (ns < 100) return sprintf("%.1f ns", ns)
      if (ns < 1000) return sprintf("%.0f ns", ns)
      if (ns < 1e4) return sprintf("%.2f µs", ns / 1e3)
      if (ns < 1e5) return sprintf("%.1f µs", ns / 1e3)
      if (ns < 1e6) return sprintf("%.0f µs", ns / 1e3)
      return sprintf("%.2f ms", ns / 1e6)
    }
    END {
      n = split("memrel memrel-cold memdb maps sqlite-mattn sqlite-modernc gorm", e, " ")
      print "| Median time per item | memrel | memrel, no join index | raw go-memdb | Go maps | SQLite (cgo) | SQLite (modernc) | GORM |"
      print "| --- | --- | --- | --- | --- | --- | --- | --- |"
      m = split("load|FK-checked load, per row;lazy|lazy children, per post;eager|eager children, per post;reverse|a post'"'"'s author, per post;m2m|eager many-to-many, per post-tag pair;cascade|cascade delete of a user, per user;reject|rejected foreign key;fork|per-test fork", ops, ";")
      for (i = 1; i <= m; i++) {
        split(ops[i], f, "|")
        line = "| " f[2]
        for (j = 1; j <= n; j++) line = line " | " t(v[f[1], e[j]])
        print line " |"
      }
    }
  '
} > "$summary"

# Reads, for bench/README.md: the targets of the application reads, each from the
# means over its runs of one metric (ns/... or B/op) of two benchmarks.
reads=$(mktemp)
trap 'rm -f "$summary" "$reads" "${stores:-}" "${export:-}"' EXIT
{
  for f in batch loading write feed peers; do
    header bench/$f.txt | head -1 | sed -e 's/^Measured //' -e 's/,$//'
  done | sort -u | awk '
    { when[NR] = $0 }
    END {
      printf "Measured %s, by `scripts/bench.sh` from bench/{batch,loading,write,feed,peers}.txt (means of each benchmark'"'"'s runs).\n", (NR == 1 ? when[1] : "on several runs: see each file")
    }'
  echo
  awk '
    FNR == 1 { file = FILENAME; sub(/^.*\//, "", file); sub(/\.txt$/, "", file) }
    /^Benchmark/ {
      name = $1; sub(/-[0-9]+$/, "", name)
      for (i = 3; i < NF; i++) if ($(i+1) ~ /^(ns\/|B\/op)/) { k = file ":" name ":" $(i+1); sum[k] += $i; n[k]++ }
    }
    function m(k) { return n[k] ? sum[k] / n[k] : 0 }
    function row(what, a, b, op, target,   r, ok) {
      if (!m(a) || !m(b)) { printf "| %s | (not measured) | %s %gx | |\n", what, op, target; return }
      r = m(a) / m(b)
      ok = (op == "<=") ? (r <= target) : (r >= target)
      printf "| %s | %.2fx | %s %gx | %s |\n", what, r, op, target, ok ? "met" : "**missed**"
    }
    END {
      print "| Target | Measured | Target | |"
      print "| --- | --- | --- | --- |"
      # Eager against lazy at every batch size: the ratio of the worst.
      split("1 10 100 1000 10000", sizes, " ")
      split("time:ns/parent bytes:B/op", metrics, " ")
      for (x = 1; x <= 2; x++) {
        split(metrics[x], mu, ":"); worst = ""; wr = 0
        for (i = 1; i <= 5; i++) {
          p = "batch:BenchmarkBatch/parents=" sizes[i] "/strategy="
          if (m(p "lazy:" mu[2]) && m(p "eager:" mu[2]) / m(p "lazy:" mu[2]) >= wr) { wr = m(p "eager:" mu[2]) / m(p "lazy:" mu[2]); worst = sizes[i] }
        }
        p = "batch:BenchmarkBatch/parents=" worst "/strategy="
        row("eager / lazy " mu[1] ", the worst of batches of 1 to 10,000 (" worst ")", p "eager:" mu[2], p "lazy:" mu[2], "<=", 1)
      }
      l = "loading:BenchmarkLoading/users=1000/op=children/strategy="
      row("first EagerAll after a write / go-memdb merge join, per post", l "merge-after-write/engine=memrel:ns/post", l "merge/engine=memdb:ns/post", "<=", 1.2)
      row("EagerStream / go-memdb merge join, per post", l "stream/engine=memrel:ns/post", l "merge/engine=memdb:ns/post", "<=", 1.2)
      w = "write:BenchmarkWriteThenLoad/posts="
      row("fork, write, load one user: 1,000,000 / 1,000 posts", w "1000000/load=one-user:ns/post", w "1000/load=one-user:ns/post", "<=", 2)
      row("fork, write, load all: after the write / current join index, 100,000 posts", w "100000/load=all-users:ns/post", w "100000/load=all-users-current:ns/post", "<=", 1.5)
      row("fork, write, load all: after the write / current join index, 1,000,000 posts", w "1000000/load=all-users:ns/post", w "1000000/load=all-users-current:ns/post", "<=", 1.5)
      f = "feed:BenchmarkFeed/users="
      row("feed page: SQLite (cgo) / memrel", f "1000/engine=sqlite-mattn:ns/page", f "1000/engine=memrel:ns/page", ">=", 25)
      row("feed page: memrel / maps floor", f "1000/engine=memrel:ns/page", f "1000/engine=maps:ns/page", "<=", 4)
      row("feed page: 100,000 / 1,000 users", f "100000/engine=memrel:ns/page", f "1000/engine=memrel:ns/page", "<=", 2)
      row("rejected foreign key (a whole Update): memrel / go-memdb", "peers:BenchmarkOp/op=reject/engine=memrel:ns/reject", "peers:BenchmarkOp/op=reject/engine=memdb:ns/reject", "<=", 1.3)
    }
  ' bench/batch.txt bench/loading.txt bench/write.txt bench/feed.txt bench/peers.txt
} > "$reads"

# Stores: what a test pays for its own seeded store and a first write, by
# size, memrel's fork beside what users do instead.
stores=$(mktemp)
{
  header bench/stores.txt
  echo
  awk '
    /^BenchmarkTestStore\// {
      split($1, f, "/"); rows = f[2]; sub(/^rows=/, "", rows)
      engine = f[3]; sub(/^engine=/, "", engine); sub(/-[0-9]+$/, "", engine)
      for (i = 3; i < NF; i++) if ($(i+1) == "ns/store") { sum[rows, engine] += $i; n[rows, engine]++ }
      if (!(rows in seen)) { seen[rows] = 1; sizes[++ns] = rows }
    }
    function t(ns) {
      if (ns == "") return "-"
      if (ns >= 1e9) return sprintf("%.2f s", ns / 1e9)
      if (ns >= 1e6) return sprintf("%.1f ms", ns / 1e6)
      if (ns >= 1e3) return sprintf("%.1f µs", ns / 1e3)
      return sprintf("%.0f ns", ns)
    }
    function m(r, e) { return n[r, e] ? sum[r, e] / n[r, e] : "" }
    END {
      split("memrel-fork memrel-rebuild sqlite-modernc sqlite-mattn postgres-template", engines, " ")
      print "| Rows in the seed | memrel `Fork` | memrel, rebuilt | SQLite (modernc), rebuilt | SQLite (cgo), rebuilt | PostgreSQL `CREATE DATABASE ... TEMPLATE` |"
      print "| --- | --- | --- | --- | --- | --- |"
      worst = 0
      for (s = 1; s <= ns; s++) {
        line = "| " sizes[s]
        for (e = 1; e <= 5; e++) line = line " | " t(m(sizes[s], engines[e]))
        print line " |"
        if (m(sizes[s], "memrel-fork") > worst) worst = m(sizes[s], "memrel-fork")
      }
      print ""
      printf "Target: a fork and its first write under 10 µs at every size; measured %s at worst: %s.\n", t(worst), worst < 10000 ? "met" : "**missed**"
    }
  ' bench/stores.txt
} > "$stores"

# Export: a store as SQL and into real databases, by size.
export=$(mktemp)
{
  header bench/export.txt
  echo
  awk '
    /^BenchmarkExport\// {
      split($1, f, "/"); rows = f[2]; sub(/^rows=/, "", rows)
      step = f[3]; sub(/^step=/, "", step); sub(/-[0-9]+$/, "", step)
      for (i = 3; i < NF; i++) if ($(i+1) == "ns/op") { sum[rows, step] += $i; n[rows, step]++ }
      if (!(rows in seen)) { seen[rows] = 1; sizes[++ns] = rows }
    }
    function t(ns) {
      if (ns == "") return "-"
      if (ns >= 1e9) return sprintf("%.1f s", ns / 1e9)
      if (ns >= 1e6) return sprintf("%.0f ms", ns / 1e6)
      return sprintf("%.0f µs", ns / 1e3)
    }
    function m(r, s) { return n[r, s] ? sum[r, s] / n[r, s] : "" }
    END {
      print "| Rows | `WriteRows` (the script) | its load into PostgreSQL | into SQLite (modernc) | `ReadRows` from PostgreSQL |"
      print "| --- | --- | --- | --- | --- |"
      for (s = 1; s <= ns; s++) {
        r = sizes[s]
        print "| " r " | " t(m(r, "write-rows")) " | " t(m(r, "load-postgres")) " | " t(m(r, "load-sqlite")) " | " t(m(r, "read-postgres")) " |"
      }
    }
  ' bench/export.txt
} > "$export"

# splice FILE TAG TABLE: replace what lies between FILE's
# <!-- bench:TAG:start --> and <!-- bench:TAG:end --> markers with TABLE.
splice() {
  local file=$1 tag=$2 table=$3
  awk -v table="$table" -v tag="$tag" -v file="$file" '
    $0 == "<!-- bench:" tag ":start -->" { print; while ((getline line < table) > 0) print line; skip = 1; start = 1; next }
    $0 == "<!-- bench:" tag ":end -->" { if (!skip) exit 1; skip = 0; end = 1 }
    !skip { print }
    END { if (!start || !end || skip) { print file ": no complete bench:" tag " markers" > "/dev/stderr"; exit 1 } }
  ' "$file" > "$file.new" || { rm -f "$file.new"; exit 1; }
  mv "$file.new" "$file"
}

for t in foundation loading peers lookup levers scale; do
  splice bench/README.md "$t" "bench/$t.md"
done
splice README.md summary "$summary"
splice bench/README.md reads "$reads"
splice README.md stores "$stores"
splice README.md export "$export"
echo "bench/README.md and README.md updated; raw results in bench/" >&2
