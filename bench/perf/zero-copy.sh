#!/usr/bin/env bash
# Fetch throughput and broker CPU per GiB served with zero copy (sendfile) on and off, same data, same run.
#
# Starts a Samsa broker process, fills a 4-partition topic with FILL_MIB MiB of 1 KiB records, then for each
# repetition restarts the broker on the same data with socket.zero.copy.enable=true and =false and reads
# READ_GIB GiB from it with `Samsa.Benchmarks fetch read` (raw Fetch v12, 4 x 8 MiB per fetch, from the page
# cache). Prints GiB/s and the broker's CPU seconds (user+system, from /proc) per GiB, and the on/off ratios.
#
# Settings (environment): FILL_MIB=1024 READ_GIB=4 REPS=3
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FILL_MIB="${FILL_MIB:-1024}"
READ_GIB="${READ_GIB:-4}"
REPS="${REPS:-3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/samsa-zerocopy.XXXXXX")"
fail() {
  echo "zero-copy: $*" >&2
  exit 1
}
# shellcheck source=broker.sh
source "$ROOT/bench/perf/broker.sh"
trap 'stop_broker; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

dotnet build -c Release "$ROOT/bench/Samsa.Benchmarks" >/dev/null
BENCH=(dotnet "$ROOT/bench/Samsa.Benchmarks/bin/Release/net10.0/Samsa.Benchmarks.dll" fetch)
"$ROOT/samsa" --help >/dev/null
CLK_TCK="$(getconf CLK_TCK)"
start_zero_copy_broker() { # $1 = true|false
  start_broker "$WORK/broker.log" "log.dirs=$WORK/data" "socket.zero.copy.enable=$1"
}

start_zero_copy_broker true
"${BENCH[@]}" fill --bootstrap "$BOOTSTRAP" --mib "$FILL_MIB"
stop_broker

RESULTS="$WORK/results"
: >"$RESULTS"
for rep in $(seq "$REPS"); do
  for zc in true false; do
    start_zero_copy_broker "$zc"
    "${BENCH[@]}" read --bootstrap "$BOOTSTRAP" --gib 0.5 >/dev/null # warm-up: JIT and page cache
    before=$(broker_cpu_ticks)
    line="$("${BENCH[@]}" read --bootstrap "$BOOTSTRAP" --gib "$READ_GIB")"
    after=$(broker_cpu_ticks)
    stop_broker
    gibs=$(sed -E 's/.*: ([0-9.]+) GiB\/s/\1/' <<<"$line")
    read_gib=$(sed -E 's/read ([0-9.]+) GiB.*/\1/' <<<"$line")
    cpu=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v g="$read_gib" 'BEGIN { printf "%.3f", t / hz / g }')
    echo "rep $rep zero-copy=$zc: $line; broker CPU $cpu s/GiB"
    echo "$zc $gibs $cpu" >>"$RESULTS"
  done
done

python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = lambda zc, i: statistics.median(float(r[i]) for r in rows if r[0] == zc)
on_t, off_t, on_c, off_c = med("true", 1), med("false", 1), med("true", 2), med("false", 2)
print(f"medians: zero copy on {on_t:.2f} GiB/s, {on_c:.3f} CPU s/GiB; off {off_t:.2f} GiB/s, {off_c:.3f} CPU s/GiB")
print(f"ratios on/off: throughput {on_t / off_t:.2f}x, broker CPU per GiB {on_c / off_c:.2f}x")
PY
