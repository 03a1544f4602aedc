#!/usr/bin/env bash
# Installs what is missing, builds, starts the servers the tests need (Redis,
# RabbitMQ — on loopback, free ports, their own data folders), runs every
# test, and stops the servers. Extra arguments go to ctest (e.g. -R Store).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
ensure_build

WORK="$(mktemp -d /tmp/herald-test.XXXXXX)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "${RABBITMQ_NODENAME:-}" ]; then
    rabbitmqctl -n "$RABBITMQ_NODENAME" stop >/dev/null 2>&1 || true
  fi
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

start_redis() {
  local port
  port="$(free_port)"
  mkdir -p "$WORK/redis"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$WORK/redis" --save "" \
    --appendonly no --daemonize no --logfile "$WORK/redis/redis.log" &
  PIDS+=("$!")
  wait_for_port "$port" 20 || { log "redis did not start"; cat "$WORK/redis/redis.log" >&2; exit 1; }
  export HERALD_TEST_REDIS_PORT="$port"
  log "redis on 127.0.0.1:$port"
}

start_rabbitmq() {
  local port dist
  port="$(free_port)"
  dist="$(free_port)"
  mkdir -p "$WORK/rabbitmq"
  export RABBITMQ_NODENAME="herald-test-$$@localhost"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$dist"
  export RABBITMQ_MNESIA_BASE="$WORK/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$WORK/rabbitmq/log"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$WORK/rabbitmq/enabled_plugins"
  export RABBITMQ_CONFIG_FILE="$WORK/rabbitmq/rabbitmq"
  echo "[]." > "$RABBITMQ_ENABLED_PLUGINS_FILE"
  echo "loopback_users = none" > "$WORK/rabbitmq/rabbitmq.conf"
  rabbitmq-server > "$WORK/rabbitmq/stdout.log" 2>&1 &
  PIDS+=("$!")
  wait_for_port "$port" 90 || { log "rabbitmq did not start"; tail -50 "$WORK/rabbitmq/stdout.log" >&2; exit 1; }
  export HERALD_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:$port/"
  log "rabbitmq on 127.0.0.1:$port"
}

cd "$HERALD_BUILD"
# Servers only when some test needs them (label `service`).
if ctest -N -L service 2>/dev/null | grep -q "Total Tests: [1-9]"; then
  start_redis
  start_rabbitmq
fi
export HERALD_TEST_TMP="$WORK"
ctest --output-on-failure --timeout 600 -j "$(nproc 2>/dev/null || echo 2)" "$@"
