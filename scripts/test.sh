#!/usr/bin/env bash
# Runs every test. First installs what the interop tests need: Debian packages (kcat,
# confluent-kafka-python, kafka-python, librdkafka-dev and gcc for the mock cluster, codec libraries)
# and KafkaJS from npm.
# Already-installed packages are skipped, so a second run costs nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PACKAGES=(kcat python3-confluent-kafka python3-kafka librdkafka-dev gcc libsnappy1v5 liblz4-1 libzstd1 python3-snappy python3-lz4 python3-zstandard zstd lz4)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  if [[ "$(id -u)" -ne 0 ]]; then SUDO="sudo"; fi
  echo "==> installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

NODE_DIR="tests/Samsa.Interop.Tests/clients/node"
if [[ -f "$NODE_DIR/package.json" && ! -d "$NODE_DIR/node_modules/kafkajs" ]]; then
  echo "==> installing npm packages in $NODE_DIR"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "==> building"
dotnet build Samsa.slnx -c Release --nologo -v q -clp:ErrorsOnly

echo "==> testing"
RESULTS="$ROOT/.artifacts/test-results"
rm -rf "$RESULTS"
status=0
dotnet test Samsa.slnx -c Release --no-build --nologo --results-directory "$RESULTS" --logger "trx" --logger "console;verbosity=minimal" "$@" || status=$?

# One closing line over every test project: "N passed, N failed".
python3 - "$RESULTS" <<'PY' || true
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    counters = ET.parse(path).getroot().find(".//{*}Counters")
    if counters is None:
        continue
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0))
    skipped += int(counters.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
