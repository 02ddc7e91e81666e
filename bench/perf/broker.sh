# Sourced by the bench/perf scripts: one Samsa broker process at a time on a free loopback port.
# Needs ROOT (the repository) and a fail() function. Sets BOOTSTRAP; start_broker sets BROKER_PID and READY_MS.
# The samsa script execs dotnet, so BROKER_PID is the broker process itself (its /proc entries are the broker's).

BROKER_PID=""
READY_MS=0
BOOTSTRAP="127.0.0.1:$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

# start_broker LOG [k=v ...]: starts a broker on BOOTSTRAP with those overrides, its output in LOG, and waits
# (up to 120 s) for its ready line; READY_MS is the time from launch to that line.
start_broker() {
  local log=$1 start_ns deadline kv
  shift
  local overrides=(--override "listeners=PLAINTEXT://$BOOTSTRAP")
  for kv in "$@"; do overrides+=(--override "$kv"); done
  start_ns=$(date +%s%N)
  "$ROOT/samsa" server start "${overrides[@]}" >"$log" 2>&1 &
  BROKER_PID=$!
  deadline=$((SECONDS + 120))
  until grep -q "ready on PLAINTEXT://$BOOTSTRAP" "$log"; do
    kill -0 "$BROKER_PID" 2>/dev/null || { cat "$log" >&2; fail "the broker exited during start-up"; }
    ((SECONDS < deadline)) || { cat "$log" >&2; fail "the broker was not ready within 120 s"; }
    sleep 0.005
  done
  READY_MS=$((($(date +%s%N) - start_ns) / 1000000))
}

# stop_broker: SIGTERM, up to 10 s for a clean stop, then SIGKILL.
stop_broker() {
  if [[ -n "$BROKER_PID" ]] && kill -0 "$BROKER_PID" 2>/dev/null; then
    kill -TERM "$BROKER_PID" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$BROKER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$BROKER_PID" 2>/dev/null || true
  fi
  BROKER_PID=""
}

# broker_cpu_ticks: the broker's user + system CPU time so far, in clock ticks.
broker_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$BROKER_PID/stat"; }

# cleanup_run: the EXIT trap of a script that runs a client (RUN_PID, when set) against the broker in WORK: stops the
# client and the broker and removes WORK.
cleanup_run() {
  if [[ -n "${RUN_PID:-}" ]]; then
    kill -TERM "$RUN_PID" 2>/dev/null || true
  fi
  stop_broker
  rm -rf "$WORK"
}

# build_rdk_driver NAME: compiles $HERE/NAME.c (a librdkafka driver) to $WORK/NAME, installing librdkafka-dev first
# when it is missing.
build_rdk_driver() {
  if ! dpkg -s librdkafka-dev >/dev/null 2>&1; then
    local sudo=""
    if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
    echo "==> installing librdkafka-dev"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq librdkafka-dev >/dev/null
  fi
  gcc -O2 -Wall -Wextra -o "$WORK/$1" "$HERE/$1.c" -lrdkafka
}
