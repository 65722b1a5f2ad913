#!/usr/bin/env bash
# A throwaway MariaDB server for the `tariff reconcile --db mysql://` test: Debian's
# mariadb-server package, a data directory of its own in a temporary directory, listening
# on 127.0.0.1 only on the given port, no socket shared with a system server; an account
# `tariff`@127.0.0.1 without a password (loopback, test data).
# Usage: .ci/mariadb.sh start DIR PORT | stop DIR
set -euo pipefail
cmd=$1 dir=$2
user=$(id -un)
[ "$(id -u)" = 0 ] && user=mysql
case "$cmd" in
  start)
    port=$3
    mkdir -p "$dir/data"
    [ "$(id -u)" = 0 ] && chown -R "$user" "$dir"
    mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" \
      --auth-root-authentication-method=normal --skip-test-db >/dev/null
    mariadbd --no-defaults --datadir="$dir/data" --user="$user" \
      --bind-address=127.0.0.1 --port="$port" --socket="$dir/mysqld.sock" \
      --pid-file="$dir/mysqld.pid" --log-error="$dir/log" &
    for _ in $(seq 1 60); do
      if mariadb-admin --no-defaults -S "$dir/mysqld.sock" -u root ping >/dev/null 2>&1; then
        # A TCP account for the loopback address (root's own is bound to the socket).
        mariadb --no-defaults -S "$dir/mysqld.sock" -u root -e \
          "CREATE USER 'tariff'@'127.0.0.1'; GRANT ALL ON *.* TO 'tariff'@'127.0.0.1';"
        echo "mysql://tariff@127.0.0.1:$port/mysql"
        exit 0
      fi
      sleep 0.5
    done
    echo "mariadb did not start; its log:" >&2
    tail -n 20 "$dir/log" >&2 || true
    exit 1
    ;;
  stop)
    if [ -f "$dir/mysqld.pid" ]; then
      kill "$(cat "$dir/mysqld.pid")" 2>/dev/null || true
      for _ in $(seq 1 40); do [ -f "$dir/mysqld.pid" ] || break; sleep 0.25; done
    fi
    ;;
esac
