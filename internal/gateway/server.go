// Package gateway is the data plane: it routes each request to an API, stage,
// resource and method of the current snapshot, runs the method's pipeline and
// answers failures with AWS's gateway responses. The snapshot is swapped
// atomically on reload; a request keeps the snapshot it started with.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/gateway/router"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// CauseHeader carries the cause code on error responses when debug is on.
const CauseHeader = "x-archway-cause"

// Server serves the current snapshot.
type Server struct {
	snap atomic.Pointer[rt.Snapshot]
	// Logger receives operational messages.
	Logger *slog.Logger
	// ExecLog receives execution-log lines ("(requestId) message"); nil discards.
	ExecLog io.Writer
	// AccessLog receives one access-log line per request for stages with a format; nil discards.
	AccessLog io.Writer
	// Debug forces the cause header on every stage.
	Debug bool
	// OnRecord, if set, is called off the request path with every finished exchange.
	// Several consumers are composed with observe.Tee.
	OnRecord func(x *pipeline.Exchange, st *rt.Stage)
	// StartTrace, if set, is called on the request path once per request,
	// before routing, to fill rec.Trace from the request's trace headers
	// (internal/observe/tracing). Nil when tracing is off.
	StartTrace func(r *http.Request, rec *exec.Record)

	sink     chan done
	sinkOnce sync.Once
	sinkDone chan struct{}
}

type done struct {
	x  *pipeline.Exchange
	st *rt.Stage
}

// Swap installs a new snapshot; requests in flight finish on the old one.
func (s *Server) Swap(snap *rt.Snapshot) { s.snap.Store(snap) }

// Snapshot returns the snapshot being served.
func (s *Server) Snapshot() *rt.Snapshot { return s.snap.Load() }

func (s *Server) startSink() {
	s.sinkOnce.Do(func() {
		s.sink = make(chan done, 4096)
		s.sinkDone = make(chan struct{})
		go s.drainSink()
	})
}

// Close flushes pending log lines. Call it after the HTTP server has drained.
func (s *Server) Close() {
	s.startSink()
	close(s.sink)
	<-s.sinkDone
}

func (s *Server) drainSink() {
	defer close(s.sinkDone)
	for d := range s.sink {
		s.writeLogs(d)
	}
}

func (s *Server) writeLogs(d done) {
	rec := d.x.Rec
	if d.st != nil && s.ExecLog != nil {
		if lines := rec.Lines(d.st.Log); len(lines) > 0 {
			io.WriteString(s.ExecLog, exec.CloudWatchText(rec.RequestID, lines))
		}
	}
	if d.st != nil && d.st.AccessLog != nil && s.AccessLog != nil {
		var b strings.Builder
		d.st.AccessLog.Render(&b, d.x)
		b.WriteByte('\n')
		io.WriteString(s.AccessLog, b.String())
	}
	if s.OnRecord != nil {
		s.OnRecord(d.x, d.st)
	}
}

// wantsRecord reports whether a finished exchange has anywhere to go.
func (s *Server) wantsRecord(st *rt.Stage) bool {
	if s.OnRecord != nil {
		return true
	}
	if st == nil {
		return false
	}
	return (s.ExecLog != nil && st.Log.Level != exec.LevelOff) || (s.AccessLog != nil && st.AccessLog != nil)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.startSink()
	snap := s.snap.Load()
	x := newExchange(r)
	if s.StartTrace != nil {
		s.StartTrace(r, x.Rec)
	}
	var st *rt.Stage
	var api *rt.API
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.logger().Error("panic serving request", "requestId", x.Rec.RequestID, "panic", p, "stack", string(debug.Stack()))
			if x.Rec.Status == 0 && api != nil {
				s.writeError(w, x, api, st, diag.Newf(diag.PhaseIntegration, diag.InternalError, "panic: %v", p))
			} else if x.Rec.Status == 0 {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}
		x.Rec.End = time.Now()
		if s.wantsRecord(st) {
			s.sink <- done{x, st}
		}
	}()
	if snap == nil {
		http.Error(w, "no snapshot", http.StatusServiceUnavailable)
		return
	}
	api, rest, err := pickAPI(snap, r)
	if api == nil {
		api = snap.APIs[0]
		s.writeError(w, x, api, nil, err)
		return
	}
	x.APIID = api.ID
	stageName, path := splitStage(rest)
	x.Rec.Stage, x.Rec.Path = stageName, path
	st = api.Stages[stageName]
	if st == nil {
		s.writeError(w, x, api, nil, diag.Newf(diag.PhaseRoute, diag.StageNotFound, "stage %q is not served by API %s", stageName, api.ID))
		return
	}
	x.Stage = &st.Stage
	res := api.Router.Match(r.Method, path)
	if !res.Found {
		cause := diag.RouteNotFound
		if res.PathMatched {
			cause = diag.MethodNotDefined
		}
		s.writeError(w, x, api, st, diag.Newf(diag.PhaseRoute, cause, "%s %s", r.Method, path))
		return
	}
	s.serveMethod(w, x, api, st, res)
}

func (s *Server) serveMethod(w http.ResponseWriter, x *pipeline.Exchange, api *rt.API, st *rt.Stage, res router.Result[*pipeline.Method]) {
	m := res.Value
	r := x.Req
	x.Params = res.Params
	rec := x.Rec
	rec.ResourcePath = res.Resource
	for _, p := range res.Params {
		rec.PathParams = append(rec.PathParams, exec.KV{Key: p.Name, Value: p.Value})
	}
	if st.Log.Level == exec.LevelInfo {
		x.LogInfo = true
		rec.Query = queryKVs(r.URL.RawQuery)
		if st.Log.DataTrace {
			rec.Headers = headerKVs(r.Header)
			x.Trace = true
		}
	}
	if r.ContentLength > apigw.MaxPayloadBytes {
		s.writeError(w, x, api, st, diag.Newf(diag.PhaseMethodRequest, diag.RequestTooLarge, "Content-Length %d", r.ContentLength))
		return
	}
	if m.NeedsBody() || r.ContentLength < 0 || st.Log.DataTrace {
		body, err := io.ReadAll(io.LimitReader(r.Body, apigw.MaxPayloadBytes+1))
		if err != nil {
			s.writeError(w, x, api, st, diag.Wrap(diag.PhaseMethodRequest, diag.ClientAborted, err, "reading the request body"))
			return
		}
		if len(body) > apigw.MaxPayloadBytes {
			s.writeError(w, x, api, st, diag.New(diag.PhaseMethodRequest, diag.RequestTooLarge, "body over 10 MB"))
			return
		}
		x.Body = body
		rec.Body = body
	} else {
		rec.BodyOmitted = r.ContentLength > 0
	}
	resp, err := m.Serve(r.Context(), x, w)
	if err != nil {
		s.writeError(w, x, api, st, err)
		return
	}
	if resp != nil {
		s.writeResponse(w, x, resp)
	}
}

func (s *Server) writeResponse(w http.ResponseWriter, x *pipeline.Exchange, resp *pipeline.Response) {
	h := w.Header()
	for k, v := range resp.Header {
		h[k] = v
	}
	pipeline.SetIDs(h, x)
	x.Rec.Status = resp.Status
	x.Rec.ResponseBody, x.Rec.ResponseBodyKept = resp.Body, true
	if x.Trace {
		x.Rec.ResponseHeaders = methodResponseKVs(resp.Header)
	}
	x.Rec.ResponseLength = int64(len(resp.Body))
	w.WriteHeader(resp.Status)
	w.Write(resp.Body)
}

// writeError answers a failure with the API's gateway response for its cause.
func (s *Server) writeError(w http.ResponseWriter, x *pipeline.Exchange, api *rt.API, st *rt.Stage, err error) {
	d := diag.As(err)
	x.Err = d
	x.Rec.Err = d
	switch d.Cause {
	case diag.InternalError:
		s.logger().Warn("request failed", "requestId", x.Rec.RequestID, "cause", d.Cause, "error", d.Error())
	case diag.ClientAborted:
		s.logger().Debug("client went away", "requestId", x.Rec.RequestID, "error", d.Error())
	}
	g := api.Responses.Render(d, x)
	h := w.Header()
	for k := range h {
		delete(h, k)
	}
	for k, v := range g.Header {
		h[k] = v
	}
	pipeline.SetIDs(h, x)
	if s.Debug || (st != nil && st.Debug) || (st == nil && api.Debug) {
		h[CauseHeader] = []string{string(d.Cause)}
	}
	x.Rec.Status = g.Status
	x.Rec.ResponseBody, x.Rec.ResponseBodyKept = g.Body, true
	x.Rec.ResponseLength = int64(len(g.Body))
	w.WriteHeader(g.Status)
	w.Write(g.Body)
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func newExchange(r *http.Request) *pipeline.Exchange {
	id, ext := newIDs()
	rec := &exec.Record{
		RequestID:         id,
		ExtendedRequestID: ext,
		Start:             time.Now(),
		HTTPMethod:        r.Method,
		UserAgent:         r.UserAgent(),
		Protocol:          r.Proto,
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		rec.SourceIP = host
	}
	return &pipeline.Exchange{Req: r, Rec: rec, Host: r.Host}
}

// newIDs returns a random UUID (x-amzn-RequestId) and a 16-character
// extended id (x-amz-apigw-id).
func newIDs() (string, string) {
	var b [28]byte
	rand.Read(b[:])
	u := b[:16]
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:16])
	ext := base64.StdEncoding.EncodeToString(b[16:28])
	return string(s[:]), ext
}

// pickAPI finds the API by Host ({apiId}.execute-api.*), else the only API.
// rest is the raw path (still percent-encoded) the stage is read from.
func pickAPI(snap *rt.Snapshot, r *http.Request) (*rt.API, string, error) {
	raw := r.RequestURI
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[:i]
	}
	if strings.HasPrefix(raw, "http://") || strings.HasPrefix(raw, "https://") {
		raw = r.URL.EscapedPath()
	}
	host := r.Host
	if i := strings.Index(host, ".execute-api."); i > 0 {
		if a, ok := snap.ByID(host[:i]); ok {
			return a, raw, nil
		}
	}
	if a := snap.Single(); a != nil {
		return a, raw, nil
	}
	return nil, raw, diag.Newf(diag.PhaseRoute, diag.APINotFound, "host %q names no served API", host)
}

// splitStage splits /stage/rest into the stage and /rest. Empty path parts
// before the stage are skipped.
func splitStage(p string) (string, string) {
	p = strings.TrimLeft(p, "/")
	i := strings.IndexByte(p, '/')
	if i < 0 {
		return p, "/"
	}
	return p[:i], p[i:]
}

func queryKVs(raw string) []exec.KV {
	var out []exec.KV
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, exec.KV{Key: k, Value: v})
	}
	return out
}

// headerKVs lists headers for the execution log, sorted by name: Go does
// not keep the client's order, and a stable order keeps logs comparable.
func headerKVs(h http.Header) []exec.KV {
	out := make([]exec.KV, 0, len(h))
	for k, vs := range h {
		out = append(out, exec.KV{Key: k, Value: strings.Join(vs, ",")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// methodResponseKVs lists the method response headers for the execution
// log in a stable order: X-Amzn-Trace-Id first, as AWS logs it (it is set
// when the integration answers, before the method response's own
// headers), then the others sorted by name.
func methodResponseKVs(h http.Header) []exec.KV {
	kvs := headerKVs(h)
	sort.Slice(kvs, func(i, j int) bool {
		ti, tj := kvs[i].Key == "X-Amzn-Trace-Id", kvs[j].Key == "X-Amzn-Trace-Id"
		if ti != tj {
			return ti
		}
		return kvs[i].Key < kvs[j].Key
	})
	return kvs
}

// Run serves on every listener until ctx is cancelled, then drains
// in-flight requests (up to grace) and flushes the logs.
func (s *Server) Run(ctx context.Context, lns []net.Listener, grace time.Duration) error {
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(s.logger().Handler(), slog.LevelWarn)}
	errc := make(chan error, len(lns))
	for _, ln := range lns {
		go func() { errc <- hs.Serve(ln) }()
	}
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if serr := hs.Shutdown(sctx); err == nil {
		err = serr
	}
	s.Close()
	return err
}
