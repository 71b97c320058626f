package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/archway-gw/archway/internal/admin"
	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/gateway"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/lambda"
	"github.com/archway-gw/archway/internal/observe"
	"github.com/archway-gw/archway/internal/observe/metrics"
	"github.com/archway-gw/archway/internal/observe/tracing"
	"github.com/archway-gw/archway/internal/runtime"
	"github.com/archway-gw/archway/web"
)

// observability is what serve runs besides the data plane: metrics and the
// admin listener (when an admin address is given), tracing (when
// configured) and the reload history. Everything is off, and costs
// nothing, unless configured.
type observability struct {
	adminAddr string
	adminLn   net.Listener // opened by listenAdmin
	token     string
	metrics   *metrics.Metrics
	tracer    *tracing.Tracer
	history   *admin.History
	srv       atomic.Pointer[gateway.Server]
	// Requests is mounted at /api/requests and /api/stats (the request
	// store's API) when set before startAdmin.
	Requests http.Handler
	// Dashboard is mounted at / when set before startAdmin.
	Dashboard http.Handler
	// Wrap, when set before startAdmin, wraps the whole admin handler
	// (e.g. the dashboard's browser sign-in in front of the token check).
	Wrap func(http.Handler) http.Handler
	// FlushAuthorizers, when set before startAdmin, serves DELETE
	// /api/apis/{apiId}/stages/{stage}/authorizers/cache (the authorizer
	// compiler's FlushStage).
	FlushAuthorizers func(ctx context.Context, apiID, stage string) error
}

// newObservability reads --admin-listen, archway.yaml's admin: and
// tracing:, and ARCHWAY_ADMIN_TOKEN.
func newObservability(ctx context.Context, cfg *config.Config, f loadFlags, logger *slog.Logger) (*observability, error) {
	o := &observability{adminAddr: f.adminListen, history: admin.NewHistory(0)}
	if cfg != nil {
		if o.adminAddr == "" {
			o.adminAddr = cfg.Admin.Listen
		}
		o.token = cfg.Admin.Token
	}
	if t := os.Getenv(admin.TokenEnv); t != "" {
		o.token = t
	}
	if o.adminAddr != "" {
		o.metrics = metrics.New(metrics.Options{Snapshot: o.snapshot, GoCollectors: true})
	}
	if cfg != nil && cfg.Tracing != nil {
		tc := tracing.Config{Endpoint: cfg.Tracing.Endpoint, Headers: cfg.Tracing.Headers, ServiceName: cfg.Tracing.ServiceName, SampleRatio: 1, Logger: logger}
		if r := cfg.Tracing.SampleRatio; r != nil {
			tc.SampleRatio = *r
		}
		t, err := tracing.New(ctx, tc)
		if err != nil {
			return nil, err
		}
		o.tracer = t
		if o.metrics != nil {
			o.metrics.Registry().MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "archway_trace_records_dropped_total",
				Help: "Sampled requests not traced because the span builder's queue was full.",
			}, func() float64 { return float64(t.Dropped()) }))
		}
	}
	return o, nil
}

func (o *observability) snapshot() *runtime.Snapshot {
	if s := o.srv.Load(); s != nil {
		return s.Snapshot()
	}
	return nil
}

// lambdaObserver is the Lambda service's Observer: the metrics, or nil.
func (o *observability) lambdaObserver() lambda.Observer {
	if o.metrics == nil {
		return nil
	}
	return o.metrics
}

// watchLambda reports the service's ConcurrentExecutions.
func (o *observability) watchLambda(svc *lambda.Service) {
	if o.metrics != nil {
		o.metrics.WatchLambda(svc)
	}
}

// attach hooks metrics and tracing onto the gateway, keeping any OnRecord
// consumer already set.
func (o *observability) attach(srv *gateway.Server) {
	o.srv.Store(srv)
	var m, t func(x *pipeline.Exchange, st *runtime.Stage)
	if o.metrics != nil {
		m = o.metrics.Observe
	}
	if o.tracer != nil {
		t = o.tracer.Observe
		srv.StartTrace = o.tracer.Start
	}
	srv.OnRecord = observe.Tee(srv.OnRecord, m, t)
}

// reloaded records a start or reload attempt in the history.
func (o *observability) reloaded(trigger string, snap *runtime.Snapshot, err error, took time.Duration) {
	r := admin.Reload{Time: time.Now().UTC(), Trigger: trigger, Success: err == nil, DurationMs: float64(took.Microseconds()) / 1000}
	if err != nil {
		r.Error = err.Error()
	} else {
		r.Snapshot = admin.Summarize(snap)
	}
	o.history.Add(r)
}

// listenAdmin opens the admin listener, if one is configured. serve calls
// it before opening anything else, so that a refused address (non-loopback
// without a token, or in use) stops the start before any file is created.
func (o *observability) listenAdmin() error {
	if o.adminAddr == "" || o.adminLn != nil {
		return nil
	}
	ln, err := admin.Listen(o.adminAddr, o.token)
	if err != nil {
		return err
	}
	o.adminLn = ln
	return nil
}

// startAdmin serves the admin listener, if one is configured, until ctx
// ends.
func (o *observability) startAdmin(ctx context.Context, srv *gateway.Server, stderr io.Writer, logger *slog.Logger) error {
	if o.adminAddr == "" {
		return nil
	}
	if err := o.listenAdmin(); err != nil {
		return err
	}
	ln := o.adminLn
	h := admin.Handler(admin.Options{Token: o.token, Gateway: srv, Metrics: o.metrics.Handler(), Reloads: o.history,
		Requests: o.Requests, Dashboard: o.Dashboard, FlushAuthorizers: o.FlushAuthorizers, Logger: logger})
	// A browser gets in with /?token=TOKEN, kept in an HttpOnly cookie.
	h = web.Authenticate(o.token, h)
	if o.Wrap != nil {
		h = o.Wrap(h)
	}
	fmt.Fprintf(stderr, "archway: admin API, /metrics and /healthz at http://%s/\n", ln.Addr())
	go func() {
		if err := admin.Serve(ctx, ln, h, logger); err != nil {
			logger.Error("admin listener", "error", err.Error())
		}
	}()
	return nil
}

// shutdown flushes the traces not yet exported.
func (o *observability) shutdown(logger *slog.Logger) {
	if o.tracer == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := o.tracer.Shutdown(ctx); err != nil {
		logger.Warn("flushing traces", "error", err.Error())
	}
	if n := o.tracer.Dropped(); n > 0 {
		logger.Warn("sampled requests not traced: the span queue was full", "dropped", n)
	}
}
