#!/usr/bin/env bash
# Runs the benchmarks under bench/. Each prints its figure next to a baseline
# measured in the same run, and the ratio (medians over rounds: the machine
# is small and noisy).
#   ./scripts/bench.sh            all of them
#   ./scripts/bench.sh http       one: store | aggregate | projection | http
#   BENCH_WITHOUT_PROJECTIONS=1 ./scripts/bench.sh http
#                                 the HTTP one on the default config without
#                                 its projections: the command path alone
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_packages "${BUILD_PACKAGES[@]}" "${BENCH_PACKAGES[@]}"
ensure_build
BIN="$HERALD_BUILD/bin"
what="${1:-all}"
ROUNDS="${BENCH_ROUNDS:-3}"
SECONDS_PER_ROUND="${BENCH_SECONDS:-10}"

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print 0; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# CPU time (user + system, all threads) a process has used, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# One wrk round, labelled LABEL, against PORT: prints the wrk line and the
# CPU per request to stderr, and "RPS P99_MS CPU_US" to stdout, where CPU_US
# is what the process PID used per request (all its threads, from /proc).
wrk_round() {
  local label="$1" port="$2" pid="$3" script="$4" before after out rps p99 cpu
  before="$(cpu_ticks "$pid")"
  out="$(wrk -t2 -c64 -d"${SECONDS_PER_ROUND}s" --latency -s "$script" "http://127.0.0.1:$port" | grep RESULT)"
  after="$(cpu_ticks "$pid")"
  rps="$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$out")"
  p99="$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$out")"
  cpu="$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v r="$rps" -v s="$SECONDS_PER_ROUND" \
    'BEGIN{printf "%.1f", (r > 0) ? t * 1e6 / hz / (r * s) : 0}')"
  echo "  $label $out cpu_us_per_request=$cpu" >&2
  echo "$rps $p99 $cpu"
}

run_if_built() {
  local name="$1"; shift
  if [ -x "$BIN/$name" ]; then
    log "== $name"
    "$BIN/$name" "$@"
  else
    log "== $name: not built, skipped"
  fi
}

bench_http() {
  local work hport bport hpid bpid
  work="$(mktemp -d /tmp/herald-bench.XXXXXX)"
  hport="$(free_port)"
  local config=() setup="default config"
  if [ "${BENCH_WITHOUT_PROJECTIONS:-0}" = 1 ]; then
    # The default config up to its projections section, its last.
    sed '/^projections:/,$d' "$HERALD_ROOT/config/herald.yaml" > "$work/commands-only.yaml"
    grep -q '^aggregates:' "$work/commands-only.yaml" || { echo "config/herald.yaml: no aggregates before projections" >&2; return 1; }
    config=(-c "$work/commands-only.yaml")
    setup="default config without its projections"
  fi
  HERALD_LISTEN="127.0.0.1:$hport" HERALD_DATA_DIR="$work" HERALD_LOG_LEVEL=warn \
    "$BIN/herald" "${config[@]}" > "$work/herald.log" 2>&1 &
  hpid=$!
  bport="$(free_port)"
  "$BIN/bench_http_baseline" "$bport" 64 2> "$work/baseline.log" &
  bpid=$!
  trap 'kill $hpid $bpid 2>/dev/null || true; wait $hpid $bpid 2>/dev/null || true; rm -rf "$work"' RETURN
  wait_for_port "$hport" 30 || { cat "$work/herald.log"; return 1; }
  wait_for_port "$bport" 30 || return 1
  log "seeding 10,000 users"
  "$BIN/bench_http_seed" "$hport" 10000 16
  local script="$HERALD_ROOT/bench/http-commands/update_user.lua"
  local h_rps=() b_rps=() h_p99=() b_p99=() h_cpu=() b_cpu=() r
  for round in $(seq 1 "$ROUNDS"); do
    log "round $round/$ROUNDS: herald (wrk -t2 -c64 -d${SECONDS_PER_ROUND}s, UpdateUser)"
    read -r -a r <<<"$(wrk_round "herald  " "$hport" "$hpid" "$script")"
    h_rps+=("${r[0]}"); h_p99+=("${r[1]}"); h_cpu+=("${r[2]}")
    log "round $round/$ROUNDS: bare Poco server, same load"
    read -r -a r <<<"$(wrk_round baseline "$bport" "$bpid" "$script")"
    b_rps+=("${r[0]}"); b_p99+=("${r[1]}"); b_cpu+=("${r[2]}")
  done
  local hr br hp bp hc bc
  hr="$(printf '%s\n' "${h_rps[@]}" | median)"
  br="$(printf '%s\n' "${b_rps[@]}" | median)"
  hp="$(printf '%s\n' "${h_p99[@]}" | median)"
  bp="$(printf '%s\n' "${b_p99[@]}" | median)"
  hc="$(printf '%s\n' "${h_cpu[@]}" | median)"
  bc="$(printf '%s\n' "${b_cpu[@]}" | median)"
  echo "http commands (UpdateUser, 64 connections, fsync batch, ${setup}): herald ${hr} req/s (p99 ${hp} ms, ${hc} µs CPU per command)," \
       "bare Poco ${br} req/s (p99 ${bp} ms, ${bc} µs CPU per request), ratio $(awk -v a="$hr" -v b="$br" 'BEGIN{printf "%.2f", a/b}') (goal >= 0.70)"
}

case "$what" in
  store|all)
    run_if_built bench_store_append
    # Like for like: the baseline overwrites a zero-filled file too, as the
    # store's preallocated log does.
    run_if_built bench_store_append --preallocated-baseline ;;&
  aggregate|all) run_if_built bench_aggregate_decide; run_if_built bench_aggregate_load ;;&
  projection|all) run_if_built bench_projection_apply; run_if_built bench_projection_rebuild ;;&
  http|all) log "== http"; bench_http ;;
  store|aggregate|projection) ;;
  *) echo "unknown benchmark '$what' (store | aggregate | projection | http | all)" >&2; exit 2 ;;
esac
