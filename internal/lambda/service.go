package lambda

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
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
	// EventRetries is how many times a failed Event invocation (a function
	// error, timeout or crash) is retried. Default 2, as AWS's
	// MaximumRetryAttempts; negative means none.
	EventRetries int
	// EventRetryDelay is the wait before the first retry; it doubles for
	// each further retry. Default 1 minute, as AWS (1 then 2 minutes).
	EventRetryDelay time.Duration
	// Fallback, when set, invokes the functions that are not local, such as
	// a Remote for real AWS Lambda. Default nil: they are not found.
	Fallback Invoker
	// StrictPermissions denies API Gateway invokes of functions whose
	// policy has no statement allowing the caller, including functions
	// without permissions. Default false: no permissions means allowed.
	StrictPermissions bool
	// Logger receives function logs, REPORT lines and cold starts.
	// Default slog.Default().
	Logger *slog.Logger
	// Observer, when set, is told of every finished invocation and every
	// throttled one (metrics). Default nil.
	Observer Observer
}

// Observer receives per-invocation facts, e.g. for metrics. Its methods
// are called on the invocation path and must be cheap and safe for
// concurrent use.
type Observer interface {
	// Invoked is called when an invocation ends (synchronous or Event),
	// with its result.
	Invoked(function string, res *Result)
	// Throttled is called when a synchronous invoke is rejected because
	// the function has no concurrency left.
	Throttled(function string)
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
	switch {
	case c.EventRetries == 0:
		c.EventRetries = 2
	case c.EventRetries < 0:
		c.EventRetries = 0
	}
	if c.EventRetryDelay <= 0 {
		c.EventRetryDelay = time.Minute
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
	cfg Config
	log *slog.Logger
	// funcs is the current function set, replaced whole by Update.
	funcs      atomic.Pointer[map[string]*function]
	updateMu   sync.Mutex // serialises Update
	unreserved chan struct{}
	strict     atomic.Bool
	srv        *http.Server
	mux        *http.ServeMux

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
		cfg:        cfg,
		log:        cfg.Logger,
		closing:    make(chan struct{}),
		unreserved: make(chan struct{}, cfg.MaxConcurrency),
	}
	s.strict.Store(cfg.StrictPermissions)
	set, err := s.functionSet(fns, nil)
	if err != nil {
		return nil, err
	}
	s.funcs.Store(&set)
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

// functionSet validates fns and builds the function set. A function equal
// to one in prev (same configuration) is taken over with its warm
// processes; a new or changed one starts with none, keeping prev's logs.
func (s *Service) functionSet(fns []Function, prev map[string]*function) (map[string]*function, error) {
	set := make(map[string]*function, len(fns))
	var errs []error
	for _, fn := range fns {
		if err := fn.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := set[fn.Name]; dup {
			errs = append(errs, fmt.Errorf("function %q: defined twice", fn.Name))
			continue
		}
		fn = fn.withDefaults()
		old := prev[fn.Name]
		if old != nil && reflect.DeepEqual(old.Function, fn) {
			set[fn.Name] = old
			continue
		}
		f := &function{
			Function:    fn,
			arn:         FunctionARN(s.cfg.Region, s.cfg.AccountID, fn.Name),
			initTimeout: fn.InitTimeout,
			slots:       s.unreserved,
			logs:        newLogRing(s.cfg.LogHistory),
			all:         map[*sandbox]struct{}{},
		}
		if old != nil {
			f.logs = old.logs
		}
		if f.initTimeout <= 0 {
			f.initTimeout = s.cfg.InitTimeout
		}
		if f.initTimeout <= 0 {
			f.initTimeout = 10 * time.Second
			if filepath.Base(fn.Command[0]) == "go" {
				f.initTimeout = 5 * time.Minute
			}
		}
		if fn.ReservedConcurrency > 0 || fn.Reserved {
			f.slots = make(chan struct{}, fn.ReservedConcurrency)
			f.reserved = true
		}
		set[fn.Name] = f
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	return set, nil
}

// lookup returns the current function of that name.
func (s *Service) lookup(name string) (*function, bool) {
	f, ok := (*s.funcs.Load())[name]
	return f, ok
}

// Update replaces the function set, as a reload of archway.yaml does:
// unchanged functions keep their warm processes; a changed function's new
// invocations start new processes at once while its in-flight invocations
// finish on the old ones, which are then stopped; a removed function stops
// the same way (drained first); a new one starts on its first invocation.
// Invalid functions leave the set unchanged. It returns once the new set
// serves; old processes are drained in the background.
func (s *Service) Update(fns ...Function) error {
	s.updateMu.Lock()
	defer s.updateMu.Unlock()
	prev := *s.funcs.Load()
	set, err := s.functionSet(fns, prev)
	if err != nil {
		return err
	}
	var retired []*function
	for name, old := range prev {
		if set[name] != old {
			retired = append(retired, old)
		}
	}
	if !s.track() {
		return ErrServiceClosed
	}
	s.funcs.Store(&set)
	go func() {
		defer s.bg.Done()
		for _, f := range retired {
			s.retire(f)
		}
	}()
	for _, f := range retired {
		what := "changed"
		if _, still := set[f.Name]; !still {
			what = "removed"
		}
		s.log.Info("lambda function "+what+"; draining its processes", "function", f.Name, "running", f.Running())
	}
	return nil
}

// retire waits for the invocations a replaced function is running to end,
// then stops its processes.
func (s *Service) retire(f *function) {
	// An invoke that looked the function up just before the swap may
	// acquire a slot a moment later: require the function to be idle twice.
	for quiet := 0; quiet < 2; {
		select {
		case <-s.closing:
			f.close() // shutting down: stop them now, as Close does the rest
			return
		case <-time.After(20 * time.Millisecond):
		}
		if f.Running() == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
	f.close()
}

// SetStrictPermissions changes Config.StrictPermissions (on reload).
func (s *Service) SetStrictPermissions(strict bool) { s.strict.Store(strict) }

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
	for _, f := range *s.funcs.Load() {
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
	set := *s.funcs.Load()
	out := make([]Function, 0, len(set))
	for _, f := range set {
		out = append(out, f.Function)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ARN returns the function's ARN, and whether the function exists.
func (s *Service) ARN(name string) (string, bool) {
	f, ok := s.lookup(name)
	if !ok {
		return "", false
	}
	return f.arn, true
}

// Allows reports whether API Gateway may invoke the named function from
// sourceARN under the service's policy settings, and the add-permission
// command that would allow it when not. A function that is not local is
// reported allowed: its own service decides.
func (s *Service) Allows(name, sourceARN string) (ok bool, fix string) {
	fnName, _ := SplitFunctionName(name)
	f, found := s.lookup(fnName)
	if !found {
		return true, ""
	}
	return Allows(f.Function, sourceARN, s.strict.Load())
}

// Logs returns the logs of the function's most recent invocations, oldest
// first, or nil for an unknown function.
func (s *Service) Logs(name string) []InvocationLog {
	f, ok := s.lookup(name)
	if !ok {
		return nil
	}
	return f.logs.list()
}

// InvocationLog returns the kept log of one invocation, by request id.
func (s *Service) InvocationLog(name, requestID string) (InvocationLog, bool) {
	f, ok := s.lookup(name)
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
	f, ok := s.lookup(name)
	if !ok {
		return Stats{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return Stats{Running: f.Running(), Idle: len(f.idle), Processes: len(f.all)}, true
}
