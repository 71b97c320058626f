package doctor

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/lambda"
	"github.com/archway-gw/archway/internal/openapi"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// loadCase reads testdata/NAME/archway.yaml the way `archway doctor DIR`
// does: each API imported (nil when the import has errors), its stages,
// the functions with their timeouts and permissions, the lambda settings.
func loadCase(t *testing.T, name string) Input {
	t.Helper()
	cfg, err := config.Load(filepath.Join("testdata", name, config.FileName))
	if err != nil {
		t.Fatal(err)
	}
	var in Input
	for _, a := range cfg.APIs {
		api, diags, err := openapi.ImportFile(a.Definition, openapi.Options{Vars: a.Vars})
		if err != nil {
			t.Fatal(err)
		}
		d := Definition{File: a.Definition}
		if !openapi.HasErrors(diags) {
			d.API = api
			if a.ID != "" {
				api.ID = a.ID
			}
		}
		for _, s := range a.Stages {
			d.Stages = append(d.Stages, apigw.Stage{Name: s.Name, Variables: s.Variables})
		}
		if len(d.Stages) == 0 {
			d.Stages = []apigw.Stage{{Name: "dev"}}
		}
		in.Definitions = append(in.Definitions, d)
	}
	for _, f := range cfg.Functions {
		fn := lambda.Function{Name: f.Name, Timeout: time.Duration(f.Timeout)}
		for _, p := range f.Permissions {
			fn.Permissions = append(fn.Permissions, lambda.Permission{StatementID: p.StatementID, Principal: p.Principal, Action: p.Action, SourceARN: p.SourceARN, SourceAccount: p.SourceAccount})
		}
		in.Functions = append(in.Functions, fn)
	}
	in.StrictPermissions = cfg.Lambda.StrictPermissions
	in.RemoteLambda = cfg.Lambda.Endpoint
	return in
}

// golden compares got with testdata/NAME/want.txt (rewritten with -update).
func golden(t *testing.T, name, file string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name, file)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// TestChecks runs the static checks on one crafted definition per check and
// compares the text output with a golden file. checks lists the check ids
// that must (and alone may) report at least one finding of severity sev.
func TestChecks(t *testing.T) {
	cases := []struct {
		name   string
		checks map[string]Severity
	}{
		{"timeout", map[string]Severity{"integration-timeout": Warning}},
		{"templates", map[string]Severity{"template-parse": Error, "template-model": Warning}},
		{"method-response", map[string]Severity{"method-response": Error}},
		{"lambda-function", map[string]Severity{"lambda-function": Error}},
		{"lambda-permission", map[string]Severity{"lambda-permission": Error}},
		{"authorizer", map[string]Severity{"authorizer": Error}},
		{"authorizer-ttl", map[string]Severity{"authorizer": Error}},
		{"stage-variable", map[string]Severity{"stage-variable": Error}},
		{"clean", map[string]Severity{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := Check(loadCase(t, tc.name))
			seen := map[string]Severity{}
			for _, f := range fs {
				if _, ok := tc.checks[f.Check]; !ok {
					t.Errorf("unexpected finding of check %s: %s", f.Check, f)
				}
				if f.Severity.rank() < seen[f.Check].rank() || seen[f.Check] == "" {
					seen[f.Check] = f.Severity
				}
				if f.Pos.Line == 0 || !strings.HasPrefix(f.Pos.File, filepath.Join("testdata", tc.name)) {
					t.Errorf("finding without a file:line in the case: %s", f)
				}
				if f.Fix == "" || f.What == "" || f.Object == "" {
					t.Errorf("finding lacks what, object or fix: %s", f)
				}
				if f.Severity == Error && f.AWS.String() == "" {
					t.Errorf("error finding does not say what AWS answers: %s", f)
				}
			}
			for check, sev := range tc.checks {
				if seen[check] != sev {
					t.Errorf("check %s: worst severity %q, want %q", check, seen[check], sev)
				}
			}
			var buf bytes.Buffer
			if err := WriteText(&buf, fs); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, "want.txt", buf.Bytes())
		})
	}
}

// TestAnswerUsesGatewayResponses checks that the predicted answer is the
// API's own customised gateway response, not a fixed string.
func TestAnswerUsesGatewayResponses(t *testing.T) {
	fs := Check(loadCase(t, "method-response"))
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range fs {
		if f.AWS.Status != 503 || !strings.Contains(f.AWS.Body, `"type": "API_CONFIGURATION_ERROR"`) {
			t.Errorf("answer %q ignores the customised API_CONFIGURATION_ERROR response", f.AWS)
		}
	}
	def := Check(loadCase(t, "lambda-function"))
	for _, f := range def {
		if f.AWS.Status != 500 || f.AWS.Body != `{"message": "Internal server error"}` || f.AWS.ErrorType != "InternalServerErrorException" {
			t.Errorf("default answer = %+v", f.AWS)
		}
	}
}

// TestRemoteLambda checks that functions not declared locally are not
// reported when a remote Lambda endpoint serves them.
func TestRemoteLambda(t *testing.T) {
	in := loadCase(t, "lambda-function")
	in.RemoteLambda = "http://127.0.0.1:9001"
	for _, f := range Check(in) {
		if f.Check == "lambda-function" && strings.Contains(f.What, "not among") {
			t.Errorf("reported with a remote endpoint: %s", f)
		}
	}
}

// TestPermissiveWithoutStrict checks that functions without permissions
// are not reported when strict mode is off.
func TestPermissiveWithoutStrict(t *testing.T) {
	in := loadCase(t, "lambda-permission")
	in.StrictPermissions = false
	var objs []string
	for _, f := range Check(in) {
		objs = append(objs, f.Object)
	}
	want := []string{"POST /pets", "GET /orders (stage prod)"}
	if diff := cmp.Diff(want, objs); diff != "" {
		t.Errorf("findings without strict mode (-want +got):\n%s", diff)
	}
}

func TestWriteJSON(t *testing.T) {
	fs := Check(loadCase(t, "stage-variable"))
	var buf bytes.Buffer
	if err := WriteJSON(&buf, fs); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Findings []struct {
			Check, Severity, Object, Message, Fix, Cause, File, Position string
			Line, Col                                                    int
			AWS                                                          Answer
		}
		Summary Counts
	}
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out.Summary != Count(fs) || len(out.Findings) != len(fs) {
		t.Fatalf("summary %+v for %d findings", out.Summary, len(out.Findings))
	}
	for i, f := range out.Findings {
		if f.Position != fs[i].Pos.String() || f.Line != fs[i].Pos.Line || f.Cause != string(fs[i].Cause) || f.AWS != fs[i].AWS {
			t.Errorf("finding %d: %+v does not carry %s", i, f, fs[i])
		}
	}
	golden(t, "stage-variable", "want.json", buf.Bytes())
}

func TestMergeDropsDuplicates(t *testing.T) {
	check := Finding{Check: "method-response", Severity: Error, Pos: apigw.Pos{File: "a.yaml", Line: 3, Col: 5}}
	dup := Finding{Check: "definition", Severity: Warning, Pos: apigw.Pos{File: "a.yaml", Line: 3, Col: 5}}
	other := Finding{Check: "definition", Severity: Warning, Pos: apigw.Pos{File: "a.yaml", Line: 1, Col: 1}}
	got := Merge([]Finding{dup, other}, []Finding{check})
	if len(got) != 2 || got[0].Pos.Line != 1 || got[1].Check != "method-response" {
		t.Errorf("Merge = %+v", got)
	}
}

// TestThrottles compares observed rates with the throttle settings of
// testdata/throttle/archway.yaml: a method above its own limit, a method
// below the stage default, a method with throttling off, a whole-stage
// rate, and a stage with no throttle.
func TestThrottles(t *testing.T) {
	cfgPath := filepath.Join("testdata", "throttle", config.FileName)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	in := loadCase(t, "throttle")
	in.ConfigFile = cfgPath
	limits := map[string]map[string]StageLimits{"limited": {}}
	for _, s := range cfg.APIs[0].Stages {
		limits["limited"][s.Name] = StageLimits{Throttle: s.Throttle, MethodSettings: s.MethodSettings}
	}
	observed, err := ParseObservedRPS([]string{
		"prod:/pets/POST=12",   // above its 5/s
		"prod:/pets/GET=40",    // below the stage's 50/s
		"prod:/health/GET=900", // throttling off
		"prod=60",              // the stage total: above the 50/s default and the 5/s entry
		"dev:/pets/GET=1000",   // no throttle on dev
	})
	if err != nil {
		t.Fatal(err)
	}
	fs := CheckThrottles(in, limits, observed)
	for _, f := range fs {
		if f.Check != "throttle" || f.Cause != "THROTTLED_STAGE" || f.AWS.Status != 429 || f.AWS.Body != `{"message":"Too Many Requests"}` {
			t.Errorf("finding %s", f)
		}
	}
	var buf bytes.Buffer
	if err := WriteText(&buf, fs); err != nil {
		t.Fatal(err)
	}
	golden(t, "throttle", "want.txt", buf.Bytes())
	if _, err := ParseObservedRPS([]string{"prod=fast"}); err == nil {
		t.Error("ParseObservedRPS accepted a rate that is not a number")
	}
}

// TestSeveralAPIsNameTheAPI checks that with several definitions each
// finding's object says which API it is about.
func TestSeveralAPIsNameTheAPI(t *testing.T) {
	a, b := loadCase(t, "timeout"), loadCase(t, "lambda-function")
	in := Input{Definitions: append(a.Definitions, b.Definitions...), Functions: append(a.Functions, b.Functions...)}
	fs := Check(in)
	if len(fs) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range fs {
		want := "API fns "
		if strings.Contains(f.Pos.File, "timeout") {
			want = "API timeouts "
		}
		if !strings.HasPrefix(f.Object, want) {
			t.Errorf("object %q does not start with %q", f.Object, want)
		}
	}
}
