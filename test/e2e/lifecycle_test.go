package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const mockDef = `openapi: "3.0.1"
info: {title: Lifecycle, version: "1"}
paths:
  /hello:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"version": "VERSION"}'}
`

func writeDef(t *testing.T, path, version string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Replace(mockDef, "VERSION", version, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func waitBody(t *testing.T, url, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		last = do(t, "GET", url, "").body
		if last == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("body %q, want %q", last, want)
}

func TestReload(t *testing.T) {
	dir := t.TempDir()
	def := filepath.Join(dir, "api.yaml")
	writeDef(t, def, "one")
	p := serve(t, def)
	url := p.base + "/dev/hello"
	waitBody(t, url, `{"version": "one"}`)

	t.Run("file change", func(t *testing.T) {
		writeDef(t, def, "two")
		future := time.Now().Add(2 * time.Second)
		os.Chtimes(def, future, future) // make the change visible to mtime polling at once
		waitBody(t, url, `{"version": "two"}`)
	})
	t.Run("broken edit keeps the old snapshot", func(t *testing.T) {
		os.WriteFile(def, []byte("openapi: 3.0.1\npaths:\n  /hello: [this is not: valid\n"), 0o644)
		future := time.Now().Add(4 * time.Second)
		os.Chtimes(def, future, future)
		p.waitLog(t, regexp.MustCompile(`reload failed; still serving the previous snapshot`))
		if r := do(t, "GET", url, ""); r.status != 200 || r.body != `{"version": "two"}` {
			t.Fatalf("after a broken edit: %d %q", r.status, r.body)
		}
	})
	t.Run("SIGHUP", func(t *testing.T) {
		writeDef(t, def, "three")
		future := time.Now().Add(6 * time.Second)
		os.Chtimes(def, future, future)
		p.cmd.Process.Signal(syscall.SIGHUP)
		waitBody(t, url, `{"version": "three"}`)
	})
}

func TestSIGTERMDrainsInFlight(t *testing.T) {
	started := make(chan struct{}, 1)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		time.Sleep(500 * time.Millisecond)
		w.Write([]byte(`{"slow":"done"}`))
	}))
	t.Cleanup(backend.Close)
	dir := t.TempDir()
	def := filepath.Join(dir, "api.yaml")
	os.WriteFile(def, []byte(`openapi: "3.0.1"
info: {title: Drain, version: "1"}
paths:
  /slow:
    get:
      x-amazon-apigateway-integration: {type: http_proxy, httpMethod: GET, uri: "`+backend.URL+`/"}
`), 0o644)
	p := serve(t, def)
	result := make(chan response, 1)
	go func() { result <- do(t, "GET", p.base+"/dev/slow", "") }()
	<-started
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := <-result
	if r.status != 200 || r.body != `{"slow":"done"}` {
		t.Fatalf("in-flight request got %d %q", r.status, r.body)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("archway exited with %v:\n%s", err, p.logs())
		}
		p.done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("archway did not exit after SIGTERM")
	}
}

func TestValidate(t *testing.T) {
	refs, _ := filepath.Glob(filepath.Join(shared, "reference", "openapi", "*.json"))
	if len(refs) == 0 {
		t.Fatal("no reference definitions found")
	}
	for _, f := range refs {
		t.Run("accepts "+filepath.Base(f), func(t *testing.T) {
			out, err := exec.Command(binary, "validate", f).CombinedOutput()
			if err != nil {
				t.Fatalf("validate %s: %v\n%s", f, err, out)
			}
		})
	}
	t.Run("reports file:line and fails", func(t *testing.T) {
		out, err := exec.Command(binary, "validate", filepath.Join("testdata", "broken.yaml")).CombinedOutput()
		if err == nil {
			t.Fatalf("validate succeeded on a broken definition:\n%s", out)
		}
		if n := strings.Count(string(out), "error: "); n != 2 {
			t.Errorf("want each of the 2 problems reported once, got %d:\n%s", n, out)
		}
		for _, want := range []string{"testdata/broken.yaml:7:7: error: ", "testdata/broken.yaml:21:11: error: "} {
			if !strings.Contains(string(out), want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
}

// TestExportRoundTrip exports AWS's PetStore sample in both formats and
// serves each export: what Archway exports it must load again unchanged.
func TestExportRoundTrip(t *testing.T) {
	def := filepath.Join(shared, "reference", "openapi", "aws-petstore.swagger.json")
	for _, format := range []string{"oas30", "swagger"} {
		t.Run(format, func(t *testing.T) {
			out, err := exec.Command(binary, "export", def, "--format", format, "--var", "uri=http://127.0.0.1:9/petstore/pets").Output()
			if err != nil {
				t.Fatalf("export: %v", err)
			}
			head := `"openapi": "3.0.1"`
			if format == "swagger" {
				head = `"swagger": "2.0"`
			}
			if !strings.Contains(string(out), head) || !strings.Contains(string(out), "x-amazon-apigateway-integration") {
				t.Fatalf("export lacks %s or the integrations:\n%.400s", head, out)
			}
			file := filepath.Join(t.TempDir(), "export.json")
			os.WriteFile(file, out, 0o644)
			p := serve(t, file)
			if r := do(t, "OPTIONS", p.base+"/dev/pets", ""); r.status != 200 || r.header.Get("Access-Control-Allow-Methods") != "POST,GET,OPTIONS" {
				t.Fatalf("exported API answers OPTIONS /pets with %d %v", r.status, r.header)
			}
		})
	}
}

// TestReloadUnderLoad rewrites the definition repeatedly while clients send
// requests: every request must get a complete 200 from one snapshot or the
// other, never an error.
func TestReloadUnderLoad(t *testing.T) {
	dir := t.TempDir()
	def := filepath.Join(dir, "api.yaml")
	writeDef(t, def, "v0")
	p := serve(t, def)
	url := p.base + "/dev/hello"
	waitBody(t, url, `{"version": "v0"}`)
	stop := make(chan struct{})
	errs := make(chan string, 100)
	var wg sync.WaitGroup
	var served atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := http.Get(url)
				if err != nil {
					errs <- err.Error()
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.HasPrefix(string(b), `{"version": "v`) {
					errs <- fmt.Sprintf("%d %s", resp.StatusCode, b)
					return
				}
				served.Add(1)
			}
		}()
	}
	for i := 1; i <= 5; i++ {
		writeDef(t, def, fmt.Sprintf("v%d", i))
		future := time.Now().Add(time.Duration(i) * 2 * time.Second)
		os.Chtimes(def, future, future)
		p.cmd.Process.Signal(syscall.SIGHUP)
		waitBody(t, url, fmt.Sprintf(`{"version": "v%d"}`, i))
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("a request failed during reloads: %s", e)
	}
	if served.Load() == 0 {
		t.Fatal("no request was served")
	}
}
