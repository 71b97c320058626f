package lambda

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sandbox is one execution environment: a function process and the
// Runtime API endpoint it talks to. Like Lambda, each process gets its own
// endpoint, so Archway knows which process asks for the next invocation.
type sandbox struct {
	fn      *function
	cmd     *exec.Cmd
	ln      *sandboxListener
	log     *logFile
	started time.Time

	// invokes hands an invocation to the process's pending
	// /invocation/next request (unbuffered: a send is a delivery).
	invokes chan *invocation
	// cur is the invocation the process is working on.
	cur atomic.Pointer[invocation]

	readyOnce sync.Once
	readyAt   time.Time     // written before ready is closed
	ready     chan struct{} // closed at the first /invocation/next: init is done
	initErr   chan []byte   // the payload of /init/error

	exitErr error         // written before exited is closed
	exited  chan struct{} // closed when the process has exited

	peakMB   atomic.Int64 // highest Max Memory Used seen
	treeOnce sync.Once
	tree     []int // the process and its descendants, for sampleMemory
}

// sandboxListener tags every connection with the sandbox it serves. It
// may be closed by both the process's exit and the server's Close.
type sandboxListener struct {
	net.Listener
	sb   *sandbox
	once sync.Once
	err  error
}

func (l *sandboxListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return sandboxConn{c, l.sb}, nil
}

// Close closes the listener once; later calls return the first result.
func (l *sandboxListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

type sandboxConn struct {
	net.Conn
	sb *sandbox
}

type sandboxKey struct{}

// connContext makes the sandbox of a Runtime API connection available to
// its handlers.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if sc, ok := c.(sandboxConn); ok {
		return context.WithValue(ctx, sandboxKey{}, sc.sb)
	}
	return ctx
}

func sandboxFrom(ctx context.Context) *sandbox {
	sb, _ := ctx.Value(sandboxKey{}).(*sandbox)
	return sb
}

// startSandbox starts a process for f, serving it its own Runtime API
// endpoint on the shared server.
func (s *Service) startSandbox(f *function) (*sandbox, error) {
	tcp, err := net.Listen("tcp", net.JoinHostPort(s.cfg.RuntimeHost, "0"))
	if err != nil {
		return nil, fmt.Errorf("listen for runtime API of %s: %w", f.Name, err)
	}
	ln := &sandboxListener{Listener: tcp}
	lf, err := newLogFile(s.cfg.LogDir)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("function %s: %w", f.Name, err)
	}
	sb := &sandbox{
		fn:      f,
		ln:      ln,
		log:     lf,
		invokes: make(chan *invocation),
		ready:   make(chan struct{}),
		initErr: make(chan []byte, 1),
		exited:  make(chan struct{}),
	}
	ln.sb = sb
	cmd := exec.Command(f.Command[0], f.Command[1:]...)
	cmd.Dir = f.Dir
	cmd.Env = s.env(f, ln.Addr().String())
	cmd.Stdout = lf.w
	cmd.Stderr = lf.w
	isolate(cmd)
	sb.cmd = cmd
	if !f.register(sb) {
		_ = ln.Close()
		_ = lf.w.Close()
		lf.close()
		return nil, ErrServiceClosed
	}
	sb.started = time.Now()
	if err := cmd.Start(); err != nil {
		f.unregister(sb)
		_ = ln.Close()
		_ = lf.w.Close()
		lf.close()
		return nil, fmt.Errorf("start function %s: %w", f.Name, err)
	}
	_ = lf.w.Close()
	go func() { _ = s.srv.Serve(ln) }()
	go func() {
		err := cmd.Wait()
		f.unregister(sb)
		sb.exitErr = err
		close(sb.exited)
		_ = ln.Close()
	}()
	return sb, nil
}

// env is the process environment: Archway's own (so that PATH, HOME and
// the Go caches reach "go run"), then what Lambda sets, then the
// function's Env.
func (s *Service) env(f *function, runtimeAPI string) []string {
	now := time.Now().UTC()
	var env []string
	for _, kv := range os.Environ() {
		// Lambda's own variables come from the function's definition only;
		// an inherited AWS_LAMBDA_MAX_CONCURRENCY would make aws-lambda-go
		// poll /invocation/next concurrently.
		if !strings.HasPrefix(kv, "AWS_LAMBDA_") && !strings.HasPrefix(kv, "_HANDLER=") && !strings.HasPrefix(kv, "_X_AMZN_TRACE_ID=") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_LAMBDA_RUNTIME_API="+runtimeAPI,
		"AWS_LAMBDA_FUNCTION_NAME="+f.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(f.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION="+LatestVersion,
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/"+f.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME="+now.Format("2006/01/02")+"/["+LatestVersion+"]"+newRequestID()[:8],
		"AWS_REGION="+s.cfg.Region,
		"AWS_DEFAULT_REGION="+s.cfg.Region,
		"_HANDLER="+f.Handler,
		"TZ=:UTC",
	)
	keys := make([]string, 0, len(f.Env))
	for k := range f.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+f.Env[k])
	}
	return env
}

// markReady records the end of init, at the first /invocation/next.
func (sb *sandbox) markReady() {
	sb.readyOnce.Do(func() {
		sb.readyAt = time.Now()
		close(sb.ready)
	})
}

func (sb *sandbox) isReady() bool {
	select {
	case <-sb.ready:
		return true
	default:
		return false
	}
}

func (sb *sandbox) hasExited() bool {
	select {
	case <-sb.exited:
		return true
	default:
		return false
	}
}

// kill stops the process and what it started, and waits (briefly) for it
// to be reaped.
func (sb *sandbox) kill() {
	killTree(sb.cmd)
	select {
	case <-sb.exited:
	case <-time.After(5 * time.Second):
	}
}

// dispose kills the process and releases its log file. Call it after the
// last drain of the log.
func (sb *sandbox) dispose() {
	sb.kill()
	sb.log.close()
}

// sampleMemory records the process's Max Memory Used while it is alive.
// The process tree is looked up once, at the end of init.
func (sb *sandbox) sampleMemory() int {
	if sb.cmd.Process != nil && !sb.hasExited() {
		sb.treeOnce.Do(func() { sb.tree = processTree(sb.cmd.Process.Pid) })
		if mb := int64(maxMemoryMB(sb.tree)); mb > sb.peakMB.Load() {
			sb.peakMB.Store(mb)
		}
	}
	return int(sb.peakMB.Load())
}
