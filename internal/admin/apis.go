package admin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// APIView is one API of the live snapshot.
type APIView struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Stages    []StageView    `json:"stages"`
	Resources []ResourceView `json:"resources"`
}

// StageView is one served stage.
type StageView struct {
	Name      string            `json:"name"`
	Variables map[string]string `json:"variables"`
	// LoggingLevel is the execution-log level: OFF, ERROR or INFO.
	LoggingLevel string `json:"loggingLevel"`
	DataTrace    bool   `json:"dataTraceEnabled"`
	AccessLog    bool   `json:"accessLog"`
	Debug        bool   `json:"debug"`
}

// ResourceView is one resource and its methods.
type ResourceView struct {
	Path    string   `json:"path"`
	Methods []string `json:"methods"`
}

// Views describes a snapshot's APIs, sorted by id, with stages and
// resources sorted.
func Views(snap *rt.Snapshot) []APIView {
	out := []APIView{}
	if snap == nil {
		return out
	}
	for _, a := range snap.APIs {
		v := APIView{ID: a.ID, Name: a.Name, Stages: []StageView{}, Resources: []ResourceView{}}
		for name, st := range a.Stages {
			vars := st.Variables
			if vars == nil {
				vars = map[string]string{}
			}
			v.Stages = append(v.Stages, StageView{Name: name, Variables: vars, LoggingLevel: levelName(st.Log.Level),
				DataTrace: st.Log.DataTrace, AccessLog: st.AccessLog != nil, Debug: st.Debug})
		}
		sort.Slice(v.Stages, func(i, j int) bool { return v.Stages[i].Name < v.Stages[j].Name })
		for path, ms := range a.Resources {
			r := ResourceView{Path: path, Methods: []string{}}
			for m := range ms {
				r.Methods = append(r.Methods, m)
			}
			sort.Strings(r.Methods)
			v.Resources = append(v.Resources, r)
		}
		sort.Slice(v.Resources, func(i, j int) bool { return v.Resources[i].Path < v.Resources[j].Path })
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (a *api) apis(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"apis": Views(a.opts.Gateway.Snapshot())})
}

// TestInvokeRequest is the body of POST /api/test-invoke.
type TestInvokeRequest struct {
	// APIID names the API; may be empty when one API is served.
	APIID string `json:"apiId"`
	// Stage is the stage whose variables and settings apply.
	Stage string `json:"stage"`
	// Method is the HTTP method.
	Method string `json:"method"`
	// Path is a request path after the stage (/pets/1); the resource is
	// found by routing it. Give Path or ResourcePath.
	Path string `json:"path"`
	// ResourcePath names the resource (/pets/{petId}); with Path too, the
	// path parameters come from matching Path against it.
	ResourcePath string `json:"resourcePath"`
	// Headers are the request headers.
	Headers map[string]string `json:"headers"`
	// Query holds query-string parameters; QueryString, a raw query
	// string, is appended after them.
	Query       map[string]string `json:"query"`
	QueryString string            `json:"queryString"`
	// Body is the request body.
	Body string `json:"body"`
	// StageVariables, when present, replace the stage's variables.
	StageVariables map[string]string `json:"stageVariables"`
}

// TestInvokeResponse is what POST /api/test-invoke answers: what AWS's
// TestInvokeMethod returns, plus the request id and the cause of a failure.
type TestInvokeResponse struct {
	Status            int                 `json:"status"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	// IsBase64Encoded is true when Body is base64 because the response is
	// not UTF-8 text.
	IsBase64Encoded bool `json:"isBase64Encoded,omitempty"`
	// Latency is in milliseconds, as AWS reports it.
	Latency   int64  `json:"latency"`
	Log       string `json:"log"`
	RequestID string `json:"requestId"`
	// Cause is the cause code when the gateway answered a failure.
	Cause string `json:"cause,omitempty"`
	// Fix is the cause's fix from docs/causes.md.
	Fix string `json:"fix,omitempty"`
}

// maxTestInvokeBody bounds the request JSON (API Gateway's 10 MB payload,
// plus room for the envelope).
const maxTestInvokeBody = 11 << 20

func (a *api) testInvoke(w http.ResponseWriter, r *http.Request) {
	var in TestInvokeRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, maxTestInvokeBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "test-invoke body: "+err.Error())
		return
	}
	out, status, err := TestInvoke(r.Context(), a.opts.Gateway, in)
	if err != nil {
		body := errorBody{Message: err.Error()}
		var d *diag.Error
		if errors.As(err, &d) {
			body.Message, body.Cause = d.Detail, string(d.Cause)
		}
		writeJSON(w, status, body)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// TestInvoke runs in through the gateway's live snapshot. On failure it
// returns the HTTP status to answer with: 400 for a request that names no
// method, 404 for an unknown API, resource or method.
func TestInvoke(ctx context.Context, gw *gateway.Server, in TestInvokeRequest) (*TestInvokeResponse, int, error) {
	if in.Method == "" {
		return nil, http.StatusBadRequest, errors.New("method is required")
	}
	if in.Path == "" && in.ResourcePath == "" {
		return nil, http.StatusBadRequest, errors.New("give path (a request path after the stage) or resourcePath")
	}
	method := strings.ToUpper(in.Method)
	resource := in.ResourcePath
	if resource == "" {
		snap := gw.Snapshot()
		var api *rt.API
		if snap != nil {
			if a, ok := snap.ByID(in.APIID); ok {
				api = a
			} else if in.APIID == "" {
				api = snap.Single()
			}
		}
		if api == nil {
			return nil, http.StatusNotFound, diag.Newf(diag.PhaseRoute, diag.APINotFound, "no API %q", in.APIID)
		}
		res := api.Router.Match(method, in.Path)
		if !res.Found {
			cause := diag.RouteNotFound
			if res.PathMatched {
				cause = diag.MethodNotDefined
			}
			return nil, http.StatusNotFound, diag.Newf(diag.PhaseRoute, cause, "%s %s matches no method of API %s", method, in.Path, api.ID)
		}
		resource = res.Resource
		if _, ok := api.Resources[resource][method]; !ok {
			method = "ANY"
		}
	}
	q := url.Values{}
	for k, v := range in.Query {
		q.Set(k, v)
	}
	query := q.Encode()
	if in.QueryString != "" {
		if query != "" {
			query += "&"
		}
		query += strings.TrimPrefix(in.QueryString, "?")
	}
	path := in.Path
	if query != "" {
		if path == "" {
			path = resource
		}
		path += "?" + query
	}
	headers := make(map[string]string, len(in.Headers))
	for k, v := range in.Headers {
		headers[http.CanonicalHeaderKey(k)] = v
	}
	res, err := gw.TestInvoke(ctx, gateway.TestInvokeRequest{
		APIID: in.APIID, Stage: in.Stage, ResourcePath: resource, HTTPMethod: method,
		PathWithQueryString: path, Headers: headers, Body: in.Body, StageVariables: in.StageVariables,
	})
	if err != nil {
		return nil, http.StatusNotFound, err
	}
	out := &TestInvokeResponse{Status: res.Status, Headers: map[string]string{}, MultiValueHeaders: map[string][]string{}, Log: res.Log}
	for k, vs := range res.Header {
		out.MultiValueHeaders[k] = vs
		out.Headers[k] = vs[len(vs)-1]
	}
	if utf8.Valid(res.Body) {
		out.Body = string(res.Body)
	} else {
		out.Body, out.IsBase64Encoded = base64.StdEncoding.EncodeToString(res.Body), true
	}
	if rec := res.Record; rec != nil {
		out.RequestID = rec.RequestID
		out.Latency = rec.End.Sub(rec.Start).Milliseconds()
		if rec.Err != nil {
			out.Cause = string(rec.Err.Cause)
			out.Fix = rec.Err.Info().Fix
		}
	}
	return out, http.StatusOK, nil
}

func levelName(l exec.Level) string {
	switch l {
	case exec.LevelError:
		return "ERROR"
	case exec.LevelInfo:
		return "INFO"
	}
	return "OFF"
}
