package lambda

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
)

// Invoke API headers.
const (
	HeaderInvocationType   = "X-Amz-Invocation-Type"
	HeaderLogType          = "X-Amz-Log-Type"
	HeaderLogResult        = "X-Amz-Log-Result"
	HeaderFunctionError    = "X-Amz-Function-Error"
	HeaderExecutedVersion  = "X-Amz-Executed-Version"
	HeaderClientContextB64 = "X-Amz-Client-Context"
	HeaderErrorType        = "X-Amzn-Errortype"
	HeaderAmznRequestID    = "X-Amzn-Requestid"
	HeaderAmznTraceID      = "X-Amzn-Trace-Id"
)

// registerInvokeAPI adds the Lambda Invoke API (2015-03-31) to mux.
func (s *Service) registerInvokeAPI(mux *http.ServeMux) {
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", s.handleInvoke)
}

// handleInvoke serves POST /2015-03-31/functions/{name}/invocations as
// Lambda does: 200 with the payload (X-Amz-Function-Error on function
// errors, X-Amz-Log-Result with Tail), 202 for Event, 204 for DryRun, and
// AWS's JSON errors.
func (s *Service) handleInvoke(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxSyncPayload+1))
	if err != nil {
		return
	}
	opts := InvokeOptions{
		InvocationType: InvocationType(r.Header.Get(HeaderInvocationType)),
		Qualifier:      r.URL.Query().Get("Qualifier"),
		TraceID:        r.Header.Get(HeaderAmznTraceID),
	}
	if cc := r.Header.Get(HeaderClientContextB64); cc != "" {
		dec, err := base64.StdEncoding.DecodeString(cc)
		if err != nil {
			writeServiceError(w, &ServiceError{StatusCode: http.StatusBadRequest, Type: "InvalidRequestContentException", Message: "Client context must be a valid Base64-encoded JSON object."})
			return
		}
		opts.ClientContext = string(dec)
	}
	res, err := s.Invoke(r.Context(), r.PathValue("name"), body, opts)
	if err != nil {
		var se *ServiceError
		if errors.As(err, &se) {
			writeServiceError(w, se)
			return
		}
		if r.Context().Err() != nil {
			return // the client went away
		}
		writeServiceError(w, &ServiceError{StatusCode: http.StatusInternalServerError, Type: "ServiceException", Message: err.Error()})
		return
	}
	h := w.Header()
	h.Set(HeaderAmznRequestID, res.RequestID)
	if res.StatusCode != http.StatusOK {
		w.WriteHeader(res.StatusCode)
		return
	}
	h.Set(HeaderExecutedVersion, res.ExecutedVersion)
	if res.FunctionError != "" {
		h.Set(HeaderFunctionError, res.FunctionError)
	}
	if strings.EqualFold(r.Header.Get(HeaderLogType), "Tail") {
		h.Set(HeaderLogResult, base64.StdEncoding.EncodeToString([]byte(res.LogTail)))
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Payload)
}

// writeServiceError writes AWS's error shape: x-amzn-ErrorType and
// {"Type":"User","message":...}.
func writeServiceError(w http.ResponseWriter, e *ServiceError) {
	h := w.Header()
	h.Set(HeaderErrorType, e.Type)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(e.StatusCode)
	_, _ = w.Write(e.Body())
}
