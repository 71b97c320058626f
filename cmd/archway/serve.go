package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/archway-gw/archway/internal/gateway"
	"github.com/archway-gw/archway/internal/gateway/authorizer"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/gateway/usageplan"
	"github.com/archway-gw/archway/internal/lambda"
	"github.com/archway-gw/archway/internal/runtime"
)

func addDefinitionFlags(cmd *cobra.Command, f *loadFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.stage, "stage", "dev", "stage name: the first path segment of every request")
	fl.StringArrayVar(&f.stageVars, "stage-variable", nil, "stage variable name=value (repeatable)")
	fl.StringArrayVar(&f.vars, "var", nil, "fill a ${name} placeholder of the definition: name=value (repeatable); stage variables fill them too")
	fl.StringVar(&f.logLevel, "log-level", "ERROR", "execution-log level of the stage: OFF, ERROR or INFO")
	fl.BoolVar(&f.dataTrace, "data-trace", false, "log request and response headers and bodies at INFO")
	fl.StringVar(&f.accessLog, "access-log", "clf", "access-log format: clf, json, a $context format, or empty for none")
	fl.BoolVar(&f.debug, "debug", false, "add the x-archway-cause header to error responses")
}

// addFunctionFlag adds --function: the local Lambda functions serve and
// invoke start, and doctor checks.
func addFunctionFlag(cmd *cobra.Command, f *loadFlags) {
	cmd.Flags().StringArrayVar(&f.functions, "function", nil, "local Lambda function NAME=COMMAND, the command split on spaces (repeatable; adds to functions in archway.yaml)")
}

func newBackend() *pipeline.Backend {
	return &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify}
}

func serveCmd() *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:   "serve FILE_OR_DIR",
		Short: "Serve an OpenAPI/Swagger definition with x-amazon-apigateway-* extensions, or a directory with archway.yaml",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return serve(ctx, args[0], f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	addDefinitionFlags(cmd, &f)
	cmd.Flags().StringVar(&f.listen, "listen", "", "listener address (default 127.0.0.1:8080, or listen in archway.yaml)")
	cmd.Flags().StringVar(&f.adminListen, "admin-listen", "", "serve /metrics, /healthz and the admin API on this address (or admin.listen in archway.yaml); off by default")
	cmd.Flags().StringVar(&f.accountThrottle, "account-throttle", "", "account-level throttle RATE,BURST, or off (default limits.account in archway.yaml, else AWS's 10000,5000)")
	cmd.Flags().StringVar(&f.pprof, "pprof", "", "serve Go's /debug/pprof on this address (off by default; for profiling)")
	addFunctionFlag(cmd, &f)
	return cmd
}

func openLog(dest, def string, stdout, stderr io.Writer) (io.Writer, error) {
	if dest == "" {
		dest = def
	}
	switch dest {
	case "stdout":
		return stdout, nil
	case "stderr":
		return stderr, nil
	case "off":
		return nil, nil
	}
	return os.OpenFile(dest, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
}

func serve(ctx context.Context, target string, f loadFlags, stdout, stderr io.Writer) error {
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	backend := newBackend()
	compileStart := time.Now()
	l, snap, err := compileTarget(target, f, backend, logger)
	if err != nil {
		return err
	}
	compileTook := time.Since(compileStart)
	if c, ok := backend.Limits.(*usageplan.Compiler); ok {
		defer c.Close() // after the listeners stop: writes the last usage counts
		c.Start(time.Second)
	}
	stamps := modTimes(l.files) // taken now, so an edit made while starting is not missed
	fns, err := functionsOf(l.cfg, f.functions)
	if err != nil {
		return err
	}
	obs, err := newObservability(ctx, l.cfg, f, logger)
	if err != nil {
		return err
	}
	defer obs.shutdown(logger)
	if err := obs.listenAdmin(); err != nil {
		return err
	}
	svc, err := startLambda(ctx, l.cfg, fns, logger, obs.lambdaObserver(), stderr)
	if err != nil {
		return err
	}
	defer svc.Close()
	backend.Lambda = svc
	obs.watchLambda(svc)
	listen := f.listen
	execDest, accessDest := "", ""
	debug := f.debug
	if l.cfg != nil {
		if listen == "" {
			listen = l.cfg.Listen
		}
		execDest, accessDest = l.cfg.ExecutionLog, l.cfg.AccessLog
		debug = debug || l.cfg.Debug
	}
	if listen == "" {
		listen = "127.0.0.1:8080"
	}
	execW, err := openLog(execDest, "stderr", stdout, stderr)
	if err != nil {
		return err
	}
	accessW, err := openLog(accessDest, "stdout", stdout, stderr)
	if err != nil {
		return err
	}
	srv := &gateway.Server{Logger: logger, ExecLog: execW, AccessLog: accessW, Debug: debug}
	srv.Swap(snap)
	reqStore, err := openStore(ctx, l, obs.adminAddr != "", logger)
	if err != nil {
		return err
	}
	if reqStore != nil {
		// Deferred: runs after srv.Run has flushed every record to OnRecord.
		defer closeStore(reqStore, logger)
		srv.OnRecord = reqStore.OnRecord(srv.Snapshot)
		obs.Requests = reqStore.Handler()
		if obs.metrics != nil {
			obs.metrics.Registry().MustRegister(newStoreCollector(reqStore.Recorder))
		}
	}
	if obs.metrics != nil {
		obs.metrics.Registry().MustRegister(newAccessCollector())
	}
	obs.attach(srv)
	obs.reloaded("start", snap, nil, compileTook)
	addrs := []string{listen}
	if l.cfg != nil {
		addrs = append(addrs, l.cfg.Listeners...)
	}
	var lns []net.Listener
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			for _, o := range lns {
				o.Close()
			}
			return fmt.Errorf("listening on %s: %w", a, err)
		}
		lns = append(lns, ln)
		printServing(stderr, ln.Addr().String(), snap)
	}
	if f.pprof != "" {
		go servePprof(f.pprof, logger)
	}
	obs.Dashboard = dashboard(target, f, logger)
	if c, ok := backend.Authorizers.(*authorizer.Compiler); ok {
		obs.FlushAuthorizers = c.FlushStage
	}
	if err := obs.startAdmin(ctx, srv, stderr, logger); err != nil {
		for _, o := range lns {
			o.Close()
		}
		return err
	}
	go watch(ctx, target, f, l.files, stamps, backend, srv, logger, obs.reloaded)
	return srv.Run(ctx, lns, 30*time.Second)
}

func compileTarget(target string, f loadFlags, backend *pipeline.Backend, logger *slog.Logger) (*loaded, *runtime.Snapshot, error) {
	l, err := load(target, f)
	if l != nil {
		for _, d := range l.diags {
			logger.Warn("definition", "finding", d.String())
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if err := setupLimits(backend, l, f.accountThrottle, logger); err != nil {
		return nil, nil, err
	}
	setupIAM(setupAuthorizers(backend, l, logger), l)
	snap, warns, err := runtime.Compile(l.inputs, backend)
	for _, p := range warns {
		logger.Warn("definition", "finding", fmt.Sprintf("%s: warning: %s; fix: %s", p.Pos, p.Message, p.Fix))
	}
	if err != nil {
		return nil, nil, err
	}
	return l, snap, nil
}

func printServing(w io.Writer, addr string, snap *runtime.Snapshot) {
	for _, a := range snap.APIs {
		for name := range a.Stages {
			if snap.Single() != nil {
				fmt.Fprintf(w, "archway: serving %s (%s) at http://%s/%s/\n", a.Name, a.ID, addr, name)
			} else {
				fmt.Fprintf(w, "archway: serving %s at http://%s/%s/ with Host: %s.execute-api.localhost\n", a.Name, addr, name, a.ID)
			}
		}
	}
}

// watch reloads on SIGHUP and when a watched file changes. A reload compiles
// a whole new snapshot first; a broken edit keeps the old one serving.
// onReload, when set, is told of every attempt (the admin reload history).
func watch(ctx context.Context, target string, f loadFlags, files []string, stamps map[string]time.Time, backend *pipeline.Backend, srv *gateway.Server, logger *slog.Logger, onReload func(trigger string, snap *runtime.Snapshot, err error, took time.Duration)) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var trigger string
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			trigger = "signal"
		case <-tick.C:
			now := modTimes(files)
			if equalStamps(now, stamps) {
				continue
			}
			stamps = now
			trigger = "file"
		}
		before := modTimes(files)
		started := time.Now()
		l, snap, err := compileTarget(target, f, backend, logger)
		if onReload != nil {
			onReload(trigger, snap, err, time.Since(started))
		}
		if err != nil {
			logger.Error("reload failed; still serving the previous snapshot", "error", err.Error())
			continue
		}
		files = l.files
		stamps = before
		if len(stamps) != len(files) {
			stamps = modTimes(files)
		}
		if svc, ok := backend.Lambda.(*lambda.Service); ok {
			reloadFunctions(svc, l.cfg, f.functions, logger)
		}
		srv.Swap(snap)
		logger.Info("reloaded", "apis", len(snap.APIs))
	}
}

func modTimes(files []string) map[string]time.Time {
	m := make(map[string]time.Time, len(files))
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			m[f] = st.ModTime()
		}
	}
	return m
}

func equalStamps(a, b map[string]time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !b[k].Equal(v) {
			return false
		}
	}
	return true
}

// servePprof serves net/http/pprof on its own listener, never on the gateway's.
func servePprof(addr string, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if err := http.ListenAndServe(addr, mux); err != nil {
		logger.Error("pprof listener", "error", err.Error())
	}
}
