package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/testredis"
)

const authorizerCacheAPI = `openapi: 3.0.1
info: {title: authorizer-cache-e2e, version: "1"}
components:
  securitySchemes:
    tokenAuth:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:authorizer/invocations
        authorizerResultTtlInSeconds: 300
paths:
  /pets:
    get:
      security: [{tokenAuth: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"principal":"$context.authorizer.principalId"}'
`

// authorizerRuns counts the authorizer function's invocations in a
// node's log: the Lambda service logs one "lambda report" line (Lambda's
// REPORT) per invocation. The integration is a mock, so every one is the
// authorizer's.
var authorizerRunRE = regexp.MustCompile(`"msg":"lambda report","function":"authorizer"`)

func authorizerRuns(p *proc) int { return len(authorizerRunRE.FindAllString(p.logs(), -1)) }

// settledRuns counts p's authorizer invocations once the count has
// reached want (the REPORT line is logged just after the invocation, and
// may come after the response) or 5 s have passed, then once more 200 ms
// later, so that an invocation too many shows as well.
func settledRuns(p *proc, want int) int {
	for start := time.Now(); authorizerRuns(p) < want && time.Since(start) < 5*time.Second; {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	return authorizerRuns(p)
}

// TestAuthorizerCacheRedis: two archway processes with limits.backend
// redis on one real redis-server share authorizer results: a token
// authorized on node A is not re-authorized on node B. With the server
// killed, both still answer (from their local copies, or by invoking the
// function) and log the fallback with its cause code.
func TestAuthorizerCacheRedis(t *testing.T) {
	srv := testredis.Start(t)
	bin := buildFunctions(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(authorizerCacheAPI), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`limits:
  backend: redis
  redis: {addr: %q, keyPrefix: %q}
apis:
  - id: authzcache
    definition: api.yaml
    stages:
      - name: dev
functions:
  - {name: authorizer, command: [%s], timeout: 2s}
`, srv.Addr, fmt.Sprintf("e2e-authz-%d:", time.Now().UnixNano()), filepath.Join(bin, "authorizer"))
	if err := os.WriteFile(filepath.Join(dir, "archway.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	a, b := serve(t, dir), serve(t, dir)
	nodes := map[string]*proc{"A": a, "B": b}

	steps := []struct {
		name      string
		node      string
		token     string
		principal string
		runsA     int // invocations on each node after the step
		runsB     int
	}{
		{name: "node A authorizes", node: "A", token: "allow-all", principal: "user", runsA: 1, runsB: 0},
		{name: "node B uses A's cached result", node: "B", token: "allow-all", principal: "user", runsA: 1, runsB: 0},
		{name: "node A again, cached", node: "A", token: "allow-all", principal: "user", runsA: 1, runsB: 0},
		{name: "node B, another token", node: "B", token: "key:abc", principal: "keyed", runsA: 1, runsB: 1},
		{name: "node A uses B's result", node: "A", token: "key:abc", principal: "keyed", runsA: 1, runsB: 1},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			r := do(t, "GET", nodes[s.node].base+"/dev/pets", "", "Authorization", s.token)
			if r.status != 200 || r.body != `{"principal":"`+s.principal+`"}` {
				t.Fatalf("status %d body %s", r.status, r.body)
			}
			if got := settledRuns(a, s.runsA); got != s.runsA {
				t.Errorf("node A invoked the authorizer %d times in all, want %d", got, s.runsA)
			}
			if got := settledRuns(b, s.runsB); got != s.runsB {
				t.Errorf("node B invoked the authorizer %d times in all, want %d", got, s.runsB)
			}
		})
	}
	if t.Failed() || !srv.Started() {
		return
	}

	// Redis down: every request still passes. A token a node holds (it
	// read or wrote it while Redis was up) is served from its local copy;
	// a new token invokes the function once (the lookup falls back, the
	// result is kept locally until its TTL), and the fallback is logged
	// with its cause code.
	srv.Kill()
	for name, p := range nodes {
		before := authorizerRuns(p)
		for _, token := range []string{"allow-all", "allow-all", "allow", "allow", "allow"} {
			r := do(t, "GET", p.base+"/dev/pets", "", "Authorization", token)
			if r.status != 200 {
				t.Fatalf("node %s with Redis down, token %s: status %d body %s", name, token, r.status, r.body)
			}
		}
		if got := settledRuns(p, before+1) - before; got != 1 {
			t.Errorf("node %s with Redis down invoked the authorizer %d times, want 1 (the new token, once)", name, got)
		}
		logs := p.logs()
		if !strings.Contains(logs, `"msg":"authorizer cache unavailable; invoking the authorizer","cause":"LIMITER_UNAVAILABLE"`) {
			t.Errorf("node %s log lacks the cache fallback line:\n%s", name, logs)
		}
		if strings.Contains(logs, "panic") {
			t.Errorf("node %s log shows a panic:\n%s", name, logs)
		}
	}
}
