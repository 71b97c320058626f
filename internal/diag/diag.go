// Package diag classifies every failure the gateway can answer with: the
// pipeline phase it happened in, a stable cause code, the AWS gateway-response
// type it maps to, the client status, the execution-log line AWS would write,
// and a one-line fix for the operator.
package diag

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/archway-gw/archway/internal/apigw"
)

// Phase names the pipeline step a failure happened in.
type Phase string

// Pipeline phases, in request order.
const (
	PhaseRoute               Phase = "route"
	PhaseUsagePlan           Phase = "usage-plan"
	PhaseAuthorizer          Phase = "authorizer"
	PhaseMethodRequest       Phase = "method-request"
	PhaseIntegrationRequest  Phase = "integration-request"
	PhaseIntegration         Phase = "integration"
	PhaseIntegrationResponse Phase = "integration-response"
	PhaseMethodResponse      Phase = "method-response"
)

// Cause is a stable, documented failure code (see docs/causes.md).
type Cause string

// Error is the single failure type of the data plane. The client gets what
// AWS would send (derived from ResponseType and Status); everything else is
// for the operator's surfaces.
type Error struct {
	Phase Phase
	Cause Cause
	// Detail says what exactly went wrong in this request (operator-facing).
	Detail string
	// Err is the underlying error, if any.
	Err error
	// Message, when set, replaces the cause's client message
	// ($context.error.message), for causes whose message AWS builds per
	// request ("Missing required request parameters: [a, b]").
	Message string
	// ValidationError is $context.error.validationErrorString.
	ValidationError string
	// LogLine, when set, is this request's execution-log failure line in
	// place of the cause's LogLine (AWS builds some per request, e.g.
	// "Lambda execution failed with status 200 due to customer function
	// error: <errorMessage>. Lambda request id: <id>").
	LogLine string
	// LogBefore are execution-log lines written before the failure line,
	// such as what made a Lambda proxy response malformed.
	LogBefore []string
}

// Error implements error.
func (e *Error) Error() string {
	s := string(e.Cause)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Info returns the catalog entry of the error's cause, with the error's own
// message when it has one.
func (e *Error) Info() CauseInfo {
	info := Lookup(e.Cause)
	if e.Message != "" {
		info.Message = e.Message
	}
	return info
}

// New returns an Error for cause in phase with a detail message.
func New(phase Phase, cause Cause, detail string) *Error {
	return &Error{Phase: phase, Cause: cause, Detail: detail}
}

// Wrap returns an Error for cause in phase wrapping err.
func Wrap(phase Phase, cause Cause, err error, detail string) *Error {
	return &Error{Phase: phase, Cause: cause, Detail: detail, Err: err}
}

// Newf is New with a formatted detail.
func Newf(phase Phase, cause Cause, format string, args ...any) *Error {
	return New(phase, cause, fmt.Sprintf(format, args...))
}

// As extracts a *Error from err; a non-diag error becomes INTERNAL_ERROR so
// that nothing leaves the gateway unexplained.
func As(err error) *Error {
	var d *Error
	if errors.As(err, &d) {
		return d
	}
	return &Error{Phase: PhaseIntegration, Cause: InternalError, Err: err}
}

// CauseInfo is the documentation and client mapping of a cause code.
type CauseInfo struct {
	Cause Cause
	// ResponseType is the AWS gateway response the client receives.
	ResponseType apigw.GatewayResponseType
	// Status, when non-zero, is the client status AWS actually sends for this
	// failure while the gateway response is not customised with a status
	// (e.g. AWS answers some INTEGRATION_FAILUREs with 500, not 504).
	Status int
	// Message is $context.error.message: the client-facing text. Null marks
	// a JSON null message (AUTHORIZER_CONFIGURATION_ERROR).
	Message string
	Null    bool
	// MessageKey, when set, is the key of AWS's default body in place of
	// "message": AWS answers an authorizer's deny with {"Message":"..."}
	// while ACCESS_DENIED is not customised.
	MessageKey string
	// Spaced marks messages AWS renders with a space after the colon of the
	// default body ({"message": "Internal server error"}, 36 bytes, recorded).
	Spaced bool
	// LogLine is the execution-log line AWS writes, without the detail.
	LogLine string
	// LogDetail marks lines AWS ends with ": <value>" (the Error's Detail),
	// such as the status code of an invalid method response.
	LogDetail bool
	// Meaning says what happened, for operators.
	Meaning string
	// AWS describes the AWS equivalent and the evidence for the mapping.
	AWS string
	// Fix is one line on how to fix it.
	Fix string
}

// ClientStatus is the status the client gets while the gateway response
// is not customised: Status, or the response type's default.
func (c CauseInfo) ClientStatus() int {
	if c.Status != 0 {
		return c.Status
	}
	if info, ok := apigw.LookupGatewayResponseType(c.ResponseType); ok {
		n, _ := strconv.Atoi(info.DefaultStatus)
		return n
	}
	return 0
}

// Lookup returns the catalog entry for c; unknown codes map to INTERNAL_ERROR.
func Lookup(c Cause) CauseInfo {
	if i, ok := catalogIndex[c]; ok {
		return i
	}
	return catalogIndex[InternalError]
}

// Catalog returns every cause, in documentation order.
func Catalog() []CauseInfo { return catalog }

var catalogIndex = func() map[Cause]CauseInfo {
	m := make(map[Cause]CauseInfo, len(catalog))
	for _, c := range catalog {
		if _, dup := m[c.Cause]; dup {
			panic("diag: duplicate cause " + c.Cause)
		}
		m[c.Cause] = c
	}
	return m
}()
