#!/usr/bin/env bash
# Installs what finsent needs on a fresh machine, idempotently: Java + Maven (for the local Kafka
# broker) and Chromium (for the live view's browser test), Debian packages when missing; npm dependencies (npm ci when the lock file changed), the
# Kafka jars from Maven Central (cached in .cache/kafka), and promtool.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
# Debian's Chromium: playwright-core drives it; Playwright's own browser download needs the internet.
[[ -x ${CHROMIUM_PATH:-/usr/bin/chromium} ]] || need_apt+=(chromium)
if ((${#need_apt[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "[bootstrap] installing ${need_apt[*]} (apt)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "[bootstrap] finsent needs ${need_apt[*]}: Java 17+ and Maven 3.8+ for the local Kafka broker, Chromium for the browser test (or set CHROMIUM_PATH); install them" >&2
    exit 1
  fi
fi

# node_modules/.package-lock.json is written by npm after a successful install. `npm install`, not
# `npm ci`: chdb lists native packages for other platforms that the registry does not serve, so the
# lock file cannot record them and `npm ci` refuses it; `npm install` follows the lock and skips them.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[bootstrap] npm install" >&2
  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error
fi

node --import tsx devkit/kafka/cli.ts fetch --quiet >/dev/null
# promtool (Debian's prometheus package) checks and unit-tests the alert rules in infra/prometheus.
bash scripts/install-promtool.sh
