package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/gateway/authorizer"
	"github.com/archway-gw/archway/internal/gateway/authorizer/iam"
	"github.com/archway-gw/archway/internal/openapi"
	"github.com/archway-gw/archway/internal/runtime"
)

// loadFlags are the definition-related flags shared by serve and validate.
type loadFlags struct {
	stage     string
	stageVars []string
	vars      []string
	logLevel  string
	dataTrace bool
	accessLog string
	debug     bool
	listen    string
	pprof     string
	functions []string // --function NAME=COMMAND
	// adminListen is --admin-listen (serve).
	adminListen string
	// accountThrottle is --account-throttle (serve): RATE,BURST or off.
	accountThrottle string
}

// loaded is what a target path yields.
type loaded struct {
	inputs []runtime.Input
	diags  []openapi.Diagnostic
	cfg    *config.Config
	files  []string // files to watch for reload
}

func parseKV(list []string, what string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range list {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: write it as name=value", what, kv)
		}
		m[k] = v
	}
	return m, nil
}

// load reads FILE_OR_DIR: a definition file, a directory with archway.yaml,
// or a directory of definition files.
func load(target string, f loadFlags) (*loaded, error) {
	st, err := os.Stat(target)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", target, err)
	}
	svars, err := parseKV(f.stageVars, "--stage-variable")
	if err != nil {
		return nil, err
	}
	vars, err := parseKV(f.vars, "--var")
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		cfgPath := filepath.Join(target, config.FileName)
		if _, err := os.Stat(cfgPath); err == nil {
			return loadConfig(cfgPath, vars)
		}
		files, err := definitionFiles(target)
		if err != nil {
			return nil, err
		}
		return loadFiles(files, f, svars, vars)
	}
	return loadFiles([]string{target}, f, svars, vars)
}

func definitionFiles(dir string) ([]string, error) {
	var files []string
	for _, pat := range []string{"*.json", "*.yaml", "*.yml"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s holds no archway.yaml and no *.json/*.yaml definition", dir)
	}
	return files, nil
}

func flagStage(f loadFlags, svars map[string]string) apigw.Stage {
	return apigw.Stage{Name: f.stage, Variables: svars, LoggingLevel: f.logLevel, DataTraceEnabled: f.dataTrace, AccessLogFormat: f.accessLog, Debug: f.debug}
}

func loadFiles(files []string, f loadFlags, svars, vars map[string]string) (*loaded, error) {
	out := &loaded{files: files}
	merged := map[string]string{}
	for k, v := range svars {
		merged[k] = v
	}
	for k, v := range vars {
		merged[k] = v
	}
	for _, file := range files {
		api, diags, err := openapi.ImportFile(file, openapi.Options{Vars: merged})
		out.diags = append(out.diags, diags...)
		if err == nil {
			err = firstError(file, diags)
		}
		if err != nil {
			return out, err
		}
		out.inputs = append(out.inputs, runtime.Input{API: api, Stages: []apigw.Stage{flagStage(f, svars)}})
	}
	return out, nil
}

func loadConfig(path string, flagVars map[string]string) (*loaded, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	out := &loaded{cfg: cfg, files: []string{path}}
	for _, a := range cfg.APIs {
		vars := map[string]string{}
		for k, v := range a.Vars {
			vars[k] = v
		}
		for k, v := range flagVars {
			vars[k] = v
		}
		api, diags, err := openapi.ImportFile(a.Definition, openapi.Options{Vars: vars})
		out.diags = append(out.diags, diags...)
		out.files = append(out.files, a.Definition)
		if err == nil {
			err = firstError(a.Definition, diags)
		}
		if err != nil {
			return out, err
		}
		if a.ID != "" {
			api.ID = a.ID
		}
		var stages []apigw.Stage
		for _, s := range a.Stages {
			format := "clf"
			if s.AccessLogFormat != nil {
				format = *s.AccessLogFormat
			}
			level := s.LoggingLevel
			if level == "" {
				level = "ERROR"
			}
			stages = append(stages, apigw.Stage{Name: s.Name, Variables: s.Variables, LoggingLevel: level, DataTraceEnabled: s.DataTraceEnabled, AccessLogFormat: format, Debug: s.Debug})
		}
		if len(stages) == 0 {
			stages = []apigw.Stage{{Name: "dev", LoggingLevel: "ERROR", AccessLogFormat: "clf"}}
		}
		out.inputs = append(out.inputs, runtime.Input{API: api, Stages: stages})
	}
	return out, nil
}

// firstError turns error diagnostics into a load error: a definition with
// errors is not compiled (the diagnostics already say what and where).
func firstError(file string, diags []openapi.Diagnostic) error {
	n := 0
	for _, d := range diags {
		if d.Severity == openapi.Error {
			n++
		}
	}
	if n > 0 {
		return fmt.Errorf("%s: %d error(s) in the definition", file, n)
	}
	return nil
}

// setupIAM gives the authorizer compiler the SigV4 verifier of AWS_IAM
// methods, with the users and policies of archway.yaml's iam: section. The
// verifier is created once, before the first compile, and updated in place
// on each reload (its users swap atomically). Without iam.users, AWS_IAM
// methods still answer as AWS does: unsigned requests 403 Missing
// Authentication Token, signed ones 403 for an unknown access key.
func setupIAM(c *authorizer.Compiler, l *loaded) {
	var cfg config.IAM
	if l != nil && l.cfg != nil {
		cfg = l.cfg.IAM
	}
	if v, ok := c.IAM.(*iam.Verifier); ok {
		v.Update(cfg)
		return
	}
	c.IAM = iam.New(cfg)
}
