package lambda

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// Config configures the local Lambda service. Every field has a default.
type Config struct {
	// Region is reported to functions (AWS_REGION) and used in ARNs.
	// Default "us-east-1".
	Region string
	// AccountID is used in ARNs. Default "000000000000".
	AccountID string
	// MaxConcurrency is the account concurrency shared by the functions
	// without reserved concurrency. Default 100 (AWS: 1000).
	MaxConcurrency int
	// InitTimeout bounds a process's init, from start to its first
	// /invocation/next. Default 10 s, as AWS; 5 min for commands run with
	// "go", which compile first. Function.InitTimeout overrides it.
	InitTimeout time.Duration
	// LogLines is how many lines of each invocation's log are kept.
	// Default 200.
	LogLines int
	// LogHistory is how many invocations' logs are kept per function, for
	// operators (Service.Logs). Default 50.
	LogHistory int
	// LogDir holds the (unlinked) capture files of process output.
	// Default os.TempDir().
	LogDir string
	// RuntimeHost is the loopback address the per-process Runtime API
	// endpoints listen on. Default "127.0.0.1".
	RuntimeHost string
	// EventMaxAge is how long an Event invocation waits for concurrency
	// before it is dropped. Default 6 h, as AWS.
	EventMaxAge time.Duration
	// Logger receives function logs, REPORT lines and cold starts.
	// Default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.AccountID == "" {
		c.AccountID = "000000000000"
	}
	if c.MaxConcurrency <= 0 {
		c.MaxConcurrency = 100
	}
	if c.LogLines <= 0 {
		c.LogLines = 200
	}
	if c.LogHistory <= 0 {
		c.LogHistory = 50
	}
	if c.RuntimeHost == "" {
		c.RuntimeHost = "127.0.0.1"
	}
	if c.EventMaxAge <= 0 {
		c.EventMaxAge = 6 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Invoker invokes Lambda functions; Service implements it for local
// functions.
type Invoker interface {
	Invoke(ctx context.Context, name string, payload []byte, opts InvokeOptions) (*Result, error)
}

var _ Invoker = (*Service)(nil)

// Service is the local Lambda service: it runs functions' processes, serves
// them the Runtime API, and serves the Lambda Invoke API.
type Service struct {
	cfg   Config
	log   *slog.Logger
	funcs map[string]*function
	srv   *http.Server
	mux   *http.ServeMux

	mu      sync.RWMutex // guards closed and bg.Add
	closed  bool
	closing chan struct{}
	bg      sync.WaitGroup // running and queued invocations
}

// New validates the functions and returns a service for them. No process
// starts until the first invocation.
func New(cfg Config, fns ...Function) (*Service, error) {
	cfg = cfg.withDefaults()
	s := &Service{
		cfg:     cfg,
		log:     cfg.Logger,
		funcs:   make(map[string]*function, len(fns)),
		closing: make(chan struct{}),
	}
	unreserved := make(chan struct{}, cfg.MaxConcurrency)
	var errs []error
	for _, fn := range fns {
		if err := fn.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := s.funcs[fn.Name]; dup {
			errs = append(errs, fmt.Errorf("function %q: defined twice", fn.Name))
			continue
		}
		fn = fn.withDefaults()
		f := &function{
			Function:    fn,
			arn:         FunctionARN(cfg.Region, cfg.AccountID, fn.Name),
			initTimeout: fn.InitTimeout,
			slots:       unreserved,
			logs:        newLogRing(cfg.LogHistory),
			all:         map[*sandbox]struct{}{},
		}
		if f.initTimeout <= 0 {
			f.initTimeout = cfg.InitTimeout
		}
		if f.initTimeout <= 0 {
			f.initTimeout = 10 * time.Second
			if filepath.Base(fn.Command[0]) == "go" {
				f.initTimeout = 5 * time.Minute
			}
		}
		if fn.ReservedConcurrency > 0 {
			f.slots = make(chan struct{}, fn.ReservedConcurrency)
			f.reserved = true
		}
		s.funcs[fn.Name] = f
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	s.mux = http.NewServeMux()
	s.registerRuntimeAPI(s.mux)
	s.registerInvokeAPI(s.mux)
	s.srv = &http.Server{
		Handler:           s.mux,
		ConnContext:       connContext,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// Handler returns the Lambda Invoke API (POST
// /2015-03-31/functions/{name}/invocations), to mount on another server.
func (s *Service) Handler() http.Handler { return s.mux }

// Serve serves the Invoke API on ln until Close. It returns
// http.ErrServerClosed after Close.
func (s *Service) Serve(ln net.Listener) error {
	if err := s.srv.Serve(ln); err != nil {
		return fmt.Errorf("lambda: serve %s: %w", ln.Addr(), err)
	}
	return nil
}

// Start listens on addr ("127.0.0.1:0" when empty) and serves the Invoke
// API in the background. It returns the base URL, e.g. for the SDK's
// BaseEndpoint.
func (s *Service) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("lambda: listen: %w", err)
	}
	go func() { _ = s.srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close kills every function process, stops the servers and waits for
// running invocations to end. Queued Event invocations are dropped.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing)
	s.mu.Unlock()
	for _, f := range s.funcs {
		f.close()
	}
	err := s.srv.Close()
	s.bg.Wait()
	if err != nil {
		return fmt.Errorf("lambda: close: %w", err)
	}
	return nil
}

// track registers background work; false once the service is closed.
func (s *Service) track() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false
	}
	s.bg.Add(1)
	return true
}

// Functions returns the configured functions, with defaults applied,
// sorted by name.
func (s *Service) Functions() []Function {
	out := make([]Function, 0, len(s.funcs))
	for _, f := range s.funcs {
		out = append(out, f.Function)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ARN returns the function's ARN, and whether the function exists.
func (s *Service) ARN(name string) (string, bool) {
	f, ok := s.funcs[name]
	if !ok {
		return "", false
	}
	return f.arn, true
}

// Logs returns the logs of the function's most recent invocations, oldest
// first, or nil for an unknown function.
func (s *Service) Logs(name string) []InvocationLog {
	f, ok := s.funcs[name]
	if !ok {
		return nil
	}
	return f.logs.list()
}

// InvocationLog returns the kept log of one invocation, by request id.
func (s *Service) InvocationLog(name, requestID string) (InvocationLog, bool) {
	f, ok := s.funcs[name]
	if !ok {
		return InvocationLog{}, false
	}
	return f.logs.find(requestID)
}

// Stats describes a function's pool at one moment.
type Stats struct {
	// Running is the number of invocations running now.
	Running int
	// Idle is the number of warm processes waiting for an invocation.
	Idle int
	// Processes is the number of live processes, busy or idle.
	Processes int
}

// Stats returns the state of the named function's pool.
func (s *Service) Stats(name string) (Stats, bool) {
	f, ok := s.funcs[name]
	if !ok {
		return Stats{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return Stats{Running: f.Running(), Idle: len(f.idle), Processes: len(f.all)}, true
}
