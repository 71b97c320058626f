package runtime

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
)

func mockMethod(verb string) *apigw.Method {
	return &apigw.Method{
		HTTPMethod:      verb,
		MethodResponses: map[string]*apigw.MethodResponse{"200": {}},
		Integration: &apigw.Integration{
			Type:                 "mock",
			RequestTemplates:     map[string]string{"application/json": `{"statusCode": 200}`},
			IntegrationResponses: []*apigw.IntegrationResponse{{Key: "default", StatusCode: "200"}},
		},
	}
}

func restAPI(id, file string, paths ...string) *apigw.RestAPI {
	a := &apigw.RestAPI{ID: id, Name: id + " API", Source: apigw.Pos{File: file, Line: 1, Col: 1}}
	for _, p := range paths {
		a.Resources = append(a.Resources, &apigw.Resource{Path: p, Methods: map[string]*apigw.Method{"GET": mockMethod("GET"), "post": mockMethod("POST")}})
	}
	return a
}

func TestCompileTwoAPIs(t *testing.T) {
	inputs := []Input{
		{API: restAPI("Pets", "pets.yaml", "/pets", "/pets/{petId}"), Stages: []apigw.Stage{
			{Name: "dev", Variables: map[string]string{"a": "1"}, LoggingLevel: "INFO", DataTraceEnabled: true, AccessLogFormat: "clf"},
			{Name: "prod", LoggingLevel: "error", Debug: true},
		}},
		{API: restAPI("orders", "orders.yaml", "/orders"), Stages: []apigw.Stage{{Name: "v1", AccessLogFormat: "json"}}},
	}
	snap, warns, err := Compile(inputs, &pipeline.Backend{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %+v", warns)
	}
	var ids []string
	for _, a := range snap.APIs {
		ids = append(ids, a.ID)
	}
	if diff := cmp.Diff([]string{"Pets", "orders"}, ids); diff != "" {
		t.Errorf("API ids (-want +got):\n%s", diff)
	}
	if snap.Single() != nil {
		t.Errorf("Single() = %v with two APIs, want nil", snap.Single().ID)
	}

	t.Run("ByID", func(t *testing.T) {
		for _, tc := range []struct {
			id, want string
			ok       bool
		}{
			{"Pets", "Pets", true}, {"pets", "Pets", true}, {"PETS", "Pets", true},
			{"orders", "orders", true}, {"nope", "", false}, {"", "", false},
		} {
			a, ok := snap.ByID(tc.id)
			got := ""
			if a != nil {
				got = a.ID
			}
			if ok != tc.ok || got != tc.want {
				t.Errorf("ByID(%q) = %q, %v; want %q, %v", tc.id, got, ok, tc.want, tc.ok)
			}
		}
	})

	t.Run("stages", func(t *testing.T) {
		pets, _ := snap.ByID("pets")
		type stage struct {
			Vars      map[string]string
			Log       exec.LogOptions
			AccessLog bool
			Debug     bool
		}
		got := map[string]stage{}
		for name, s := range pets.Stages {
			if s.Name != name {
				t.Errorf("stage %q has Name %q", name, s.Name)
			}
			got[name] = stage{s.Variables, s.Log, s.AccessLog != nil, s.Debug}
		}
		want := map[string]stage{
			"dev":  {map[string]string{"a": "1"}, exec.LogOptions{Level: exec.LevelInfo, DataTrace: true}, true, false},
			"prod": {map[string]string{}, exec.LogOptions{Level: exec.LevelError}, false, true},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("stages (-want +got):\n%s", diff)
		}
		if !pets.Debug {
			t.Error("API Debug is false although stage prod has debug on")
		}
		orders, _ := snap.ByID("orders")
		if orders.Debug {
			t.Error("orders Debug is true without a debug stage")
		}
		if orders.Stages["v1"].Log.Level != exec.LevelOff {
			t.Errorf("empty loggingLevel compiled to %v, want OFF", orders.Stages["v1"].Log.Level)
		}
	})

	t.Run("routes", func(t *testing.T) {
		pets, _ := snap.ByID("Pets")
		for _, tc := range []struct {
			verb, path, resource string
			found                bool
		}{
			{"GET", "/pets", "/pets", true},
			{"POST", "/pets/7", "/pets/{petId}", true},
			{"DELETE", "/pets", "/pets", false},
			{"GET", "/orders", "", false},
		} {
			res := pets.Router.Match(tc.verb, tc.path)
			if res.Found != tc.found || (tc.found && (res.Resource != tc.resource || res.Value == nil || res.Value.HTTPMethod != tc.verb)) {
				t.Errorf("Match(%s %s) = found %v on %q; want found %v on %q", tc.verb, tc.path, res.Found, res.Resource, tc.found, tc.resource)
			}
		}
		var verbs []string
		for v := range pets.Resources["/pets"] {
			verbs = append(verbs, v)
		}
		if diff := cmp.Diff([]string{"GET", "POST"}, verbs, cmpSorted); diff != "" {
			t.Errorf("Resources[/pets] verbs (-want +got):\n%s", diff)
		}
		if pets.Responses == nil {
			t.Error("no compiled gateway responses")
		}
	})
}

var cmpSorted = cmp.Transformer("sort", func(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
})

func TestCompileSingle(t *testing.T) {
	snap, _, err := Compile([]Input{{API: restAPI("only", "only.yaml", "/"), Stages: []apigw.Stage{{Name: "dev"}}}}, &pipeline.Backend{})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Single() == nil || snap.Single().ID != "only" {
		t.Errorf("Single() = %v, want the only API", snap.Single())
	}
}

func compileErr(t *testing.T, inputs []Input) *CompileError {
	t.Helper()
	snap, _, err := Compile(inputs, &pipeline.Backend{})
	if err == nil {
		t.Fatalf("Compile succeeded with %d APIs, want an error", len(snap.APIs))
	}
	if snap != nil {
		t.Errorf("Compile returned a snapshot with its error")
	}
	var ce *CompileError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %T %v, want *CompileError", err, err)
	}
	return ce
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name   string
		inputs []Input
		want   string
	}{
		{
			"duplicate id (case-insensitive)",
			[]Input{
				{API: restAPI("pets", "a.yaml", "/a"), Stages: []apigw.Stage{{Name: "dev"}}},
				{API: restAPI("Pets", "b.yaml", "/b"), Stages: []apigw.Stage{{Name: "dev"}}},
			},
			"b.yaml:1:1: error: API id Pets is used twice; fix: give each API a distinct id in archway.yaml",
		},
		{
			"bad loggingLevel names the stage",
			[]Input{{API: restAPI("pets", "pets.yaml", "/a"), Stages: []apigw.Stage{{Name: "dev"}, {Name: "prod", LoggingLevel: "DEBUG"}}}},
			`pets.yaml:1:1: error: stage prod: loggingLevel "DEBUG"; fix: use OFF, ERROR or INFO`,
		},
		{
			"invalid resource path",
			[]Input{{API: restAPI("pets", "pets.yaml", "pets"), Stages: []apigw.Stage{{Name: "dev"}}}},
			`pets.yaml:1:1: error: resource path "pets": does not start with /; write resource paths as /a/{b}; fix: fix the resource path`,
		},
		{
			"resource defined twice",
			[]Input{{API: restAPI("pets", "pets.yaml", "/a", "/a"), Stages: []apigw.Stage{{Name: "dev"}}}},
			`pets.yaml:1:1: error: resource path "/a": is defined twice; merge the two definitions of this resource; fix: fix the resource path`,
		},
		{
			"bad gateway response",
			[]Input{{API: func() *apigw.RestAPI {
				a := restAPI("pets", "pets.yaml", "/a")
				a.GatewayResponses = map[apigw.GatewayResponseType]*apigw.GatewayResponse{apigw.Unauthorized: {StatusCode: "abc"}}
				return a
			}(), Stages: []apigw.Stage{{Name: "dev"}}}},
			`pets.yaml:1:1: error: gateway response UNAUTHORIZED: statusCode "abc" is not an HTTP status (100-599); fix: fix x-amazon-apigateway-gateway-responses`,
		},
		{
			"errors of several APIs are all listed",
			[]Input{
				{API: restAPI("a", "a.yaml", "x"), Stages: []apigw.Stage{{Name: "dev"}}},
				{API: restAPI("b", "b.yaml", "/b"), Stages: []apigw.Stage{{Name: "dev", LoggingLevel: "TRACE"}}},
			},
			`a.yaml:1:1: error: resource path "x": does not start with /; write resource paths as /a/{b}; fix: fix the resource path` + "\n" +
				`b.yaml:1:1: error: stage dev: loggingLevel "TRACE"; fix: use OFF, ERROR or INFO`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ce := compileErr(t, tc.inputs)
			if got := ce.Error(); got != tc.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, tc.want)
			}
			for _, p := range ce.Problems {
				if !p.Err {
					t.Errorf("problem %q in a CompileError is not an error", p.Message)
				}
			}
		})
	}
}

func TestCompileMethodProblems(t *testing.T) {
	a := restAPI("pets", "pets.yaml", "/a")
	m := a.Resources[0].Methods["GET"]
	m.Source = apigw.Pos{File: "pets.yaml", Line: 12, Col: 7}
	m.Integration.IntegrationResponses = append(m.Integration.IntegrationResponses, &apigw.IntegrationResponse{Key: "4\\d{2}", SelectionPattern: "4\\d{2}", StatusCode: "4xx"})
	ce := compileErr(t, []Input{{API: a, Stages: []apigw.Stage{{Name: "dev"}}}})
	want := `pets.yaml:12:7: error: integration response "4\\d{2}" has statusCode "4xx"; fix: set statusCode to an HTTP status such as "200"`
	if got := ce.Error(); got != want {
		t.Errorf("error:\n%s\nwant:\n%s", got, want)
	}
}

func TestCompileWarnings(t *testing.T) {
	a := restAPI("pets", "pets.yaml", "/a")
	a.Resources[0].Methods["GET"].Integration = &apigw.Integration{Type: "aws_proxy", URI: "arn:aws:apigateway:us-east-1:lambda:path/f", Source: apigw.Pos{File: "pets.yaml", Line: 9}}
	snap, warns, err := Compile([]Input{{API: a, Stages: []apigw.Stage{{Name: "dev"}}}}, &pipeline.Backend{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if len(warns) != 1 || warns[0].Err || warns[0].Pos.String() != "pets.yaml:9" || !strings.Contains(warns[0].Message, "integration type aws_proxy is loaded but not served yet") {
		t.Fatalf("warnings = %+v, want one for aws_proxy at pets.yaml:9", warns)
	}
	api := snap.Single()
	if f := api.Resources["/a"]["GET"].Fail; f == nil || f.Cause != "INTEGRATION_NOT_SERVED" {
		t.Errorf("Fail = %v, want INTEGRATION_NOT_SERVED", f)
	}
}

func TestCompileNothing(t *testing.T) {
	snap, _, err := Compile(nil, &pipeline.Backend{})
	if err == nil || err.Error() != "no API to serve" || snap != nil {
		t.Errorf("Compile(nil) = %v, %v; want no API to serve", snap, err)
	}
	var ce *CompileError
	if errors.As(err, &ce) {
		t.Error("an empty input is not a CompileError")
	}
}

func TestAccessLogFormat(t *testing.T) {
	tests := []struct{ in, want string }{
		{"clf", CLFFormat},
		{"CLF", CLFFormat},
		{" clf\n", CLFFormat},
		{"json", JSONFormat},
		{"JSON", JSONFormat},
		{"", ""},
		{"  ", "  "},
		{"$context.requestId $context.status", "$context.requestId $context.status"},
		{" $context.requestId ", " $context.requestId "},
		{"clf2", "clf2"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := AccessLogFormat(tc.in); got != tc.want {
				t.Errorf("AccessLogFormat(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// vars answers every $context name with "<name>" so that the rendered
// presets show exactly which names they use.
type vars struct{}

func (vars) Context(n string) string          { return "<" + n + ">" }
func (vars) StageVariable(n string) string    { return "<sv:" + n + ">" }
func (vars) MethodRequest(l, n string) string { return "" }

func TestAccessLogPresetsRender(t *testing.T) {
	tests := []struct{ format, want string }{
		{"clf", `<identity.sourceIp> <identity.caller> <identity.user> [<requestTime>] "<httpMethod> <resourcePath> <protocol>" <status> <responseLength> <requestId>`},
		{"json", `{"requestId":"<requestId>","ip":"<identity.sourceIp>","requestTime":"<requestTime>","httpMethod":"<httpMethod>","resourcePath":"<resourcePath>","path":"<path>","status":"<status>","protocol":"<protocol>","responseLength":"<responseLength>","responseLatency":"<responseLatency>","integrationLatency":"<integrationLatency>","integrationStatus":"<integrationStatus>","errorResponseType":"<error.responseType>","errorMessage":"<error.message>","integrationErrorMessage":"<integrationErrorMessage>","cause":"<archway.cause>"}`},
		{"$context.requestId $stageVariables.v", "<requestId> <sv:v>"},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			snap, _, err := Compile([]Input{{API: restAPI("p", "p.yaml", "/"), Stages: []apigw.Stage{{Name: "dev", AccessLogFormat: tc.format}}}}, &pipeline.Backend{})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			snap.Single().Stages["dev"].AccessLog.Render(&b, vars{})
			if got := b.String(); got != tc.want {
				t.Errorf("rendered:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestCLFRendersDashForMissingIdentity(t *testing.T) {
	snap, _, err := Compile([]Input{{API: restAPI("p", "p.yaml", "/"), Stages: []apigw.Stage{{Name: "dev", AccessLogFormat: "clf"}}}}, &pipeline.Backend{})
	if err != nil {
		t.Fatal(err)
	}
	x := &pipeline.Exchange{
		Req:   httptest.NewRequest("GET", "/dev/", nil),
		Rec:   &exec.Record{RequestID: "r-1", Stage: "dev", HTTPMethod: "GET", ResourcePath: "/", Protocol: "HTTP/1.1", SourceIP: "127.0.0.1", Status: 200, ResponseLength: 2, Start: time.Date(2024, 3, 5, 9, 7, 3, 0, time.UTC)},
		APIID: "p",
		Stage: &snap.Single().Stages["dev"].Stage,
	}
	var b strings.Builder
	snap.Single().Stages["dev"].AccessLog.Render(&b, x)
	want := `127.0.0.1 - - [05/Mar/2024:09:07:03 +0000] "GET / HTTP/1.1" 200 2 r-1`
	if b.String() != want {
		t.Errorf("clf line = %q, want %q", b.String(), want)
	}
}
