#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite: `start` prints its URL, `stop` removes it.
# Installs the Debian package when missing and we are root (CI machines start without it).
set -euo pipefail
DIR=${MAILLAGE_PG_DIR:-/tmp/maillage-test-pg}
PORT=${MAILLAGE_PG_PORT:-54329}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

run() {  # initdb and postgres refuse to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    BIN=$(pg_bin)
    if [ -z "$BIN" ]; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
        BIN=$(pg_bin)
      fi
      [ -n "$BIN" ] || { echo "PostgreSQL introuvable et non installable ici" >&2; exit 3; }
    fi
    "$0" stop >/dev/null 2>&1 || true
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    run "$BIN/initdb" -D "$DIR/data" -A trust -U maillage -E UTF8 --no-sync >/dev/null
    run "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
      -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null
    run "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U maillage maillage_test
    echo "postgresql://maillage@127.0.0.1:$PORT/maillage_test"
    ;;
  stop)
    BIN=$(pg_bin)
    if [ -n "$BIN" ] && [ -d "$DIR/data" ]; then run "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null || true; fi
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
