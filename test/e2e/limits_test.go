package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/testredis"
)

const limitsAPI = `openapi: "3.0.1"
info: {title: Limits, version: "1"}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
x-mock: &mock
  type: mock
  requestTemplates: {application/json: '{"statusCode": 200}'}
  responses:
    default:
      statusCode: "200"
      responseTemplates: {application/json: '{"keyId":"$context.identity.apiKeyId"}'}
paths:
  /pets:
    get:
      security: [{api_key: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: *mock
  /open:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: *mock
`

// limitsDir writes the API and an archway.yaml with extra (limits:
// section) and the stages; the store lives in DIR/data.
func limitsDir(t *testing.T, extra, stages string) string {
	t.Helper()
	if stages == "" {
		stages = "      - name: dev\n"
	}
	cfg := "listen: 127.0.0.1:0\ndataDir: data\n" + extra + "apis:\n  - id: pets\n    definition: api.yaml\n    stages:\n" + stages
	dir := configDir(t, limitsAPI, cfg)
	return dir
}

// cli runs `archway args... --data-dir DIR/data` and decodes its JSON.
func cli(t *testing.T, dir string, out any, args ...string) {
	t.Helper()
	cmd := exec.Command(binary, append(args, "--data-dir", filepath.Join(dir, "data"))...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("archway %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("archway %s: %v in %s", strings.Join(args, " "), err, b)
		}
	}
}

type cliKey struct {
	ID, Name, Value, MaskedValue string
	Enabled                      bool
}

type cliPlan struct {
	ID     string
	KeyIDs []string
}

func createKey(t *testing.T, dir, name, value string, extra ...string) cliKey {
	var k cliKey
	cli(t, dir, &k, append([]string{"keys", "create", "--name", name, "--value", value}, extra...)...)
	return k
}

func createPlan(t *testing.T, dir string, args ...string) cliPlan {
	var p cliPlan
	cli(t, dir, &p, append([]string{"usage-plans", "create"}, args...)...)
	return p
}

// stopProc stops a server with SIGTERM and waits for it, leaving its exit
// status for serve's cleanup.
func stopProc(p *proc) {
	p.cmd.Process.Signal(syscall.SIGTERM)
	err := <-p.done
	p.done <- err
}

func mask(v string) string { return strings.Repeat("*", len(v)-4) + v[len(v)-4:] }

// TestAPIKeysEndToEnd: keys and a plan made with the CLI; every 403 case
// over HTTP; the access log shows the key masked and never in clear;
// a key disabled while the server runs is refused within the poll
// interval; keys survive a restart.
func TestAPIKeysEndToEnd(t *testing.T) {
	dir := limitsDir(t, "", `      - name: dev
        accessLogFormat: 'key=$context.identity.apiKey id=$context.identity.apiKeyId status=$context.status cause=$context.archway.cause'
      - name: prod
`)
	const goldV, disV, looseV = "gold-0123456789-abcdefWXYZ", "disabled-0123456789-abcd", "loose-0123456789-abcdefg"
	gold := createKey(t, dir, "gold", goldV)
	dis := createKey(t, dir, "disabled", disV, "--disabled")
	createKey(t, dir, "loose", looseV)
	if gold.Value != goldV || gold.MaskedValue != mask(goldV) || !gold.Enabled || dis.Enabled {
		t.Fatalf("created %+v %+v", gold, dis)
	}
	plan := createPlan(t, dir, "--name", "basic", "--api-stage", "pets:dev")
	var withKeys cliPlan
	cli(t, dir, &withKeys, "usage-plans", "add-key", plan.ID, gold.ID)
	cli(t, dir, &withKeys, "usage-plans", "add-key", "basic", "disabled")
	if len(withKeys.KeyIDs) != 2 {
		t.Fatalf("plan keys %v", withKeys.KeyIDs)
	}
	var list struct{ Items []cliKey }
	cli(t, dir, &list, "keys", "list")
	if len(list.Items) != 3 {
		t.Fatalf("keys list: %+v", list)
	}
	for _, k := range list.Items {
		if k.Value != "" {
			t.Errorf("keys list shows a value: %+v", k)
		}
	}

	p := serve(t, dir)
	tests := []struct {
		name, stage, key string
		status           int
		body, errType    string
	}{
		{"key in plan", "dev", goldV, 200, `{"keyId":"` + gold.ID + `"}`, ""},
		{"no key", "dev", "", 403, `{"message":"Forbidden"}`, "ForbiddenException"},
		{"unknown key", "dev", "nobody-0123456789-abcdefgh", 403, `{"message":"Forbidden"}`, "ForbiddenException"},
		{"disabled key", "dev", disV, 403, `{"message":"Forbidden"}`, "ForbiddenException"},
		{"key in no plan", "dev", looseV, 403, `{"message":"Forbidden"}`, "ForbiddenException"},
		{"stage not in the plan", "prod", goldV, 403, `{"message":"Forbidden"}`, "ForbiddenException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h []string
			if tc.key != "" {
				h = []string{"x-api-key", tc.key}
			}
			r := do(t, "GET", p.base+"/"+tc.stage+"/pets", "", h...)
			if r.status != tc.status || r.body != tc.body || r.header.Get("x-amzn-ErrorType") != tc.errType {
				t.Errorf("got %d %s (%s), want %d %s (%s)", r.status, r.body, r.header.Get("x-amzn-ErrorType"), tc.status, tc.body, tc.errType)
			}
		})
	}
	p.waitLog(t, regexp.MustCompile(regexp.QuoteMeta("API Key "+mask(looseV)+" not authorized because method 'GET /pets' requires API Key and API Key is not associated with a Usage Plan for API Stage pets/dev")))
	p.waitLog(t, regexp.MustCompile(regexp.QuoteMeta("API Key not authorized because method 'GET /pets' requires API Key and no API Key was sent")))
	if r := do(t, "GET", p.base+"/dev/open", ""); r.status != 200 {
		t.Errorf("method without apiKeyRequired: %d %s", r.status, r.body)
	}
	// The access log is written off the request path: wait until every
	// expected line is there, then check each.
	wants := []string{fmt.Sprintf("key=%s id=%s status=200 cause=", mask(goldV), gold.ID)}
	for _, c := range []string{"API_KEY_MISSING", "API_KEY_UNKNOWN", "API_KEY_DISABLED", "API_KEY_NOT_IN_USAGE_PLAN"} {
		wants = append(wants, "status=403 cause="+c)
	}
	hasAll := func(logs string) bool {
		for _, w := range wants {
			if !strings.Contains(logs, w) {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(10 * time.Second)
	for !hasAll(p.access()) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	logs := p.access()
	for _, w := range wants {
		if !strings.Contains(logs, w) {
			t.Errorf("access log lacks %q:\n%s", w, logs)
		}
	}
	for _, v := range []string{goldV, disV, looseV} {
		if strings.Contains(logs+p.logs(), v) {
			t.Errorf("a log shows the key %q in clear", v)
		}
	}

	// Disabled while serving: refused once the server has polled the store.
	cli(t, dir, nil, "keys", "disable", "gold")
	deadline = time.Now().Add(10 * time.Second)
	for {
		r := do(t, "GET", p.base+"/dev/pets", "", "x-api-key", goldV)
		if r.status == 403 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("disabled key still accepted: %d", r.status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	cli(t, dir, nil, "keys", "enable", gold.ID)
	cli(t, dir, nil, "keys", "delete", "loose")
	stopProc(p)

	// Restart: the keys are still there.
	p2 := serve(t, dir)
	if r := do(t, "GET", p2.base+"/dev/pets", "", "x-api-key", goldV); r.status != 200 {
		t.Errorf("after restart: %d %s", r.status, r.body)
	}
	if r := do(t, "GET", p2.base+"/dev/pets", "", "x-api-key", looseV); r.status != 403 {
		t.Errorf("deleted key after restart: %d", r.status)
	}
	var after struct{ Items []cliKey }
	cli(t, dir, &after, "keys", "list")
	if len(after.Items) != 2 {
		t.Errorf("after delete and restart: %d keys", len(after.Items))
	}
}

// burst sends n GETs with the key spread evenly over window, round-robin
// over bases, from 8 clients; it returns the status counts and the time
// from the first to the last request.
func burst(t *testing.T, bases []string, path, key string, n int, window time.Duration) (map[int]int, time.Duration, map[string]int) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	counts := map[int]int{}
	bodies := map[string]int{}
	var wg sync.WaitGroup
	start := time.Now()
	var lastSent atomic.Int64
	const clients = 8
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < n; i += clients {
				time.Sleep(time.Until(start.Add(window * time.Duration(i) / time.Duration(n))))
				req, _ := http.NewRequest("GET", bases[i%len(bases)]+path, nil)
				req.Header.Set("x-api-key", key)
				sent := time.Since(start)
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				for {
					l := lastSent.Load()
					if int64(sent) <= l || lastSent.CompareAndSwap(l, int64(sent)) {
						break
					}
				}
				mu.Lock()
				counts[resp.StatusCode]++
				if resp.StatusCode != 200 {
					bodies[string(b)]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return counts, time.Duration(lastSent.Load()), bodies
}

// checkBucket asserts the allowed count against AWS's bucket arithmetic:
// at most burst + rate·elapsed (+ tolerance), and, since the offered load
// is ten times the rate, at least burst + rate·(elapsed − 0.2 s) (− tolerance).
// Tolerance: 5% of the bound plus 3 requests, for the clock and the time
// requests spend in flight.
func checkBucket(t *testing.T, allowed int, rate, burstN float64, elapsed time.Duration) {
	t.Helper()
	hi := burstN + rate*elapsed.Seconds()
	lo := burstN + rate*(elapsed.Seconds()-0.2)
	tol := 0.05*hi + 3
	t.Logf("allowed %d in %.3fs; bucket arithmetic %.1f (tolerance %.1f)", allowed, elapsed.Seconds(), hi, tol)
	if float64(allowed) > hi+tol || float64(allowed) < lo-tol {
		t.Errorf("allowed %d, outside [%.1f, %.1f] ± %.1f", allowed, lo, hi, tol)
	}
}

// TestThrottleAndQuotaSingleNode: a key limited to 50 rps with burst 10
// hit with 1000 requests over 2 s; a quota of 100 per day allows exactly
// 100, and `usage-plans usage` reports them.
func TestThrottleAndQuotaSingleNode(t *testing.T) {
	dir := limitsDir(t, "", "")
	const rateV, quotaV = "rate-key-0123456789-abcd", "quota-key-0123456789-abcd"
	rk := createKey(t, dir, "rate", rateV)
	qk := createKey(t, dir, "quota", quotaV)
	rp := createPlan(t, dir, "--api-stage", "pets:dev", "--rate", "50", "--burst", "10")
	qp := createPlan(t, dir, "--api-stage", "pets:dev", "--quota-limit", "100", "--quota-period", "DAY")
	cli(t, dir, nil, "usage-plans", "add-key", rp.ID, rk.ID)
	cli(t, dir, nil, "usage-plans", "add-key", qp.ID, qk.ID)
	p := serve(t, dir)

	counts, elapsed, bodies := burst(t, []string{p.base}, "/dev/pets", rateV, 1000, 2*time.Second)
	if counts[200]+counts[429] != 1000 {
		t.Fatalf("statuses %v", counts)
	}
	checkBucket(t, counts[200], 50, 10, elapsed)
	if len(bodies) != 1 || bodies[`{"message":"Too Many Requests"}`] == 0 {
		t.Errorf("429 bodies %v", bodies)
	}
	p.waitLog(t, regexp.MustCompile(regexp.QuoteMeta("API Key "+mask(rateV)+" exceeded throttle limit for API Stage pets/dev: Key throttle limit exceeded for Usage Plan ID "+rp.ID)+`, RestApi pets, Stage dev, Resource /pets, HttpMethod GET\. Limit: 50\.00 Burst: 10`))

	counts, _, bodies = burst(t, []string{p.base}, "/dev/pets", quotaV, 150, 300*time.Millisecond)
	if counts[200] != 100 || counts[429] != 50 || bodies[`{"message":"Limit Exceeded"}`] != 50 {
		t.Errorf("quota of 100: %v %v", counts, bodies)
	}
	p.waitLog(t, regexp.MustCompile(regexp.QuoteMeta("API Key "+mask(quotaV)+" exceeded quota limit for API Stage pets/dev: Key quota exhausted for Usage Plan ID "+qp.ID+". Q Limit: 100 Period: DAY")))
	stopProc(p) // a clean stop writes the last usage
	var u struct {
		UsagePlanID string
		Items       map[string][][]int64
	}
	cli(t, dir, &u, "usage-plans", "usage", qp.ID)
	if got := u.Items[qk.ID]; len(got) != 1 || got[0][0] != 100 || got[0][1] != 0 {
		t.Errorf("usage %+v", u)
	}
	// After a restart the day's quota is still spent.
	p2 := serve(t, dir)
	if r := do(t, "GET", p2.base+"/dev/pets", "", "x-api-key", quotaV); r.status != 429 || r.body != `{"message":"Limit Exceeded"}` {
		t.Errorf("after restart: %d %s", r.status, r.body)
	}
}

// TestClusterRedis: two archway processes on one redis-server share the
// key's bucket and quota; when Redis is killed, the open stage serves and
// the closed stage answers 429 LIMITER_UNAVAILABLE, and nothing panics.
func TestClusterRedis(t *testing.T) {
	srv := testredis.Start(t)
	if !srv.Started() {
		t.Skip("ARCHWAY_TEST_REDIS points at a server this test must not kill")
	}
	limits := fmt.Sprintf("limits:\n  backend: redis\n  redis: {addr: %q, keyPrefix: %q}\n", srv.Addr, fmt.Sprintf("e2e%d:", time.Now().UnixNano()))
	dir := limitsDir(t, limits, `      - name: dev
        accessLogFormat: 'stage=$context.stage status=$context.status cause=$context.archway.cause'
      - name: strict
        limitsFailureMode: closed
        accessLogFormat: 'stage=$context.stage status=$context.status cause=$context.archway.cause'
`)
	const rateV, quotaV = "cluster-rate-0123456789-ab", "cluster-quota-0123456789-ab"
	rk := createKey(t, dir, "rate", rateV)
	qk := createKey(t, dir, "quota", quotaV)
	rp := createPlan(t, dir, "--api-stage", "pets:dev", "--api-stage", "pets:strict", "--rate", "50", "--burst", "10")
	qp := createPlan(t, dir, "--api-stage", "pets:dev", "--api-stage", "pets:strict", "--quota-limit", "100")
	cli(t, dir, nil, "usage-plans", "add-key", rp.ID, rk.ID)
	cli(t, dir, nil, "usage-plans", "add-key", qp.ID, qk.ID)
	a, b := serve(t, dir), serve(t, dir)
	bases := []string{a.base, b.base}

	counts, elapsed, _ := burst(t, bases, "/dev/pets", rateV, 1000, 2*time.Second)
	checkBucket(t, counts[200], 50, 10, elapsed)
	counts, _, _ = burst(t, bases, "/dev/pets", quotaV, 150, 300*time.Millisecond)
	if counts[200] != 100 {
		t.Errorf("shared quota of 100 across two nodes allowed %d", counts[200])
	}

	srv.Kill()
	for _, base := range bases {
		if r := do(t, "GET", base+"/dev/open", ""); r.status != 200 {
			t.Errorf("open stage with Redis down: %d %s", r.status, r.body)
		}
		if r := do(t, "GET", base+"/dev/pets", "", "x-api-key", rateV); r.status != 200 {
			t.Errorf("open stage, keyed method, Redis down: %d %s", r.status, r.body)
		}
		r := do(t, "GET", base+"/strict/open", "")
		if r.status != 429 || r.body != `{"message":"Too Many Requests"}` {
			t.Errorf("closed stage with Redis down: %d %s", r.status, r.body)
		}
	}
	for _, p := range []*proc{a, b} {
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(p.access(), "stage=strict status=429 cause=LIMITER_UNAVAILABLE") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if !strings.Contains(p.access(), "stage=strict status=429 cause=LIMITER_UNAVAILABLE") {
			t.Errorf("access log lacks the closed-mode refusal:\n%s", p.access())
		}
		if !strings.Contains(p.logs(), `"cause":"LIMITER_UNAVAILABLE"`) {
			t.Errorf("server log lacks the fallback with its cause:\n%s", p.logs())
		}
		if strings.Contains(p.logs(), "panic") {
			t.Errorf("panic in the server log:\n%s", p.logs())
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Errorf("server exited with Redis down: %v", err)
		default:
		}
	}
}
