#!/usr/bin/env bash
# The README's test command (npm test): installs what is missing, type-checks and lints, then runs unit, integration and
# end-to-end tests against a throwaway Kafka broker and embedded ClickHouse (vitest globalSetup).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npx tsc -p tsconfig.json
# The linter (eslint.config.js): ESLint's and typescript-eslint's recommended rules; the formatter (prettier, 120
# columns): `npm run format` rewrites what it finds.
npx eslint --max-warnings 0 .
npx prettier --check --log-level warn .
exec npx vitest run "$@"
