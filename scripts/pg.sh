#!/usr/bin/env bash
# A private PostgreSQL for memrel's benchmarks and tests, run by an
# unprivileged user on a socket directory of its own, never the system's:
#
#   scripts/pg.sh start   # start it (installing Debian's postgresql if absent
#                         # and INSTALL=1), and print its DSN
#   scripts/pg.sh stop    # stop it; its data is deleted
#   scripts/pg.sh dsn     # print the DSN of a running one
#
# The DSN is for pgx and lib/pq: host=<socket dir> port=<port> user=memrel
# dbname=postgres. Tests and benchmarks read it from MEMREL_PG_DSN, and skip
# with a message without it.
set -euo pipefail
root=${PGROOT:-/tmp/memrel-pg}
port=${PGPORT_MEMREL:-54329}
user=memrel
dsn="host=$root/sock port=$port user=$user dbname=postgres sslmode=disable"

bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) /usr/local/bin /usr/bin; do
    if [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
  done
  return 1
}

# as runs a command as the unprivileged owner of the cluster (initdb and
# postgres refuse to run as root).
as() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

case ${1:-} in
  start)
    if ! b=$(bin); then
      if [ "${INSTALL:-}" = 1 ] && command -v apt-get >/dev/null; then
        echo "installing postgresql from Debian's packages..." >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
        b=$(bin)
      else
        echo "pg.sh: no PostgreSQL (pg_ctl, initdb); install Debian's postgresql, or run with INSTALL=1" >&2
        exit 1
      fi
    fi
    if [ "$(id -u)" = 0 ] && ! id "$user" >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    fi
    if [ -f "$root/data/postmaster.pid" ] && as "$b/pg_ctl" -D "$root/data" status >/dev/null 2>&1; then
      echo "$dsn"; exit 0
    fi
    rm -rf "$root"
    mkdir -p "$root/sock"
    [ "$(id -u)" = 0 ] && chown -R "$user" "$root"
    as "$b/initdb" -D "$root/data" -U "$user" --auth=trust --no-sync -E UTF8 >/dev/null
    as "$b/pg_ctl" -D "$root/data" -l "$root/log" -w -o "-k $root/sock -p $port -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
    echo "$dsn"
    ;;
  stop)
    if b=$(bin) && [ -d "$root/data" ]; then
      as "$b/pg_ctl" -D "$root/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$root"
    ;;
  dsn)
    echo "$dsn"
    ;;
  *)
    echo "usage: scripts/pg.sh start|stop|dsn" >&2
    exit 2
    ;;
esac
