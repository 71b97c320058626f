package e2e

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"sync"
	"testing"
)

const concurrencyAPI = `openapi: 3.0.1
info: {title: concurrency-e2e, version: "1"}
paths:
  /slow:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:slow/invocations
`

// TestLambdaConcurrencyThroughGateway sends 50 parallel requests to a
// function with reserved concurrency 5: every answer is the function's or
// AWS's answer to a throttled invoke (500 Internal server error,
// LAMBDA_THROTTLED), and the function never runs more than 5 at once (its
// own start and end times say so).
func TestLambdaConcurrencyThroughGateway(t *testing.T) {
	bin := buildFunctions(t)
	cfg := `apis: [{definition: api.yaml}]
functions:
  - {name: slow, command: [` + filepath.Join(bin, "slow") + `], timeout: 30s, reservedConcurrency: 5}
`
	dir := configDir(t, concurrencyAPI, cfg)
	p := serve(t, "--debug", dir)
	const n, limit = 50, 5
	var wg sync.WaitGroup
	results := make([]response, n)
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = do(t, "GET", p.base+"/dev/slow?ms=1000", "")
		}()
	}
	close(start)
	wg.Wait()

	type run struct{ PID, Start, End int64 }
	var runs []run
	throttled := 0
	for i, r := range results {
		switch {
		case r.status == 200:
			var v run
			if err := json.Unmarshal([]byte(r.body), &v); err != nil || v.Start == 0 || v.End < v.Start {
				t.Errorf("request %d: 200 with body %q", i, r.body)
				continue
			}
			runs = append(runs, v)
		case r.status == 500 && r.body == `{"message": "Internal server error"}` && r.header.Get("x-archway-cause") == "LAMBDA_THROTTLED" &&
			r.header.Get("x-amzn-ErrorType") == "InternalServerErrorException":
			throttled++
		default:
			t.Errorf("request %d: %d %q cause %q: neither the function's answer nor a throttle", i, r.status, r.body, r.header.Get("x-archway-cause"))
		}
	}
	if len(runs) < limit || throttled == 0 {
		t.Errorf("%d ran, %d throttled: want at least %d runs and some throttles", len(runs), throttled, limit)
	}
	// The most runs that overlapped in time.
	type edge struct {
		at    int64
		delta int
	}
	var edges []edge
	for _, r := range runs {
		edges = append(edges, edge{r.Start, +1}, edge{r.End, -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at != edges[j].at {
			return edges[i].at < edges[j].at
		}
		return edges[i].delta < edges[j].delta // an end before a start at the same instant
	})
	cur, peak := 0, 0
	for _, e := range edges {
		cur += e.delta
		peak = max(peak, cur)
	}
	if peak > limit || peak == 0 {
		t.Errorf("peak concurrency %d, want 1..%d", peak, limit)
	}
	t.Logf("%d ran (peak %d at once), %d throttled", len(runs), peak, throttled)
}
