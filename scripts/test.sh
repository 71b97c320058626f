#!/usr/bin/env bash
# Runs every test Archway has: formatting, vet, unit, fuzz seeds, conformance
# vectors (../shared/conformance when present) and end-to-end tests against
# the built binary. Usage: scripts/test.sh [go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
go test -count=1 "$@" ./...
