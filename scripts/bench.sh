#!/usr/bin/env bash
# `make bench`: the load test of docs/benchmark.md. Installs what it needs (wrk,
# Redis) from Debian's packages when missing, makes sure PostgreSQL and Redis
# answer on loopback, then runs bench/run.py (arguments are passed on).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
PG_HOST=127.0.0.1
PG_PORT=5432

apt_install() {
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
    echo "error: $* is missing and cannot be installed without root (apt-get install $*)." >&2
    exit 1
  fi
  local SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "== installing $* (apt-get)"
  ($SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "$@") >/tmp/bench-apt.log 2>&1 \
    || { echo "apt-get install $* failed:"; tail -20 /tmp/bench-apt.log; exit 1; }
}

command -v wrk >/dev/null 2>&1 || apt_install wrk

if ! pg_isready -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
    for _ in $(seq 1 30); do pg_isready -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1 && break; sleep 1; done
  fi
  pg_isready -h "$PG_HOST" -p "$PG_PORT" >/dev/null 2>&1 \
    || { echo "error: PostgreSQL does not answer on $PG_HOST:$PG_PORT (user postgres, trust auth expected)." >&2; exit 1; }
fi

if ! (command -v redis-cli >/dev/null 2>&1 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1); then
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  echo "== starting redis-server on 127.0.0.1:6379"
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save "" --appendonly no >/dev/null
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi

exec "$PY" -m bench.run "$@"
