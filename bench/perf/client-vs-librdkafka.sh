#!/usr/bin/env bash
# Samsa.Client against librdkafka: `samsa perf produce` / `samsa perf consume` and the librdkafka driver
# rdkperf.c, on the same Samsa broker in the same run, with the same record sizes, acks, partitions, linger.ms
# and batch.size. Prints every run, then a table of medians and the ratio Samsa.Client / librdkafka (records/s;
# above 1 means Samsa.Client is faster).
#
# For each case SIZE:COUNT, each partition count and each repetition:
#   produce: for each acks setting, each client writes COUNT records of SIZE bytes (no key) into a fresh topic
#            of that many partitions; neither names a partition, so each client's default partitioner spreads
#            the records (both are sticky for records without a key).
#   consume: both clients read the same topic, the one librdkafka wrote with the last acks setting, from
#            offset 0 of every partition to COUNT records.
# The clients take turns going first (odd repetitions Samsa.Client, even ones librdkafka), and the
# repetition's topics are deleted at its end.
#
# What is compared:
#   produce: Samsa.Client's final line (Kafka's kafka-producer-perf-test format, `N records sent, X records/sec
#            (Y MB/sec), ... P99 ms 99th, ...`): X and Y, and its p99 latency; rdkperf's records_per_s and
#            mb_per_s (clock from the first send, after metadata, to the last delivery report).
#   consume: Samsa.Client's CSV line (kafka-consumer-perf-test's columns): fetch.nMsg.sec and fetch.MB.sec,
#            which leave out the group join (rebalance.time.ms), against rdkperf (clock from assign() to the
#            COUNT-th record; no group).
#   cpu:     user + system CPU seconds of the client process and of the broker process during each run.
# MB is 1,048,576 bytes of record values in both tools.
#
# Settings (environment):
#   REPS=3                            repetitions; the table shows medians
#   CASES="100:3000000 1024:1000000"  SIZE:COUNT pairs
#   ACKS_LIST="1 all"                 producer acks settings
#   PARTITIONS_LIST="1 6"             partitions per topic
#   LINGER_MS=5 BATCH_SIZE=1000000    producer linger.ms and batch.size, for both clients
#   PRODUCE_PROPS="" CONSUME_PROPS="" extra client settings "k=v k=v", for both clients
#   CLIENTS="samsa librdkafka"        which clients run (CLIENTS=librdkafka: the librdkafka half alone)
#   SAMSA_CMD="$ROOT/samsa"           the command that provides `perf produce` / `perf consume`
#   RUN_TIMEOUT=120                   seconds allowed for one measured run
#
#   bench/perf/client-vs-librdkafka.sh --self-test   checks the parsing of both perf-tool formats and exits
#
# Needs gcc and librdkafka-dev (installed here when missing), python3 and the .NET SDK.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/bench/perf"

REPS="${REPS:-3}"
CASES="${CASES:-100:3000000 1024:1000000}"
ACKS_LIST="${ACKS_LIST:-1 all}"
PARTITIONS_LIST="${PARTITIONS_LIST:-1 6}"
LINGER_MS="${LINGER_MS:-5}"
BATCH_SIZE="${BATCH_SIZE:-1000000}"
PRODUCE_PROPS="${PRODUCE_PROPS:-}"
CONSUME_PROPS="${CONSUME_PROPS:-}"
CLIENTS="${CLIENTS:-samsa librdkafka}"
SAMSA_CMD="${SAMSA_CMD:-$ROOT/samsa}"
RUN_TIMEOUT="${RUN_TIMEOUT:-120}"

fail() {
  echo "client-vs-librdkafka: $*" >&2
  exit 1
}

# parse_produce FILE: the last final line of kafka-producer-perf-test's format in FILE, as
# "records records_per_s mb_per_s avg_ms p50_ms p99_ms"; nothing when there is none.
parse_produce() {
  sed -nE 's/^([0-9]+) records sent, ([0-9.]+) records\/sec \(([0-9.]+) MB\/sec\), ([0-9.]+) ms avg latency, [0-9.]+ ms max latency, ([0-9.]+) ms 50th, [0-9.]+ ms 95th, ([0-9.]+) ms 99th, [0-9.]+ ms 99\.9th\.?[[:space:]]*$/\1 \2 \3 \4 \5 \6/p' "$1" | tail -1
}

# parse_consume FILE: the values line after kafka-consumer-perf-test's CSV header in FILE, as
# "messages fetch_mb_per_s fetch_records_per_s rebalance_ms records_per_s"; nothing when there is none.
parse_consume() {
  awk -F ',' '
    header && NF > 0 {
      if (NF != 10) exit
      for (i = 1; i <= NF; i++) { gsub(/^[ \t]+|[ \t\r]+$/, "", $i) }
      print $5, $9, $10, $7, $6
      exit
    }
    /^start\.time, *end\.time, *data\.consumed\.in\.MB/ { header = 1 }
  ' "$1"
}

self_test() {
  local dir got
  dir="$(mktemp -d "${TMPDIR:-/tmp}/cvl-selftest.XXXXXX")"
  cat >"$dir/produce" <<'EOF'
samsa: building the command-line tool (first use or changed sources)...
1000001 records sent, 200000.2 records/sec (19.07 MB/sec), 12.50 ms avg latency, 80.00 ms max latency.
2000000 records sent, 367714.6 records/sec (35.07 MB/sec), 765.49 ms avg latency, 1322.00 ms max latency, 771 ms 50th, 1166 ms 95th, 1290 ms 99th, 1317 ms 99.9th.
EOF
  got="$(parse_produce "$dir/produce")"
  [[ "$got" == "2000000 367714.6 35.07 765.49 771 1290" ]] || fail "self-test: produce line parsed as '$got'"
  cat >"$dir/consume" <<'EOF'
start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2022-06-21 09:27:16:370, 2022-06-21 09:27:20:091, 190.7349, 51.2592, 2000000, 537489.9221, 3348, 373, 511.3536, 5361930.2949
EOF
  got="$(parse_consume "$dir/consume")"
  [[ "$got" == "2000000 511.3536 5361930.2949 3348 537489.9221" ]] || fail "self-test: consume CSV parsed as '$got'"
  printf 'no perf line here\n' >"$dir/none"
  [[ -z "$(parse_produce "$dir/none")" && -z "$(parse_consume "$dir/none")" ]] || fail "self-test: parsed a line from nothing"
  rm -rf "$dir"
  echo "client-vs-librdkafka: self-test passed"
}

if [[ "${1:-}" == "--self-test" ]]; then
  self_test
  exit 0
fi
self_test >/dev/null

has_client() { [[ " $CLIENTS " == *" $1 "* ]]; }
has_client samsa || has_client librdkafka || fail "CLIENTS names neither samsa nor librdkafka"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/samsa-cvl.XXXXXX")"
RUN_PID=""
# shellcheck source=broker.sh
source "$HERE/broker.sh"

trap cleanup_run EXIT
trap 'exit 130' INT TERM

# ---- the clients ----
build_rdk_driver rdkperf
RDKPERF="$WORK/rdkperf"
RDK_VERSION="$("$RDKPERF" version)"
"$ROOT/samsa" --help >/dev/null # builds the CLI now, not inside a measured run
if has_client samsa; then
  "$SAMSA_CMD" perf produce --help >/dev/null 2>&1 && "$SAMSA_CMD" perf consume --help >/dev/null 2>&1 ||
    fail "'$SAMSA_CMD perf produce|consume --help' failed: is samsa perf built? (CLIENTS=librdkafka runs the librdkafka half alone)"
fi

# ---- the broker ----
BROKER_LOG="$WORK/broker.log"
start_broker "$BROKER_LOG" "log.dirs=$WORK/data"
echo "broker pid $BROKER_PID on $BOOTSTRAP, ready ${READY_MS} ms after launch; librdkafka $RDK_VERSION"

samsa_topics() {
  "$ROOT/samsa" topics --bootstrap-server "$BOOTSTRAP" "$@" >/dev/null
}

CLK_TCK="$(getconf CLK_TCK)"
RESULTS="$WORK/results" # lines: mode size acks partitions client records_per_s mb_per_s client_cpu_s broker_cpu_s p99_ms
: >"$RESULTS"

# children_cpu VAR: sets VAR to the user + system seconds of this shell's waited-for children so far. The
# `times` builtin must run in this shell itself (a subshell counts only its own children), hence the file.
children_cpu() {
  times >"$WORK/times"
  printf -v "$1" '%s' "$(awk 'NR == 2 {
    t = 0
    for (i = 1; i <= 2; i++) { split($i, p, "m"); sub(/s$/, "", p[2]); t += p[1] * 60 + p[2] }
    printf "%.3f", t
  }' "$WORK/times")"
}

# measure CLIENT MODE SIZE COUNT ACKS PARTITIONS TOPIC: one measured run, printed and recorded in $RESULTS.
measure() {
  local client=$1 mode=$2 size=$3 count=$4 acks=$5 parts=$6 topic=$7
  local cmd=() kv
  if [[ $client == samsa ]]; then
    cmd=(timeout -k 10 "$((RUN_TIMEOUT + 60))" "$SAMSA_CMD" perf "$mode" --bootstrap-server "$BOOTSTRAP" --topic "$topic")
    if [[ $mode == produce ]]; then
      cmd+=(--num-records "$count" --record-size "$size" --throughput -1
        --producer-props "acks=$acks" "linger.ms=$LINGER_MS" "batch.size=$BATCH_SIZE")
      for kv in $PRODUCE_PROPS; do cmd+=("$kv"); done
    else
      cmd+=(--messages "$count")
      if [[ -n "$CONSUME_PROPS" ]]; then
        cmd+=(--consumer-props)
        for kv in $CONSUME_PROPS; do cmd+=("$kv"); done
      fi
    fi
  else
    cmd=("$RDKPERF" "$mode" -b "$BOOTSTRAP" -t "$topic" -n "$count" -s "$size" -T "$RUN_TIMEOUT")
    if [[ $mode == produce ]]; then
      cmd+=(-a "$acks" -X "linger.ms=$LINGER_MS" -X "batch.size=$BATCH_SIZE")
      for kv in $PRODUCE_PROPS; do cmd+=(-X "$kv"); done
    else
      for kv in $CONSUME_PROPS; do cmd+=(-X "$kv"); done
    fi
  fi

  local cpu_before cpu_after broker_before
  children_cpu cpu_before
  broker_before=$(broker_cpu_ticks)
  # In the background and waited for, so that a signal to this script is handled at once.
  "${cmd[@]}" >"$WORK/run.out" 2>"$WORK/run.err" &
  RUN_PID=$!
  if ! wait "$RUN_PID"; then
    RUN_PID=""
    cat "$WORK/run.out" "$WORK/run.err" >&2
    fail "$client $mode of $count x $size B (acks=$acks, $parts partitions) failed: ${cmd[*]}"
  fi
  RUN_PID=""
  local client_cpu broker_cpu
  children_cpu cpu_after
  client_cpu=$(awk -v a="$cpu_before" -v b="$cpu_after" 'BEGIN { printf "%.2f", b - a }')
  broker_cpu=$(awk -v a="$broker_before" -v b="$(broker_cpu_ticks)" -v t="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / t }')

  local rps mbps p99="-" line parsed n
  if [[ $client == samsa && $mode == produce ]]; then
    parsed="$(parse_produce "$WORK/run.out")"
    [[ -n "$parsed" ]] || { cat "$WORK/run.out" "$WORK/run.err" >&2; fail "no final kafka-producer-perf-test line from samsa perf produce"; }
    read -r n rps mbps _ _ p99 <<<"$parsed"
    ((n == count)) || fail "samsa perf produce reported $n records sent, not $count"
    line="$(grep -E ' records sent, .* 99\.9th' "$WORK/run.out" | tail -1)"
  elif [[ $client == samsa ]]; then
    parsed="$(parse_consume "$WORK/run.out")"
    [[ -n "$parsed" ]] || { cat "$WORK/run.out" "$WORK/run.err" >&2; fail "no kafka-consumer-perf-test CSV from samsa perf consume"; }
    local nmsg rebalance_ms
    read -r nmsg mbps rps rebalance_ms _ <<<"$parsed"
    ((nmsg >= count)) || fail "samsa perf consume read $nmsg records, not $count"
    line="fetch.nMsg.sec=$rps fetch.MB.sec=$mbps rebalance.time.ms=$rebalance_ms nMsg=$nmsg"
  else
    line="$(cat "$WORK/run.out")"
    rps=$(sed -n 's/.*records_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
    mbps=$(sed -n 's/.*mb_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
    [[ -n "$rps" && -n "$mbps" ]] || fail "no figures from rdkperf: $line"
  fi
  echo "  $client: $line client_cpu_s=$client_cpu broker_cpu_s=$broker_cpu"
  echo "$mode $size $acks $parts $client $rps $mbps $client_cpu $broker_cpu $p99" >>"$RESULTS"
}

for case in $CASES; do
  size=${case%%:*}
  count=${case##*:}
  for parts in $PARTITIONS_LIST; do
    for rep in $(seq "$REPS"); do
      order="samsa librdkafka"
      if ((rep % 2 == 0)); then order="librdkafka samsa"; fi
      topics=()
      consume_topic=""
      for acks in $ACKS_LIST; do
        for client in $order; do
          has_client "$client" || continue
          topic="cvl-$size-p$parts-a$acks-r$rep-$client"
          echo "== produce $count x $size B, acks=$acks, $parts partition(s), run $rep of $REPS: $client"
          samsa_topics --create --topic "$topic" --partitions "$parts" --replication-factor 1
          topics+=("$topic")
          measure "$client" produce "$size" "$count" "$acks" "$parts" "$topic"
          if [[ $client == librdkafka || -z "$consume_topic" ]]; then consume_topic=$topic; fi
        done
      done
      for client in $order; do
        has_client "$client" || continue
        echo "== consume $count x $size B, $parts partition(s) from $consume_topic, run $rep of $REPS: $client"
        measure "$client" consume "$size" "$count" - "$parts" "$consume_topic"
      done
      for topic in "${topics[@]}"; do samsa_topics --delete --topic "$topic"; done
    done
  done
done

median() { # MODE SIZE ACKS PARTITIONS CLIENT COLUMN (6 rec/s, 7 MB/s, 8 client cpu, 9 broker cpu, 10 p99)
  awk -v m="$1" -v s="$2" -v a="$3" -v p="$4" -v c="$5" -v col="$6" \
    '$1 == m && $2 == s && $3 == a && $4 == p && $5 == c && $col != "-" { print $col }' "$RESULTS" \
    | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

num() { # a median or "-", formatted
  if [[ $2 == "-" ]]; then printf "%${1}s" "-"; else printf "%${1}.${3:-0}f" "$2"; fi
}

echo
echo "Samsa.Client vs librdkafka $RDK_VERSION on one Samsa broker, loopback, linger.ms=$LINGER_MS, batch.size=$BATCH_SIZE;"
echo "median of $REPS runs. rec/s and MB/s: produce = sent and acknowledged, consume = fetch rate without the group join."
echo "cpu = user + system seconds of the client / the broker during the run; p99 = Samsa.Client's produce latency."
echo "ratio = Samsa.Client / librdkafka records/s; above 1 means Samsa.Client is faster."
printf '%-8s %6s %4s %5s | %11s %8s %7s %6s %6s | %11s %8s %6s %6s | %6s\n' \
  mode size acks parts "samsa rec/s" "MB/s" "p99 ms" "cpu" "broker" "rdk rec/s" "MB/s" "cpu" "broker" ratio
for case in $CASES; do
  size=${case%%:*}
  for mode in produce consume; do
    acks_values="$ACKS_LIST"
    if [[ $mode == consume ]]; then acks_values="-"; fi
    for acks in $acks_values; do
      for parts in $PARTITIONS_LIST; do
        s_rps=$(median "$mode" "$size" "$acks" "$parts" samsa 6)
        r_rps=$(median "$mode" "$size" "$acks" "$parts" librdkafka 6)
        ratio=$(awk -v a="$s_rps" -v b="$r_rps" 'BEGIN { if (a != "-" && b != "-" && b > 0) printf "%.2f", a / b; else print "n/a" }')
        printf '%-8s %4s B %4s %5s | %s %s %s %s %s | %s %s %s %s | %6s\n' "$mode" "$size" "$acks" "$parts" \
          "$(num 11 "$s_rps")" "$(num 8 "$(median "$mode" "$size" "$acks" "$parts" samsa 7)" 1)" \
          "$(num 7 "$(median "$mode" "$size" "$acks" "$parts" samsa 10)" 1)" \
          "$(num 6 "$(median "$mode" "$size" "$acks" "$parts" samsa 8)" 2)" \
          "$(num 6 "$(median "$mode" "$size" "$acks" "$parts" samsa 9)" 2)" \
          "$(num 11 "$r_rps")" "$(num 8 "$(median "$mode" "$size" "$acks" "$parts" librdkafka 7)" 1)" \
          "$(num 6 "$(median "$mode" "$size" "$acks" "$parts" librdkafka 8)" 2)" \
          "$(num 6 "$(median "$mode" "$size" "$acks" "$parts" librdkafka 9)" 2)" \
          "$ratio"
      done
    done
  done
done
