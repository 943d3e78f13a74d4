#!/usr/bin/env bash
# Installs promtool (used by infra/prometheus/rules.test.ts to check and unit-test the alert rules)
# from Debian's `prometheus` package, idempotently. Only the binary is wanted: the package also
# installs a Prometheus server unit, which is stopped and disabled so nothing listens on :9090.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "[install-promtool] promtool is missing; install Prometheus's promtool (Debian: apt-get install prometheus)" >&2
  exit 1
fi

echo "[install-promtool] installing prometheus (apt) for promtool" >&2
apt-get update -qq
# policy-rc.d exit 101 tells invoke-rc.d not to start services during this install.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
trap 'if [[ $created_policy -eq 1 ]]; then rm -f "$policy"; fi' EXIT
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null

# Belt and braces: where systemd runs, make sure the server is neither running nor enabled.
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
command -v promtool >/dev/null 2>&1 || { echo "[install-promtool] prometheus installed but promtool not on PATH" >&2; exit 1; }
