package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// dataset builds n records with known, seeded values over ten minutes.
func dataset(n int, seed uint64) []store.Record {
	r := rand.New(rand.NewPCG(seed, seed))
	apis := []string{"a1", "b2"}
	stages := []string{"dev", "prod"}
	routes := [][2]string{{"GET", "/pets"}, {"POST", "/pets"}, {"GET", "/pets/{id}"}}
	statuses := []int{200, 200, 200, 201, 400, 403, 404, 500, 502, 504}
	causes := map[int][]string{403: {"ROUTE_NOT_FOUND"}, 500: {"UPSTREAM_CONNECT_REFUSED", "INTERNAL_ERROR"}, 504: {"INTEGRATION_TIMEOUT"}, 400: {"INVALID_REQUEST_BODY"}}
	out := make([]store.Record, n)
	for i := range out {
		rt := routes[r.IntN(len(routes))]
		status := statuses[r.IntN(len(statuses))]
		cause := ""
		if cs := causes[status]; len(cs) > 0 {
			cause = cs[r.IntN(len(cs))]
		}
		w := 1.0
		if status < 400 && r.IntN(2) == 0 {
			w = 2 // a success sampled at 50%
		}
		out[i] = store.Record{
			RequestID:         fmt.Sprintf("req-%05d", i),
			ExtendedRequestID: fmt.Sprintf("ext%05d", i),
			Time:              t0.Add(time.Duration(r.IntN(600_000_000)) * time.Microsecond),
			APIID:             apis[r.IntN(2)], APIName: "api", Stage: stages[r.IntN(2)],
			Method: rt[0], Resource: rt[1], Path: "/pets",
			Status:             status,
			Latency:            time.Duration(1+r.IntN(2_000_000)) * time.Microsecond,
			IntegrationLatency: time.Duration(r.IntN(1000)) * time.Microsecond,
			Cause:              cause, Weight: w,
			Log: []store.LogLine{{Time: t0, Msg: "Method completed with status: " + fmt.Sprint(status)}},
		}
	}
	return out
}

func write(t *testing.T, s store.Backend, recs []store.Record) {
	t.Helper()
	if err := s.Write(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
}

// newestFirst is the order List promises; Seq follows insertion order.
func newestFirst(recs []store.Record) []store.Record {
	out := append([]store.Record(nil), recs...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.After(out[j].Time)
		}
		return i > j
	})
	return out
}

func ids(recs []store.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.RequestID
	}
	return out
}

// listAll pages through List with a small limit.
func listAll(t *testing.T, s store.Backend, f store.Filter) []store.Record {
	t.Helper()
	var out []store.Record
	f.Limit = 37
	for pages := 0; ; pages++ {
		p, err := s.List(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Records...)
		if p.Next == nil {
			return out
		}
		// Cursors survive their text form.
		c, err := store.ParseCursor(p.Next.String())
		if err != nil {
			t.Fatal(err)
		}
		f.After = &c
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
	}
}

func TestQueries(t *testing.T) {
	data := dataset(600, 1)
	mid := t0.Add(4 * time.Minute)
	end := t0.Add(7 * time.Minute)
	// Records sharing one timestamp, to exercise the cursor's tie-break.
	for i := 0; i < 80; i++ {
		data[i].Time = mid
	}
	tests := []struct {
		name string
		f    store.Filter
		keep func(r store.Record) bool
	}{
		{"all", store.Filter{}, func(store.Record) bool { return true }},
		{"api", store.Filter{APIID: "a1"}, func(r store.Record) bool { return r.APIID == "a1" }},
		{"api and stage", store.Filter{APIID: "b2", Stage: "prod"}, func(r store.Record) bool { return r.APIID == "b2" && r.Stage == "prod" }},
		{"route", store.Filter{Method: "GET", Resource: "/pets/{id}"}, func(r store.Record) bool { return r.Method == "GET" && r.Resource == "/pets/{id}" }},
		{"status exact", store.Filter{Status: 502}, func(r store.Record) bool { return r.Status == 502 }},
		{"status 4xx", store.Filter{StatusClass: 4}, func(r store.Record) bool { return r.Status >= 400 && r.Status < 500 }},
		{"status 5xx", store.Filter{StatusClass: 5}, func(r store.Record) bool { return r.Status >= 500 && r.Status < 600 }},
		{"cause", store.Filter{Cause: "UPSTREAM_CONNECT_REFUSED"}, func(r store.Record) bool { return r.Cause == "UPSTREAM_CONNECT_REFUSED" }},
		{"time range", store.Filter{From: mid, To: end}, func(r store.Record) bool { return !r.Time.Before(mid) && r.Time.Before(end) }},
		{"everything at once", store.Filter{APIID: "a1", Stage: "dev", StatusClass: 5, From: t0.Add(time.Minute), To: end},
			func(r store.Record) bool {
				return r.APIID == "a1" && r.Stage == "dev" && r.Status >= 500 && !r.Time.Before(t0.Add(time.Minute)) && r.Time.Before(end)
			}},
		{"nothing", store.Filter{Cause: "NO_SUCH_CAUSE"}, func(store.Record) bool { return false }},
	}
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) *backend) {
		b := open(t)
		write(t, b.sql, data[:300])
		write(t, b.sql, data[300:])
		ordered := newestFirst(data)
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var want []store.Record
				for _, r := range ordered {
					if tc.keep(r) {
						want = append(want, r)
					}
				}
				got := listAll(t, b.sql, tc.f)
				if diff := cmp.Diff(ids(want), ids(got)); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
			})
		}
		t.Run("get", func(t *testing.T) {
			want := data[123]
			got, err := b.sql.Get(context.Background(), want.RequestID)
			if err != nil {
				t.Fatal(err)
			}
			got.Seq = 0
			if diff := cmp.Diff(want, *got); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
			if _, err := b.sql.Get(context.Background(), "no-such-id"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("missing id: %v, want ErrNotFound", err)
			}
		})
		t.Run("rewrite keeps the first", func(t *testing.T) {
			dup := data[5]
			dup.Status = 299
			write(t, b.sql, []store.Record{dup})
			got, err := b.sql.Get(context.Background(), dup.RequestID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != data[5].Status || count(t, b.sql) != int64(len(data)) {
				t.Errorf("status %d, %d rows; want %d, %d", got.Status, count(t, b.sql), data[5].Status, len(data))
			}
		})
	})
}

// nearestRank is the textbook percentile, computed here independently of
// the store: sort, then take the value at rank ceil(p/100*n). Weighted
// samples are expanded into that many copies first.
func nearestRank(lats []time.Duration, p float64) float64 {
	if len(lats) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), lats...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return float64(s[max(rank, 1)-1].Microseconds()) / 1000
}

func TestAggregates(t *testing.T) {
	data := dataset(2000, 2)
	from, to := t0.Add(time.Minute), t0.Add(9*time.Minute)
	q := store.Query{Window: store.Window{APIID: "a1", From: from, To: to}, Bucket: 2 * time.Minute, TopCauses: 3}
	// Expected values, computed from the data set directly.
	type exp struct {
		count, c4, c5 float64
		lats          []time.Duration
		stored        int64
	}
	buckets := make([]exp, 4)
	var total exp
	causes := map[string]int64{}
	for _, r := range data {
		if r.APIID != "a1" || r.Time.Before(from) || !r.Time.Before(to) {
			continue
		}
		i := int(r.Time.Sub(from) / q.Bucket)
		for _, e := range []*exp{&buckets[i], &total} {
			e.stored++
			e.count += r.Weight
			if r.Status >= 500 {
				e.c5 += r.Weight
			} else if r.Status >= 400 {
				e.c4 += r.Weight
			}
			for range int(r.Weight) {
				e.lats = append(e.lats, r.Latency)
			}
		}
		if r.Cause != "" {
			causes[r.Cause]++
		}
	}
	bucketOf := func(start time.Time, e exp) store.Bucket {
		return store.Bucket{Start: start, Stored: e.stored, Count: e.count, Count4xx: e.c4, Count5xx: e.c5,
			Rate4xx: e.c4 / e.count, Rate5xx: e.c5 / e.count,
			P50: nearestRank(e.lats, 50), P90: nearestRank(e.lats, 90), P99: nearestRank(e.lats, 99)}
	}
	want := &store.Aggregate{From: from, To: to, Bucket: q.Bucket}
	for i, e := range buckets {
		want.Series = append(want.Series, bucketOf(from.Add(time.Duration(i)*q.Bucket), e))
	}
	want.Total = bucketOf(from, total)
	for c, n := range causes {
		want.TopCauses = append(want.TopCauses, store.CauseCount{Cause: c, Count: n})
	}
	sort.Slice(want.TopCauses, func(i, j int) bool {
		a, b := want.TopCauses[i], want.TopCauses[j]
		return a.Count > b.Count || a.Count == b.Count && a.Cause < b.Cause
	})
	want.TopCauses = want.TopCauses[:3]

	forEachBackend(t, func(t *testing.T, open func(t *testing.T) *backend) {
		b := open(t)
		write(t, b.sql, data)
		got, err := store.Aggregates(context.Background(), b.sql, q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y float64) bool { return math.Abs(x-y) < 1e-9 })); diff != "" {
			t.Errorf("aggregate (-want +got):\n%s", diff)
		}
		t.Run("empty window", func(t *testing.T) {
			got, err := store.Aggregates(context.Background(), b.sql, store.Query{Window: store.Window{From: t0.Add(-time.Hour), To: t0}, Bucket: 30 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Series) != 2 || got.Total.Stored != 0 || got.Total.P99 != 0 || len(got.TopCauses) != 0 {
				t.Errorf("empty window: %+v", got)
			}
		})
	})
}

func TestRetention(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) *backend) {
		data := dataset(500, 3)
		t.Run("max age", func(t *testing.T) {
			b := open(t)
			write(t, b.sql, data)
			cut := t0.Add(5 * time.Minute)
			n, err := b.sql.Prune(context.Background(), cut, 0)
			if err != nil {
				t.Fatal(err)
			}
			var keep []store.Record
			for _, r := range data {
				if !r.Time.Before(cut) {
					keep = append(keep, r)
				}
			}
			if n != int64(len(data)-len(keep)) {
				t.Errorf("pruned %d, want %d", n, len(data)-len(keep))
			}
			if diff := cmp.Diff(ids(newestFirst(keep)), ids(listAll(t, b.sql, store.Filter{}))); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
		})
		t.Run("max rows", func(t *testing.T) {
			b := open(t)
			write(t, b.sql, data[:200])
			write(t, b.sql, data[200:])
			n, err := b.sql.Prune(context.Background(), time.Time{}, 120)
			if err != nil {
				t.Fatal(err)
			}
			// The newest 120 by insertion order survive.
			keep := data[len(data)-120:]
			if n != int64(len(data)-120) {
				t.Errorf("pruned %d, want %d", n, len(data)-120)
			}
			if diff := cmp.Diff(ids(newestFirst(keep)), ids(listAll(t, b.sql, store.Filter{}))); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
			if n, err := b.sql.Prune(context.Background(), time.Time{}, 120); err != nil || n != 0 {
				t.Errorf("second prune: %d, %v; want 0", n, err)
			}
		})
		t.Run("recorder enforces periodically", func(t *testing.T) {
			b := open(t)
			write(t, b.sql, data)
			now := t0.Add(10 * time.Minute)
			rec := store.NewRecorder(b.sql, store.Options{MaxAge: 3 * time.Minute, MaxRows: 50, RetentionInterval: 20 * time.Millisecond,
				Now: func() time.Time { return now }, Logger: quietLogger()})
			defer rec.Close(context.Background())
			var recent int
			for _, r := range data {
				if !r.Time.Before(now.Add(-3 * time.Minute)) {
					recent++
				}
			}
			want := int64(min(recent, 50))
			// The rows go first, the counter follows when Prune returns.
			deadline := time.Now().Add(20 * time.Second)
			for count(t, b.sql) != want || rec.Stats().Pruned != uint64(len(data))-uint64(want) {
				if time.Now().After(deadline) {
					t.Fatalf("%d rows after retention, want %d; pruned counter %d, want %d", count(t, b.sql), want, rec.Stats().Pruned, uint64(len(data))-uint64(want))
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	})
}

// TestStoreDown stops the database mid-test (the PostgreSQL server is shut
// down; the SQLite handle closed). Requests still get their answers,
// Enqueue never blocks, and every record that could not be written is
// counted.
func TestStoreDown(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) *backend) {
		b := open(t)
		const queue = 100
		svc := store.New(b.sql, b.name, store.Options{QueueSize: queue, BatchSize: 10, FlushInterval: 5 * time.Millisecond,
			WriteTimeout: 500 * time.Millisecond, Logger: quietLogger()})
		g := startGateway(t, svc, stageDev())
		before := fire(t, g.URL, 200, 4, nil)
		// Wait until the first requests are written, then take the database away.
		deadline := time.Now().Add(20 * time.Second)
		for st := svc.Recorder.Stats(); st.Pending != 0 || st.Enqueued != uint64(len(before.ids)); st = svc.Recorder.Stats() {
			if time.Now().After(deadline) {
				t.Fatalf("not drained: %+v", st)
			}
			time.Sleep(10 * time.Millisecond)
		}
		// A burst can outrun the first writes and drop a few: what was
		// written is in the database, and stays the only thing written.
		w0 := svc.Recorder.Stats().Written
		if n := count(t, b.sql); n != int64(w0) || w0 == 0 {
			t.Fatalf("%d rows before the outage, written counter %d", n, w0)
		}
		b.down(t)
		// Through the gateway: every request is answered as usual.
		after := fire(t, g.URL, 2000, 8, nil)
		for id, status := range after.ids {
			if status == 0 || id == "" {
				t.Fatalf("request %q answered %d", id, status)
			}
		}
		// Directly: a burst far larger than the queue returns every call.
		// Were Enqueue to block on the dead database, this loop would not
		// end; refusals are bounded by what was offered.
		const burst = 20 * queue
		var refused int
		rec := &exec.Record{RequestID: "burst", Status: 500}
		for range burst {
			if !svc.Recorder.Enqueue(store.Entry{Rec: rec}) {
				refused++
			}
		}
		if refused == 0 || refused > burst {
			t.Errorf("%d of %d refused with a %d-record queue and no database", refused, burst, queue)
		}
		g.stop(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		svc.Recorder.Close(ctx)
		st := svc.Recorder.Stats()
		t.Logf("%s down: %+v", b.name, st)
		if want := uint64(200 + 2000 + burst); st.Enqueued != want {
			t.Errorf("enqueued %d, want %d", st.Enqueued, want)
		}
		if st.Written != w0 {
			t.Errorf("written %d, want the %d written before the outage", st.Written, w0)
		}
		if st.Dropped != st.Enqueued-w0 || st.SampledOut != 0 || st.Pending != 0 {
			t.Errorf("dropped %d (full %d, failed %d), sampled out %d, pending %d; want %d dropped", st.Dropped, st.DroppedFull, st.WriteFailed, st.SampledOut, st.Pending, st.Enqueued-w0)
		}
		if st.WriteFailed == 0 || st.WriteErrors == 0 {
			t.Errorf("no failed writes counted: %+v", st)
		}
		if st.DroppedFull < uint64(refused) {
			t.Errorf("dropped for a full queue %d < refused %d", st.DroppedFull, refused)
		}
	})
}
