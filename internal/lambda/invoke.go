package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// InvocationType is the X-Amz-Invocation-Type of an invoke.
type InvocationType string

// The invocation types of the Invoke API.
const (
	// RequestResponse runs the function and waits for its result (200).
	RequestResponse InvocationType = "RequestResponse"
	// Event queues the invocation and returns at once (202).
	Event InvocationType = "Event"
	// DryRun only checks that the invoke would be accepted (204).
	DryRun InvocationType = "DryRun"
)

// Payload limits of the Invoke API.
const (
	// MaxSyncPayload is the largest RequestResponse payload (6 MB).
	MaxSyncPayload = 6 * 1024 * 1024
	// MaxEventPayload is the largest Event payload (256 KB).
	MaxEventPayload = 256 * 1024
)

// InvokeOptions are the optional parts of an invoke.
type InvokeOptions struct {
	// InvocationType defaults to RequestResponse.
	InvocationType InvocationType
	// Qualifier must be empty or "$LATEST": local functions have no
	// versions or aliases.
	Qualifier string
	// ClientContext is passed to the function in
	// Lambda-Runtime-Client-Context (the Invoke API's X-Amz-Client-Context,
	// base64 JSON, is decoded first).
	ClientContext string
	// TraceID is passed in Lambda-Runtime-Trace-Id. Default: a new X-Ray
	// trace id.
	TraceID string
	// RequestID presets the invocation's request id, so that a caller that
	// gives up waiting can still name it. Default: a new UUID.
	RequestID string
	// SourceARN is the execute-api ARN of the API Gateway method that
	// invokes, checked against the function's Permissions (see Allows).
	// Empty for direct callers, whom Lambda authorises with IAM instead.
	SourceARN string
}

// Failure classifies why an invocation did not return a result. It is the
// local explanation; the client sees only FunctionError and the payload.
type Failure string

// Failure classes.
const (
	// FailureNone: the function returned a result.
	FailureNone Failure = ""
	// FailureUnhandled: the function reported an error (/invocation/error),
	// e.g. a Go handler returned an error or panicked.
	FailureUnhandled Failure = "Unhandled"
	// FailureTimeout: the invocation ran past the function's timeout and
	// the process was killed.
	FailureTimeout Failure = "Timeout"
	// FailureExit: the process exited or crashed while it owed a response
	// (Runtime.ExitError).
	FailureExit Failure = "RuntimeExit"
	// FailureInit: init failed: /init/error, an exit before the first
	// /invocation/next, an init timeout, or a command that cannot start.
	FailureInit Failure = "Init"
	// FailureResponseTooLarge: the response exceeded MaxResponseBytes.
	FailureResponseTooLarge Failure = "ResponseTooLarge"
)

// Result is the outcome of an invocation.
type Result struct {
	// StatusCode is the Invoke API status: 200, 202 (Event) or 204 (DryRun).
	StatusCode int
	// Payload is the function's response, or the error object when
	// FunctionError is set.
	Payload []byte
	// FunctionError is "Unhandled" when the function failed, else "".
	FunctionError string
	// Failure says how the function failed.
	Failure Failure
	// ErrorType is the errorType of the failure, e.g. Runtime.ExitError.
	ErrorType string
	// RequestID is the invocation's request id.
	RequestID string
	// ExecutedVersion is always $LATEST.
	ExecutedVersion string
	// Duration is the invoke phase: from delivery to the process until the
	// response, the error, the timeout or the exit.
	Duration time.Duration
	// InitDuration is the init phase of a cold start, else 0.
	InitDuration time.Duration
	// ColdStart reports that a new process was started for the invocation.
	ColdStart bool
	// MaxMemoryUsedMB is the process's peak resident memory.
	MaxMemoryUsedMB int
	// Log is the kept lines of the invocation's log, START to REPORT.
	Log []string
	// LogTail is the last TailBytes of the log (X-Amz-Log-Result, decoded).
	LogTail string
}

// invocation is one invoke on its way through a sandbox.
type invocation struct {
	id            string
	arn           string
	payload       []byte
	traceID       string
	clientContext string
	accepted      time.Time
	deadline      time.Time // set before delivery

	once sync.Once
	out  outcome
	done chan struct{}
}

// outcome is how an invocation ended.
type outcome struct {
	payload       []byte
	functionError bool
	failure       Failure
	errorType     string
}

// finish records the outcome; only the first call wins.
func (inv *invocation) finish(o outcome) bool {
	won := false
	inv.once.Do(func() {
		inv.out = o
		won = true
		close(inv.done)
	})
	return won
}

// Invoke invokes the named function (a name, a partial or full ARN) with
// payload. Function errors are results (FunctionError "Unhandled"); a
// rejected invoke is a *ServiceError: ErrResourceNotFound,
// ErrTooManyRequests, ErrRequestTooLarge, ErrInvalidRequestContent,
// ErrInvalidParameter. When ctx ends first, Invoke returns its error and
// the invocation runs on, as in Lambda.
func (s *Service) Invoke(ctx context.Context, name string, payload []byte, opts InvokeOptions) (*Result, error) {
	fnName, qualifier := SplitFunctionName(name)
	if opts.Qualifier != "" {
		qualifier = opts.Qualifier
	}
	f, ok := s.lookup(fnName)
	if !ok && s.cfg.Fallback != nil {
		return s.cfg.Fallback.Invoke(ctx, name, payload, opts)
	}
	if !ok || (qualifier != "" && qualifier != LatestVersion) {
		arn := FunctionARN(s.cfg.Region, s.cfg.AccountID, fnName)
		if qualifier != "" {
			arn += ":" + qualifier
		}
		return nil, notFound(arn)
	}
	if opts.SourceARN != "" {
		if ok, _ := Allows(f.Function, opts.SourceARN, s.strict.Load()); !ok {
			return nil, accessDenied(f.arn, opts.SourceARN)
		}
	}
	typ := opts.InvocationType
	if typ == "" {
		typ = RequestResponse
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if err := checkPayload(typ, payload); err != nil {
		return nil, err
	}
	inv := &invocation{
		id:            opts.RequestID,
		arn:           f.arn,
		payload:       payload,
		traceID:       opts.TraceID,
		clientContext: opts.ClientContext,
		accepted:      time.Now(),
		done:          make(chan struct{}),
	}
	if inv.id == "" {
		inv.id = newRequestID()
	}
	if inv.traceID == "" {
		inv.traceID = newTraceID(inv.accepted)
	}
	switch typ {
	case DryRun:
		return &Result{StatusCode: http.StatusNoContent, RequestID: inv.id, ExecutedVersion: LatestVersion}, nil
	case Event:
		if !s.track() {
			return nil, ErrServiceClosed
		}
		go s.runEvent(f, inv)
		return &Result{StatusCode: http.StatusAccepted, RequestID: inv.id, ExecutedVersion: LatestVersion}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lambda: invoke %s: %w", f.Name, context.Cause(ctx))
	}
	if !s.track() {
		return nil, ErrServiceClosed
	}
	if !f.acquire() {
		s.bg.Done()
		s.log.Warn("lambda throttled", "function", f.Name, "request_id", inv.id, "concurrency", cap(f.slots), "reserved", f.reserved)
		if o := s.cfg.Observer; o != nil {
			o.Throttled(f.Name)
		}
		return nil, throttled(f.reserved)
	}
	done := make(chan *Result, 1)
	go func() {
		defer s.bg.Done()
		res := s.run(f, inv)
		f.release() // before the caller sees the result: a sequential caller is never throttled
		if o := s.cfg.Observer; o != nil {
			o.Invoked(f.Name, res)
		}
		done <- res
	}()
	select {
	case res := <-done:
		return res, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("lambda: invoke %s (request %s): %w", f.Name, inv.id, context.Cause(ctx))
	}
}

func checkPayload(typ InvocationType, payload []byte) error {
	limit, op := MaxSyncPayload, "InvokeFunction"
	switch typ {
	case RequestResponse, DryRun:
	case Event:
		limit, op = MaxEventPayload, "InvokeAsync"
	default:
		return &ServiceError{
			StatusCode: ErrInvalidParameter.StatusCode,
			Type:       ErrInvalidParameter.Type,
			Message:    fmt.Sprintf("1 validation error detected: Value '%s' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]", typ),
		}
	}
	if len(payload) > limit {
		return &ServiceError{
			StatusCode: ErrRequestTooLarge.StatusCode,
			Type:       ErrRequestTooLarge.Type,
			Message:    fmt.Sprintf("Request must be smaller than %d bytes for the %s operation", limit, op),
		}
	}
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		return &ServiceError{
			StatusCode: ErrInvalidRequestContent.StatusCode,
			Type:       ErrInvalidRequestContent.Type,
			Message:    "Could not parse request body into json: Could not parse payload into json: " + err.Error(),
		}
	}
	return nil
}

// SplitFunctionName splits a function reference into the function name
// and its qualifier, as Invoke reads it: it accepts "name",
// "name:qualifier", "123456789012:function:name[:qualifier]" and full ARNs;
// any other reference is a name.
func SplitFunctionName(s string) (name, qualifier string) {
	parts := strings.Split(s, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn":
		name = parts[6]
		if len(parts) > 7 {
			qualifier = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function":
		name = parts[2]
		if len(parts) > 3 {
			qualifier = parts[3]
		}
	case len(parts) == 2:
		name, qualifier = parts[0], parts[1]
	default:
		name = s
	}
	return name, qualifier
}

// runEvent runs an Event invocation as Lambda's async queue does: it waits
// for concurrency (throttles are retried) up to Config.EventMaxAge, and a
// failed attempt is retried Config.EventRetries times, after
// Config.EventRetryDelay and then twice as long each time. Every attempt
// has the same request id, as on AWS.
func (s *Service) runEvent(f *function, inv *invocation) {
	defer s.bg.Done()
	giveUp := time.NewTimer(s.cfg.EventMaxAge)
	defer giveUp.Stop()
	delay := s.cfg.EventRetryDelay
	for attempt := 0; ; attempt++ {
		backoff := 20 * time.Millisecond
		for !f.acquire() {
			select {
			case <-s.closing:
				s.log.Warn("lambda event dropped: service closed", "function", f.Name, "request_id", inv.id)
				return
			case <-giveUp.C:
				s.log.Warn("lambda event dropped: maximum event age exceeded", "function", f.Name, "request_id", inv.id)
				return
			case <-time.After(backoff):
				backoff = min(2*backoff, time.Second)
			}
		}
		res := s.run(f, inv)
		f.release()
		if o := s.cfg.Observer; o != nil {
			o.Invoked(f.Name, res)
		}
		if res.FunctionError == "" {
			return
		}
		if attempt >= s.cfg.EventRetries {
			s.log.Warn("lambda event failed; no retries left, dropped", "function", f.Name, "request_id", inv.id, "attempts", attempt+1, "failure", string(res.Failure), "payload", string(res.Payload))
			return
		}
		s.log.Warn("lambda event failed; retrying", "function", f.Name, "request_id", inv.id, "attempt", attempt+1, "retry_in", delay.String(), "failure", string(res.Failure), "payload", string(res.Payload))
		select {
		case <-s.closing:
			return
		case <-giveUp.C:
			s.log.Warn("lambda event dropped: maximum event age exceeded", "function", f.Name, "request_id", inv.id)
			return
		case <-time.After(delay):
		}
		delay *= 2
		// A retry is a new delivery of the same event, with the same id.
		inv = &invocation{id: inv.id, arn: inv.arn, payload: inv.payload, traceID: inv.traceID, clientContext: inv.clientContext, accepted: time.Now(), done: make(chan struct{})}
	}
}
