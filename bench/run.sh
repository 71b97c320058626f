#!/usr/bin/env bash
# bench/run.sh SCENARIO MODE REPS DURATION
#   SCENARIO  s0 (mock floor) | s1 (pass-through)
#             | s2 (API key + usage plan + cached Lambda authorizer, memory and
#               Redis limiters, against Archway pass-through; issue 5)
#             | s3 (metrics scraped every second + access log to a file +
#               request store, against the same config with them off; issue 6)
#   MODE      pinned (servers on CPU 1, load generator on CPU 0, GOMAXPROCS=1)
#             | free (no pinning, defaults)
#   REPS      repetitions; targets are shuffled in every repetition
#   DURATION  wrk duration per target, e.g. 10s
# Environment:
#   VEGETA_DURATION  open-loop duration per target (default 30s; 0s skips the
#                    latency phase, the default for s2 and s3)
#   S2_ACCOUNT_THROTTLE  s2, the account bucket of the measured configs: high
#                    (the default: 1000000 rps, burst 1000000, taken by every
#                    request and never empty), aws (AWS's 10000,5000: a run
#                    above 10000 req/s gets 429s and fails) or off
#   VEGETA_RATE      fixed open-loop rate in req/s instead of 50% of nginx's max
#   WARMUP           wrk warm-up per target before each measurement (default 2s)
#   PORT_BASE        first of 8 consecutive loopback ports (default 19100)
#   ARCHWAY_BIN      use this archway binary instead of building ./cmd/archway
#   KEEP_TMP=1       keep the temp dir with configs and raw wrk/vegeta output
# See bench/README.md. Writes bench/results/<date>-<scenario>-<mode>.jsonl.
set -euo pipefail

usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
[ $# -eq 4 ] || usage
SCENARIO=$1 MODE=$2 REPS=$3 DURATION=$4
case $SCENARIO in s0|s1|s2|s3) ;; *) usage ;; esac
case $MODE in pinned|free) ;; *) usage ;; esac
[[ $REPS =~ ^[1-9][0-9]*$ ]] || usage
[[ $DURATION =~ ^[1-9][0-9]*s$ ]] || { echo "DURATION must be like 10s" >&2; exit 2; }
case $SCENARIO in s2|s3) VEGETA_DURATION=${VEGETA_DURATION:-0s} ;; *) VEGETA_DURATION=${VEGETA_DURATION:-30s} ;; esac
S2_ACCOUNT_THROTTLE=${S2_ACCOUNT_THROTTLE:-high}
case $S2_ACCOUNT_THROTTLE in high|aws|off) ;; *) echo "S2_ACCOUNT_THROTTLE must be high, aws or off" >&2; exit 2 ;; esac
VEGETA_RATE=${VEGETA_RATE:-}
[ -z "$VEGETA_RATE" ] || [[ $VEGETA_RATE =~ ^[1-9][0-9]*$ ]] || { echo "VEGETA_RATE must be a number of req/s" >&2; exit 2; }
[[ $VEGETA_DURATION =~ ^[0-9]+s$ ]] || { echo "VEGETA_DURATION must be like 30s (0s: no latency phase)" >&2; exit 2; }
WARMUP=${WARMUP:-2s}
PORT_BASE=${PORT_BASE:-19100}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
TOOL="python3 $BENCH/benchtool.py"
GOBIN_DIR=$(go env GOBIN); [ -n "$GOBIN_DIR" ] || GOBIN_DIR="$(go env GOPATH)/bin"
VEGETA=$GOBIN_DIR/vegeta
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
for b in "$NGINX" "$HAPROXY" caddy wrk "$VEGETA" taskset python3 curl; do
	command -v "$b" >/dev/null 2>&1 || { echo "run: $b not found; run bench/setup.sh" >&2; exit 1; }
done

die() { echo "run: FAIL: $*" >&2; KEEP_TMP=1; exit 1; }
log() { echo "run: $*" >&2; }

if [ "$MODE" = pinned ]; then
	[ "$(nproc --all)" -ge 2 ] || die "pinned mode needs at least 2 CPUs"
	SRV_PIN=(taskset -c 1 env GOMAXPROCS=1)
	GEN_PIN=(taskset -c 0)
else
	SRV_PIN=(env -u GOMAXPROCS)
	GEN_PIN=()
fi

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
TMP=$(mktemp -d /tmp/archway-bench.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- ports
P_ORIGIN=$((PORT_BASE + 1)) P_NGINX=$((PORT_BASE + 2)) P_NGINX200=$((PORT_BASE + 3))
P_HAPROXY=$((PORT_BASE + 4)) P_CADDY=$((PORT_BASE + 5)) P_HTTPUTIL=$((PORT_BASE + 6))
P_ARCHWAY=$((PORT_BASE + 7)) P_ARCHWAY2=$((PORT_BASE + 8)) P_ARCHWAY3=$((PORT_BASE + 9))
P_REDIS=$((PORT_BASE + 10)) P_ADMIN=$((PORT_BASE + 11))
for p in $(seq $((PORT_BASE + 1)) $((PORT_BASE + 11))); do
	if ss -Hltn "sport = :$p" | grep -q .; then die "port $p is in use (set PORT_BASE)"; fi
done

# ---------------------------------------------------------------- build (before any measurement)
log "building into $TMP/bin"
mkdir -p "$TMP/bin"
(cd "$ROOT" && go build -o "$TMP/bin/origin" ./bench/origin && go build -o "$TMP/bin/httputilproxy" ./bench/httputilproxy) \
	|| die "building bench helpers"
if [ "$SCENARIO" = s2 ]; then
	# The authorizer is a real aws-lambda-go function, run by Archway's local
	# Lambda service as it would run any function.
	(cd "$ROOT" && go build -o "$TMP/bin/authorizer" ./examples/functions/authorizer) || die "building the authorizer function"
	command -v redis-server >/dev/null 2>&1 || die "redis-server not found (apt-get install -y redis-server)"
fi
if [ -n "${ARCHWAY_BIN:-}" ]; then
	cp "$ARCHWAY_BIN" "$TMP/bin/archway"
else
	(cd "$ROOT" && go build -o "$TMP/bin/archway" ./cmd/archway) || die "building ./cmd/archway (set ARCHWAY_BIN to use a prebuilt one)"
fi

BODY='{"ok":true,"service":"archway-bench-origin","pad":"xxxxxxxxxxx"}'

# ---------------------------------------------------------------- configs
mkdir -p "$TMP/nginx/logs" "$TMP/nginx/tmp" "$TMP/caddy"
cat >"$TMP/nginx/nginx.conf" <<EOF
# nginx: keep-alive reverse proxy (S1) and return 200 (S0 floor).
daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 16384;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log error;
events { worker_connections 4096; multi_accept on; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/tmp/body;
    proxy_temp_path $TMP/nginx/tmp/proxy;
    fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
    uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
    scgi_temp_path $TMP/nginx/tmp/scgi;
    keepalive_timeout 120s;
    keepalive_requests 1000000;
    upstream origin {
        server 127.0.0.1:$P_ORIGIN;
        keepalive 128;
        keepalive_requests 1000000;
        keepalive_timeout 120s;
    }
    server {
        listen 127.0.0.1:$P_NGINX;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
    server {
        listen 127.0.0.1:$P_NGINX200;
        location / {
            default_type application/json;
            return 200 '$BODY';
        }
    }
}
EOF

cat >"$TMP/haproxy.cfg" <<EOF
# HAProxy: one thread, upstream connection reuse always.
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    option http-keep-alive
    http-reuse always
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 120s
frontend fe
    bind 127.0.0.1:$P_HAPROXY
    default_backend be
backend be
    http-reuse always
    server origin 127.0.0.1:$P_ORIGIN
EOF

cat >"$TMP/caddy/caddy.json" <<EOF
{
  "admin": {"disabled": true, "config": {"persist": false}},
  "logging": {"logs": {"default": {"level": "ERROR"}}},
  "apps": {
    "http": {
      "servers": {
        "bench": {
          "listen": ["127.0.0.1:$P_CADDY"],
          "automatic_https": {"disable": true},
          "routes": [{
            "handle": [{
              "handler": "reverse_proxy",
              "upstreams": [{"dial": "127.0.0.1:$P_ORIGIN"}],
              "transport": {
                "protocol": "http",
                "keep_alive": {"enabled": true, "max_idle_conns_per_host": 128, "idle_timeout": "120s"}
              }
            }]
          }]
        }
      }
    }
  }
}
EOF

cat >"$TMP/report.lua" <<'EOF'
-- Prints one machine-readable line at the end of a wrk run.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"closed_p50_ms":%.3f,"closed_p99_ms":%.3f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
EOF

# S2: one archway.yaml per limiter backend, each with its own data dir holding
# an API key and a usage plan made by the CLI, as a user would. The plan's
# limits are far above what a run sends, so nothing is throttled (any 429 fails
# the run); the authorizer caches its result for 300 s.
S2_KEY=bench-key-0123456789abcdefghij
S2_AUTH=allow-all
case $S2_ACCOUNT_THROTTLE in
high) S2_ACC_YAML="  account: {rateLimit: 1000000, burstLimit: 1000000}" ;;
aws) S2_ACC_YAML="  account: {rateLimit: 10000, burstLimit: 5000}" ;;
off) S2_ACC_YAML="  account: {rateLimit: -1}" ;;
esac
s2_config() { # name backend-yaml
	local d=$TMP/$1
	mkdir -p "$d/data"
	cat >"$d/archway.yaml" <<YAML
# S2 $1: API key + usage plan + cached TOKEN authorizer (bench/defs/s2-limits.yaml)
listen: 127.0.0.1:$3
executionLog: off
accessLog: off
dataDir: $d/data
limits:
$2
$S2_ACC_YAML
apis:
  - id: bench
    definition: $BENCH/defs/s2-limits.yaml
    vars: {origin: "http://127.0.0.1:$P_ORIGIN"}
    stages:
      - name: dev
        loggingLevel: "OFF"
        accessLogFormat: ""
functions:
  - name: auth
    command: [$TMP/bin/authorizer]
YAML
	"$TMP/bin/archway" keys create --data-dir "$d/data" --name bench --value "$S2_KEY" >"$d/key.json" || die "keys create ($1)"
	"$TMP/bin/archway" usage-plans create --data-dir "$d/data" --name bench --api-stage bench:dev \
		--rate 1000000 --burst 1000000 --quota-limit 1000000000 --quota-period DAY >"$d/plan.json" || die "usage-plans create ($1)"
	"$TMP/bin/archway" usage-plans add-key --data-dir "$d/data" bench bench >/dev/null || die "usage-plans add-key ($1)"
}
# S3: the same pass-through route twice. "off": no admin listener, no store, no
# access log. "on": admin listener with /metrics (scraped every second for the
# whole run), JSON access log appended to a file, request store on SQLite with
# successes sampled at 10% (errors are always stored). Both log errors only
# to a file (nothing is written: every response is 200).
s3_config() { # name port extra-yaml accessLog accessLogFormat
	local d=$TMP/$1
	mkdir -p "$d/data"
	cat >"$d/archway.yaml" <<YAML
# S3 $1 (bench/defs/s1-proxy.yaml)
listen: 127.0.0.1:$2
executionLog: $d/execution.log
accessLog: $4
dataDir: $d/data
limits: {account: {rateLimit: -1}}
$3
apis:
  - id: bench
    definition: $BENCH/defs/s1-proxy.yaml
    vars: {origin: "http://127.0.0.1:$P_ORIGIN"}
    stages:
      - name: dev
        loggingLevel: ERROR
        accessLogFormat: $5
YAML
}
if [ "$SCENARIO" = s2 ]; then
	s2_config s2-memory "  backend: memory" "$P_ARCHWAY2"
	s2_config s2-redis "  backend: redis
  redis: {addr: \"127.0.0.1:$P_REDIS\", keyPrefix: \"bench:\"}" "$P_ARCHWAY3"
elif [ "$SCENARIO" = s3 ]; then
	s3_config s3-off "$P_ARCHWAY2" "store: {driver: \"off\"}" off '""'
	s3_config s3-on "$P_ARCHWAY3" "admin: {listen: \"127.0.0.1:$P_ADMIN\"}
store: {driver: sqlite, sampleRate: 0.1}" "$TMP/s3-on/access.log" json
fi

# ---------------------------------------------------------------- targets
# name|url|pid variable
declare -A URL PID HDRS XPID
URL[origin]="http://127.0.0.1:$P_ORIGIN/bench/item"
if [ "$SCENARIO" = s0 ]; then
	TARGETS=(origin nginx-return archway-mock)
	URL[nginx-return]="http://127.0.0.1:$P_NGINX200/bench/item"
	URL[archway-mock]="http://127.0.0.1:$P_ARCHWAY/dev/mock"
	REF_DIRECT=origin REF_NGINX=nginx-return
elif [ "$SCENARIO" = s2 ]; then
	# The reference is Archway's own pass-through (S1's route) in the same run.
	TARGETS=(origin archway archway-key-memory archway-key-redis)
	URL[archway]="http://127.0.0.1:$P_ARCHWAY/dev/bench/item"
	URL[archway-key-memory]="http://127.0.0.1:$P_ARCHWAY2/dev/bench/item"
	URL[archway-key-redis]="http://127.0.0.1:$P_ARCHWAY3/dev/bench/item"
	HDRS[archway-key-memory]="x-api-key: $S2_KEY|Authorization: $S2_AUTH"
	HDRS[archway-key-redis]="x-api-key: $S2_KEY|Authorization: $S2_AUTH"
	REF_DIRECT=origin REF_NGINX=archway
elif [ "$SCENARIO" = s3 ]; then
	TARGETS=(origin archway-obs-off archway-obs-on)
	URL[archway-obs-off]="http://127.0.0.1:$P_ARCHWAY2/dev/bench/item"
	URL[archway-obs-on]="http://127.0.0.1:$P_ARCHWAY3/dev/bench/item"
	REF_DIRECT=origin REF_NGINX=archway-obs-off
else
	TARGETS=(origin nginx-proxy haproxy caddy httputil archway)
	URL[nginx-proxy]="http://127.0.0.1:$P_NGINX/bench/item"
	URL[haproxy]="http://127.0.0.1:$P_HAPROXY/bench/item"
	URL[caddy]="http://127.0.0.1:$P_CADDY/bench/item"
	URL[httputil]="http://127.0.0.1:$P_HTTPUTIL/bench/item"
	URL[archway]="http://127.0.0.1:$P_ARCHWAY/dev/bench/item"
	REF_DIRECT=origin REF_NGINX=nginx-proxy
fi

start() { # name cmd...
	local name=$1; shift
	"${SRV_PIN[@]}" "$@" >"$TMP/$name.log" 2>&1 &
	PIDS+=($!)
	PID[$name]=$!
}

start origin "$TMP/bin/origin" --listen "127.0.0.1:$P_ORIGIN"
if [ "$SCENARIO" = s0 ]; then
	start nginx-return "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf"
	start archway-mock "$TMP/bin/archway" serve "$BENCH/defs/s0-mock.yaml" --listen "127.0.0.1:$P_ARCHWAY" \
		--stage dev --log-level OFF --access-log "" --account-throttle off
elif [ "$SCENARIO" = s2 ]; then
	start redis "$(command -v redis-server)" --bind 127.0.0.1 --port "$P_REDIS" --save "" --appendonly no --dir "$TMP"
	for _ in $(seq 50); do redis-cli -p "$P_REDIS" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
	start archway "$TMP/bin/archway" serve "$BENCH/defs/s1-proxy.yaml" --listen "127.0.0.1:$P_ARCHWAY" \
		--stage dev --log-level OFF --access-log "" --account-throttle off --var "origin=http://127.0.0.1:$P_ORIGIN"
	start archway-key-memory "$TMP/bin/archway" serve "$TMP/s2-memory"
	start archway-key-redis "$TMP/bin/archway" serve "$TMP/s2-redis"
	XPID[archway-key-redis]=${PID[redis]}
elif [ "$SCENARIO" = s3 ]; then
	start archway-obs-off "$TMP/bin/archway" serve "$TMP/s3-off"
	start archway-obs-on "$TMP/bin/archway" serve "$TMP/s3-on"
else
	start nginx-proxy "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf"
	start haproxy "$HAPROXY" -db -f "$TMP/haproxy.cfg"
	XDG_DATA_HOME=$TMP/caddy XDG_CONFIG_HOME=$TMP/caddy HOME=$TMP/caddy \
		start caddy caddy run --config "$TMP/caddy/caddy.json"
	start httputil "$TMP/bin/httputilproxy" --listen "127.0.0.1:$P_HTTPUTIL" --upstream "http://127.0.0.1:$P_ORIGIN"
	start archway "$TMP/bin/archway" serve "$BENCH/defs/s1-proxy.yaml" --listen "127.0.0.1:$P_ARCHWAY" \
		--stage dev --log-level OFF --access-log "" --account-throttle off --var "origin=http://127.0.0.1:$P_ORIGIN"
fi

# hargs TARGET FLAG: HA=(FLAG "Name: value" ...) for the target's request headers.
hargs() {
	HA=()
	local IFS='|' h
	[ -n "${HDRS[$1]:-}" ] || return 0
	for h in ${HDRS[$1]}; do HA+=("$2" "$h"); done
}

# Wait for every target, then check it answers 200 with the origin's exact body,
# so that a fast error page cannot pass for speed.
for t in "${TARGETS[@]}"; do
	hargs "$t" -H
	ok=0
	for _ in $(seq 100); do
		kill -0 "${PID[$t]}" 2>/dev/null || { cat "$TMP/$t.log" >&2; die "$t exited at start"; }
		if curl -fsS -o /dev/null --max-time 1 "${HA[@]}" "${URL[$t]}" 2>/dev/null; then ok=1; break; fi
		sleep 0.1
	done
	[ $ok = 1 ] || { cat "$TMP/$t.log" >&2; die "$t did not answer at ${URL[$t]}"; }
	got=$(curl -sS --max-time 2 -w '\n%{http_code}' "${HA[@]}" "${URL[$t]}")
	[ "$got" = "$BODY"$'\n200' ] || die "$t answered something else than 200 + the 64-byte body: $got"
	for m in POST PUT DELETE; do
		[ "$SCENARIO" = s0 ] && break
		code=$(curl -sS --max-time 2 -o /dev/null -w '%{http_code}' -X $m -d x "${HA[@]}" "${URL[$t]}")
		[ "$code" = 200 ] || die "$t answered $code to $m"
	done
	if [ -n "${HDRS[$t]:-}" ]; then
		# The checks are live: no key is 403, a wrong key 403, no token 401.
		code=$(curl -sS --max-time 2 -o /dev/null -w '%{http_code}' -H "Authorization: $S2_AUTH" "${URL[$t]}")
		[ "$code" = 403 ] || die "$t answered $code without an API key (want 403)"
		code=$(curl -sS --max-time 2 -o /dev/null -w '%{http_code}' -H "Authorization: $S2_AUTH" -H "x-api-key: ${S2_KEY}x" "${URL[$t]}")
		[ "$code" = 403 ] || die "$t answered $code to an unknown API key (want 403)"
		code=$(curl -sS --max-time 2 -o /dev/null -w '%{http_code}' -H "x-api-key: $S2_KEY" "${URL[$t]}")
		[ "$code" = 401 ] || die "$t answered $code without a token (want 401)"
	fi
done
log "targets up: ${TARGETS[*]}"

if [ "$SCENARIO" = s3 ]; then
	# Scrape /metrics every second for the whole run, as Prometheus would; every
	# scrape must succeed (checked at the end).
	(
		while :; do
			curl -sS -o /dev/null --max-time 2 -w '%{http_code} %{size_download}\n' "http://127.0.0.1:$P_ADMIN/metrics" || echo "000 0"
			sleep 1
		done
	) >"$TMP/scrapes.txt" 2>&1 &
	PIDS+=($!)
	SCRAPER=$!
fi

# ---------------------------------------------------------------- result file and machine facts
mkdir -p "$BENCH/results"
DATE=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$BENCH/results/$DATE-$SCENARIO-$MODE.jsonl
RUN_ID=$DATE-$SCENARIO-$MODE-$$

ver_nginx=$("$NGINX" -v 2>&1 | sed -n 1p)
ver_haproxy=$("$HAPROXY" -v 2>&1 | sed -n 1p)
ver_caddy=$(caddy version 2>&1 | sed -n 1p)
ver_wrk=$(wrk -v 2>&1 | sed -n 1p || true)
ver_vegeta=$(go version -m "$VEGETA" 2>/dev/null | awk '$1=="mod" && !v {v=$3} END{print v}')
git_commit=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
git_dirty=$({ git -C "$ROOT" --no-optional-locks status --porcelain 2>/dev/null || true; } | awk "END{print NR}")

URLS=$(for t in "${TARGETS[@]}"; do echo "$t ${URL[$t]}"; done)
RUN_JSON=$(
	SCENARIO=$SCENARIO MODE=$MODE REPS=$REPS DURATION=$DURATION VEGETA_DURATION=$VEGETA_DURATION WARMUP=$WARMUP \
	RUN_ID=$RUN_ID REF_DIRECT=$REF_DIRECT REF_NGINX=$REF_NGINX TARGETS="${TARGETS[*]}" TMPD=$TMP \
	V_NGINX="$ver_nginx" V_HAPROXY="$ver_haproxy" V_CADDY="$ver_caddy" V_WRK="$ver_wrk" V_VEGETA="$ver_vegeta" \
	GIT_COMMIT=$git_commit GIT_DIRTY=$git_dirty GO_VERSION="$(go version)" BENCH_DIR=$BENCH \
	URLS="$URLS" VEGETA_RATE="${VEGETA_RATE:-}" S2_ACCOUNT_THROTTLE=$S2_ACCOUNT_THROTTLE \
	python3 - <<'EOF'
import json, os, platform, subprocess, datetime
e = os.environ
def read(p):
    try: return open(p).read()
    except OSError: return None
model = None
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        model = line.split(":", 1)[1].strip(); break
RATE_RULE = "50% of the slowest target's max" if e["SCENARIO"] == "s0" else "50% of " + e["REF_NGINX"] + "'s max"
cfg = {"nginx.conf": read(e["TMPD"] + "/nginx/nginx.conf"),
       "haproxy.cfg": read(e["TMPD"] + "/haproxy.cfg"),
       "caddy.json": read(e["TMPD"] + "/caddy/caddy.json")}
defs = e["BENCH_DIR"] + "/defs/" + ("s0-mock.yaml" if e["SCENARIO"] == "s0" else "s1-proxy.yaml")
cfg["archway"] = read(defs)
if e["SCENARIO"] == "s2":
    cfg["archway-s2"] = read(e["BENCH_DIR"] + "/defs/s2-limits.yaml")
    for n in ("s2-memory", "s2-redis"):
        cfg[n + "/archway.yaml"] = read(e["TMPD"] + "/" + n + "/archway.yaml")
        cfg[n + "/plan.json"] = read(e["TMPD"] + "/" + n + "/plan.json")
    cfg["s2_account_throttle"] = e.get("S2_ACCOUNT_THROTTLE")
if e["SCENARIO"] == "s3":
    for n in ("s3-off", "s3-on"):
        cfg[n + "/archway.yaml"] = read(e["TMPD"] + "/" + n + "/archway.yaml")
    cfg["s3_scrape"] = "GET /metrics on the admin listener every 1 s for the whole run"
print(json.dumps({
    "type": "run", "run_id": e["RUN_ID"],
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "scenario": e["SCENARIO"], "mode": e["MODE"], "reps": int(e["REPS"]),
    "duration": e["DURATION"], "warmup": e["WARMUP"], "vegeta_duration": e["VEGETA_DURATION"],
    "load": "wrk -t2 -c64 -d" + e["DURATION"] + " after " + e["WARMUP"] + " warm-up; vegeta attack "
            + ("at a fixed " + e["VEGETA_RATE"] + " req/s" if e["VEGETA_RATE"] else "at " + RATE_RULE)
            + ", -workers=64 -max-workers=64 -connections=64 -max-connections=64",
    "vegeta_rate": int(e["VEGETA_RATE"]) if e["VEGETA_RATE"] else RATE_RULE,
    "pinning": "servers taskset -c 1, GOMAXPROCS=1; wrk and vegeta taskset -c 0" if e["MODE"] == "pinned" else "none",
    "targets": e["TARGETS"].split(), "ref_direct": e["REF_DIRECT"], "ref_nginx": e["REF_NGINX"],
    "urls": dict(l.split(" ", 1) for l in e["URLS"].splitlines()),
    "machine": {
        "nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
        "go_version": e["GO_VERSION"], "gogc": e.get("GOGC") or "unset (100)",
        "gomemlimit": e.get("GOMEMLIMIT") or "unset",
        "loadavg": read("/proc/loadavg").strip(),
    },
    "versions": {"nginx": e["V_NGINX"], "haproxy": e["V_HAPROXY"], "caddy": e["V_CADDY"],
                 "wrk": e["V_WRK"], "vegeta": e["V_VEGETA"],
                 "archway_commit": e["GIT_COMMIT"], "archway_dirty_files": int(e["GIT_DIRTY"] or 0)},
    "configs": cfg,
}))
EOF
)
echo "$RUN_JSON" >"$OUT"
log "results: $OUT"

# ---------------------------------------------------------------- measurement helpers
ticks() { $TOOL cpu "$@" | awk '{print $1}'; }
CLK_TCK=$(getconf CLK_TCK)
DUR_S=${DURATION%s}
VDUR_S=${VEGETA_DURATION%s}

emit() { echo "$1" >>"$OUT"; }

run_wrk() { # rep target -> appends a throughput record, sets W_*
	local rep=$1 t=$2 url=${URL[$2]} f=$TMP/wrk-$1-$2.txt
	hargs "$t" -H
	timeout $((${WARMUP%s} + 15)) "${GEN_PIN[@]}" wrk -t2 -c64 -d"$WARMUP" "${HA[@]}" "$url" >"$TMP/warm-$rep-$t.txt" 2>&1 \
		|| die "wrk warm-up of $t failed: $(tail -3 "$TMP/warm-$rep-$t.txt")"
	grep -Eq '^ +[1-9][0-9]* requests in' "$TMP/warm-$rep-$t.txt" || die "$t: no requests completed in the warm-up: $(cat "$TMP/warm-$rep-$t.txt")"
	grep -q 'Non-2xx or 3xx' "$TMP/warm-$rep-$t.txt" && die "$t: non-2xx responses in the warm-up: $(cat "$TMP/warm-$rep-$t.txt")"
	local c0 o0 c1 o1
	local xp=${XPID[$t]:-${PID[origin]}} x0 x1
	c0=$(ticks "${PID[$t]}") o0=$(ticks "${PID[origin]}") x0=$(ticks "$xp")
	timeout $((DUR_S + 30)) "${GEN_PIN[@]}" wrk -t2 -c64 -d"$DURATION" --latency -s "$TMP/report.lua" "${HA[@]}" "$url" >"$f" 2>&1 \
		|| die "wrk on $t failed: $(tail -3 "$f")"
	c1=$(ticks "${PID[$t]}") o1=$(ticks "${PID[origin]}") x1=$(ticks "$xp")
	local j; j=$($TOOL wrk "$f")
	REP=$rep T=$t C=$((c1 - c0)) O=$((o1 - o0)) X=$((x1 - x0)) XN=${XPID[$t]:+redis} HZ=$CLK_TCK J="$j" ORD="$ORDER" python3 - <<'EOF' >>"$OUT"
import json, os
e = os.environ
d = json.loads(e["J"])
if "parse_error" in d:
    raise SystemExit("wrk output: " + d["parse_error"])
hz = int(e["HZ"]); req = d["requests"]
cpu_us = int(e["C"]) * 1e6 / hz
rec = {"type": "throughput", "rep": int(e["REP"]), "target": e["T"], "order": e["ORD"].split(),
       "loadavg": open("/proc/loadavg").read().split()[:3],
       "requests": req, "duration_s": d["duration_us"] / 1e6, "rps": d["rps"],
       "errors": {k: d[k] for k in ("connect", "read", "write", "status", "timeout")},
       "non2xx": d["non2xx_text"],
       "closed_loop_p50_ms": d["closed_p50_ms"], "closed_loop_p99_ms": d["closed_p99_ms"],
       "cpu_ticks": int(e["C"]), "cpu_us_per_req": round(cpu_us / req, 2) if req else None}
if e["T"] != "origin":
    rec["origin_cpu_us_per_req"] = round(int(e["O"]) * 1e6 / hz / req, 2) if req else None
if e.get("XN"):  # a server the target depends on (S2: redis-server)
    rec[e["XN"] + "_cpu_us_per_req"] = round(int(e["X"]) * 1e6 / hz / req, 2) if req else None
print(json.dumps(rec))
EOF
	read -r W_RPS W_REQ W_NON2XX W_STATUS W_CONNECT W_SOCKERR <<<"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["rps"], d["requests"], d["non2xx"], d["errors"]["status"], d["errors"]["connect"], d["errors"]["read"]+d["errors"]["write"]+d["errors"]["timeout"])' "$(tail -1 "$OUT")")"
}

run_vegeta() { # rep target rate -> appends a latency record, sets V_*
	local rep=$1 t=$2 rate=$3 url=${URL[$2]} bin=$TMP/veg-$1-$2.bin
	local c0 c1
	c0=$(ticks "${PID[$t]}")
	{ echo "GET $url"; [ -z "${HDRS[$t]:-}" ] || tr '|' '\n' <<<"${HDRS[$t]}"; } | timeout $((VDUR_S + 30)) "${GEN_PIN[@]}" "$VEGETA" attack -rate="$rate/1s" -duration="$VEGETA_DURATION" \
		-timeout=5s -keepalive=true \
		-workers=64 -max-workers=64 -connections=64 -max-connections=64 -output="$bin" || die "vegeta on $t failed"
	c1=$(ticks "${PID[$t]}")
	"$VEGETA" encode --to csv "$bin" >"$bin.csv" || die "vegeta encode failed"
	local j; j=$($TOOL vegeta "$bin.csv")
	rm -f "$bin" "$bin.csv"
	REP=$rep T=$t R=$rate C=$((c1 - c0)) HZ=$CLK_TCK J="$j" ORD="$ORDER" python3 - <<'EOF' >>"$OUT"
import json, os
e = os.environ
d = json.loads(e["J"])
n = d["count"]; hz = int(e["HZ"])
rec = {"type": "latency", "rep": int(e["REP"]), "target": e["T"], "order": e["ORD"].split(), "rate": int(e["R"])}
rec.update(d)
rec["cpu_ticks"] = int(e["C"])
# Saturated: the target (or the generator) could not keep the open-loop rate;
# the percentiles then measure an overloaded queue, not added latency.
rec["saturated"] = bool(d["errors"]) or (d["achieved_rate"] or 0) < 0.95 * int(e["R"])
rec["cpu_us_per_req"] = round(int(e["C"]) * 1e6 / hz / n, 2) if n else None
print(json.dumps(rec))
EOF
	read -r V_ERRS V_N V_P50 V_P99 V_P999 V_ACH V_SAT <<<"$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["errors"], d["count"], d["p50_ms"], d["p99_ms"], d["p999_ms"], d["achieved_rate"], d["saturated"])' "$(tail -1 "$OUT")")"
}

# ---------------------------------------------------------------- repetitions
declare -A RPS
for rep in $(seq 1 "$REPS"); do
	ORDER=$(printf '%s\n' "${TARGETS[@]}" | shuf | tr '\n' ' ')
	log "rep $rep/$REPS throughput, order: $ORDER"
	RPS=()
	for t in $ORDER; do
		run_wrk "$rep" "$t"
		log "  $t: $W_RPS req/s ($W_REQ requests, non-2xx $W_NON2XX, socket errors $W_SOCKERR)"
		if [ "$W_NON2XX" != 0 ] || [ "$W_STATUS" != 0 ]; then
			KEEP_TMP=1
			die "$t: wrk saw $W_NON2XX Non-2xx or 3xx responses (status errors $W_STATUS); see $TMP/wrk-$rep-$t.txt"
		fi
		[ "$W_CONNECT" = 0 ] || die "$t: wrk saw $W_CONNECT connect errors"
		[ "$W_REQ" -gt 0 ] || die "$t: no requests completed; see $TMP/wrk-$rep-$t.txt and $TMP/$t.log"
		[ "$W_SOCKERR" = 0 ] || log "  WARNING: $t had $W_SOCKERR read/write/timeout socket errors"
		RPS[$t]=$W_RPS
	done
	for t in "${TARGETS[@]}"; do
		[ "$t" = "$REF_NGINX" ] || log "  $t / $REF_NGINX = $(python3 -c "print(round(float('${RPS[$t]}')/float('${RPS[$REF_NGINX]}'), 3))")"
	done
	log "  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
	if [ "$VDUR_S" = 0 ]; then
		for t in "${TARGETS[@]}"; do
			kill -0 "${PID[$t]}" 2>/dev/null || die "$t died during the run; see $TMP/$t.log"
		done
		continue
	fi
	if [ -n "$VEGETA_RATE" ]; then
		RATE=$VEGETA_RATE why="fixed by VEGETA_RATE"
	elif [ "$SCENARIO" = s0 ]; then
		# S0 has no proxy: 50% of nginx return 200 is beyond one core of vegeta,
		# so S0 uses 50% of the slowest target's maximum in this repetition.
		RATE=$(python3 -c "print(max(1, int(min(float(x) for x in '${RPS[*]}'.split()) * 0.5)))") why="50% of the slowest target"
	else
		RATE=$(python3 -c "print(max(1, int(float('${RPS[$REF_NGINX]}') * 0.5)))") why="50% of $REF_NGINX"
	fi
	ORDER=$(printf '%s\n' "${TARGETS[@]}" | shuf | tr '\n' ' ')
	log "rep $rep/$REPS latency at $RATE req/s ($why), $VEGETA_DURATION each, order: $ORDER"
	for t in $ORDER; do
		run_vegeta "$rep" "$t" "$RATE"
		log "  $t: p50 ${V_P50} ms  p99 ${V_P99} ms  p99.9 ${V_P999} ms  ($V_N requests, achieved ${V_ACH}/s, errors $V_ERRS)"
		if [ "$V_SAT" = True ]; then
			log "  WARNING: $t did not sustain $RATE req/s (errors or achieved rate < 95%); its latency is that of an overloaded server"
		fi
	done
	for t in "${TARGETS[@]}"; do
		kill -0 "${PID[$t]}" 2>/dev/null || die "$t died during the run; see $TMP/$t.log"
	done
done

if [ "$SCENARIO" = s2 ]; then
	# The measurement is valid only if every request went through the limiter
	# (no fail-open fallback) and the authorizer answered from its cache.
	for t in archway-key-memory archway-key-redis; do
		fb=$(grep -c '"cause":"LIMITER_UNAVAILABLE"' "$TMP/$t.log" || true)
		inv=$(grep -c '"msg":"lambda report","function":"auth"' "$TMP/$t.log" || true)
		log "s2: $t: authorizer invocations $inv, limiter/cache fallback log lines $fb"
		[ "$fb" = 0 ] || die "$t: the limiter or the authorizer cache fell back (see $TMP/$t.log): not a valid measurement"
		T=$t INV=$inv python3 -c 'import json,os; print(json.dumps({"type":"s2check","target":os.environ["T"],"authorizer_invocations":int(os.environ["INV"]),"fallback_log_lines":0}))' >>"$OUT"
	done
fi

if [ "$SCENARIO" = s3 ]; then
	kill "$SCRAPER" 2>/dev/null || true
	n=$(wc -l <"$TMP/scrapes.txt") bad=$(grep -vc '^200 ' "$TMP/scrapes.txt" || true)
	[ "$bad" = 0 ] || die "$bad of $n /metrics scrapes failed; see $TMP/scrapes.txt"
	sleep 1.5 # the store's flush interval is 200 ms
	m=$(curl -sS --max-time 5 "http://127.0.0.1:$P_ADMIN/metrics")
	store=$(grep '^archway_store_records_total' <<<"$m" | tr '\n' ';')
	count=$(grep '^archway_count_total' <<<"$m" | awk '{s+=$2} END{print s+0}')
	lines=$(wc -l <"$TMP/s3-on/access.log")
	log "s3: $n scrapes, all 200; archway_count_total $count; access-log lines $lines; store: $store"
	SCRAPES=$n COUNT=$count LINES=$lines STORE="$store" python3 - >>"$OUT" <<'EOF'
import json, os
e = os.environ
store = {}
for part in e["STORE"].split(";"):
    if part.strip():
        k, v = part.rsplit(" ", 1)
        store[k] = float(v)
print(json.dumps({"type": "observe", "scrapes": int(e["SCRAPES"]), "count_total": float(e["COUNT"]),
                  "access_log_lines": int(e["LINES"]), "store_records": store}))
EOF
fi

$TOOL summary "$OUT"
case $SCENARIO in s2|s3) echo; $TOOL ratios "$OUT" ;; esac
echo
echo "results: $OUT"
