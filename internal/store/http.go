package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/gateway/pipeline"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// Service is the request store as the rest of Archway sees it: a Recorder
// fed by the gateway and a Backend answering queries.
type Service struct {
	// Backend answers queries.
	Backend Backend
	// Recorder takes records off the request path.
	Recorder *Recorder
	// Driver names the backend ("sqlite", "postgres") in /api/store.
	Driver string
	// Now returns the current time (tests); default time.Now.
	Now func() time.Time
}

// New starts a recorder over b and returns the service.
func New(b Backend, driver string, opt Options) *Service {
	return &Service{Backend: b, Recorder: NewRecorder(b, opt), Driver: driver}
}

// Close drains the recorder (bounded by ctx) and closes the backend.
func (s *Service) Close(ctx context.Context) error {
	err := s.Recorder.Close(ctx)
	if cerr := s.Backend.Close(); err == nil {
		err = cerr
	}
	return err
}

// OnRecord returns a gateway.Server.OnRecord hook that enqueues every
// finished exchange. snap returns the snapshot being served (for API
// names); it may be nil.
func (s *Service) OnRecord(snap func() *rt.Snapshot) func(*pipeline.Exchange, *rt.Stage) {
	return func(x *pipeline.Exchange, st *rt.Stage) {
		e := Entry{Rec: x.Rec, APIID: x.APIID}
		if st != nil {
			e.DataTrace = st.Log.DataTrace
		}
		if snap != nil && x.APIID != "" {
			if sn := snap(); sn != nil {
				if a, ok := sn.ByID(x.APIID); ok {
					e.APIName = a.Name
				}
			}
		}
		s.Recorder.Enqueue(e)
	}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Handler serves the query API (see docs/store.md):
//
//	GET /api/requests?apiId=&stage=&method=&resource=&status=&cause=&from=&to=&limit=&cursor=
//	GET /api/requests/{id}
//	GET /api/stats?apiId=&stage=&from=&to=&bucket=&top=
//	GET /api/stats/store
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/requests", s.list)
	mux.HandleFunc("GET /api/requests/{id}", s.get)
	mux.HandleFunc("GET /api/stats", s.stats)
	mux.HandleFunc("GET /api/stats/store", s.storeStats)
	return mux
}

// recordJSON is a record as the API shows it.
type recordJSON struct {
	RequestID          string    `json:"requestId"`
	ExtendedRequestID  string    `json:"extendedRequestId"`
	Time               time.Time `json:"time"`
	APIID              string    `json:"apiId"`
	APIName            string    `json:"apiName"`
	Stage              string    `json:"stage"`
	Method             string    `json:"method"`
	Resource           string    `json:"resource"`
	Path               string    `json:"path"`
	Status             int       `json:"status"`
	Latency            float64   `json:"latencyMs"`
	IntegrationLatency float64   `json:"integrationLatencyMs"`
	IntegrationStatus  int       `json:"integrationStatus,omitempty"`
	Cause              string    `json:"cause,omitempty"`
	Error              string    `json:"error,omitempty"`
	ResponseType       string    `json:"responseType,omitempty"`
	SourceIP           string    `json:"sourceIp"`
	UserAgent          string    `json:"userAgent"`
	Weight             float64   `json:"weight"`
	Log                []LogLine `json:"log,omitempty"`
}

func toJSON(r *Record) recordJSON {
	return recordJSON{
		RequestID: r.RequestID, ExtendedRequestID: r.ExtendedRequestID, Time: r.Time, APIID: r.APIID,
		APIName: r.APIName, Stage: r.Stage, Method: r.Method, Resource: r.Resource, Path: r.Path,
		Status: r.Status, Latency: ms(r.Latency), IntegrationLatency: ms(r.IntegrationLatency),
		IntegrationStatus: r.IntegrationStatus, Cause: r.Cause, Error: r.Error, ResponseType: r.ResponseType,
		SourceIP: r.SourceIP, UserAgent: r.UserAgent, Weight: r.Weight, Log: r.Log,
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func badRequest(w http.ResponseWriter, err error) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
}

func serverError(w http.ResponseWriter, err error) {
	writeJSON(w, http.StatusInternalServerError, map[string]string{"message": err.Error()})
}

// ParseFilter reads the query parameters of GET /api/requests.
func ParseFilter(q url.Values) (Filter, error) {
	f := Filter{APIID: q.Get("apiId"), Stage: q.Get("stage"), Method: strings.ToUpper(q.Get("method")),
		Resource: q.Get("resource"), Cause: q.Get("cause")}
	var err error
	if v := q.Get("status"); v != "" {
		if f.Status, f.StatusClass, err = ParseStatus(v); err != nil {
			return f, err
		}
	}
	if f.From, err = ParseTime(q.Get("from")); err != nil {
		return f, fmt.Errorf("from: %w", err)
	}
	if f.To, err = ParseTime(q.Get("to")); err != nil {
		return f, fmt.Errorf("to: %w", err)
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return f, fmt.Errorf("limit %q: want 1 to %d", v, MaxLimit)
		}
		f.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		c, err := ParseCursor(v)
		if err != nil {
			return f, err
		}
		f.After = &c
	}
	return f, nil
}

// ParseStatus reads a status filter: an exact code ("502") or a class
// ("5xx", "4XX").
func ParseStatus(v string) (status, class int, err error) {
	if len(v) == 3 && (v[1] == 'x' || v[1] == 'X') && (v[2] == 'x' || v[2] == 'X') && v[0] >= '1' && v[0] <= '5' {
		return 0, int(v[0] - '0'), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 100 || n > 599 {
		return 0, 0, fmt.Errorf("status %q: want a code (502) or a class (5xx)", v)
	}
	return n, 0, nil
}

// ParseTime reads an RFC 3339 time or Unix milliseconds; empty is zero.
func ParseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > 1<<50 {
			return time.Time{}, fmt.Errorf("time %q out of range", v)
		}
		return time.UnixMilli(n).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: want RFC 3339 or Unix milliseconds", v)
	}
	return t.UTC(), nil
}

// String encodes the cursor for the API (opaque to clients).
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.Time.UnixMicro(), 10) + "." + strconv.FormatInt(c.Seq, 10)))
}

// ParseCursor decodes a cursor made by Cursor.String.
func ParseCursor(v string) (Cursor, error) {
	bad := fmt.Errorf("cursor %q: not a cursor returned by this API", v)
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return Cursor{}, bad
	}
	ts, seq, ok := strings.Cut(string(raw), ".")
	if !ok {
		return Cursor{}, bad
	}
	t, err1 := strconv.ParseInt(ts, 10, 64)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if err1 != nil || err2 != nil || n < 0 {
		return Cursor{}, bad
	}
	return Cursor{Time: time.UnixMicro(t).UTC(), Seq: n}, nil
}

func (s *Service) list(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		badRequest(w, err)
		return
	}
	p, err := s.Backend.List(r.Context(), f)
	if err != nil {
		serverError(w, err)
		return
	}
	out := struct {
		Requests []recordJSON `json:"requests"`
		Next     *string      `json:"next"`
	}{Requests: make([]recordJSON, len(p.Records))}
	for i := range p.Records {
		out.Requests[i] = toJSON(&p.Records[i])
	}
	if p.Next != nil {
		c := p.Next.String()
		out.Next = &c
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) get(w http.ResponseWriter, r *http.Request) {
	rec, err := s.Backend.Get(r.Context(), r.PathValue("id"))
	if errors.Is(err, ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "no stored request has id " + r.PathValue("id") + " (it may have been sampled out, dropped or pruned)"})
		return
	}
	if err != nil {
		serverError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSON(rec))
}

// DefaultStatsWindow and DefaultBucket apply when /api/stats omits from
// and bucket.
const (
	DefaultStatsWindow = time.Hour
	DefaultBucket      = time.Minute
)

// ParseQuery reads the query parameters of GET /api/stats; now fills the
// defaults (the last hour, one-minute buckets).
func ParseQuery(q url.Values, now time.Time) (Query, error) {
	out := Query{Window: Window{APIID: q.Get("apiId"), Stage: q.Get("stage")}}
	var err error
	if out.From, err = ParseTime(q.Get("from")); err != nil {
		return out, fmt.Errorf("from: %w", err)
	}
	if out.To, err = ParseTime(q.Get("to")); err != nil {
		return out, fmt.Errorf("to: %w", err)
	}
	if out.To.IsZero() {
		out.To = now.UTC()
	}
	if out.From.IsZero() {
		out.From = out.To.Add(-DefaultStatsWindow)
	}
	if !out.To.After(out.From) {
		return out, fmt.Errorf("from %s is not before to %s", out.From.Format(time.RFC3339), out.To.Format(time.RFC3339))
	}
	out.Bucket = DefaultBucket
	if v := q.Get("bucket"); v != "" {
		if out.Bucket, err = time.ParseDuration(v); err != nil || out.Bucket <= 0 {
			return out, fmt.Errorf("bucket %q: want a positive duration such as 1m", v)
		}
	}
	if n := BucketCount(out.To.Sub(out.From), out.Bucket); n > MaxBuckets {
		return out, fmt.Errorf("bucket %s cuts the window into %d buckets; at most %d", out.Bucket, n, MaxBuckets)
	}
	if v := q.Get("top"); v != "" {
		if out.TopCauses, err = strconv.Atoi(v); err != nil || out.TopCauses < 1 || out.TopCauses > 100 {
			return out, fmt.Errorf("top %q: want 1 to 100", v)
		}
	}
	return out, nil
}

func (s *Service) stats(w http.ResponseWriter, r *http.Request) {
	q, err := ParseQuery(r.URL.Query(), s.now())
	if err != nil {
		badRequest(w, err)
		return
	}
	agg, err := Aggregates(r.Context(), s.Backend, q)
	if err != nil {
		serverError(w, err)
		return
	}
	out := struct {
		*Aggregate
		Bucket string `json:"bucket"`
	}{agg, agg.Bucket.String()}
	writeJSON(w, http.StatusOK, out)
}

func (s *Service) storeStats(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Driver     string  `json:"driver"`
		SampleRate float64 `json:"sampleRate"`
		Stats
	}{s.Driver, s.Recorder.SampleRate(), s.Recorder.Stats()}
	writeJSON(w, http.StatusOK, out)
}
