#!/usr/bin/env bash
# Installs the benchmark peers and tools that are missing. Idempotent:
# running it twice installs nothing the second time. Nothing is vendored.
#   Debian packages: nginx haproxy caddy wrk (plus util-linux for taskset)
#   Go tool:         vegeta v12.13.0 (into $(go env GOPATH)/bin)
set -euo pipefail

VEGETA_VERSION=v12.13.0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for pair in nginx:nginx haproxy:haproxy caddy:caddy wrk:wrk taskset:util-linux python3:python3; do
	bin=${pair%%:*} pkg=${pair#*:}
	if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ]; then
		missing+=("$pkg")
	fi
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	# apt-get update once, only when something is missing.
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	echo "setup: nginx haproxy caddy wrk taskset python3 already installed"
fi

# The Debian packages start system services on install; the benchmark runs its
# own instances on loopback ports, so stop the packaged ones if they run
# (they would take CPU and port 80). Ignore failures (no systemd in containers).
for svc in nginx haproxy caddy; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
		$SUDO systemctl stop "$svc" || true
	elif command -v service >/dev/null 2>&1; then
		$SUDO service "$svc" stop >/dev/null 2>&1 || true
	fi
done

GOBIN_DIR=$(go env GOBIN)
[ -n "$GOBIN_DIR" ] || GOBIN_DIR="$(go env GOPATH)/bin"
# go install leaves vegeta -version empty; the module version is in the build info.
have=""
if [ -x "$GOBIN_DIR/vegeta" ]; then
	have=$(go version -m "$GOBIN_DIR/vegeta" 2>/dev/null | awk '$1=="mod" && $2=="github.com/tsenart/vegeta/v12" {print $3}')
fi
if [ "$have" = "$VEGETA_VERSION" ]; then
	echo "setup: vegeta $VEGETA_VERSION already installed in $GOBIN_DIR"
else
	echo "setup: go install github.com/tsenart/vegeta/v12@$VEGETA_VERSION"
	go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION"
fi

echo "setup: versions"
/usr/sbin/nginx -v 2>&1 || nginx -v 2>&1
(haproxy -v 2>/dev/null || /usr/sbin/haproxy -v) | sed -n 1p
caddy version
wrk --version 2>&1 | sed -n 1p || true
echo "vegeta $(go version -m "$GOBIN_DIR/vegeta" | awk '$1=="mod" && !v {v=$3} END{print v}')"
