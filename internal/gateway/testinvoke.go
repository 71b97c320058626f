package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/gateway/router"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// TestInvokeRequest is a TestInvokeMethod call: one method of one resource,
// run without routing.
type TestInvokeRequest struct {
	APIID        string
	Stage        string
	ResourcePath string
	HTTPMethod   string
	// PathWithQueryString is matched against the resource template for path
	// parameters; when empty the template is used literally ({petId}).
	PathWithQueryString string
	Headers             map[string]string
	Body                string
	// StageVariables, when not nil, replace the stage's variables for
	// this call (TestInvokeMethod's stageVariables).
	StageVariables map[string]string
}

// TestInvokeResult is what TestInvokeMethod returns.
type TestInvokeResult struct {
	Status int
	Header http.Header
	Body   []byte
	// Log is the execution log in TestInvoke form.
	Log    string
	Record *exec.Record
}

// TestInvoke runs one method as AWS's TestInvokeMethod does: the resource and
// method are named, not routed; path parameters come from matching
// pathWithQueryString against the resource template (none when it does not
// match), or are the template's own {name} text when no path is given. The
// execution log is complete (INFO with data trace) whatever the stage says.
// Authorizers, API keys and throttles are skipped, as on AWS.
func (s *Server) TestInvoke(ctx context.Context, in TestInvokeRequest) (*TestInvokeResult, error) {
	snap := s.snap.Load()
	api, ok := snap.ByID(in.APIID)
	if !ok && snap.Single() != nil && in.APIID == "" {
		api, ok = snap.Single(), true
	}
	if !ok {
		return nil, diag.Newf(diag.PhaseRoute, diag.APINotFound, "no API %q", in.APIID)
	}
	methods, ok := api.Resources[in.ResourcePath]
	if !ok {
		return nil, diag.Newf(diag.PhaseRoute, diag.RouteNotFound, "Invalid Resource identifier specified: %s", in.ResourcePath)
	}
	m, ok := methods[strings.ToUpper(in.HTTPMethod)]
	if !ok {
		return nil, diag.Newf(diag.PhaseRoute, diag.MethodNotDefined, "Invalid Method identifier specified: %s", in.HTTPMethod)
	}
	path, query, _ := strings.Cut(in.PathWithQueryString, "?")
	params, shown := testInvokeParams(in.ResourcePath, path)
	if path == "" {
		path = in.ResourcePath
	}
	target := "/" + in.Stage + path
	if query != "" {
		target += "?" + query
	}
	req := httptest.NewRequestWithContext(ctx, strings.ToUpper(in.HTTPMethod), "http://test-invoke.local/", strings.NewReader(in.Body))
	req.RequestURI, req.URL.Path, req.URL.RawQuery = target, target, query
	req.Header = http.Header{}
	for k, v := range in.Headers {
		req.Header[k] = []string{v}
	}
	st := api.Stages[in.Stage]
	if st == nil {
		st = &rt.Stage{Stage: pipeline.Stage{Name: in.Stage, Variables: map[string]string{}}}
	}
	full := *st
	full.Log = exec.LogOptions{Level: exec.LevelInfo, DataTrace: true}
	if in.StageVariables != nil {
		full.Stage.Variables = in.StageVariables
	}
	x := newExchange(req)
	// A TestInvoke request has only the headers the caller gave.
	x.Host = req.Header.Get("Host")
	x.APIID, x.Stage = api.ID, &full.Stage
	x.Rec.Stage, x.Rec.Path = in.Stage, shown
	w := httptest.NewRecorder()
	// TestInvokeMethod bypasses authorization, API keys and throttling:
	// the method runs without its access-control steps.
	bare := *m
	bare.Guards = nil
	s.serveMethod(w, x, api, &full, router.Result[*pipeline.Method]{Value: &bare, Resource: in.ResourcePath, Params: params, Found: true})
	x.Rec.End = time.Now()
	hdr := http.Header{}
	for k, vs := range w.Header() {
		for _, v := range vs {
			hdr.Add(k, v)
		}
	}
	lines := x.Rec.Lines(full.Log)
	return &TestInvokeResult{Status: w.Code, Header: hdr, Body: w.Body.Bytes(), Log: exec.TestInvokeText(x.Rec.RequestID, lines), Record: x.Rec}, nil
}

// testInvokeParams returns the path parameters of path under the resource
// template and the path shown in the log.
func testInvokeParams(resource, path string) ([]router.Param, string) {
	if path == "" {
		segs, _ := router.ParseTemplate(resource)
		var ps []router.Param
		for _, s := range segs {
			if s.Kind != router.Static {
				ps = append(ps, router.Param{Name: s.Value, Value: "{" + s.Value + "}"})
			}
		}
		return ps, resource
	}
	r, err := router.New([]router.Route[bool]{{Path: resource, Methods: map[string]bool{router.AnyMethod: true}}})
	if err != nil {
		return nil, path
	}
	res := r.Match("GET", path)
	if !res.Found {
		return nil, path
	}
	return res.Params, path
}
