package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/archway-gw/archway/internal/admin"
	"github.com/archway-gw/archway/internal/doctor"
	"github.com/archway-gw/archway/internal/runtime"
)

// doctorFlags are doctor's own flags.
type doctorFlags struct {
	probe          bool
	probeTimeout   time.Duration
	format         string
	observedRPS    []string
	observedURL    string
	observedWindow time.Duration
}

func doctorCmd() *cobra.Command {
	var f loadFlags
	var d doctorFlags
	cmd := &cobra.Command{
		Use:   "doctor FILE_OR_DIR",
		Short: "Predict the 5xx a definition will produce: static checks, and live backend probes with --probe; exits 1 on any error",
		Long: `doctor loads FILE_OR_DIR as serve does and reports every finding as
file:line:col: severity: object: what (AWS: the answer; cause CODE); fix: how.
With --probe it also connects to every HTTP backend (per stage) and inspects
its TLS certificate. docs/doctor.md lists the checks.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDoctor(cmd.Context(), cmd.OutOrStdout(), args[0], f, d)
		},
	}
	addDefinitionFlags(cmd, &f)
	addFunctionFlag(cmd, &f)
	fl := cmd.Flags()
	fl.BoolVar(&d.probe, "probe", false, "connect to every HTTP/HTTP_PROXY backend and check DNS, TCP and its TLS certificate")
	fl.DurationVar(&d.probeTimeout, "probe-timeout", 5*time.Second, "time allowed for each backend probe (DNS, connect and TLS handshake)")
	fl.StringVar(&d.format, "format", "text", "output format: text or json")
	fl.StringArrayVar(&d.observedRPS, "observed-rps", nil, "observed peak rate to compare with the stage's throttle: STAGE=RPS or STAGE:/path/VERB=RPS (repeatable)")
	fl.StringVar(&d.observedURL, "observed", "", "admin URL of a running Archway (http://127.0.0.1:9090): its /api/stats peak per-minute rate per stage is compared with the throttle (token: $ARCHWAY_ADMIN_TOKEN or admin.token)")
	fl.DurationVar(&d.observedWindow, "observed-window", time.Hour, "how far back --observed looks for the peak rate")
	return cmd
}

// runDoctor loads the target, runs validate's checks and the doctor's, and
// prints the findings. It returns an exitError with status 1 when any
// finding is an error.
func runDoctor(ctx context.Context, w io.Writer, target string, f loadFlags, d doctorFlags) error {
	if d.format != "text" && d.format != "json" {
		return fmt.Errorf("--format %q: use text or json", d.format)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	s, err := loadForDoctor(target, f)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	l, lerr, base, in := s.l, s.lerr, s.base, s.in
	if l.cfg != nil {
		in.ConfigFile = l.files[0]
	}
	checks := doctor.Check(in)
	observed, err := doctor.ParseObservedRPS(d.observedRPS)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	if d.observedURL != "" && lerr == nil {
		token := os.Getenv(admin.TokenEnv)
		if token == "" && l.cfg != nil {
			token = l.cfg.Admin.Token
		}
		more, err := doctor.FetchObserved(ctx, d.observedURL, token, in, d.observedWindow)
		if err != nil {
			return &exitError{code: 1, err: err}
		}
		observed = append(observed, more...)
	}
	if len(observed) > 0 {
		checks = append(checks, doctor.CheckThrottles(in, doctorStageLimits(l), observed)...)
	}
	if d.probe {
		checks = append(checks, doctor.Probe(ctx, in, doctor.ProbeOptions{Timeout: d.probeTimeout})...)
	}
	findings := doctor.Merge(base, checks)
	if d.format == "json" {
		err = doctor.WriteJSON(w, findings)
	} else {
		err = doctor.WriteText(w, findings)
	}
	if err != nil {
		return err
	}
	if n := doctor.Count(findings).Errors; n > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%s: %d error(s)", target, n)}
	}
	return nil
}

// staticFindings loads target as serve does and returns the load's
// diagnostics, the compile problems and the doctor's static checks.
func staticFindings(target string, f loadFlags) ([]doctor.Finding, error) {
	s, err := loadForDoctor(target, f)
	if err != nil {
		return nil, err
	}
	return doctor.Merge(s.base, doctor.Check(s.in)), nil
}

// doctorTarget is a target loaded for the doctor's checks.
type doctorTarget struct {
	l *loaded
	// lerr is the load error of a definition that does not import but has
	// diagnostics: only document-level checks run.
	lerr error
	// base holds the load's diagnostics and the compile problems.
	base []doctor.Finding
	in   doctor.Input
}

// loadForDoctor loads target as serve does, compiles it when it imports,
// and gathers the doctor's input.
func loadForDoctor(target string, f loadFlags) (*doctorTarget, error) {
	l, lerr := load(target, f)
	if l == nil {
		return nil, lerr
	}
	s := &doctorTarget{l: l, lerr: lerr, base: doctor.FromDiagnostics(l.diags)}
	if lerr != nil {
		if len(l.diags) == 0 {
			return nil, lerr
		}
		// The definition does not import: only document-level checks run.
		for _, file := range l.files {
			s.in.Definitions = append(s.in.Definitions, doctor.Definition{File: file})
		}
	} else {
		for _, i := range l.inputs {
			s.in.Definitions = append(s.in.Definitions, doctor.Definition{File: i.API.Source.File, API: i.API, Stages: i.Stages})
		}
		_, warns, cerr := runtime.Compile(l.inputs, newBackend())
		s.base = append(s.base, doctor.FromProblems(warns)...)
		var ce *runtime.CompileError
		switch {
		case errors.As(cerr, &ce):
			s.base = append(s.base, doctor.FromProblems(ce.Problems)...)
		case cerr != nil:
			return nil, cerr
		}
	}
	fns, err := functionsOf(l.cfg, f.functions)
	if err != nil {
		return nil, err
	}
	s.in.Functions = fns
	if l.cfg != nil {
		s.in.StrictPermissions = l.cfg.Lambda.StrictPermissions
		s.in.RemoteLambda = l.cfg.Lambda.Endpoint
	}
	return s, nil
}

// doctorStageLimits gathers the throttle settings of every stage in archway.yaml,
// by API id and stage name (l.inputs follow cfg.APIs in order).
func doctorStageLimits(l *loaded) map[string]map[string]doctor.StageLimits {
	out := map[string]map[string]doctor.StageLimits{}
	if l.cfg == nil {
		return out
	}
	for i, a := range l.cfg.APIs {
		if i >= len(l.inputs) {
			break
		}
		id := l.inputs[i].API.ID
		out[id] = map[string]doctor.StageLimits{}
		for _, s := range a.Stages {
			out[id][s.Name] = doctor.StageLimits{Throttle: s.Throttle, MethodSettings: s.MethodSettings}
		}
	}
	return out
}
