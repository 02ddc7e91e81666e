#!/usr/bin/env bash
# Recovery of a real broker after kill -9: start a Samsa broker, fill one partition with about
# GIB GiB through librdkafka (rdkperf.c, acks=1, no fsync: what a running broker holds unflushed in
# the page cache), kill -9 the broker, start it again on the same directory and time until its ready
# line. Prints, per repetition, the start-up time of the empty broker, the restart time after the
# kill, the difference (the recovery's share), the recovery line the broker logs and the log end
# offset it reports, which must equal the records acknowledged.
#
# The log is one segment: log.segment.bytes is raised to its maximum, since a roll fsyncs the old
# segment and moves the recovery point past it (recovery would then check only the tail).
#
# Settings (environment):
#   REPS=3          repetitions (each with a fresh broker and directory)
#   GIB=1           GiB of record values to produce
#   SIZE=1024       record value size in bytes
#   RUN_TIMEOUT=300 seconds allowed for the produce
#
# Needs gcc and librdkafka-dev, python3 and the .NET SDK.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/perf"

REPS="${REPS:-3}"
GIB="${GIB:-1}"
SIZE="${SIZE:-1024}"
RUN_TIMEOUT="${RUN_TIMEOUT:-300}"
COUNT=$(awk -v g="$GIB" -v s="$SIZE" 'BEGIN { printf "%d", g * 1073741824 / s }')

WORK="$(mktemp -d "${TMPDIR:-/tmp}/samsa-recovery.XXXXXX")"
trap cleanup_run EXIT
trap 'exit 130' INT TERM

fail() {
  echo "recovery: $*" >&2
  exit 1
}

# shellcheck source=broker.sh
source "$HERE/broker.sh"

build_rdk_driver rdkperf
RDKPERF="$WORK/rdkperf"
"$ROOT/samsa" --help >/dev/null # builds the CLI now, so the timings below are start-up only

# start_recovery_broker DATA LOG: one segment up to 2 GiB, so the whole partition stays one unflushed segment.
start_recovery_broker() {
  start_broker "$2" "log.dirs=$1" "log.segment.bytes=2147483647"
}

echo "recovery of a broker after kill -9: $COUNT records of $SIZE B ($GIB GiB of values) in one partition, $REPS runs"
RESULTS="$WORK/results"
: >"$RESULTS"
for rep in $(seq "$REPS"); do
  data="$WORK/data-$rep"
  topic="recovery-$rep"
  start_recovery_broker "$data" "$WORK/broker-$rep-1.log"
  empty_ms=$READY_MS
  "$ROOT/samsa" topics --bootstrap-server "$BOOTSTRAP" --create --topic "$topic" --partitions 1 --replication-factor 1 >/dev/null
  "$RDKPERF" produce -b "$BOOTSTRAP" -t "$topic" -n "$COUNT" -s "$SIZE" -a 1 -T "$RUN_TIMEOUT" \
    -X linger.ms=5 -X batch.size=1000000 >"$WORK/produce.out" || fail "the produce failed"
  bytes=$(du -sb "$data/$topic-0" | awk '{ print $1 }')
  kill -KILL "$BROKER_PID"
  wait "$BROKER_PID" 2>/dev/null || true
  BROKER_PID=""
  start_recovery_broker "$data" "$WORK/broker-$rep-2.log"
  restart_ms=$READY_MS
  line="$(grep -o "Partition $topic-0: recovery.*" "$WORK/broker-$rep-2.log" | head -1 || true)"
  leo=$(sed -n 's/.*log end offset \(is now \)\{0,1\}\([0-9]*\).*/\2/p' <<<"$line")
  check="log end offset $leo = records acknowledged"
  [[ "$leo" == "$COUNT" ]] || check="LOG END OFFSET '${leo}' BUT $COUNT RECORDS ACKNOWLEDGED"
  echo "run $rep: $(cat "$WORK/produce.out")"
  echo "  on disk $(awk -v b="$bytes" 'BEGIN { printf "%.2f GiB", b / 1073741824 }'); start-up empty ${empty_ms} ms; after kill -9 ${restart_ms} ms; difference $((restart_ms - empty_ms)) ms; $check"
  echo "  broker: ${line:-no recovery line}"
  echo "$empty_ms $restart_ms $bytes" >>"$RESULTS"
  stop_broker
  rm -rf "$data"
done

sort -k2 -g "$RESULTS" | awk -v n="$REPS" '{ e[NR] = $1; r[NR] = $2; d[NR] = $2 - $1; b = $3 }
  END {
    m = int((n + 1) / 2)
    printf "median restart after kill -9: %d ms (empty start-up %d ms in that run, recovery share %d ms, %.2f GiB/s); target at most 5 s for 1 GiB\n",
      r[m], e[m], d[m], (d[m] > 0 ? b / 1073741824 / (d[m] / 1000) : 0)
  }'
