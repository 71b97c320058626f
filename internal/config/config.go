// Package config reads archway.yaml, the file that says what OpenAPI cannot:
// which definitions to serve, under which ids and stages, with which stage
// variables, log settings and listener. Every field is documented with its
// default in docs/configuration.md.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/token"
)

// FileName is the configuration file looked for in a served directory.
const FileName = "archway.yaml"

// Config is the whole of archway.yaml.
type Config struct {
	// Listen is the listener address. Default 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// Listeners are further addresses served as well as Listen. Default none.
	Listeners []string `yaml:"listeners"`
	// Debug adds the x-archway-cause header to every error response. Default false.
	Debug bool `yaml:"debug"`
	// ExecutionLog is where execution-log lines go: "stderr" (default), "stdout", "off" or a file path.
	ExecutionLog string `yaml:"executionLog"`
	// AccessLog is where access-log lines go: "stdout" (default), "stderr", "off" or a file path.
	AccessLog string `yaml:"accessLog"`
	// APIs lists the APIs to serve.
	APIs []API `yaml:"apis"`
	// Functions are the local Lambda functions that AWS and AWS_PROXY
	// integrations invoke. Default none.
	Functions []Function `yaml:"functions"`
}

// Function is one local Lambda function.
type Function struct {
	// Name is the function name used in integration URIs. Required.
	Name string `yaml:"name"`
	// Command is the executable and its arguments; it must speak the Lambda
	// Runtime API (a Go binary built with aws-lambda-go, "go run ./fn").
	// Required.
	Command []string `yaml:"command"`
	// Env is added to the process environment. Default none.
	Env map[string]string `yaml:"env"`
	// Timeout of one invocation: a Go duration ("3s", "500ms") or whole
	// seconds. Default 3s, as AWS.
	Timeout Duration `yaml:"timeout"`
	// Memory is the memory setting in MB (reported, not enforced). Default 128.
	Memory int `yaml:"memory"`
	// ReservedConcurrency caps concurrent executions. Default 0: unreserved.
	ReservedConcurrency int `yaml:"reservedConcurrency"`
	// Dir is the working directory, relative to archway.yaml. Default: the
	// directory of archway.yaml.
	Dir string `yaml:"dir"`
}

// DefaultFunctionTimeout and DefaultFunctionMemory are AWS's defaults.
const (
	DefaultFunctionTimeout = 3 * time.Second
	DefaultFunctionMemory  = 128
)

// Duration is a time.Duration read from a Go duration string or a number
// of seconds.
type Duration time.Duration

// UnmarshalYAML reads "3s", "1m30s" or 3 (seconds).
func (d *Duration) UnmarshalYAML(unmarshal func(any) error) error {
	var v any
	if err := unmarshal(&v); err != nil {
		return err
	}
	switch t := v.(type) {
	case string:
		p, err := time.ParseDuration(t)
		if err != nil {
			return fmt.Errorf("timeout %q: %w", t, err)
		}
		*d = Duration(p)
	case int:
		*d = Duration(time.Duration(t) * time.Second)
	case int64:
		*d = Duration(time.Duration(t) * time.Second)
	case uint64:
		*d = Duration(time.Duration(t) * time.Second)
	case float64:
		*d = Duration(time.Duration(t * float64(time.Second)))
	default:
		return fmt.Errorf("timeout %v: write a duration such as 3s or a number of seconds", v)
	}
	return nil
}

// API is one served definition.
type API struct {
	// ID is the API id used in the Host ({id}.execute-api.localhost). Default: derived from the title.
	ID string `yaml:"id"`
	// Definition is the OpenAPI 3 / Swagger 2 file, relative to archway.yaml. Required.
	Definition string `yaml:"definition"`
	// Vars fill ${name} placeholders in the definition. Default none.
	Vars map[string]string `yaml:"vars"`
	// Stages to serve. Default: one stage "dev" with no variables.
	Stages []Stage `yaml:"stages"`
}

// Stage is one stage of an API.
type Stage struct {
	// Name is the first path segment. Required.
	Name string `yaml:"name"`
	// Variables are the stage variables. Default none.
	Variables map[string]string `yaml:"variables"`
	// LoggingLevel of the execution log: OFF, ERROR or INFO. Default ERROR.
	LoggingLevel string `yaml:"loggingLevel"`
	// DataTraceEnabled logs headers and bodies at INFO. Default false.
	DataTraceEnabled bool `yaml:"dataTraceEnabled"`
	// AccessLogFormat is "clf", "json" or a $context format; empty turns access logs off. Default "clf".
	AccessLogFormat *string `yaml:"accessLogFormat"`
	// Debug adds the x-archway-cause header on this stage. Default false.
	Debug bool `yaml:"debug"`
}

// Load reads and checks archway.yaml. Errors carry file:line:col.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict())
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, positioned(path, err)
	}
	dir := filepath.Dir(path)
	for i := range c.APIs {
		a := &c.APIs[i]
		if a.Definition == "" {
			return nil, fmt.Errorf("%s: apis[%d]: definition is required; set it to the OpenAPI file to serve", path, i)
		}
		if !filepath.IsAbs(a.Definition) {
			a.Definition = filepath.Join(dir, a.Definition)
		}
		for j, s := range a.Stages {
			if s.Name == "" {
				return nil, fmt.Errorf("%s: apis[%d].stages[%d]: name is required", path, i, j)
			}
		}
	}
	for i := range c.Functions {
		f := &c.Functions[i]
		if f.Name == "" {
			return nil, fmt.Errorf("%s: functions[%d]: name is required", path, i)
		}
		if len(f.Command) == 0 {
			return nil, fmt.Errorf("%s: functions[%d] (%s): command is required; list the executable and its arguments", path, i, f.Name)
		}
		if f.Timeout == 0 {
			f.Timeout = Duration(DefaultFunctionTimeout)
		}
		if f.Memory == 0 {
			f.Memory = DefaultFunctionMemory
		}
		if f.Dir == "" {
			f.Dir = dir
		} else if !filepath.IsAbs(f.Dir) {
			f.Dir = filepath.Join(dir, f.Dir)
		}
	}
	if len(c.APIs) == 0 {
		return nil, fmt.Errorf("%s: apis is empty; list at least one definition to serve", path)
	}
	return &c, nil
}

// yamlError is what goccy/go-yaml's decoding errors provide.
type yamlError interface {
	GetToken() *token.Token
	GetMessage() string
}

// positioned renders a YAML error as path:line:col: message.
func positioned(path string, err error) error {
	var ye yamlError
	if errors.As(err, &ye) && ye.GetToken() != nil {
		p := ye.GetToken().Position
		return fmt.Errorf("%s:%d:%d: %s", path, p.Line, p.Column, ye.GetMessage())
	}
	return fmt.Errorf("%s: %w", path, err)
}
