#!/usr/bin/env bash
# The README's first command (npm start): installs what is missing, then runs the whole pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node bin/finsent.mjs start "$@"
