package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium; .ci/run installs it.
const chromiumPath = "/usr/bin/chromium"

// screensDir is where the browser tests save a screenshot of each page:
// $ARCHWAY_SCREENSHOTS, or test/e2e/testdata/screens (git-ignored).
func screensDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ARCHWAY_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "screens")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser starts a headless Chromium with a fresh profile and returns a
// tab's context.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("%s not installed (apt-get install chromium); CI=1 makes this a failure", chromiumPath)
		}
		t.Fatalf("%s not installed: .ci/run installs it", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The first run starts the browser; it lives as long as ctx, not as the
	// per-step deadlines.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromiumPath, err)
	}
	// Script exceptions, console errors and the browser's own error log
	// (Content-Security-Policy violations, failed loads) fail the test,
	// except the 401 of the page that asks for the token.
	var mu sync.Mutex
	var problems []string
	chromedp.Listen(ctx, func(ev any) {
		var p string
		switch e := ev.(type) {
		case *cdpruntime.EventExceptionThrown:
			d := e.ExceptionDetails
			p = fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, d.Text)
			if d.Exception != nil {
				p += " " + d.Exception.Description
			}
		case *cdpruntime.EventConsoleAPICalled:
			if e.Type == cdpruntime.ConsoleAPICalledTypeError || e.Type == cdpruntime.ConsoleAPICalledTypeAssert {
				p = "console." + string(e.Type)
				for _, a := range e.Args {
					p += " " + a.Description + string(a.Value)
				}
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError && !strings.Contains(e.Entry.Text, "401") {
				p = fmt.Sprintf("browser log: %s (%s)", e.Entry.Text, e.Entry.URL)
			}
		}
		if p != "" {
			mu.Lock()
			problems = append(problems, p)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			t.Errorf("in the browser: %s", p)
		}
	})
	return ctx
}

// step runs browser actions with a deadline, failing the test with what
// the page shows when they do not complete.
func step(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.querySelector("#status")||{}).textContent + "\n" + document.body.innerText`))
		t.Fatalf("%s: %v\npage:\n%s", what, err, body)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// waitJS waits until a JavaScript expression is truthy. It polls from Go,
// so it survives the navigations a click starts (chromedp.Poll does not).
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		var last error
		for {
			ok, err := chromedp.Evaluate[bool]("!!("+expr+")")(ctx, t)
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			if err != nil {
				last = err
			}
			select {
			case <-ctx.Done():
				if last != nil {
					return chromedp.Void{}, fmt.Errorf("waiting for %s: %w (last error: %v)", expr, ctx.Err(), last)
				}
				return chromedp.Void{}, fmt.Errorf("waiting for %s: %w", expr, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// js runs a script for its effect.
func js(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[any](expr)(ctx, t)
		return chromedp.Void{}, err
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(screensDir(t), name+".png")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s", path)
}

const dashboardAPI = `openapi: 3.0.1
info: {title: dashboard-e2e, version: "1"}
paths:
  /pets:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: ${backend}/pets
  /pets/{petId}:
    get:
      parameters:
        - {name: petId, in: path, required: true, schema: {type: string}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: ${backend}/pets/{petId}
        requestParameters:
          integration.request.path.petId: method.request.path.petId
  /down:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: http://${refused}/down
  /unset:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: http://${stageVariables.nowhere}/x
`

// TestDashboard drives the dashboard in Chromium against the built binary
// with a real backend: the overview shows a 5XX the test produced, with its
// cause, and it updates as more requests arrive; the explorer finds the
// request; its page shows the execution log; the test-invoke form runs a
// method; the doctor page lists a static finding.
func TestDashboard(t *testing.T) {
	ctx := browser(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Backend", "pets")
		fmt.Fprintf(w, `{"path":%q,"pets":["rex","tom"]}`, r.URL.Path)
	}))
	t.Cleanup(backend.Close)
	refused := freeAddr(t) // nothing listens there: connections are refused
	// A directory with archway.yaml, so the request store lives in its
	// data directory (dir/.archway), not in the working directory.
	dir := t.TempDir()
	api := strings.NewReplacer("${backend}", backend.URL, "${refused}", refused).Replace(dashboardAPI)
	if err := os.WriteFile(filepath.Join(dir, "api.yaml"), []byte(api), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := "apis:\n  - id: dashapi\n    definition: api.yaml\n    stages:\n      - name: dev\n        debug: true\n"
	if err := os.WriteFile(filepath.Join(dir, "archway.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	const token = "dashboard-e2e-token"
	t.Setenv("ARCHWAY_ADMIN_TOKEN", token)
	adminAddr := freeAddr(t)
	p := serve(t, dir, "--admin-listen", adminAddr)
	admin := "http://" + adminAddr
	waitHealthy(t, admin)
	gw := p.base + "/dev"

	// Traffic: successes and a 5XX from the refused backend.
	for i := 0; i < 3; i++ {
		if r := do(t, "GET", gw+"/pets", ""); r.status != 200 {
			t.Fatalf("GET /pets: %d %s", r.status, r.body)
		}
	}
	down := do(t, "GET", gw+"/down", "")
	if down.status != 500 || down.header.Get("x-archway-cause") != "UPSTREAM_CONNECT_REFUSED" {
		t.Fatalf("GET /down: %d %s cause %q", down.status, down.body, down.header.Get("x-archway-cause"))
	}
	downID := down.header.Get("x-amzn-RequestId")

	// Without the token the admin listener turns the browser away.
	if r := do(t, "GET", admin+"/", ""); r.status != 401 {
		t.Fatalf("dashboard without a token: %d", r.status)
	}

	t.Run("overview", func(t *testing.T) {
		step(t, ctx, "be asked for the token",
			chromedp.Navigate(admin+"/"),
			chromedp.WaitVisible(chromedp.CSS(`#login input[name=token]`)),
		)
		screenshot(t, ctx, "login")
		step(t, ctx, "give the token and load the overview",
			chromedp.SendKeys(chromedp.CSS(`#login input[name=token]`), token),
			chromedp.Submit(chromedp.CSS(`#login form`)),
			waitJS(`location.pathname === "/" && location.search === "" && document.body.dataset.page === "overview"`),
			waitJS(`document.querySelector('#causes tr[data-cause="UPSTREAM_CONNECT_REFUSED"]')`),
			chromedp.WaitVisible(chromedp.CSS(`#c-count svg rect[data-series="5XX"]`)),
		)
		if got := text(t, ctx, "#t-5xx"); got == "–" || got == "0.0%" {
			t.Errorf("5XX rate tile shows %q after a 5XX", got)
		}
		if got := text(t, ctx, "#t-count"); got == "–" || got == "0" {
			t.Errorf("request count tile shows %q", got)
		}
		countCell := `#causes tr[data-cause="UPSTREAM_CONNECT_REFUSED"] td.num`
		before := text(t, ctx, countCell)
		screenshot(t, ctx, "overview")

		// Live: two more failures show up without reloading the page.
		for i := 0; i < 2; i++ {
			do(t, "GET", gw+"/down", "")
		}
		var want int
		fmt.Sscan(before, &want)
		want += 2
		step(t, ctx, "see the new failures arrive",
			waitJS(fmt.Sprintf(`(document.querySelector(%q)||{}).textContent === "%d"`, countCell, want)))
	})

	t.Run("explorer", func(t *testing.T) {
		step(t, ctx, "follow the cause to its requests",
			chromedp.Click(chromedp.CSS(`#causes tr[data-cause="UPSTREAM_CONNECT_REFUSED"] a.requests-link`)),
			waitJS(`location.pathname === "/requests" && new URLSearchParams(location.search).get("cause") === "UPSTREAM_CONNECT_REFUSED"`),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#results tr[data-id=%q]`, downID))),
		)
		rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#results tbody tr.row")).map(r => r.dataset.status + " " + r.dataset.cause)`))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 {
			t.Errorf("explorer filtered by cause shows %d rows, want the 3 failures: %v", len(rows), rows)
		}
		for _, r := range rows {
			if r != "500 UPSTREAM_CONNECT_REFUSED" {
				t.Errorf("row %q", r)
			}
		}
		screenshot(t, ctx, "requests")

		// The status filter finds the successes and not the failure.
		step(t, ctx, "filter by status class",
			chromedp.Navigate(admin+"/requests?status=2xx"),
			chromedp.WaitVisible(chromedp.CSS(`#results tr.row[data-status="200"]`)),
		)
		if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#results tr.row:not([data-status="200"])').length`)); n != 0 {
			t.Errorf("status=2xx shows %d rows that are not 200", n)
		}
	})

	t.Run("request", func(t *testing.T) {
		step(t, ctx, "open the failed request",
			chromedp.Navigate(admin+"/requests?cause=UPSTREAM_CONNECT_REFUSED"),
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`#results tr[data-id=%q] a`, downID))),
			waitJS(fmt.Sprintf(`location.pathname === "/requests/%s"`, downID)),
			waitJS(`document.body.dataset.loaded === "1"`),
			chromedp.WaitVisible(chromedp.CSS(`#timeline svg rect[data-phase]`)),
		)
		log := text(t, ctx, "#log")
		for _, want := range []string{
			"Starting execution for request: " + downID,
			"Endpoint request URI: http://" + refused + "/down",
			"Execution failed due to a network error communicating with endpoint",
			"Method completed with status: 500",
		} {
			if !strings.Contains(log, want) {
				t.Errorf("execution log lacks %q:\n%s", want, log)
			}
		}
		if got := text(t, ctx, "#cause-link"); got != "UPSTREAM_CONNECT_REFUSED" {
			t.Errorf("cause %q", got)
		}
		if got := text(t, ctx, "#cause-fix"); !strings.Contains(got, "backend") {
			t.Errorf("fix %q", got)
		}
		screenshot(t, ctx, "request")

		step(t, ctx, "follow the cause to its fix",
			chromedp.Click(chromedp.CSS("#cause-link")),
			waitJS(`location.pathname === "/causes/UPSTREAM_CONNECT_REFUSED"`),
			chromedp.WaitVisible(chromedp.CSS(".fix")),
		)
		screenshot(t, ctx, "cause")
	})

	t.Run("test invoke", func(t *testing.T) {
		step(t, ctx, "fill and send the form",
			chromedp.Navigate(admin+"/invoke"),
			waitJS(`document.body.dataset.ready === "1"`),
			chromedp.SetValue(chromedp.CSS(`select[name=route]`), "GET /pets/{petId}"),
			js(`document.querySelector("select[name=route]").dispatchEvent(new Event("change"))`),
			chromedp.SetValue(chromedp.CSS(`input[name=path]`), "/pets/42"),
			chromedp.SetValue(chromedp.CSS(`input[name=query]`), "color=brown"),
			chromedp.SetValue(chromedp.CSS(`textarea[name=headers]`), "X-Test: dashboard"),
			chromedp.Click(chromedp.CSS(`#invoke button[type=submit]`)),
			waitJS(`document.body.dataset.invoked === "1"`),
		)
		if got := text(t, ctx, "#r-status"); got != "200" {
			t.Errorf("status %q", got)
		}
		if got := text(t, ctx, "#r-body"); got != `{"path":"/pets/42","pets":["rex","tom"]}` {
			t.Errorf("body %q", got)
		}
		if got := text(t, ctx, "#r-headers"); !strings.Contains(got, "X-Backend: pets") {
			t.Errorf("headers %q", got)
		}
		if got := text(t, ctx, "#r-latency"); !strings.HasSuffix(got, " ms") && !strings.HasSuffix(got, " s") {
			t.Errorf("latency %q", got)
		}
		log := text(t, ctx, "#r-log")
		for _, want := range []string{"Method request path: {petId=42}", "Method request query string: {color=brown}", "Method completed with status: 200"} {
			if !strings.Contains(log, want) {
				t.Errorf("log lacks %q:\n%s", want, log)
			}
		}
		screenshot(t, ctx, "invoke")

		// "Re-run in test invoke" on the failed request fills the form.
		step(t, ctx, "re-run the failed request",
			chromedp.Navigate(admin+"/requests/"+downID),
			waitJS(`document.body.dataset.loaded === "1"`),
			chromedp.Click(chromedp.CSS("#rerun")),
			waitJS(`location.pathname === "/invoke" && document.body.dataset.ready === "1"`),
		)
		if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`input[name=path]`))); got != "/down" {
			t.Errorf("re-run path %q, want /down", got)
		}
		step(t, ctx, "invoke the failing method",
			chromedp.Click(chromedp.CSS(`#invoke button[type=submit]`)),
			waitJS(`document.body.dataset.invoked === "1"`),
		)
		if got := text(t, ctx, "#r-status"); got != "500" {
			t.Errorf("status %q", got)
		}
		if got := text(t, ctx, "#r-cause"); !strings.Contains(got, "UPSTREAM_CONNECT_REFUSED") {
			t.Errorf("cause %q", got)
		}
	})

	t.Run("doctor", func(t *testing.T) {
		step(t, ctx, "load the doctor's findings",
			chromedp.Navigate(admin+"/doctor"),
			waitJS(`document.body.dataset.loaded === "1"`),
			chromedp.WaitVisible(chromedp.CSS(`#findings tr[data-check="stage-variable"]`)),
		)
		row := text(t, ctx, `#findings tr[data-check="stage-variable"]`)
		if !strings.Contains(row, "INVALID_ENDPOINT") || !strings.Contains(row, "nowhere") {
			t.Errorf("finding row %q", row)
		}
		screenshot(t, ctx, "doctor")
	})
}

// waitHealthy waits until the admin listener answers /healthz.
func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("admin listener %s not healthy", base)
}
