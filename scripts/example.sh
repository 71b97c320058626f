#!/usr/bin/env bash
# Builds Archway and the example pet store backend, starts the backend on
# 127.0.0.1:8081 and serves examples/petstore on http://127.0.0.1:8080/dev/.
# Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin
go build -o bin/archway ./cmd/archway
go build -o bin/petstore-backend ./examples/petstore/backend
bin/petstore-backend --listen 127.0.0.1:8081 &
backend=$!
trap 'kill $backend 2>/dev/null' EXIT
echo "try: curl -i http://127.0.0.1:8080/dev/pets"
bin/archway serve examples/petstore "$@"
