package web

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/doctor"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPages(t *testing.T) {
	h := Handler(Options{})
	for _, tc := range []struct {
		name, path string
		status     int
		want       []string // substrings of the page
		script     string   // the page's own script, if any
	}{
		{"overview", "/", 200, []string{`data-page="overview"`, `id="c-count"`, `id="c-errors"`, `id="c-latency"`, `id="causes"`}, "/static/overview.js"},
		{"requests", "/requests", 200, []string{`data-page="requests"`, `name="cause"`, `name="status"`, `name="from"`}, "/static/requests.js"},
		{"request", "/requests/abc-123", 200, []string{`data-id="abc-123"`, `id="timeline"`, `id="log"`}, "/static/request.js"},
		{"request id is escaped", "/requests/%3Cscript%3E", 200, []string{`data-id="&lt;script&gt;"`}, "/static/request.js"},
		{"invoke", "/invoke", 200, []string{`id="invoke"`, `name="route"`, `name="method"`, `name="path"`, `name="query"`, `name="headers"`, `name="body"`}, "/static/invoke.js"},
		{"doctor without checks", "/doctor", 200, []string{"archway doctor FILE_OR_DIR", `data-available="false"`}, ""},
		{"causes", "/causes", 200, []string{`href="/causes/UPSTREAM_CONNECT_REFUSED"`, `href="/causes/INTERNAL_ERROR"`}, ""},
		{"cause", "/causes/UPSTREAM_CONNECT_REFUSED", 200, []string{`href="/requests?cause=UPSTREAM_CONNECT_REFUSED"`, "docs/causes.md#upstream-connect-refused"}, ""},
		{"cause in lower case", "/causes/upstream_connect_refused", 200, []string{"<code>UPSTREAM_CONNECT_REFUSED</code>"}, ""},
		{"unknown cause", "/causes/NO_SUCH", 404, []string{"No cause is called <code>NO_SUCH</code>"}, ""},
		{"unknown page", "/nope", 404, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := get(t, h, tc.path)
			b := body(t, resp)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.status, b)
			}
			for _, w := range tc.want {
				if !strings.Contains(b, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if tc.status == 404 && len(tc.want) == 0 {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
			if rp := resp.Header.Get("Referrer-Policy"); rp != "no-referrer" {
				t.Errorf("Referrer-Policy %q", rp)
			}
			if tc.script != "" && !strings.Contains(b, `<script src="`+tc.script+`">`) {
				t.Errorf("page does not load %s", tc.script)
			}
			if strings.Contains(b, "<script>") {
				t.Error("inline script: the Content-Security-Policy forbids it")
			}
		})
	}
}

// TestAssets checks that every script and stylesheet a page names is
// embedded and served with its type.
func TestAssets(t *testing.T) {
	h := Handler(Options{Doctor: func(context.Context) ([]doctor.Finding, error) { return nil, nil }})
	seen := map[string]bool{}
	for name := range pages {
		path := "/"
		switch name {
		case "overview":
		case "request":
			path = "/requests/x"
		case "cause":
			path = "/causes/INTERNAL_ERROR"
		default:
			path = "/" + name
		}
		b := body(t, get(t, h, path))
		for _, attr := range []string{`src="/static/`, `href="/static/`} {
			for rest := b; ; {
				i := strings.Index(rest, attr)
				if i < 0 {
					break
				}
				rest = rest[i+len(attr)-len("/static/"):]
				seen[rest[:strings.IndexByte(rest, '"')]] = true
				rest = rest[1:]
			}
		}
	}
	want := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}
	for _, p := range []string{"/static/app.js", "/static/overview.js", "/static/requests.js", "/static/request.js", "/static/invoke.js", "/static/doctor.js", "/static/app.css", "/static/favicon.svg"} {
		if !seen[p] {
			t.Errorf("no page references %s", p)
		}
	}
	for p := range seen {
		t.Run(p, func(t *testing.T) {
			resp := get(t, h, p)
			b := body(t, resp)
			if resp.StatusCode != 200 || len(b) == 0 {
				t.Fatalf("status %d, %d bytes", resp.StatusCode, len(b))
			}
			if ct := resp.Header.Get("Content-Type"); ct != want[filepath.Ext(p)] {
				t.Errorf("Content-Type %q, want %q", ct, want[filepath.Ext(p)])
			}
		})
	}
}

// TestGolden pins the rendered page shells that depend on nothing but the
// templates (the cause pages follow the catalog, which others edit).
func TestGolden(t *testing.T) {
	h := Handler(Options{})
	for _, tc := range []struct{ name, path string }{
		{"requests", "/requests"},
		{"invoke", "/invoke"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := body(t, get(t, h, tc.path))
			golden := filepath.Join("testdata", tc.name+".html")
			if *update {
				if err := os.WriteFile(golden, []byte(b), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b != string(want) {
				t.Errorf("page differs from %s (go test ./web -update rewrites it):\n%s", golden, b)
			}
		})
	}
}

func TestInlineCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain <b>", "plain &lt;b&gt;"},
		{"run `archway doctor` now", "run <code>archway doctor</code> now"},
		{"`a<b` and `c`", "<code>a&lt;b</code> and <code>c</code>"},
		{"odd ` tick", "odd ` tick"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := string(inlineCode(tc.in)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCauseViews checks every catalog entry renders with the client status
// of its gateway response type and the catalog's own text.
func TestCauseViews(t *testing.T) {
	h := Handler(Options{})
	for _, c := range diag.Catalog() {
		t.Run(string(c.Cause), func(t *testing.T) {
			v := viewOf(c)
			if v.Status < 400 || v.Status > 599 {
				t.Errorf("status %d", v.Status)
			}
			if c.Status == 0 {
				info, _ := apigw.LookupGatewayResponseType(c.ResponseType)
				if info.DefaultStatus != "" && !strings.HasPrefix(info.DefaultStatus, itoa(v.Status)) {
					t.Errorf("status %d, gateway response %s defaults to %s", v.Status, c.ResponseType, info.DefaultStatus)
				}
			}
			b := body(t, get(t, h, "/causes/"+string(c.Cause)))
			for _, s := range []string{c.Meaning, c.Fix} {
				if !strings.Contains(b, string(inlineCode(s))) {
					t.Errorf("page lacks %q", s)
				}
			}
		})
	}
}

func TestCausesJSON(t *testing.T) {
	resp := get(t, Handler(Options{}), "/api/causes")
	var d struct {
		Causes []struct {
			Code, Meaning, Fix string
			Status             int
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if len(d.Causes) != len(diag.Catalog()) {
		t.Fatalf("%d causes, catalog has %d", len(d.Causes), len(diag.Catalog()))
	}
	for i, c := range diag.Catalog() {
		if d.Causes[i].Code != string(c.Cause) || d.Causes[i].Fix != c.Fix {
			t.Errorf("entry %d: %+v, want %s", i, d.Causes[i], c.Cause)
		}
	}
}

func TestDoctorEndpoint(t *testing.T) {
	finding := doctor.Finding{
		Check: "integration-timeout", Severity: doctor.Error,
		Pos:    apigw.Pos{File: "api.yaml", Line: 12, Col: 7},
		Object: "GET /slow", What: "the integration times out before the function does",
		AWS:   doctor.Answer{Status: 504, Body: `{"message": "Endpoint request timed out"}`},
		Cause: diag.IntegrationTimeout, Fix: "raise timeoutInMillis",
	}
	for _, tc := range []struct {
		name   string
		run    func(context.Context) ([]doctor.Finding, error)
		status int
		want   string
	}{
		{"not wired", nil, http.StatusNotImplemented, "archway doctor FILE_OR_DIR"},
		{"findings", func(context.Context) ([]doctor.Finding, error) { return []doctor.Finding{finding}, nil }, 200, `"position": "api.yaml:12:7"`},
		{"none", func(context.Context) ([]doctor.Finding, error) { return nil, nil }, 200, `"findings": []`},
		{"failure", func(context.Context) ([]doctor.Finding, error) { return nil, errors.New("boom") }, 500, "the doctor failed: boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := Handler(Options{Doctor: tc.run, Logger: slog.New(slog.DiscardHandler)})
			resp := get(t, h, "/api/doctor")
			b := body(t, resp)
			if resp.StatusCode != tc.status || !strings.Contains(b, tc.want) {
				t.Fatalf("status %d body %s; want %d with %q", resp.StatusCode, b, tc.status, tc.want)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			page := body(t, get(t, h, "/doctor"))
			if wired := tc.run != nil; strings.Contains(page, `data-available="true"`) != wired {
				t.Errorf("doctor page availability should be %v", wired)
			}
		})
	}
}

func TestMethods(t *testing.T) {
	srv := httptest.NewServer(Handler(Options{}))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d, want 405", resp.StatusCode)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}
