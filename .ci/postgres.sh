#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the `tariff serve` tests: Debian's postgresql package,
# initdb in a temporary directory as an unprivileged user, listening on 127.0.0.1 only,
# trust auth (loopback, test data). Usage: .ci/postgres.sh start DIR PORT | stop DIR
set -euo pipefail
cmd=$1 dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
user=nobody
run() { if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    port=$3
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown "$user" "$dir"
    # A start can fail for a reason outside the tests (the random port taken, a slow
    # machine): three tries on the next ports, each failure's server log shown.
    for try in 1 2 3; do
      rm -rf "$dir/data"
      run "$bin/initdb" -D "$dir/data" -A trust -U tariff --no-sync >/dev/null
      if run "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 120 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=100" start >/dev/null; then
        echo "postgres://tariff@127.0.0.1:$port/postgres"
        exit 0
      fi
      echo "postgres.sh: start $try on port $port failed; its log:" >&2
      tail -n 20 "$dir/log" >&2 || true
      run "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
      port=$((port + 1))
    done
    exit 1
    ;;
  stop)
    run "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null || true
    ;;
esac
