// Package e2e drives the built archway binary the way a user does: real
// processes, real sockets, real HTTP backends.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "archway-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "archway")
	build := exec.Command("go", "build", "-o", binary, "../../cmd/archway")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building archway:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// shared is ../shared beside the repository.
var shared = filepath.Join("..", "..", "..", "shared")

// proc is a running archway serve.
type proc struct {
	cmd    *exec.Cmd
	base   string // http://addr
	mu     sync.Mutex
	stderr bytes.Buffer
	stdout bytes.Buffer
	done   chan error
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

var servingRE = regexp.MustCompile(`serving .* at (http://[^/ ]+)/`)

// serve starts `archway serve args...` on a free port and waits until it listens.
func serve(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{done: make(chan error, 1)}
	full := append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)
	for i, a := range full {
		// The process runs in a temporary directory, so that a default
		// data directory (.archway) never lands in the source tree:
		// relative paths that exist are made absolute first.
		if !filepath.IsAbs(a) && !strings.HasPrefix(a, "-") {
			if _, err := os.Stat(a); err == nil {
				if abs, err := filepath.Abs(a); err == nil {
					full[i] = abs
				}
			}
		}
	}
	p.cmd = exec.Command(binary, full...)
	p.cmd.Dir = t.TempDir()
	pr, pw := io.Pipe()
	p.cmd.Stderr = io.MultiWriter(pw, lockedWriter{&p.mu, &p.stderr})
	p.cmd.Stdout = lockedWriter{&p.mu, &p.stdout}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait(); pw.Close() }()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			if m := servingRE.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
	}()
	select {
	case p.base = <-found:
	case err := <-p.done:
		t.Fatalf("archway exited: %v\n%s", err, p.logs())
	case <-time.After(20 * time.Second):
		t.Fatalf("archway did not start:\n%s", p.logs())
	}
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func (p *proc) access() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

// waitLog waits until the execution log holds a line matching re.
func (p *proc) waitLog(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindString(p.logs()); m != "" {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no log line matching %s in:\n%s", re, p.logs())
	return ""
}

// writeFiles writes each file (name to content) into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// configDir writes api as api.yaml and cfg as archway.yaml into a new
// temporary directory and returns it.
func configDir(t *testing.T, api, cfg string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"api.yaml": api, "archway.yaml": cfg})
	return dir
}

type response struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url string, body string, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return send(t, req)
}

// send sends req and reads the whole response.
func send(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}
