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
	// Cognito overrides, per user pool ARN, the issuer and JWKS URL that
	// COGNITO_USER_POOLS authorizers trust, and lists the accepted app
	// clients (docs/authorizers.md). Default: AWS's issuer and JWKS URL,
	// every client.
	Cognito []CognitoPool `yaml:"cognito"`
	// DataDir holds the embedded store (archway.db: API keys, usage plans,
	// usage), relative to archway.yaml. Default .archway.
	DataDir string `yaml:"dataDir"`
	// Limits selects the limiter backend and the account throttle
	// (docs/limits.md). Default: in process, AWS's account limits.
	Limits Limits `yaml:"limits"`
	// Admin configures the admin listener (metrics, admin API). Default off.
	Admin Admin `yaml:"admin"`
	// Tracing configures OpenTelemetry trace export. Default off.
	Tracing *Tracing `yaml:"tracing"`
	// Lambda configures the Lambda service as a whole: permission checks,
	// the remote endpoint for functions that are not local, and the Invoke
	// API listener. Default: all off.
	Lambda Lambda `yaml:"lambda"`
	// IAM declares the users, access keys and identity policies that
	// AWS_IAM methods verify SigV4 signatures against. Default: none.
	IAM IAM `yaml:"iam"`
	// Store keeps execution records for the admin API and the dashboard
	// (docs/store.md). Default: SQLite requests.db in the data directory,
	// on when the admin listener is.
	Store *Store `yaml:"store"`
}

// Lambda is the lambda: section of archway.yaml.
type Lambda struct {
	// StrictPermissions makes a function without a permission that allows
	// the calling API fail as on AWS (500, LAMBDA_PERMISSION_DENIED).
	// Default false: a function with no permissions allows every API.
	StrictPermissions bool `yaml:"strictPermissions"`
	// Endpoint is a Lambda-compatible Invoke API (real AWS Lambda, or
	// another Archway) used for functions that are not declared locally.
	// Default "": such functions are not found.
	Endpoint string `yaml:"endpoint"`
	// Region of the remote endpoint, for request signing. Default
	// us-east-1 (or AWS_REGION when set).
	Region string `yaml:"region"`
	// Listen serves the local functions' Lambda Invoke API
	// (POST /2015-03-31/functions/{name}/invocations) on this address.
	// Default "": not served.
	Listen string `yaml:"listen"`
}

// Permission is one statement of a function's resource-based policy, as
// `aws lambda add-permission` creates it.
type Permission struct {
	// StatementID names the statement (--statement-id). Required.
	StatementID string `yaml:"statementId"`
	// Principal is the service allowed to invoke. Default
	// apigateway.amazonaws.com.
	Principal string `yaml:"principal"`
	// Action is the allowed action. Default lambda:InvokeFunction.
	Action string `yaml:"action"`
	// SourceARN is the execute-api ARN pattern allowed to invoke, with *
	// and ? wildcards. Default "": any API.
	SourceARN string `yaml:"sourceArn"`
	// SourceAccount restricts the caller's account. Default "": any.
	SourceAccount string `yaml:"sourceAccount"`
}

// Admin is the admin listener: /metrics, /healthz and the admin API
// (docs/admin-api.md).
type Admin struct {
	// Listen is the admin listener address; empty turns it off. The
	// --admin-listen flag overrides it. Default off.
	Listen string `yaml:"listen"`
	// Token is the bearer token the admin API requires; ARCHWAY_ADMIN_TOKEN
	// overrides it. Required unless Listen is a loopback address. Default none.
	Token string `yaml:"token"`
}

// Tracing is OpenTelemetry trace export over OTLP/HTTP
// (docs/observability.md).
type Tracing struct {
	// Endpoint is the OTLP/HTTP traces URL, e.g.
	// http://127.0.0.1:4318/v1/traces. Required.
	Endpoint string `yaml:"endpoint"`
	// SampleRatio is the share of new traces recorded, from 0 to 1; a
	// caller's decision in traceparent is followed. Default 1.
	SampleRatio *float64 `yaml:"sampleRatio"`
	// Headers are sent with every export. Default none.
	Headers map[string]string `yaml:"headers"`
	// ServiceName is the service.name resource attribute. Default "archway".
	ServiceName string `yaml:"serviceName"`
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
	// ReservedConcurrency caps concurrent executions. Default: unset,
	// unreserved. 0 throttles every invocation, as on AWS.
	ReservedConcurrency *int `yaml:"reservedConcurrency"`
	// Dir is the working directory, relative to archway.yaml. Default: the
	// directory of archway.yaml.
	Dir string `yaml:"dir"`
	// Permissions are the function's resource-based policy. Default none:
	// every API may invoke it unless lambda.strictPermissions is set.
	Permissions []Permission `yaml:"permissions"`
}

// DefaultFunctionTimeout and DefaultFunctionMemory are AWS's defaults.
const (
	DefaultFunctionTimeout = 3 * time.Second
	DefaultFunctionMemory  = 128
)

// DefaultPermissionPrincipal and DefaultPermissionAction are what a
// permission allows when it does not say.
const (
	DefaultPermissionPrincipal = "apigateway.amazonaws.com"
	DefaultPermissionAction    = "lambda:InvokeFunction"
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
	// Throttle is the stage's default method throttle (every method its
	// own bucket). Default none.
	Throttle *Throttle `yaml:"throttle"`
	// MethodSettings are per-method throttles keyed /{resourcePath}/{METHOD}.
	// Default none.
	MethodSettings map[string]MethodSetting `yaml:"methodSettings"`
	// LimitsFailureMode is what happens when the limiter backend is
	// unreachable: open (let requests through) or closed (429). Default
	// limits.failureMode, which defaults to open.
	LimitsFailureMode string `yaml:"limitsFailureMode"`
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
		for j := range f.Permissions {
			p := &f.Permissions[j]
			if p.StatementID == "" {
				return nil, fmt.Errorf("%s: functions[%d] (%s): permissions[%d]: statementId is required", path, i, f.Name, j)
			}
			if p.Principal == "" {
				p.Principal = DefaultPermissionPrincipal
			}
			if p.Action == "" {
				p.Action = DefaultPermissionAction
			}
		}
		if f.Dir == "" {
			f.Dir = dir
		} else if !filepath.IsAbs(f.Dir) {
			f.Dir = filepath.Join(dir, f.Dir)
		}
	}
	if err := c.IAM.resolve(path); err != nil {
		return nil, err
	}
	if err := checkCognito(path, c.Cognito); err != nil {
		return nil, err
	}
	if err := c.resolveLimits(path, dir); err != nil {
		return nil, err
	}
	if err := c.resolveStore(path, dir); err != nil {
		return nil, err
	}
	if t := c.Tracing; t != nil {
		if t.Endpoint == "" {
			return nil, fmt.Errorf("%s: tracing: endpoint is required; set it to an OTLP/HTTP traces URL such as http://127.0.0.1:4318/v1/traces", path)
		}
		if r := t.SampleRatio; r != nil && (*r < 0 || *r > 1) {
			return nil, fmt.Errorf("%s: tracing: sampleRatio %v: give a number from 0 to 1", path, *r)
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
