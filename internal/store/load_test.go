package store_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/store"
)

// loadRequests is how many requests each load test sends (issue 6).
const loadRequests = 20000

// sent is what the client saw: each request id with its status.
type sent struct {
	mu  sync.Mutex
	ids map[string]int
}

// route returns the path of request i: 70% successes, and three kinds of
// errors: a backend 502 (no cause), an unroutable path (403
// ROUTE_NOT_FOUND) and a refused backend (500 UPSTREAM_CONNECT_REFUSED).
func route(i int) string {
	switch i % 10 {
	case 7:
		return "/dev/boom"
	case 8:
		return "/dev/nowhere"
	case 9:
		return "/dev/refused"
	}
	return "/dev/ok"
}

// fire sends n requests from workers goroutines; after half of them it
// calls half (if set).
func fire(t *testing.T, base string, n, workers int, half func()) *sent {
	t.Helper()
	s := &sent{ids: make(map[string]int, n)}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	var next atomic.Int64
	var halfOnce sync.Once
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if i == n/2 && half != nil {
					halfOnce.Do(half)
				}
				resp, err := client.Get(base + route(i))
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				id := resp.Header.Get("x-amzn-RequestId")
				s.mu.Lock()
				s.ids[id] = resp.StatusCode
				s.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("request failed: %v", err)
	}
	if len(s.ids) != n {
		t.Fatalf("%d distinct request ids for %d requests", len(s.ids), n)
	}
	return s
}

// storedIDs reads every stored request id with its status, straight from
// the database.
func storedIDs(t *testing.T, b *backend) map[string]int {
	t.Helper()
	rows, err := b.sql.DB().Query("SELECT request_id, status FROM requests")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var st int
		if err := rows.Scan(&id, &st); err != nil {
			t.Fatal(err)
		}
		out[id] = st
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLoadLosesNothing sends 20,000 requests through a real gateway with the
// store on and sampling at 10%, and checks the accounting exactly: every
// request is stored, sampled out, or counted as dropped; with a queue large
// enough nothing is dropped and every error is stored; with a tiny queue and
// the table locked for half the run, drops happen and the drop counter is
// exactly what is missing.
func TestLoadLosesNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) *backend) {
		tests := []struct {
			name      string
			opt       store.Options
			lockFirst bool // hold the table lock during the first half
		}{
			{name: "default queue", opt: store.Options{SampleRate: rate(0.1)}},
			{name: "tiny queue locked table", opt: store.Options{SampleRate: rate(0.1), QueueSize: 64, BatchSize: 32, WriteTimeout: time.Second}, lockFirst: true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				b := open(t)
				tc.opt.Logger = quietLogger()
				svc := store.New(b.sql, b.name, tc.opt)
				g := startGateway(t, svc, apigw.Stage{Name: "dev", LoggingLevel: "ERROR"})
				var half func()
				var release func()
				if tc.lockFirst {
					release = b.lock(t)
					half = func() { release() }
				}
				s := fire(t, g.URL, loadRequests, 16, half)
				g.stop(t)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := svc.Recorder.Close(ctx); err != nil {
					t.Fatal(err)
				}
				st := svc.Recorder.Stats()
				t.Logf("%s: %+v", b.name, st)
				if st.Enqueued != loadRequests {
					t.Errorf("enqueued %d, sent %d", st.Enqueued, loadRequests)
				}
				if st.Enqueued != st.Written+st.SampledOut+st.Dropped {
					t.Errorf("enqueued %d != written %d + sampled out %d + dropped %d", st.Enqueued, st.Written, st.SampledOut, st.Dropped)
				}
				if st.Pending != 0 {
					t.Errorf("pending %d after close", st.Pending)
				}
				stored := storedIDs(t, b)
				if uint64(len(stored)) != st.Written {
					t.Errorf("%d rows stored, written counter %d", len(stored), st.Written)
				}
				var errorsSent, successesSent, errorsMissing, successesMissing int
				for id, status := range s.ids {
					_, ok := stored[id]
					if status >= 400 {
						errorsSent++
						if !ok {
							errorsMissing++
						}
					} else {
						successesSent++
						if !ok {
							successesMissing++
						}
					}
				}
				for id, status := range stored {
					if want, ok := s.ids[id]; !ok || want != status {
						t.Errorf("stored %s with status %d; the client saw %d (sent: %v)", id, status, want, ok)
					}
				}
				if errorsSent != 3*loadRequests/10 {
					t.Errorf("%d errors sent, want %d", errorsSent, 3*loadRequests/10)
				}
				if missing := errorsMissing + successesMissing; uint64(missing) != st.SampledOut+st.Dropped {
					t.Errorf("%d requests missing from the store; sampled out %d + dropped %d = %d", missing, st.SampledOut, st.Dropped, st.SampledOut+st.Dropped)
				}
				// Sampling never touches errors: only successes are sampled out.
				if st.SampledOut > uint64(successesMissing) {
					t.Errorf("sampled out %d > successes missing %d", st.SampledOut, successesMissing)
				}
				if tc.lockFirst {
					if st.Dropped == 0 {
						t.Errorf("no drops with a %d-record queue and the table locked for %d requests", tc.opt.QueueSize, loadRequests/2)
					}
					return
				}
				if st.Dropped != 0 || errorsMissing != 0 {
					t.Errorf("dropped %d, errors missing %d; want none", st.Dropped, errorsMissing)
				}
				if uint64(successesMissing) != st.SampledOut {
					t.Errorf("successes missing %d, sampled out %d", successesMissing, st.SampledOut)
				}
				// 10% of 14,000 successes: far from 0 and from all of them.
				if kept := successesSent - successesMissing; kept < successesSent/20 || kept > successesSent/5 {
					t.Errorf("kept %d of %d successes at a 10%% sample rate", kept, successesSent)
				}
			})
		}
	})
}
