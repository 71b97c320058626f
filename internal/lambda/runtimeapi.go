package lambda

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// Runtime API headers, as Lambda sends and receives them.
const (
	HeaderRequestID          = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMs         = "Lambda-Runtime-Deadline-Ms"
	HeaderInvokedFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID            = "Lambda-Runtime-Trace-Id"
	HeaderClientContext      = "Lambda-Runtime-Client-Context"
	HeaderFunctionErrorType  = "Lambda-Runtime-Function-Error-Type"
	trailerFunctionErrorBody = "Lambda-Runtime-Function-Error-Body"
)

// MaxResponseBytes is the largest synchronous response payload Lambda
// accepts from a function (6 MB).
const MaxResponseBytes = 6 * 1024 * 1024

// registerRuntimeAPI adds the Runtime API (2018-06-01) to mux. Its handlers
// answer only on the per-process endpoints.
func (s *Service) registerRuntimeAPI(mux *http.ServeMux) {
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", s.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", s.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", s.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", s.handleInitError)
}

// handleNext blocks until an invocation is delivered to this process.
func (s *Service) handleNext(w http.ResponseWriter, r *http.Request) {
	sb := sandboxFrom(r.Context())
	if sb == nil {
		runtimeError(w, http.StatusNotFound, "NotFound", "the Runtime API is served to function processes only")
		return
	}
	sb.markReady()
	select {
	case inv := <-sb.invokes:
		sb.cur.Store(inv)
		h := w.Header()
		h.Set(HeaderRequestID, inv.id)
		h.Set(HeaderDeadlineMs, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set(HeaderInvokedFunctionARN, inv.arn)
		h.Set(HeaderTraceID, inv.traceID)
		if inv.clientContext != "" {
			h.Set(HeaderClientContext, inv.clientContext)
		}
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(inv.payload)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	case <-sb.exited:
	}
}

// handleResponse completes the current invocation with a result.
func (s *Service) handleResponse(w http.ResponseWriter, r *http.Request) {
	sb, inv, ok := currentInvocation(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes+1))
	if err != nil {
		return // the process went away mid-request; the runner sees it exit
	}
	sb.cur.CompareAndSwap(inv, nil)
	if len(body) > MaxResponseBytes {
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxResponseBytes)
		inv.finish(outcome{
			payload:       FunctionErrorPayload{ErrorMessage: msg, ErrorType: "Function.ResponseSizeTooLarge"}.marshal(),
			functionError: true,
			failure:       FailureResponseTooLarge,
			errorType:     "Function.ResponseSizeTooLarge",
		})
		runtimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", msg)
		return
	}
	// A streamed response that failed midway carries the error in trailers.
	if typ := r.Trailer.Get(HeaderFunctionErrorType); typ != "" {
		payload, err := base64.StdEncoding.DecodeString(r.Trailer.Get(trailerFunctionErrorBody))
		if err != nil || !json.Valid(payload) {
			payload = FunctionErrorPayload{ErrorMessage: "response stream failed", ErrorType: typ}.marshal()
		}
		inv.finish(outcome{payload: payload, functionError: true, failure: FailureUnhandled, errorType: typ})
	} else {
		inv.finish(outcome{payload: body})
	}
	accepted(w)
}

// handleError completes the current invocation with a function error.
func (s *Service) handleError(w http.ResponseWriter, r *http.Request) {
	sb, inv, ok := currentInvocation(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes))
	if err != nil {
		return
	}
	sb.cur.CompareAndSwap(inv, nil)
	payload, typ := errorPayload(body, r.Header.Get(HeaderFunctionErrorType), "Unhandled")
	inv.finish(outcome{payload: payload, functionError: true, failure: FailureUnhandled, errorType: typ})
	accepted(w)
}

// handleInitError records a failed init. Lambda answers 403 once init is over.
func (s *Service) handleInitError(w http.ResponseWriter, r *http.Request) {
	sb := sandboxFrom(r.Context())
	if sb == nil {
		runtimeError(w, http.StatusNotFound, "NotFound", "the Runtime API is served to function processes only")
		return
	}
	if sb.isReady() {
		runtimeError(w, http.StatusForbidden, "InvalidStateTransition", "State transition from Ready to InitError failed for runtime.")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes))
	if err != nil {
		return
	}
	payload, _ := errorPayload(body, r.Header.Get(HeaderFunctionErrorType), "Runtime.InitError")
	select {
	case sb.initErr <- payload:
	default:
	}
	accepted(w)
}

// currentInvocation checks that id names the invocation this process is
// working on, answering 400 as Lambda does when it does not.
func currentInvocation(w http.ResponseWriter, r *http.Request) (*sandbox, *invocation, bool) {
	sb := sandboxFrom(r.Context())
	if sb == nil {
		runtimeError(w, http.StatusNotFound, "NotFound", "the Runtime API is served to function processes only")
		return nil, nil, false
	}
	inv := sb.cur.Load()
	if inv == nil || inv.id != r.PathValue("id") {
		runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return nil, nil, false
	}
	return sb, inv, true
}

// errorPayload returns the error object a runtime posted, or builds one
// when the body is not a JSON object, and the errorType to report.
func errorPayload(body []byte, headerType, defaultType string) ([]byte, string) {
	if p, ok := ParseFunctionError(body); ok {
		return body, p.ErrorType
	}
	typ := headerType
	if typ == "" {
		typ = defaultType
	}
	return FunctionErrorPayload{ErrorMessage: string(body), ErrorType: typ}.marshal(), typ
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func runtimeError(w http.ResponseWriter, status int, typ, msg string) {
	b, _ := json.Marshal(FunctionErrorPayload{ErrorMessage: msg, ErrorType: typ})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
