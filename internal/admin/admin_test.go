package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/gateway"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/openapi"
	rt "github.com/archway-gw/archway/internal/runtime"
)

const definition = `openapi: 3.0.1
info: {title: admin-api, version: "1"}
paths:
  /pets/{petId}:
    get:
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: "${stageVariables.origin}/echo/{id}"
        requestParameters:
          integration.request.path.id: method.request.path.petId
        responses: {default: {statusCode: "200"}}
  /mock:
    post:
      responses: {"201": {description: created}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 201}'}
        responses: {default: {statusCode: "201", responseTemplates: {application/json: '{"stage": "$context.stage", "v": "$stageVariables.v"}'}}}
`

// newGateway serves the definition on stage dev and returns it with the
// backend's URL. The backend echoes what it got.
func newGateway(t *testing.T) (*gateway.Server, string) {
	t.Helper()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"path":%q,"query":%q,"x":%q,"body":%q}`, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Test"), body)
	}))
	t.Cleanup(backend.Close)
	api, _, err := openapi.Import("admin.yaml", []byte(definition), openapi.Options{})
	if err != nil {
		t.Fatal(err)
	}
	api.ID = "adm1"
	be := &pipeline.Backend{Transport: httpx.NewTransport(httpx.TransportOptions{}), Classify: httpx.Classify}
	snap, _, err := rt.Compile([]rt.Input{{API: api, Stages: []apigw.Stage{{Name: "dev", LoggingLevel: "ERROR", Variables: map[string]string{"v": "from-stage"}}}}}, be)
	if err != nil {
		t.Fatal(err)
	}
	gw := &gateway.Server{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	gw.Swap(snap)
	return gw, backend.URL
}

func startAdmin(t *testing.T, opts Options) string {
	t.Helper()
	ln, err := Listen("127.0.0.1:0", opts.Token)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: Handler(opts)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func do(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestToken(t *testing.T) {
	gw, _ := newGateway(t)
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "archway_count_total 0\n") })
	base := startAdmin(t, Options{Token: "s3cret", Gateway: gw, Metrics: metrics})
	for _, c := range []struct {
		name, path, token string
		status            int
	}{
		{"metrics without a token", "/metrics", "", 401},
		{"metrics with a wrong token", "/metrics", "wrong", 401},
		{"metrics with a token prefix", "/metrics", "s3cre", 401},
		{"metrics with the token", "/metrics", "s3cret", 200},
		{"api without a token", "/api/apis", "", 401},
		{"api with the token", "/api/apis", "s3cret", 200},
		{"unknown api route", "/api/nope", "s3cret", 404},
		{"healthz needs no token", "/healthz", "", 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := do(t, "GET", base+c.path, c.token, "")
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			if status == 401 && !strings.Contains(body, "Bearer") {
				t.Errorf("401 body does not say how to authenticate: %s", body)
			}
		})
	}
}

func TestListen(t *testing.T) {
	for _, c := range []struct {
		name, addr, token string
		refused           bool
	}{
		{"loopback without a token", "127.0.0.1:0", "", false},
		{"localhost without a token", "localhost:0", "", false},
		{"all interfaces without a token", "0.0.0.0:0", "", true},
		{"empty host without a token", ":0", "", true},
		{"host name without a token", "example.invalid:0", "", true},
		{"all interfaces with a token", "0.0.0.0:0", "t", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ln, err := Listen(c.addr, c.token)
			if c.refused {
				if !errors.Is(err, ErrNoToken) {
					t.Fatalf("err %v, want ErrNoToken", err)
				}
				if !strings.Contains(err.Error(), TokenEnv) {
					t.Errorf("error does not name %s: %v", TokenEnv, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ln.Close()
		})
	}
}

func TestAPIsAndMounts(t *testing.T) {
	gw, _ := newGateway(t)
	hist := NewHistory(2)
	hist.Add(Reload{Time: time.Unix(1, 0).UTC(), Trigger: "start", Success: true, Snapshot: Summarize(gw.Snapshot())})
	hist.Add(Reload{Time: time.Unix(2, 0).UTC(), Trigger: "file", Error: "petstore.yaml:3:1: bad"})
	hist.Add(Reload{Time: time.Unix(3, 0).UTC(), Trigger: "signal", Success: true, Snapshot: Summarize(gw.Snapshot())})
	mount := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name+" "+r.URL.Path) })
	}
	base := startAdmin(t, Options{Gateway: gw, Reloads: hist, Requests: mount("store"), Dashboard: mount("dashboard")})

	t.Run("apis", func(t *testing.T) {
		status, body := do(t, "GET", base+"/api/apis", "", "")
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		var got struct{ APIs []APIView }
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		want := []APIView{{ID: "adm1", Name: "admin-api",
			Stages:    []StageView{{Name: "dev", Variables: map[string]string{"v": "from-stage"}, LoggingLevel: "ERROR"}},
			Resources: []ResourceView{{Path: "/mock", Methods: []string{"POST"}}, {Path: "/pets/{petId}", Methods: []string{"GET"}}}}}
		if d := cmp.Diff(want, got.APIs); d != "" {
			t.Errorf("apis (-want +got):\n%s", d)
		}
	})
	t.Run("reloads newest first, bounded", func(t *testing.T) {
		_, body := do(t, "GET", base+"/api/reloads", "", "")
		var got struct{ Reloads []Reload }
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		var triggers []string
		for _, r := range got.Reloads {
			triggers = append(triggers, r.Trigger)
		}
		if d := cmp.Diff([]string{"signal", "file"}, triggers); d != "" {
			t.Errorf("triggers (-want +got):\n%s", d)
		}
		if got.Reloads[1].Success || got.Reloads[1].Error == "" || got.Reloads[0].Snapshot.APIs[0].Methods != 2 {
			t.Errorf("entries: %+v", got.Reloads)
		}
	})
	for _, c := range []struct{ path, want string }{
		{"/api/requests", "store /api/requests"},
		{"/api/requests/abc", "store /api/requests/abc"},
		{"/api/stats", "store /api/stats"},
		{"/", "dashboard /"},
		{"/assets/app.js", "dashboard /assets/app.js"},
	} {
		t.Run("mount "+c.path, func(t *testing.T) {
			if status, body := do(t, "GET", base+c.path, "", ""); status != 200 || body != c.want {
				t.Errorf("%d %q, want %q", status, body, c.want)
			}
		})
	}
}

func TestTestInvokeAPI(t *testing.T) {
	gw, origin := newGateway(t)
	base := startAdmin(t, Options{Token: "tok", Gateway: gw})
	invoke := func(t *testing.T, body string) (int, TestInvokeResponse, string) {
		t.Helper()
		status, raw := do(t, "POST", base+"/api/test-invoke", "tok", body)
		var out TestInvokeResponse
		if status == 200 {
			if err := json.Unmarshal([]byte(raw), &out); err != nil {
				t.Fatalf("%v: %s", err, raw)
			}
		}
		return status, out, raw
	}
	t.Run("http integration by path with stage variables", func(t *testing.T) {
		req, _ := json.Marshal(TestInvokeRequest{Stage: "dev", Method: "get", Path: "/pets/42", Headers: map[string]string{"x-test": "hdr"},
			Query: map[string]string{"a": "1"}, QueryString: "b=2", Body: "", StageVariables: map[string]string{"origin": origin}})
		status, out, raw := invoke(t, string(req))
		if status != 200 || out.Status != 200 {
			t.Fatalf("%d %s", status, raw)
		}
		var echoed map[string]string
		if err := json.Unmarshal([]byte(out.Body), &echoed); err != nil {
			t.Fatalf("body %q: %v", out.Body, err)
		}
		if echoed["path"] != "/echo/42" {
			t.Errorf("backend path %q, want /echo/42 (path parameter from the path)", echoed["path"])
		}
		if out.RequestID == "" || out.Headers["Content-Type"] != "application/json" || out.MultiValueHeaders["X-Amzn-Requestid"] == nil && out.MultiValueHeaders["x-amzn-RequestId"] == nil {
			t.Errorf("response: %+v", out)
		}
		for _, line := range []string{
			"Execution log for request " + out.RequestID,
			"Method request path: {petId=42}",
			"Method request query string: {a=1, b=2}",
			"X-Test=hdr",
			"Endpoint request URI: " + origin + "/echo/42",
			"Method completed with status: 200",
		} {
			if !strings.Contains(out.Log, line) {
				t.Errorf("log lacks %q:\n%s", line, out.Log)
			}
		}
		if out.Latency < 0 || out.Cause != "" {
			t.Errorf("latency %d cause %q", out.Latency, out.Cause)
		}
	})
	t.Run("resourcePath without a path uses the template", func(t *testing.T) {
		status, out, raw := invoke(t, `{"apiId":"adm1","stage":"dev","method":"POST","resourcePath":"/mock","body":"{}"}`)
		if status != 200 || out.Status != 201 || out.Body != `{"stage": "dev", "v": "from-stage"}` {
			t.Fatalf("%d %s", status, raw)
		}
	})
	t.Run("stage variables replace the stage's", func(t *testing.T) {
		_, out, raw := invoke(t, `{"stage":"dev","method":"POST","path":"/mock","stageVariables":{"v":"override"}}`)
		if out.Body != `{"stage": "dev", "v": "override"}` {
			t.Fatalf("%s", raw)
		}
	})
	t.Run("a failure names its cause and fix", func(t *testing.T) {
		_, out, raw := invoke(t, `{"stage":"dev","method":"GET","path":"/pets/1"}`)
		if out.Status != 500 || out.Cause != "INVALID_ENDPOINT" || out.Fix == "" || !strings.Contains(out.Log, "Invalid endpoint address") {
			t.Fatalf("%s", raw)
		}
	})
	for _, c := range []struct {
		name, body string
		status     int
		cause      string
	}{
		{"unknown path", `{"stage":"dev","method":"GET","path":"/nope"}`, 404, "ROUTE_NOT_FOUND"},
		{"undefined method", `{"stage":"dev","method":"DELETE","path":"/mock"}`, 404, "METHOD_NOT_DEFINED"},
		{"unknown resource", `{"stage":"dev","method":"GET","resourcePath":"/nope"}`, 404, "ROUTE_NOT_FOUND"},
		{"unknown api", `{"apiId":"zzz","stage":"dev","method":"GET","path":"/mock"}`, 404, "API_NOT_FOUND"},
		{"no method", `{"stage":"dev","path":"/mock"}`, 400, ""},
		{"no path", `{"stage":"dev","method":"GET"}`, 400, ""},
		{"unknown field", `{"stage":"dev","method":"GET","path":"/mock","bogus":1}`, 400, ""},
		{"not json", `GET /mock`, 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, _, raw := invoke(t, c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, raw)
			}
			var e errorBody
			if err := json.Unmarshal([]byte(raw), &e); err != nil || e.Message == "" || e.Cause != c.cause {
				t.Errorf("error body %s, want cause %q", raw, c.cause)
			}
		})
	}
}
