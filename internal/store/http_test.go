package store_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func getJSON(t *testing.T, u string, wantStatus int) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: %d %s, want %d", u, resp.StatusCode, body, wantStatus)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q", u, ct)
	}
	return body
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	path := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(path, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s differs (-update rewrites it):\n%s", path, buf.String())
	}
}

// TestHandler serves the query API over a real socket, on SQLite and
// PostgreSQL.
func TestHandler(t *testing.T) {
	data := dataset(300, 4)
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) *backend) {
		b := open(t)
		write(t, b.sql, data)
		svc := &store.Service{Backend: b.sql, Recorder: store.NewRecorder(b.sql, store.Options{SampleRate: rate(0.5), Logger: quietLogger()}),
			Driver: b.name, Now: func() time.Time { return t0.Add(10 * time.Minute) }}
		defer svc.Recorder.Close(t.Context())
		hs := httptest.NewServer(svc.Handler())
		defer hs.Close()

		t.Run("one request golden", func(t *testing.T) {
			golden(t, "request.json", getJSON(t, hs.URL+"/api/requests/req-00042", 200))
		})
		t.Run("stats golden", func(t *testing.T) {
			q := url.Values{"apiId": {"a1"}, "from": {t0.Format(time.RFC3339)}, "to": {t0.Add(10 * time.Minute).Format(time.RFC3339)}, "bucket": {"5m"}, "top": {"2"}}
			golden(t, "stats.json", getJSON(t, hs.URL+"/api/stats?"+q.Encode(), 200))
		})
		t.Run("stats default window", func(t *testing.T) {
			var agg struct {
				From, To time.Time
				Bucket   string
				Series   []json.RawMessage
			}
			json.Unmarshal(getJSON(t, hs.URL+"/api/stats", 200), &agg)
			if !agg.To.Equal(t0.Add(10*time.Minute)) || !agg.From.Equal(t0.Add(-50*time.Minute)) || agg.Bucket != "1m0s" || len(agg.Series) != 60 {
				t.Errorf("default window: %v..%v by %s, %d buckets", agg.From, agg.To, agg.Bucket, len(agg.Series))
			}
		})
		t.Run("list pages with the cursor", func(t *testing.T) {
			var want []string
			for _, r := range newestFirst(data) {
				if r.Status >= 500 && r.Stage == "prod" {
					want = append(want, r.RequestID)
				}
			}
			var got []string
			next := ""
			for {
				q := url.Values{"status": {"5xx"}, "stage": {"prod"}, "limit": {"10"}}
				if next != "" {
					q.Set("cursor", next)
				}
				var page struct {
					Requests []struct {
						RequestID string `json:"requestId"`
						Status    int    `json:"status"`
						Log       []any  `json:"log"`
					} `json:"requests"`
					Next *string `json:"next"`
				}
				if err := json.Unmarshal(getJSON(t, hs.URL+"/api/requests?"+q.Encode(), 200), &page); err != nil {
					t.Fatal(err)
				}
				for _, r := range page.Requests {
					got = append(got, r.RequestID)
					if r.Log != nil {
						t.Errorf("list carries the log of %s", r.RequestID)
					}
				}
				if page.Next == nil {
					break
				}
				next = *page.Next
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %v\nwant %v", got, want)
			}
		})
		t.Run("recorder counters", func(t *testing.T) {
			var st struct {
				Driver     string  `json:"driver"`
				SampleRate float64 `json:"sampleRate"`
				QueueSize  int     `json:"queueSize"`
			}
			json.Unmarshal(getJSON(t, hs.URL+"/api/stats/store", 200), &st)
			if st.Driver != b.name || st.SampleRate != 0.5 || st.QueueSize != store.DefaultQueueSize {
				t.Errorf("%+v", st)
			}
		})
		bad := []struct{ name, path string }{
			{"bad status", "/api/requests?status=6xx"},
			{"bad time", "/api/requests?from=yesterday"},
			{"bad limit", "/api/requests?limit=0"},
			{"bad cursor", "/api/requests?cursor=zzz"},
			{"bad bucket", "/api/stats?bucket=-1m"},
			{"too many buckets", "/api/stats?bucket=1ms"},
			{"empty window", "/api/stats?from=2026-03-01T12:00:00Z&to=2026-03-01T12:00:00Z"},
		}
		for _, tc := range bad {
			t.Run(tc.name, func(t *testing.T) {
				var e struct{ Message string }
				json.Unmarshal(getJSON(t, hs.URL+tc.path, 400), &e)
				if e.Message == "" {
					t.Error("no message")
				}
			})
		}
		t.Run("unknown id", func(t *testing.T) {
			getJSON(t, hs.URL+"/api/requests/nope", 404)
		})
	})
}

// TestStoredThroughGateway checks what one request leaves in the store:
// its fields, and an execution log with credentials redacted.
func TestStoredThroughGateway(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) *backend) {
		b := open(t)
		svc := store.New(b.sql, b.name, store.Options{Logger: quietLogger()})
		g := startGateway(t, svc, apigw.Stage{Name: "dev", LoggingLevel: "INFO", DataTraceEnabled: true})
		req, _ := http.NewRequest("GET", g.URL+"/dev/refused?q=1", nil)
		req.Header.Set("Authorization", "Bearer s3cret-token")
		req.Header.Set("X-Api-Key", "key-s3cret")
		// Not UTF-8: PostgreSQL text would refuse it (and the whole batch).
		req.Header.Set("User-Agent", "store-test/1 \xff")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		id := resp.Header.Get("x-amzn-RequestId")
		g.stop(t)
		if err := svc.Recorder.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		rec, err := b.sql.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Status != 500 || rec.Cause != "UPSTREAM_CONNECT_REFUSED" || rec.ResponseType != string(diag.Lookup(diag.UpstreamConnectRefused).ResponseType) ||
			rec.APIID != "loadapi" || rec.APIName != "store-load" || rec.Stage != "dev" || rec.Method != "GET" ||
			rec.Resource != "/refused" || rec.Path != "/refused" || rec.UserAgent != "store-test/1 \uFFFD" || rec.SourceIP != "127.0.0.1" || rec.Weight != 1 {
			t.Errorf("stored %+v", rec)
		}
		var text strings.Builder
		for _, l := range rec.Log {
			text.WriteString(l.Msg + "\n")
		}
		log := text.String()
		for _, want := range []string{"Starting execution for request: " + id, "Method request headers: {", "Authorization=" + store.Redacted, "X-Api-Key=" + store.Redacted, "Method completed with status: 500"} {
			if !strings.Contains(log, want) {
				t.Errorf("log lacks %q:\n%s", want, log)
			}
		}
		for _, secret := range []string{"s3cret"} {
			if strings.Contains(log, secret) {
				t.Errorf("log leaks %q:\n%s", secret, log)
			}
		}
	})
}
