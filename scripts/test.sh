#!/usr/bin/env bash
# The README's test command (npm test): installs what is missing, then runs unit, integration and
# end-to-end tests against a throwaway Kafka broker and embedded ClickHouse (vitest globalSetup).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npx tsc -p tsconfig.json
exec npx vitest run "$@"
