#!/usr/bin/env bash
# Produce and consume throughput of a Samsa broker against librdkafka's in-memory mock broker,
# measured with the same librdkafka client (rdkperf.c) on loopback in the same run.
#
# For each case SIZE:COUNT (records of SIZE bytes) and each repetition, it creates a fresh
# one-partition topic on Samsa, produces COUNT records into it, consumes them from offset 0, deletes
# the topic, then does the same against the mock. It prints every run, then a table of the medians
# with the broker's CPU time and the ratio Samsa/mock (above 1 means Samsa is faster), and the
# broker's start-up time and resident memory. The two share this machine's cores with the client,
# so the figures are ratios on one machine, not absolute capacities.
#
# Settings (environment):
#   REPS=3                         repetitions per case; the table shows medians
#   CASES="100:2000000 1024:500000" SIZE:COUNT pairs
#   ACKS=all                       producer acks (0, 1, all)
#   LINGER_MS=5 BATCH_SIZE=1000000 producer linger.ms and batch.size (librdkafka's defaults)
#   PRODUCE_X="" CONSUME_X=""      extra librdkafka settings, "key=value key=value"
#   RUN_TIMEOUT=120                seconds allowed for one measured run
#
# Needs gcc and librdkafka-dev (installed here when missing), python3 and the .NET SDK.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/perf"

REPS="${REPS:-3}"
CASES="${CASES:-100:2000000 1024:500000}"
ACKS="${ACKS:-all}"
LINGER_MS="${LINGER_MS:-5}"
BATCH_SIZE="${BATCH_SIZE:-1000000}"
PRODUCE_X="${PRODUCE_X:-}"
CONSUME_X="${CONSUME_X:-}"
RUN_TIMEOUT="${RUN_TIMEOUT:-120}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/samsa-perf.XXXXXX")"
RUN_PID=""
# shellcheck source=broker.sh
source "$HERE/broker.sh"

trap cleanup_run EXIT
trap 'exit 130' INT TERM

fail() {
  echo "produce-consume: $*" >&2
  exit 1
}

# ---- the C driver ----
build_rdk_driver rdkperf
RDKPERF="$WORK/rdkperf"
RDK_VERSION="$("$RDKPERF" version)"

# ---- the broker ----
"$ROOT/samsa" --help >/dev/null # builds the CLI now, so start-up below measures start-up only

BROKER_LOG="$WORK/broker.log"
start_broker "$BROKER_LOG" "log.dirs=$WORK/data"
ready_ms=$READY_MS
idle_rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$BROKER_PID/status")
self_reported="$(grep -o 'started in [0-9]* ms' "$BROKER_LOG" | tail -1 || true)"
echo "broker pid $BROKER_PID on $BOOTSTRAP: ready ${ready_ms} ms after launch (its own log: ${self_reported:-n/a}), idle VmRSS $((idle_rss_kb / 1024)) MiB"

samsa_topics() {
  "$ROOT/samsa" topics --bootstrap-server "$BOOTSTRAP" "$@" >/dev/null
}

x_options() { # "k=v k=v" -> -X k=v -X k=v
  local kv
  for kv in $1; do printf -- '-X\n%s\n' "$kv"; done
}

mapfile -t PRODUCE_OPTS < <(printf -- '-X\nlinger.ms=%s\n-X\nbatch.size=%s\n' "$LINGER_MS" "$BATCH_SIZE"; x_options "$PRODUCE_X")
mapfile -t CONSUME_OPTS < <(x_options "$CONSUME_X")

RESULTS="$WORK/results" # lines: mode size target records_per_s mb_per_s broker_cpu_s
CLK_TCK="$(getconf CLK_TCK)"
: >"$RESULTS"

# run MODE SIZE COUNT TARGET-NAME DRIVER-ARGS...: one measured run, recorded in $RESULTS.
run() {
  local mode=$1 size=$2 count=$3 name=$4
  shift 4
  local extra=("${CONSUME_OPTS[@]}")
  if [[ $mode == produce ]]; then extra=("${PRODUCE_OPTS[@]}"); fi
  local cpu_before
  cpu_before=$(broker_cpu_ticks)
  # In the background and waited for, so that a signal to this script is handled at once.
  "$RDKPERF" "$mode" "$@" -n "$count" -s "$size" -a "$ACKS" -T "$RUN_TIMEOUT" "${extra[@]}" >"$WORK/run.out" &
  RUN_PID=$!
  wait "$RUN_PID" || fail "$mode of $count x $size B against $name failed"
  RUN_PID=""
  # CPU time the broker process used during the run (user + system).
  local cpu
  cpu=$(awk -v a="$cpu_before" -v b="$(broker_cpu_ticks)" -v t="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / t }')
  local line
  line="$(cat "$WORK/run.out")"
  if [[ $name == samsa ]]; then line+=" broker_cpu_s=$cpu"; fi
  echo "  $name: $line"
  local rps mbps
  rps=$(sed -n 's/.*records_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
  mbps=$(sed -n 's/.*mb_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
  echo "$mode $size $name $rps $mbps $cpu" >>"$RESULTS"
}

for case in $CASES; do
  size=${case%%:*}
  count=${case##*:}
  for rep in $(seq "$REPS"); do
    echo "== $count records of $size B, run $rep of $REPS"
    topic="perf-$size-$rep"
    samsa_topics --create --topic "$topic" --partitions 1 --replication-factor 1
    run produce "$size" "$count" samsa -b "$BOOTSTRAP" -t "$topic"
    run consume "$size" "$count" samsa -b "$BOOTSTRAP" -t "$topic"
    samsa_topics --delete --topic "$topic"
    run produce "$size" "$count" mock --mock -t "$topic"
    run consume "$size" "$count" mock --mock -t "$topic"
  done
done

after_rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$BROKER_PID/status")
peak_rss_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$BROKER_PID/status")

median() { # MODE SIZE TARGET COLUMN(4 = records/s, 5 = MB/s, 6 = broker CPU s)
  awk -v m="$1" -v s="$2" -v t="$3" -v c="$4" '$1 == m && $2 == s && $3 == t { print $c }' "$RESULTS" \
    | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "Samsa vs librdkafka $RDK_VERSION mock broker, loopback, acks=$ACKS, linger.ms=$LINGER_MS, batch.size=$BATCH_SIZE; median of $REPS runs"
echo "(MB = 1,048,576 bytes of record values; broker cpu = the Samsa process's user + system CPU time during"
echo " the run; ratio = Samsa / mock records/s, above 1 means Samsa is faster)"
printf '%-8s %7s %10s | %12s %9s %11s | %12s %9s | %6s\n' mode size records "samsa rec/s" "MB/s" "broker cpu" "mock rec/s" "MB/s" ratio
for case in $CASES; do
  size=${case%%:*}
  count=${case##*:}
  for mode in produce consume; do
    s_rps=$(median "$mode" "$size" samsa 4)
    s_mb=$(median "$mode" "$size" samsa 5)
    s_cpu=$(median "$mode" "$size" samsa 6)
    m_rps=$(median "$mode" "$size" mock 4)
    m_mb=$(median "$mode" "$size" mock 5)
    ratio=$(awk -v a="$s_rps" -v b="$m_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    printf '%-8s %5s B %10s | %12.0f %9.1f %9.2f s | %12.0f %9.1f | %6s\n' \
      "$mode" "$size" "$count" "$s_rps" "$s_mb" "$s_cpu" "$m_rps" "$m_mb" "$ratio"
  done
done
echo
echo "broker start-up: ready ${ready_ms} ms after launch (${self_reported:-n/a} by its own log)"
printf 'broker memory: idle after start-up VmRSS %.1f MiB; after the runs VmRSS %.1f MiB, peak VmHWM %.1f MiB\n' \
  "$(awk -v k="$idle_rss_kb" 'BEGIN { print k / 1024 }')" \
  "$(awk -v k="$after_rss_kb" 'BEGIN { print k / 1024 }')" \
  "$(awk -v k="$peak_rss_kb" 'BEGIN { print k / 1024 }')"
