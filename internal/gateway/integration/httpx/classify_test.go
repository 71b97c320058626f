package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/testcert"
	"github.com/archway-gw/archway/internal/testnet"
)

// classCase provokes one failure class against a real backend.
type classCase struct {
	name string
	// setup starts the backend and returns the URL to call and the
	// transport options to call it with.
	setup func(t *testing.T) (string, TransportOptions)
	// deadline is the integration timeout; default 5s, a bound only.
	deadline time.Duration
	want     diag.Cause
	// detail, when set, must appear in the detail.
	detail string
}

// shortDeadline is the integration timeout of the timeout cases.
const shortDeadline = 200 * time.Millisecond

func TestClassifyRealBackends(t *testing.T) {
	t.Parallel()
	for _, tc := range classCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rawURL, opts := tc.setup(t)
			deadline := tc.deadline
			if deadline == 0 {
				deadline = 5 * time.Second
			}
			ctx, cancel := context.WithTimeout(t.Context(), deadline)
			defer cancel()
			tr := NewTransport(opts)
			defer tr.CloseIdleConnections()

			req, err := get(ctx, tr, rawURL)
			if err == nil {
				t.Fatalf("GET %s succeeded, want %s", rawURL, tc.want)
			}
			got := Classify(ctx, err)
			if got.Cause != tc.want || got.Phase != diag.PhaseIntegration {
				t.Fatalf("Classify(%v) = %s/%s, want %s/%s (detail %q)", err, got.Phase, got.Cause, diag.PhaseIntegration, tc.want, got.Detail)
			}
			if !errors.Is(got, err) {
				t.Errorf("Classify result does not wrap %v", err)
			}
			named := ClassifyRequest(ctx, req, err)
			if named.Cause != tc.want || !strings.Contains(named.Detail, req.URL.Host) {
				t.Errorf("ClassifyRequest = %s %q, want %s naming %s", named.Cause, named.Detail, tc.want, req.URL.Host)
			}
			if !strings.Contains(named.Detail, tc.detail) {
				t.Errorf("detail %q does not contain %q", named.Detail, tc.detail)
			}
			t.Logf("%s: %s", got.Cause, named.Detail)
		})
	}
}

// get calls rawURL through tr like an integration does and reads the whole
// body; the error is the first one from either step.
func get(ctx context.Context, tr http.RoundTripper, rawURL string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return req, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return req, err
}

func classCases() []classCase {
	return []classCase{
		{name: "refused/closed listener", want: diag.UpstreamConnectRefused, detail: "refused", setup: closedPort},
		{name: "dns/name under .invalid", want: diag.UpstreamDNSFailure, detail: "does not resolve", setup: func(*testing.T) (string, TransportOptions) {
			return "http://archway-backend.invalid/", TransportOptions{}
		}},
		{name: "connect timeout/dial timeout before deadline", want: diag.UpstreamConnectTimeout, detail: "dial timeout", setup: func(t *testing.T) (string, TransportOptions) {
			return "http://" + testnet.UnansweredAddr(t) + "/", TransportOptions{DialTimeout: 100 * time.Millisecond}
		}},
		{name: "integration timeout/during connect", deadline: shortDeadline, want: diag.IntegrationTimeout, setup: func(t *testing.T) (string, TransportOptions) {
			return "http://" + testnet.UnansweredAddr(t) + "/", TransportOptions{}
		}},
		{name: "integration timeout/before headers", deadline: shortDeadline, want: diag.IntegrationTimeout, setup: stallBeforeHeaders},
		{name: "integration timeout/mid-body", deadline: shortDeadline, want: diag.IntegrationTimeout, setup: stallMidBody},
		{name: "reset/closed without answering", want: diag.UpstreamReset, setup: rawURL(reply(""))},
		{name: "reset/partial headers", want: diag.UpstreamReset, setup: rawURL(reply("HTTP/1.1 200 OK\r\nContent-Type: text/pl"))},
		{name: "reset/partial body", want: diag.UpstreamReset, setup: rawURL(reply("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part"))},
		{name: "reset/partial chunked body", want: diag.UpstreamReset, setup: rawURL(reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"))},
		{name: "reset/RST with SO_LINGER 0", want: diag.UpstreamReset, detail: "reset", setup: rawURL(resetAfterRequest)},
		{name: "bad response/garbage", want: diag.UpstreamBadResponse, detail: "malformed HTTP response", setup: rawURL(reply("garbage\r\n\r\n"))},
		{name: "bad response/malformed status code", want: diag.UpstreamBadResponse, setup: rawURL(reply("HTTP/1.1 2x0 OK\r\n\r\n"))},
		{name: "bad response/malformed header line", want: diag.UpstreamBadResponse, setup: rawURL(reply("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n"))},
		{name: "bad response/bad Content-Length", want: diag.UpstreamBadResponse, setup: rawURL(reply("HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n"))},
		{name: "bad response/TLS alert on http URI", want: diag.UpstreamBadResponse, detail: "https", setup: rawURL(reply("\x15\x03\x03\x00\x02\x02\x46"))},
		{name: "tls untrusted/httptest certificate", want: diag.UpstreamTLSUntrusted, setup: func(t *testing.T) (string, TransportOptions) {
			return newTLSServer(t, okHandler, nil).URL, TransportOptions{}
		}},
		{name: "tls expired/trusted CA", want: diag.UpstreamTLSExpired, detail: "expired", setup: expiredCert},
		{name: "tls hostname/certificate for another host", want: diag.UpstreamTLSHostname, setup: otherHostCert},
		{name: "tls handshake/server offers only TLS 1.1", want: diag.UpstreamTLSHandshake, detail: "protocol version", setup: func(t *testing.T) (string, TransportOptions) {
			srv := newTLSServer(t, okHandler, &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
			return srv.URL, TransportOptions{InsecureSkipVerify: true}
		}},
		{name: "tls handshake/https URI on plain-HTTP server", want: diag.UpstreamTLSHandshake, setup: func(t *testing.T) (string, TransportOptions) {
			srv, _ := newHTTPServer(t, okHandler)
			return strings.Replace(srv.URL, "http://", "https://", 1), TransportOptions{}
		}},
		{name: "tls handshake/no ServerHello within handshake timeout", want: diag.UpstreamTLSHandshake, detail: "TLS handshake timeout", setup: func(t *testing.T) (string, TransportOptions) {
			addr := rawServer(t, func(*net.TCPConn) {}) // accepts, never answers
			return "https://" + addr + "/", TransportOptions{TLSHandshakeTimeout: 100 * time.Millisecond}
		}},
		{name: "internal/unsupported scheme", want: diag.InternalError, setup: func(*testing.T) (string, TransportOptions) {
			return "ftp://127.0.0.1/", TransportOptions{}
		}},
	}
}

func closedPort(t *testing.T) (string, TransportOptions) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr + "/", TransportOptions{}
}

func rawURL(handle func(c *net.TCPConn)) func(t *testing.T) (string, TransportOptions) {
	return func(t *testing.T) (string, TransportOptions) {
		return "http://" + rawServer(t, handle) + "/", TransportOptions{}
	}
}

func resetAfterRequest(c *net.TCPConn) {
	readRequest(c)
	_ = c.SetLinger(0)
	_ = c.Close()
}

func stallBeforeHeaders(t *testing.T) (string, TransportOptions) {
	srv, release := newHTTPServer(t, nil)
	srv.Config.Handler = http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	return srv.URL, TransportOptions{}
}

func stallMidBody(t *testing.T) (string, TransportOptions) {
	srv, release := newHTTPServer(t, nil)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = io.WriteString(w, "the first part")
		http.NewResponseController(w).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	return srv.URL, TransportOptions{}
}

func expiredCert(t *testing.T) (string, TransportOptions) {
	ca := testcert.NewCA(t)
	cert := ca.Leaf(t, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	srv := newTLSServer(t, okHandler, &tls.Config{Certificates: []tls.Certificate{cert}})
	return srv.URL, TransportOptions{RootCAs: ca.Pool}
}

func otherHostCert(t *testing.T) (string, TransportOptions) {
	ca := testcert.NewCA(t)
	cert := ca.Leaf(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), "other.example")
	srv := newTLSServer(t, okHandler, &tls.Config{Certificates: []tls.Certificate{cert}})
	return srv.URL, TransportOptions{RootCAs: ca.Pool}
}

// TestClassifyErrors covers errors the test machine cannot produce on
// demand (unreachable networks, DNS timeouts) and the edges of Classify.
func TestClassifyErrors(t *testing.T) {
	t.Parallel()
	dialErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 443},
			Err: os.NewSyscallError("connect", errno)}
	}
	expired, cancelExpired := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancelExpired()
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	existing := diag.New(diag.PhaseIntegration, diag.UpstreamReset, "already classified")

	tests := []struct {
		name   string
		ctx    context.Context
		err    error
		want   diag.Cause
		detail string
	}{
		{"network unreachable", t.Context(), dialErr(syscall.ENETUNREACH), diag.UpstreamConnectRefused, "10.1.2.3:443 is unreachable"},
		{"no route to host", t.Context(), dialErr(syscall.EHOSTUNREACH), diag.UpstreamConnectRefused, "unreachable"},
		{"refused after deadline", expired, dialErr(syscall.ECONNREFUSED), diag.UpstreamConnectRefused, "refused"},
		{"DNS timeout before deadline", t.Context(), &net.DNSError{Err: "i/o timeout", Name: "api.example", IsTimeout: true}, diag.UpstreamDNSFailure, "api.example"},
		{"DNS timeout at deadline", expired, &net.DNSError{Err: "i/o timeout", Name: "api.example", IsTimeout: true}, diag.IntegrationTimeout, "api.example"},
		{"reset at deadline", expired, io.ErrUnexpectedEOF, diag.IntegrationTimeout, "integration timeout"},
		{"body read deadline error", expired, context.DeadlineExceeded, diag.IntegrationTimeout, "the backend did not answer"},
		{"client went away", canceled, context.Canceled, diag.InternalError, "cancelled"},
		{"nil context", nil, io.ErrUnexpectedEOF, diag.UpstreamReset, ""},
		{"already classified", t.Context(), existing, diag.UpstreamReset, "already classified"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Classify(tc.ctx, tc.err)
			if got.Cause != tc.want || !strings.Contains(got.Detail, tc.detail) {
				t.Errorf("Classify(%v) = %s %q, want %s containing %q", tc.err, got.Cause, got.Detail, tc.want, tc.detail)
			}
		})
	}
	if got := Classify(t.Context(), nil); got != nil {
		t.Errorf("Classify(nil) = %v, want nil", got)
	}
}
