#!/usr/bin/env bash
# Runs every test Archway has: formatting, vet, unit, fuzz seeds, conformance
# vectors (../shared/conformance when present) and end-to-end tests against
# the built binary. Usage: scripts/test.sh [go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."

# Redis, PostgreSQL and Chromium are run for real by the tests; install
# them when missing (ARCHWAY_NO_INSTALL=1 skips this, and those tests then
# skip outside CI).
if [ "${ARCHWAY_NO_INSTALL:-}" != 1 ]; then
  scripts/deps.sh
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
go test -count=1 "$@" ./...
