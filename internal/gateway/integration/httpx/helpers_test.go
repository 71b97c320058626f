package httpx

import (
	"bufio"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	_, _ = io.WriteString(w, "ok")
})

// newTLSServer starts an httptest TLS server with config cfg (its own
// certificate when cfg has none) and a silenced error log: the handshake
// failures the tests provoke are expected.
func newTLSServer(t *testing.T, h http.Handler, cfg *tls.Config) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// newHTTPServer starts an httptest server whose handlers are released, if
// they block on the returned channel, before the server closes.
func newHTTPServer(t *testing.T, h http.Handler) (*httptest.Server, <-chan struct{}) {
	t.Helper()
	srv := httptest.NewServer(h)
	release := make(chan struct{})
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	return srv, release
}

// rawServer serves each accepted TCP connection with handle, which owns the
// connection. It returns the listener's address.
func rawServer(t *testing.T, handle func(c *net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() {
		close(done)
		_ = ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				handle(c.(*net.TCPConn))
				<-done // keep the connection for handlers that return early
				_ = c.Close()
			})
		}
	})
	return ln.Addr().String()
}

// readRequest reads the request head, so that closing the connection later
// sends a FIN rather than an RST for unread data.
func readRequest(c net.Conn) {
	_, _ = http.ReadRequest(bufio.NewReader(c))
}

// reply returns a raw handler that reads the request, writes raw and closes.
func reply(raw string) func(c *net.TCPConn) {
	return func(c *net.TCPConn) {
		readRequest(c)
		_, _ = io.WriteString(c, raw)
		_ = c.Close()
	}
}
