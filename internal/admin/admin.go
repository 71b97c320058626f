// Package admin is the admin listener: /metrics, /healthz and the admin
// REST/JSON API under /api/ (the live snapshot's APIs, test-invoke, reload
// history), plus mount points for the request store's API and the
// dashboard. It is served on its own listener, never on the gateway's, and
// is protected by a bearer token; a loopback-only listener may run without
// one. docs/admin-api.md documents every route.
package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/archway-gw/archway/internal/gateway"
)

// TokenEnv is the environment variable the admin token is read from.
const TokenEnv = "ARCHWAY_ADMIN_TOKEN"

// Options say what the admin listener serves.
type Options struct {
	// Token is the bearer token every route but /healthz requires
	// (Authorization: Bearer TOKEN). Empty serves without authentication,
	// which Listen allows on loopback addresses only.
	Token string
	// Gateway is the data plane: its snapshot is listed and test-invoked.
	Gateway *gateway.Server
	// Metrics serves /metrics; nil answers 404.
	Metrics http.Handler
	// Reloads is the reload history served at /api/reloads; nil serves an
	// empty list.
	Reloads *History
	// Requests, when set, is mounted at /api/requests and /api/stats (the
	// request store's explorer API). It sees the full request path.
	Requests http.Handler
	// Dashboard, when set, is mounted at / (every path no other route
	// takes).
	Dashboard http.Handler
	// FlushAuthorizers flushes the authorizer result cache of a stage
	// (authorizer.Compiler.FlushStage), served as DELETE
	// /api/apis/{apiId}/stages/{stage}/authorizers/cache; nil does not
	// serve that route.
	FlushAuthorizers func(ctx context.Context, apiID, stage string) error
	// Logger receives errors. Default slog.Default().
	Logger *slog.Logger
}

// Handler returns the admin listener's handler.
func Handler(opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	a := &api{opts: opts}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	protected := http.NewServeMux()
	if opts.Metrics != nil {
		protected.Handle("GET /metrics", opts.Metrics)
	}
	protected.HandleFunc("GET /api/apis", a.apis)
	protected.HandleFunc("POST /api/test-invoke", a.testInvoke)
	protected.HandleFunc("GET /api/reloads", a.reloads)
	if opts.FlushAuthorizers != nil {
		protected.HandleFunc("DELETE /api/apis/{apiId}/stages/{stage}/authorizers/cache", a.flushAuthorizers)
	}
	if opts.Requests != nil {
		for _, p := range []string{"/api/requests", "/api/requests/", "/api/stats", "/api/stats/"} {
			protected.Handle(p, opts.Requests)
		}
	}
	protected.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no admin API route "+r.Method+" "+r.URL.Path)
	})
	if opts.Dashboard != nil {
		// The dashboard also serves the doctor's findings and the cause catalog.
		protected.Handle("GET /api/doctor", opts.Dashboard)
		protected.Handle("GET /api/causes", opts.Dashboard)
		protected.Handle("/", opts.Dashboard)
	}
	mux.Handle("/", requireToken(opts.Token, protected))
	return mux
}

// requireToken checks Authorization: Bearer TOKEN in constant time.
func requireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="archway-admin"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong admin token: send Authorization: Bearer <token> (admin.token in archway.yaml or "+TokenEnv+")")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ErrNoToken is returned by Listen for a non-loopback address without a
// token.
var ErrNoToken = errors.New("the admin listener is not on a loopback address and has no token")

// Listen opens the admin listener on addr. Without a token it refuses any
// address that is not loopback-only (0.0.0.0, a public IP, a host name
// resolving elsewhere), since the admin API runs requests and shows
// request data.
func Listen(addr, token string) (net.Listener, error) {
	if token == "" {
		if err := checkLoopback(addr); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin: listening on %s: %w", addr, err)
	}
	if token == "" {
		if ta, ok := ln.Addr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
			ln.Close()
			return nil, fmt.Errorf("admin: %s: %w; set admin.token in archway.yaml or %s, or listen on 127.0.0.1", addr, ErrNoToken, TokenEnv)
		}
	}
	return ln, nil
}

// checkLoopback refuses addresses that are not loopback before binding.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("admin: listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("admin: %s: %w; set admin.token in archway.yaml or %s, or listen on 127.0.0.1", addr, ErrNoToken, TokenEnv)
	}
	return nil
}

// Serve serves h on ln until ctx ends, then shuts down (waiting up to 5 s
// for requests in flight).
func Serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("admin: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("admin: shutdown: %w", err)
	}
	return nil
}

type api struct {
	opts Options
}

// errorBody is every admin API error.
type errorBody struct {
	Message string `json:"message"`
	Cause   string `json:"cause,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Message: msg})
}

func (a *api) reloads(w http.ResponseWriter, r *http.Request) {
	list := []Reload{}
	if a.opts.Reloads != nil {
		list = a.opts.Reloads.List()
	}
	writeJSON(w, http.StatusOK, map[string]any{"reloads": list})
}
