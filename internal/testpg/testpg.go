// Package testpg starts a real PostgreSQL server for tests: initdb into a
// temporary directory, postgres on a free loopback port, stopped when the
// test ends. ARCHWAY_TEST_POSTGRES, when set to a connection URL, uses that
// server instead (each NewDB still creates a fresh database on it).
package testpg

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// EnvURL names the variable pointing the tests at an existing server.
const EnvURL = "ARCHWAY_TEST_POSTGRES"

// Server is one PostgreSQL server.
type Server struct {
	// URL connects to the server's maintenance database as a superuser.
	URL string
	// Own is true when the harness started the server (so Stop may be used).
	Own bool

	cmd  *exec.Cmd
	done chan struct{}
	dir  string
	n    atomic.Int64
}

// binDir finds initdb and postgres: on PATH, else under
// /usr/lib/postgresql/*/bin (Debian's layout), newest version first.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("postgres"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	best, bestV := "", -1
	for _, d := range dirs {
		v, err := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		if err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil && v > bestV {
			best, bestV = d, v
		}
	}
	if best == "" {
		return "", errors.New("initdb and postgres are not installed (apt-get install postgresql)")
	}
	return best, nil
}

// skipOrFail skips when the binaries are missing outside CI, and fails in
// CI, where .ci/run installs them.
func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("postgres: %v", err)
	}
	t.Skipf("postgres: %v", err)
}

// Start returns a server for the test: the one named by ARCHWAY_TEST_POSTGRES,
// or a new one stopped at cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return &Server{URL: u}
	}
	bin, err := binDir()
	if err != nil {
		skipOrFail(t, err)
	}
	s, err := start(t, bin)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	return s
}

// credential returns the uid/gid postgres runs as: the current user, or,
// when that is root (postgres refuses to run as root), the "postgres" user,
// else "nobody".
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 == nil && err2 == nil {
			return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
		}
	}
	return nil, errors.New("running as root and neither a postgres nor a nobody user exists to run the server as")
}

func start(t testing.TB, bin string) (*Server, error) {
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	if cred != nil {
		// t.TempDir and its parent are 0700 root: let the server's user in.
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				return nil, fmt.Errorf("chmod %s: %w", d, err)
			}
		}
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("chown %s: %w", dir, err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "postgres.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=50", "-c", "shared_buffers=32MB")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	s := &Server{
		URL:  fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
		Own:  true,
		cmd:  cmd,
		done: make(chan struct{}),
		dir:  dir,
	}
	go func() { cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	if err := s.waitReady(30 * time.Second); err != nil {
		s.Stop()
		log, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	return s, nil
}

func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		db, err := sql.Open("pgx", s.URL)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err = db.PingContext(ctx)
			cancel()
			db.Close()
			if err == nil {
				return nil
			}
		}
		select {
		case <-s.done:
			return errors.New("postgres exited while starting")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %v: %w", limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop shuts the server down (fast shutdown) and waits for it; it is a
// no-op for a server the harness did not start, or one already stopped.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// NewDB creates a fresh database and returns its URL; it is dropped at
// cleanup when the server outlives it.
func (s *Server) NewDB(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("archway_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, s.n.Add(1))
	db, err := sql.Open("pgx", s.URL)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("postgres: create database: %v", err)
	}
	t.Cleanup(func() {
		select {
		case <-s.done:
			return
		default:
		}
		if db, err := sql.Open("pgx", s.URL); err == nil {
			db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			db.Close()
		}
	})
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatalf("postgres: url %q: %v", s.URL, err)
	}
	u.Path = "/" + name
	return u.String()
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return strconv.Atoi(strings.TrimSpace(p))
}
