# Helpers shared by run.sh, test.sh and bench.sh. Sourced, not run.
# Everything here is idempotent: what is installed or built is skipped.

HERALD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HERALD_BUILD="${HERALD_BUILD_DIR:-$HERALD_ROOT/build}"

# Debian packages, by purpose.
BUILD_PACKAGES=(g++ cmake ninja-build pkg-config make
  libpoco-dev libboost-dev libboost-filesystem-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libjemalloc-dev libgtest-dev libgmock-dev libhiredis-dev librabbitmq-dev)
TEST_PACKAGES=(redis-server rabbitmq-server json-schema-test-suite libtest-json-schema-acceptance-perl curl procps)
BENCH_PACKAGES=(wrk)

log() { printf '[herald] %s\n' "$*" >&2; }

# ensure_packages PKG...: installs the ones dpkg does not have, without prompting.
ensure_packages() {
  local missing=()
  local p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" != 0 ]; then sudo=(sudo -n); fi
  export DEBIAN_FRONTEND=noninteractive
  # Services must not start on install (containers have no init; tests start
  # their own servers on free ports).
  if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" = 0 ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    HERALD_REMOVE_POLICY=1
  fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "${HERALD_REMOVE_POLICY:-0}" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
}

# ensure_build [TARGET...]: configures once, then builds (incrementally).
ensure_build() {
  if [ ! -f "$HERALD_BUILD/CMakeCache.txt" ]; then
    log "configuring $HERALD_BUILD"
    cmake -S "$HERALD_ROOT" -B "$HERALD_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  local jobs
  jobs="$(nproc 2>/dev/null || echo 2)"
  log "building (${jobs} jobs)"
  if [ "$#" -gt 0 ]; then
    cmake --build "$HERALD_BUILD" -j "$jobs" --target "$@"
  else
    cmake --build "$HERALD_BUILD" -j "$jobs"
  fi
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$(( (RANDOM % 20000) + 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# wait_for_port PORT SECONDS
wait_for_port() {
  local port="$1" deadline=$(( SECONDS + $2 ))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  return 1
}
