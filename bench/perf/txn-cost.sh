#!/usr/bin/env bash
# The throughput cost of idempotence and of transactions: one librdkafka producer (rdktxn.c) against one Samsa
# broker, in the same run, in three modes:
#   plain       acks=all, enable.idempotence=false
#   idempotent  enable.idempotence=true (acks=all)
#   txn         transactional.id; begin, TXN_SIZE produces, commit_transaction, repeated
# Same record size, linger.ms and batch.size in all three (txn runs send fewer records, see TXN_DIVISOR); each run
# writes a fresh one-partition topic.
# The modes run in a rotating order within each repetition so drift on a shared machine falls on all of them.
# It prints every run, then per record size the median records/s and broker CPU time of each mode and the ratios
# idempotent/plain and txn/plain with the cost (1 - ratio) against the targets (idempotence < 5 %, transactions of
# 100 records < 30 %).
#
# Settings (environment):
#   REPS=5                          repetitions per case; the table shows medians
#   CASES="100:3000000 1024:600000" SIZE:COUNT pairs (records of SIZE bytes, COUNT per run)
#   TXN_DIVISOR=10                  txn runs send COUNT / TXN_DIVISOR records (they are an order of magnitude
#                                   slower; records/s is what is compared)
#   TXN_SIZE=100                    records per transaction in txn mode
#   LINGER_MS=5 BATCH_SIZE=1000000  producer linger.ms and batch.size (librdkafka's defaults)
#   PRODUCE_X=""                    extra librdkafka settings for every mode, "key=value key=value"
#   BROKER_X=""                     extra broker overrides, "key=value key=value"
#   RUN_TIMEOUT=120                 seconds allowed for one measured run
#   MODES="plain idempotent txn"    the modes to run (a subset leaves zeros in the table)
#   MOCK=1                          also run every mode against librdkafka's in-memory mock cluster (0: Samsa only)
#
# Needs gcc and librdkafka-dev (installed here when missing), python3 and the .NET SDK.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/perf"

REPS="${REPS:-5}"
CASES="${CASES:-100:3000000 1024:600000}"
TXN_DIVISOR="${TXN_DIVISOR:-10}"
TXN_SIZE="${TXN_SIZE:-100}"
LINGER_MS="${LINGER_MS:-5}"
BATCH_SIZE="${BATCH_SIZE:-1000000}"
PRODUCE_X="${PRODUCE_X:-}"
BROKER_X="${BROKER_X:-}"
RUN_TIMEOUT="${RUN_TIMEOUT:-120}"
read -r -a MODES <<<"${MODES:-plain idempotent txn}"
MOCK="${MOCK:-1}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/samsa-txn-cost.XXXXXX")"
RUN_PID=""
# shellcheck source=broker.sh
source "$HERE/broker.sh"

trap cleanup_run EXIT
trap 'exit 130' INT TERM

fail() {
  echo "txn-cost: $*" >&2
  if [[ -f "$WORK/broker.log" ]]; then
    echo "--- last broker lines ---" >&2
    tail -20 "$WORK/broker.log" >&2
  fi
  exit 1
}

# ---- the C driver ----
build_rdk_driver rdktxn
RDKTXN="$WORK/rdktxn"
RDK_VERSION="$(python3 -c 'import ctypes; l = ctypes.CDLL("librdkafka.so.1"); l.rd_kafka_version_str.restype = ctypes.c_char_p; print(l.rd_kafka_version_str().decode())' 2>/dev/null || echo "?")"

# ---- the broker ----
"$ROOT/samsa" --help >/dev/null # builds the CLI before the broker starts

mapfile -t BROKER_OVERRIDES < <(for kv in $BROKER_X; do echo "$kv"; done)
start_broker "$WORK/broker.log" "log.dirs=$WORK/data" "${BROKER_OVERRIDES[@]}"
echo "broker pid $BROKER_PID on $BOOTSTRAP, ready after ${READY_MS} ms; librdkafka $RDK_VERSION"

samsa_topics() {
  "$ROOT/samsa" topics --bootstrap-server "$BOOTSTRAP" "$@" >/dev/null
}

mapfile -t PRODUCE_OPTS < <(printf -- '-X\nlinger.ms=%s\n-X\nbatch.size=%s\n' "$LINGER_MS" "$BATCH_SIZE"; for kv in $PRODUCE_X; do printf -- '-X\n%s\n' "$kv"; done)

RESULTS="$WORK/results" # lines: size target mode records_per_s mb_per_s broker_cpu_s
CLK_TCK="$(getconf CLK_TCK)"
: >"$RESULTS"

# run TARGET MODE SIZE COUNT TOPIC: one measured run against Samsa (TARGET samsa) or librdkafka's mock cluster
# (TARGET mock), recorded in $RESULTS.
run() {
  local target=$1 mode=$2 size=$3 count=$4 topic=$5
  local cpu_before cpu="0" line rps mbps where=(--mock)
  if [[ $target == samsa ]]; then where=(-b "$BOOTSTRAP"); fi
  cpu_before=$(broker_cpu_ticks)
  # In the background and waited for, so that a signal to this script is handled at once.
  "$RDKTXN" "${where[@]}" -t "$topic" -m "$mode" -n "$count" -s "$size" -x "$TXN_SIZE" -T "$RUN_TIMEOUT" \
    "${PRODUCE_OPTS[@]}" >"$WORK/run.out" &
  RUN_PID=$!
  wait "$RUN_PID" || fail "$mode produce of $count x $size B against $target failed"
  RUN_PID=""
  line="$(cat "$WORK/run.out")"
  if [[ $target == samsa ]]; then
    cpu=$(awk -v a="$cpu_before" -v b="$(broker_cpu_ticks)" -v t="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / t }')
    line+=" broker_cpu_s=$cpu"
  fi
  echo "  $line"
  rps=$(sed -n 's/.*records_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
  mbps=$(sed -n 's/.*mb_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
  echo "$size $target $mode $rps $mbps $cpu" >>"$RESULTS"
}

for case in $CASES; do
  size=${case%%:*}
  count=${case##*:}
  for rep in $(seq "$REPS"); do
    echo "== $count records of $size B ($((count / TXN_DIVISOR)) in txn mode), run $rep of $REPS"
    for k in "${!MODES[@]}"; do
      mode=${MODES[$(((rep - 1 + k) % ${#MODES[@]}))]}
      topic="txn-cost-$size-$rep-$mode"
      samsa_topics --create --topic "$topic" --partitions 1 --replication-factor 1
      n=$count
      if [[ $mode == txn ]]; then n=$((count / TXN_DIVISOR)); fi
      run samsa "$mode" "$size" "$n" "$topic"
      samsa_topics --delete --topic "$topic"
      if [[ $MOCK == 1 ]]; then run mock "$mode" "$size" "$n" "$topic"; fi
    done
  done
done

median() { # SIZE TARGET MODE COLUMN(4 = records/s, 5 = MB/s, 6 = broker CPU s)
  awk -v s="$1" -v t="$2" -v m="$3" -v c="$4" '$1 == s && $2 == t && $3 == m { print $c }' "$RESULTS" \
    | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
echo "Cost of idempotence and transactions ($TXN_SIZE records each), librdkafka $RDK_VERSION on loopback, one partition,"
echo "acks=all, linger.ms=$LINGER_MS, batch.size=$BATCH_SIZE; median of $REPS runs"
echo "(ratio = mode / plain records/s; cost = 1 - ratio; cpu = the Samsa broker's user + system CPU seconds per run;"
echo " mock = the same client against librdkafka's in-memory mock cluster: what the client itself allows)"
printf '%6s %-6s | %12s %7s | %12s %7s | %12s %7s | %6s %6s | %6s %6s\n' size target "plain rec/s" cpu "idemp rec/s" cpu \
  "txn rec/s" cpu "idem/p" cost "txn/p" cost
targets=(samsa)
if [[ $MOCK == 1 ]]; then targets+=(mock); fi
for case in $CASES; do
  size=${case%%:*}
  for target in "${targets[@]}"; do
    awk -v size="$size" -v target="$target" \
      -v p="$(median "$size" "$target" plain 4)" -v i="$(median "$size" "$target" idempotent 4)" -v t="$(median "$size" "$target" txn 4)" \
      -v pc="$(median "$size" "$target" plain 6)" -v ic="$(median "$size" "$target" idempotent 6)" -v tc="$(median "$size" "$target" txn 6)" 'BEGIN {
        ri = p > 0 ? i / p : 0; rt = p > 0 ? t / p : 0
        printf "%4s B %-6s | %12.0f %6.2fs | %12.0f %6.2fs | %12.0f %6.2fs | %6.3f %5.1f%% | %6.3f %5.1f%%\n",
          size, target, p, pc, i, ic, t, tc, ri, (1 - ri) * 100, rt, (1 - rt) * 100
      }'
  done
done
echo
for case in $CASES; do
  size=${case%%:*}
  awk -v size="$size" -v n="$TXN_SIZE" -v p="$(median "$size" samsa plain 4)" -v i="$(median "$size" samsa idempotent 4)" \
    -v t="$(median "$size" samsa txn 4)" -v mt="$(median "$size" mock txn 4)" 'BEGIN {
    ci = p > 0 ? (1 - i / p) * 100 : 100; ct = p > 0 ? (1 - t / p) * 100 : 100
    printf "%s B on Samsa: ", size
    if (i > 0) printf "idempotence costs %.1f%% (target < 5%%: %s); ", ci, ci < 5 ? "met" : "NOT met"
    if (t > 0) printf "transactions of %s records cost %.1f%% (target < 30%%: %s)", n, ct, ct < 30 ? "met" : "NOT met"
    printf "\n"
    if (t > 0) {
      printf "    one transaction takes %.2f ms on Samsa", n / t * 1000
      if (mt > 0) printf " and %.2f ms on the mock", n / mt * 1000
      printf "\n"
    }
  }'
done
