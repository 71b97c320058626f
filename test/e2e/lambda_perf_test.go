package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/lambda"
)

// TestLambdaPerf measures, in one run, an AWS_PROXY route to a warm local
// Go function through the built gateway against invoking the same handler
// through the Runtime API directly (lambda.Service.Invoke in this
// process), at concurrency 1 and 8, and the cold start of that function.
// It only runs with ARCHWAY_PERF=1 (it loads the machine for ~10 s);
// docs/perf.md records its numbers.
func TestLambdaPerf(t *testing.T) {
	if os.Getenv("ARCHWAY_PERF") == "" {
		t.Skip("set ARCHWAY_PERF=1 to measure (about 10 s of load)")
	}
	phase := 2 * time.Second
	if d, err := time.ParseDuration(os.Getenv("ARCHWAY_PERF_PHASE")); err == nil {
		phase = d
	}
	bin := buildFunctions(t)
	hello := filepath.Join(bin, "hello")
	cfg := `apis: [{definition: api.yaml, stages: [{name: dev, accessLogFormat: ""}]}]
accessLog: "off"
functions:
  - {name: hello, command: [` + hello + `]}
`
	dir := configDir(t, remoteAPI, cfg)
	p := serve(t, dir)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := p.base + "/dev/hello"
	viaGateway := func() error {
		resp, err := client.Get(url)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("gateway answered %d", resp.StatusCode)
		}
		return nil
	}
	svc, err := lambda.New(lambda.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, lambda.Function{Name: "hello", Command: []string{hello}})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	event := []byte(`{"resource":"/hello","path":"/hello","httpMethod":"GET","headers":{"Host":"127.0.0.1"},"requestContext":{"stage":"dev"},"body":null}`)
	direct := func() error {
		res, err := svc.Invoke(context.Background(), "hello", event, lambda.InvokeOptions{})
		if err == nil && res.FunctionError != "" {
			t.Fatalf("function error %s", res.Payload)
		}
		return err
	}
	for _, c := range []int{1, 8} {
		gw := measure(t, c, phase, viaGateway)
		dr := measure(t, c, phase, direct)
		t.Logf("concurrency %d: gateway %.0f req/s p50 %v p99 %v | direct %.0f req/s p50 %v p99 %v | throughput ratio %.2f, added p50 %v",
			c, gw.rate, gw.p50, gw.p99, dr.rate, dr.p50, dr.p99, gw.rate/dr.rate, gw.p50-dr.p50)
	}
	// Cold starts: a new service (no warm process) per sample.
	var inits, firsts []time.Duration
	for i := 0; i < 5; i++ {
		s, err := lambda.New(lambda.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, lambda.Function{Name: "hello", Command: []string{hello}})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		res, err := s.Invoke(context.Background(), "hello", event, lambda.InvokeOptions{})
		first := time.Since(start)
		_ = s.Close()
		if err != nil || !res.ColdStart {
			t.Fatalf("cold invoke: %v %+v", err, res)
		}
		inits, firsts = append(inits, res.InitDuration), append(firsts, first)
	}
	sortDur(inits)
	sortDur(firsts)
	t.Logf("cold start (5 samples): Init Duration median %v (min %v, max %v); first invoke end to end median %v", inits[2], inits[0], inits[4], firsts[2])
}

type perfResult struct {
	rate     float64
	p50, p99 time.Duration
}

// measure runs call from c goroutines for d after a short warm-up.
func measure(t *testing.T, c int, d time.Duration, call func() error) perfResult {
	t.Helper()
	for i := 0; i < 50; i++ {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	start := time.Now()
	for g := 0; g < c; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(stop) {
				t0 := time.Now()
				if err := call(); err != nil {
					t.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sortDur(lat)
	if len(lat) == 0 {
		t.Fatal("no calls")
	}
	return perfResult{rate: float64(len(lat)) / elapsed.Seconds(), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100]}
}

func sortDur(d []time.Duration) { sort.Slice(d, func(i, j int) bool { return d[i] < d[j] }) }
