// Package httpx holds the HTTP plumbing shared by the HTTP and HTTP_PROXY
// integrations: a pooled keep-alive transport tuned for a gateway, and
// Classify, which turns a transport or body-read error into a diag.Error with
// a stable cause code.
package httpx

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"time"
)

// Transport defaults; see the fields of TransportOptions.
const (
	DefaultDialTimeout         = 10 * time.Second
	DefaultTLSHandshakeTimeout = 10 * time.Second
	DefaultKeepAlive           = 30 * time.Second
	DefaultIdleConnTimeout     = 90 * time.Second
	DefaultMaxIdleConnsPerHost = 256
	DefaultExpectContinue      = 1 * time.Second
)

// TransportOptions configures NewTransport. The zero value is a valid,
// production-ready configuration; every field documents its default.
//
// The overall integration timeout (timeoutInMillis) is not a transport
// setting: callers put it on the request's context, so that it bounds the
// connect, the wait for headers and the body read alike, and Classify can
// tell it apart from the dial timeout.
type TransportOptions struct {
	// DialTimeout bounds opening one TCP connection (DNS lookup included).
	// When it fires before the integration deadline the failure is
	// UPSTREAM_CONNECT_TIMEOUT. Default 10s (DefaultDialTimeout).
	DialTimeout time.Duration

	// TLSHandshakeTimeout bounds the TLS handshake after the TCP connection
	// is open. Default 10s (DefaultTLSHandshakeTimeout).
	TLSHandshakeTimeout time.Duration

	// KeepAlive is the TCP keep-alive probe interval of backend connections.
	// Default 30s (DefaultKeepAlive); negative disables probes.
	KeepAlive time.Duration

	// IdleConnTimeout is how long an idle pooled connection is kept before it
	// is closed. Backends should keep idle connections open longer than this.
	// Default 90s (DefaultIdleConnTimeout).
	IdleConnTimeout time.Duration

	// MaxIdleConnsPerHost is the number of idle connections kept per backend
	// host:port. Default 256 (DefaultMaxIdleConnsPerHost), far above
	// net/http's 2, which would make a busy gateway reconnect constantly.
	MaxIdleConnsPerHost int

	// MaxIdleConns caps idle connections across all backends. Default 0: no
	// cap beyond MaxIdleConnsPerHost.
	MaxIdleConns int

	// MaxConnsPerHost caps connections (idle, active and dialing) per backend;
	// requests over the cap wait for a connection. Default 0: no cap.
	MaxConnsPerHost int

	// InsecureSkipVerify disables verification of backend certificates (chain,
	// expiry and host name): AWS's tlsConfig.insecureSkipVerification.
	// Default false.
	InsecureSkipVerify bool

	// RootCAs is the set of CAs trusted for backend certificates, for private
	// CAs and tests. Default nil: the host's system roots.
	RootCAs *x509.CertPool
}

// NewTransport returns a pooled keep-alive HTTP/1.1 transport for backend
// calls. It never uses an environment proxy, never negotiates HTTP/2, and
// never adds Accept-Encoding or decompresses, so bodies pass through
// byte-for-byte; TLS is 1.2 or later.
func NewTransport(opts TransportOptions) *http.Transport {
	opts = opts.withDefaults()
	dialer := &net.Dialer{Timeout: opts.DialTimeout, KeepAlive: opts.KeepAlive}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           dialContext(dialer),
		TLSClientConfig:       opts.tlsConfig(),
		TLSHandshakeTimeout:   opts.TLSHandshakeTimeout,
		DisableCompression:    true,
		MaxIdleConns:          opts.MaxIdleConns,
		MaxIdleConnsPerHost:   opts.MaxIdleConnsPerHost,
		MaxConnsPerHost:       opts.MaxConnsPerHost,
		IdleConnTimeout:       opts.IdleConnTimeout,
		ExpectContinueTimeout: DefaultExpectContinue,
		ForceAttemptHTTP2:     false,
		Protocols:             protocols,
	}
}

func (o TransportOptions) withDefaults() TransportOptions {
	if o.DialTimeout <= 0 {
		o.DialTimeout = DefaultDialTimeout
	}
	if o.TLSHandshakeTimeout <= 0 {
		o.TLSHandshakeTimeout = DefaultTLSHandshakeTimeout
	}
	if o.KeepAlive == 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	if o.IdleConnTimeout <= 0 {
		o.IdleConnTimeout = DefaultIdleConnTimeout
	}
	if o.MaxIdleConnsPerHost <= 0 {
		o.MaxIdleConnsPerHost = DefaultMaxIdleConnsPerHost
	}
	return o
}

func (o TransportOptions) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		RootCAs:            o.RootCAs,
		InsecureSkipVerify: o.InsecureSkipVerify, //nolint:gosec // opt-in, mirrors AWS insecureSkipVerification
		ClientSessionCache: tls.NewLRUClientSessionCache(0),
	}
}
