package httpx

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/testcert"
)

// transportSettings are the NewTransport settings the tests pin.
type transportSettings struct {
	MaxIdleConnsPerHost, MaxIdleConns, MaxConnsPerHost int
	IdleConnTimeout, TLSHandshakeTimeout               time.Duration
	DisableCompression, ForceAttemptHTTP2, HTTP2       bool
	ProxySet                                           bool
	MinVersion                                         uint16
	InsecureSkipVerify, RootCAsSet                     bool
}

func settingsOf(tr *http.Transport) transportSettings {
	return transportSettings{
		MaxIdleConnsPerHost: tr.MaxIdleConnsPerHost,
		MaxIdleConns:        tr.MaxIdleConns,
		MaxConnsPerHost:     tr.MaxConnsPerHost,
		IdleConnTimeout:     tr.IdleConnTimeout,
		TLSHandshakeTimeout: tr.TLSHandshakeTimeout,
		DisableCompression:  tr.DisableCompression,
		ForceAttemptHTTP2:   tr.ForceAttemptHTTP2,
		HTTP2:               tr.Protocols.HTTP2(),
		ProxySet:            tr.Proxy != nil,
		MinVersion:          tr.TLSClientConfig.MinVersion,
		InsecureSkipVerify:  tr.TLSClientConfig.InsecureSkipVerify,
		RootCAsSet:          tr.TLSClientConfig.RootCAs != nil,
	}
}

func TestNewTransportSettings(t *testing.T) {
	t.Parallel()
	defaults := transportSettings{
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		DisableCompression:  true,
		MinVersion:          tls.VersionTLS12,
	}
	custom := defaults
	custom.MaxIdleConnsPerHost, custom.MaxIdleConns, custom.MaxConnsPerHost = 8, 64, 16
	custom.IdleConnTimeout, custom.TLSHandshakeTimeout = time.Second, 2*time.Second
	custom.InsecureSkipVerify, custom.RootCAsSet = true, true

	tests := []struct {
		name string
		opts TransportOptions
		want transportSettings
	}{
		{"zero value uses defaults", TransportOptions{}, defaults},
		{"options override defaults", TransportOptions{
			MaxIdleConnsPerHost: 8, MaxIdleConns: 64, MaxConnsPerHost: 16,
			IdleConnTimeout: time.Second, TLSHandshakeTimeout: 2 * time.Second,
			InsecureSkipVerify: true, RootCAs: testcert.NewCA(t).Pool,
		}, custom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, settingsOf(NewTransport(tc.opts))); diff != "" {
				t.Errorf("NewTransport settings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTransportReusesConnections sends sequential requests through one
// transport and counts the connections the server accepted.
func TestTransportReusesConnections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		start func(*httptest.Server)
		opts  func(*httptest.Server) TransportOptions
	}{
		{"http", (*httptest.Server).Start, func(*httptest.Server) TransportOptions { return TransportOptions{} }},
		{"https with RootCAs", (*httptest.Server).StartTLS, func(s *httptest.Server) TransportOptions {
			return TransportOptions{RootCAs: s.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}
		}},
		{"https with InsecureSkipVerify", (*httptest.Server).StartTLS, func(*httptest.Server) TransportOptions {
			return TransportOptions{InsecureSkipVerify: true}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var conns atomic.Int32
			srv := httptest.NewUnstartedServer(okHandler)
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			tc.start(srv)
			defer srv.Close()
			tr := NewTransport(tc.opts(srv))
			defer tr.CloseIdleConnections()

			for i := range 5 {
				if _, err := get(t.Context(), tr, srv.URL); err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
			}
			if got := conns.Load(); got != 1 {
				t.Errorf("server accepted %d connections for 5 sequential requests, want 1", got)
			}
		})
	}
}

// TestTransportPassesBodiesThrough checks that the transport neither asks
// for compression nor decodes a compressed body, and speaks HTTP/1.1.
func TestTransportPassesBodiesThrough(t *testing.T) {
	t.Parallel()
	const gz = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff\x01\x00\x00\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00"
	seen := make(chan [2]string, 1) // Accept-Encoding and protocol of the request
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- [2]string{r.Header.Get("Accept-Encoding"), r.Proto}
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = io.WriteString(w, gz)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	tr := NewTransport(TransportOptions{InsecureSkipVerify: true})
	defer tr.CloseIdleConnections()

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	req2 := <-seen
	got := struct{ AcceptEncoding, Proto, Body string }{req2[0], req2[1], string(body)}
	want := struct{ AcceptEncoding, Proto, Body string }{"", "HTTP/1.1", gz}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pass-through (-want +got):\n%s", diff)
	}
}

func BenchmarkRoundTrip(b *testing.B) {
	srv := httptest.NewServer(okHandler)
	defer srv.Close()
	tr := NewTransport(TransportOptions{})
	defer tr.CloseIdleConnections()

	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, srv.URL, nil)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
}
