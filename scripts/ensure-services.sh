#!/usr/bin/env bash
# Make the services the scale-out tests need available on a Debian machine (CI or
# a developer's box, NOT a production host: it opens PostgreSQL's superuser to
# password-less logins from loopback):
#   PostgreSQL on 127.0.0.1:5432, role "postgres" usable without a password;
#   Redis on 127.0.0.1:6379; HAProxy installed (the tests start their own).
# Reachable services are left alone; installed but stopped ones are started;
# missing ones are installed with apt-get. Silent when all is well, and exits
# non-zero with the reason and the log of what it tried when something is not.
set -euo pipefail

PG_PORT="${ENSURE_PG_PORT:-5432}"
PG_CLUSTER="${ENSURE_PG_CLUSTER:-main}"
REDIS_PORT="${ENSURE_REDIS_PORT:-6379}"

LOG="$(mktemp -t ensure-services.XXXXXX)"
trap 'rm -f "$LOG"' EXIT

fail() {
  echo "ensure-services: $*" >&2
  if [ -s "$LOG" ]; then
    echo "---- what was tried ----" >&2
    tail -n 40 "$LOG" >&2
  fi
  exit 1
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else fail "need root (or sudo) for: $*"
  fi
}

port_open() {  # bash's /dev/tcp: works before any client package is installed
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for_port() {
  local port=$1 what=$2
  for _ in $(seq 1 60); do
    port_open "$port" && return 0
    sleep 0.5
  done
  fail "$what did not come up on 127.0.0.1:$port"
}

pg_version() {  # the newest installed major version, e.g. 15
  ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1
}

postgres_login_works() {
  PGCONNECT_TIMEOUT=5 psql -w -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atqc 'select 1' >>"$LOG" 2>&1
}

missing=()
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
if ! port_open "$PG_PORT" && [ -z "$(pg_version)" ]; then missing+=(postgresql); fi
if ! port_open "$REDIS_PORT" && ! command -v redis-server >/dev/null 2>&1; then missing+=(redis-server); fi
if [ "${#missing[@]}" -gt 0 ]; then
  as_root apt-get update -qq >>"$LOG" 2>&1 || fail "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >>"$LOG" 2>&1 \
    || fail "could not install: ${missing[*]}"
fi
command -v haproxy >/dev/null 2>&1 || fail "haproxy is still not on PATH after installing it"

if ! port_open "$PG_PORT"; then
  version="$(pg_version)"
  [ -n "$version" ] || fail "PostgreSQL is installed but has no cluster under /etc/postgresql"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$PG_CLUSTER" start >>"$LOG" 2>&1 \
    || fail "could not start PostgreSQL cluster $version/$PG_CLUSTER"
  wait_for_port "$PG_PORT" PostgreSQL
fi

# Debian's package asks for a password over TCP. The tests log in as "postgres"
# from loopback without one, so trust exactly that, ahead of the other rules
# (pg_hba.conf is first match wins).
if ! postgres_login_works; then
  version="$(pg_version)"
  hba="/etc/postgresql/$version/$PG_CLUSTER/pg_hba.conf"
  [ -n "$version" ] && [ -f "$hba" ] \
    || fail "cannot log in to PostgreSQL on 127.0.0.1:$PG_PORT as postgres, and it is not a local Debian cluster to configure"
  if ! grep -q '^host all postgres 127.0.0.1/32 trust' "$hba"; then
    as_root sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba" \
      || fail "could not edit $hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$PG_CLUSTER" reload >>"$LOG" 2>&1 \
    || fail "could not reload PostgreSQL after allowing loopback logins"
  for _ in $(seq 1 20); do postgres_login_works && break; sleep 0.5; done
  postgres_login_works || fail "still cannot log in to PostgreSQL as postgres on 127.0.0.1:$PG_PORT"
fi

if ! port_open "$REDIS_PORT"; then
  as_root mkdir -p /var/lib/redis /var/log/redis
  # No persistence: the lock store's tickets live seconds, and a CI box keeps nothing.
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log >>"$LOG" 2>&1 \
    || fail "could not start redis-server (see /var/log/redis/ci.log)"
  wait_for_port "$REDIS_PORT" Redis
fi
if command -v redis-cli >/dev/null 2>&1; then
  [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>>"$LOG")" = "PONG" ] \
    || fail "something listens on 127.0.0.1:$REDIS_PORT but does not answer Redis PING"
fi
