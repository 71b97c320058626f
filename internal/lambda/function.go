package lambda

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"time"
)

// Defaults and limits, as AWS Lambda applies them.
const (
	// DefaultTimeout is the function timeout when Function.Timeout is zero (AWS: 3 s).
	DefaultTimeout = 3 * time.Second
	// MaxTimeout is the longest function timeout Lambda accepts (15 minutes).
	MaxTimeout = 15 * time.Minute
	// DefaultMemoryMB is the memory setting when Function.MemoryMB is zero (AWS: 128 MB).
	DefaultMemoryMB = 128
	// MinMemoryMB and MaxMemoryMB bound Function.MemoryMB, as AWS does.
	MinMemoryMB = 128
	MaxMemoryMB = 10240
	// LatestVersion is the only version a local function has.
	LatestVersion = "$LATEST"
)

// Function is a local Lambda function: a command that speaks the Lambda
// Runtime API, such as a Go binary built with aws-lambda-go, or "go run ./fn".
type Function struct {
	// Name is the function name, 1-64 characters of [a-zA-Z0-9_-], as in AWS.
	Name string
	// Command is the executable and its arguments. The process finds the
	// Runtime API in AWS_LAMBDA_RUNTIME_API. Required.
	Command []string
	// Dir is the working directory of the process. Empty means the
	// working directory of Archway.
	Dir string
	// Env is the function's environment, added after Archway's own
	// environment and the variables Lambda sets (so it may override them).
	Env map[string]string
	// Handler is the value of _HANDLER. Default: the base name of Command[0].
	Handler string
	// Timeout is how long one invocation may run before Lambda kills the
	// process. Default DefaultTimeout, at most MaxTimeout.
	Timeout time.Duration
	// InitTimeout bounds init, from process start to the first
	// /invocation/next. Default Config.InitTimeout.
	InitTimeout time.Duration
	// MemoryMB is the memory setting reported to the function
	// (AWS_LAMBDA_FUNCTION_MEMORY_SIZE) and in REPORT lines. It is not
	// enforced. Default DefaultMemoryMB.
	MemoryMB int
	// ReservedConcurrency caps concurrent executions of this function and
	// reserves them. Zero means unreserved: the function shares
	// Config.MaxConcurrency with the other unreserved functions, unless
	// Reserved is set.
	ReservedConcurrency int
	// Reserved makes ReservedConcurrency apply even when it is zero: as on
	// AWS, a reserved concurrency of 0 throttles every invocation (the
	// way to switch a function off).
	Reserved bool
	// Permissions is the function's resource-based policy, checked for
	// invokes that carry a source ARN (API Gateway's). None means any API
	// may invoke it, unless Config.StrictPermissions.
	Permissions []Permission
}

var functionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// withDefaults returns f with zero fields set to their defaults.
func (f Function) withDefaults() Function {
	if f.Timeout == 0 {
		f.Timeout = DefaultTimeout
	}
	if f.MemoryMB == 0 {
		f.MemoryMB = DefaultMemoryMB
	}
	if f.Handler == "" && len(f.Command) > 0 {
		f.Handler = filepath.Base(f.Command[0])
	}
	return f
}

// Validate reports the first problem with f, naming the function.
func (f Function) Validate() error {
	var errs []error
	if !functionNameRE.MatchString(f.Name) {
		errs = append(errs, fmt.Errorf("name %q must be 1-64 characters of letters, digits, hyphens and underscores", f.Name))
	}
	if len(f.Command) == 0 || f.Command[0] == "" {
		errs = append(errs, errors.New("command is required"))
	}
	if f.Timeout < 0 || f.Timeout > MaxTimeout {
		errs = append(errs, fmt.Errorf("timeout %s must be between 1s and %s", f.Timeout, MaxTimeout))
	}
	if f.MemoryMB != 0 && (f.MemoryMB < MinMemoryMB || f.MemoryMB > MaxMemoryMB) {
		errs = append(errs, fmt.Errorf("memory %d MB must be between %d and %d", f.MemoryMB, MinMemoryMB, MaxMemoryMB))
	}
	if f.ReservedConcurrency < 0 {
		errs = append(errs, fmt.Errorf("reserved concurrency %d must not be negative", f.ReservedConcurrency))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("function %q: %w", f.Name, err)
	}
	return nil
}

// FunctionARN returns the unqualified ARN of the named function.
func FunctionARN(region, account, name string) string {
	return "arn:aws:lambda:" + region + ":" + account + ":function:" + name
}
