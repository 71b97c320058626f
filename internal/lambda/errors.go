package lambda

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// ServiceError is an error of the Lambda service itself, not of the
// function: the invoke was rejected before or instead of running it. It
// renders as AWS's JSON error shape on the Invoke API.
type ServiceError struct {
	// StatusCode is the HTTP status of the Invoke API (404, 429, ...).
	StatusCode int
	// Type is the error code sent in x-amzn-ErrorType, such as
	// ResourceNotFoundException.
	Type string
	// Message is the message field of the body.
	Message string
	// Reason is set on throttles, such as
	// ReservedFunctionConcurrentInvocationLimitExceeded.
	Reason string
}

// Sentinels for errors.Is; compare on Type only.
var (
	// ErrResourceNotFound: the function does not exist (404).
	ErrResourceNotFound = &ServiceError{StatusCode: http.StatusNotFound, Type: "ResourceNotFoundException"}
	// ErrTooManyRequests: the function's concurrency is exhausted (429).
	ErrTooManyRequests = &ServiceError{StatusCode: http.StatusTooManyRequests, Type: "TooManyRequestsException"}
	// ErrRequestTooLarge: the payload exceeds the invocation limit (413).
	ErrRequestTooLarge = &ServiceError{StatusCode: http.StatusRequestEntityTooLarge, Type: "RequestTooLargeException"}
	// ErrInvalidRequestContent: the payload is not JSON (400).
	ErrInvalidRequestContent = &ServiceError{StatusCode: http.StatusBadRequest, Type: "InvalidRequestContentException"}
	// ErrInvalidParameter: a parameter such as the invocation type is invalid (400).
	ErrInvalidParameter = &ServiceError{StatusCode: http.StatusBadRequest, Type: "InvalidParameterValueException"}
	// ErrServiceClosed: the local Lambda service is shutting down (503).
	ErrServiceClosed = &ServiceError{StatusCode: http.StatusServiceUnavailable, Type: "ServiceException", Message: "the local Lambda service is closed"}
)

// Error returns the type and message.
func (e *ServiceError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("lambda: %s: %s (%s)", e.Type, e.Message, e.Reason)
	}
	return fmt.Sprintf("lambda: %s: %s", e.Type, e.Message)
}

// Is reports whether target is a ServiceError of the same Type.
func (e *ServiceError) Is(target error) bool {
	t, ok := target.(*ServiceError)
	return ok && t.Type == e.Type
}

// Body returns the JSON body AWS sends for this error.
func (e *ServiceError) Body() []byte {
	v := struct {
		Reason  string `json:"Reason,omitempty"`
		Type    string `json:"Type"`
		Message string `json:"message"`
	}{e.Reason, "User", e.Message}
	if e.StatusCode >= 500 {
		v.Type = "Service"
	}
	b, _ := json.Marshal(v)
	return b
}

func notFound(arn string) *ServiceError {
	return &ServiceError{StatusCode: http.StatusNotFound, Type: ErrResourceNotFound.Type, Message: "Function not found: " + arn}
}

func throttled(reserved bool) *ServiceError {
	reason := "ConcurrentInvocationLimitExceeded"
	if reserved {
		reason = "ReservedFunctionConcurrentInvocationLimitExceeded"
	}
	return &ServiceError{StatusCode: http.StatusTooManyRequests, Type: ErrTooManyRequests.Type, Message: "Rate Exceeded.", Reason: reason}
}

// FunctionErrorPayload is the error object Lambda returns as the payload of
// a failed invocation (with X-Amz-Function-Error: Unhandled).
type FunctionErrorPayload struct {
	ErrorMessage string          `json:"errorMessage"`
	ErrorType    string          `json:"errorType,omitempty"`
	StackTrace   json.RawMessage `json:"stackTrace,omitempty"`
}

// ParseFunctionError decodes a function error payload. ok is false when
// the payload is not a JSON object with an errorMessage.
func ParseFunctionError(payload []byte) (p FunctionErrorPayload, ok bool) {
	if err := json.Unmarshal(payload, &p); err != nil {
		return FunctionErrorPayload{}, false
	}
	return p, p.ErrorMessage != "" || p.ErrorType != ""
}

func (p FunctionErrorPayload) marshal() []byte {
	b, _ := json.Marshal(p)
	return b
}

// timeoutMessage is Lambda's errorMessage for a function timeout:
// "2019-04-30T12:27:30.624Z 9a7b0b40-... Task timed out after 3.00 seconds".
func timeoutMessage(at time.Time, requestID string, timeout time.Duration) string {
	return fmt.Sprintf("%s %s Task timed out after %.2f seconds", at.UTC().Format("2006-01-02T15:04:05.000Z"), requestID, timeout.Seconds())
}

// exitMessage is Lambda's errorMessage when the runtime process exits
// while it owes a response: "RequestId: X Error: Runtime exited with error: exit status 1".
func exitMessage(requestID string, exitErr error) string {
	if exitErr == nil {
		return "RequestId: " + requestID + " Error: Runtime exited without providing a reason"
	}
	return "RequestId: " + requestID + " Error: Runtime exited with error: " + exitErr.Error()
}
