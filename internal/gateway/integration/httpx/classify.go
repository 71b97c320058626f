package httpx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"syscall"

	"github.com/archway-gw/archway/internal/diag"
)

// Classify maps an error returned by http.Transport.RoundTrip, http.Client.Do
// or by reading a response body to a diag.Error in phase integration. ctx
// must be the request's context: when its deadline (the integration timeout)
// has expired the failure is INTEGRATION_TIMEOUT, whether it struck during
// connect, while waiting for headers or while reading the body. Classify
// returns nil for a nil error and err itself when it already is a diag.Error.
//
// The detail names the backend when the error carries its address (dial,
// DNS and *url.Error errors do; body-read errors do not): use ClassifyRequest
// to always name it.
func Classify(ctx context.Context, err error) *diag.Error {
	return ClassifyRequest(ctx, nil, err)
}

// ClassifyRequest is Classify for an error of req: the detail names req's
// backend (scheme and host only, never the path or query, which may carry
// secrets) when the error itself does not.
func ClassifyRequest(ctx context.Context, req *http.Request, err error) *diag.Error {
	if err == nil {
		return nil
	}
	if d, ok := errors.AsType[*diag.Error](err); ok {
		return d
	}
	if ctx == nil {
		ctx = context.Background()
	}
	r := match(ctx, err)
	detail := fmt.Sprintf(r.what, backend(req, err)) + " (" + technical(err) + ")"
	return diag.Wrap(diag.PhaseIntegration, r.cause, err, detail)
}

// rule is one class of failure: the first rule whose match reports true
// names the cause. what is the plain-words detail; %s is the backend.
type rule struct {
	cause diag.Cause
	what  string
	match func(ctx context.Context, err error) bool
}

// rules are ordered: failures that a cancellation cannot produce (refused,
// certificate verdicts, unresolvable names, garbage) come before the
// integration deadline, and everything a cancelled or closed connection can
// look like (reset, EOF, handshake aborted) comes after it.
var rules = []rule{
	{diag.UpstreamTLSHostname, "the certificate of %s does not name the host in the integration URI", isTLSHostname},
	{diag.UpstreamTLSExpired, "the certificate of %s has expired or is not valid yet", isTLSExpired},
	{diag.UpstreamTLSUntrusted, "the certificate of %s is not issued by a trusted CA", isTLSUntrusted},
	{diag.UpstreamConnectRefused, "%s refused the TCP connection: nothing listens on that port", isRefused},
	// Unreachable networks and hosts answer at once (ICMP), like a refused
	// port, and have the same fix; they are not a connect timeout.
	{diag.UpstreamConnectRefused, "%s is unreachable: no route to the network or host", isUnreachable},
	{diag.UpstreamDNSFailure, "the host name of %s does not resolve", isDNSNotTimeout},
	{diag.UpstreamBadResponse, "%s answered with TLS: the integration URI says http:// but the port serves https", isTLSOnPlain},
	{diag.UpstreamBadResponse, "%s answered with something that is not an HTTP/1.x response", isBadResponse},
	{diag.IntegrationTimeout, "%s did not answer within the integration timeout", deadlineExpired},
	{diag.UpstreamDNSFailure, "the DNS lookup of the host name of %s timed out", isDNS},
	{diag.UpstreamConnectTimeout, "could not open a TCP connection to %s within the dial timeout", isDialTimeout},
	{diag.UpstreamTLSHandshake, "the TLS handshake with %s failed", isTLSHandshake},
	{diag.UpstreamReset, "%s closed or reset the connection before the response was complete", isReset},
	{diag.IntegrationTimeout, "%s did not answer in time", isTimeout},
}

var internalRule = rule{diag.InternalError, "calling %s failed unexpectedly", nil}

func match(ctx context.Context, err error) rule {
	for _, r := range rules {
		if r.match(ctx, err) {
			return r
		}
	}
	if errors.Is(err, context.Canceled) {
		return rule{diag.InternalError, "the call to %s was cancelled before it completed (the client went away or the gateway is shutting down)", nil}
	}
	return internalRule
}

func isTLSHostname(_ context.Context, err error) bool {
	_, ok := errors.AsType[x509.HostnameError](err)
	return ok
}

func isTLSExpired(_ context.Context, err error) bool {
	e, ok := errors.AsType[x509.CertificateInvalidError](err)
	return ok && e.Reason == x509.Expired
}

// isTLSUntrusted covers every other verification verdict: an unknown or
// unusable issuer, missing system roots, or a chain that does not validate.
func isTLSUntrusted(_ context.Context, err error) bool {
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.SystemRootsError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.CertificateInvalidError](err); ok {
		return true
	}
	_, ok := errors.AsType[*tls.CertificateVerificationError](err)
	return ok
}

func isRefused(_ context.Context, err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

func isUnreachable(_ context.Context, err error) bool {
	return errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH)
}

func isDNS(_ context.Context, err error) bool {
	_, ok := errors.AsType[*net.DNSError](err)
	return ok
}

func isDNSNotTimeout(_ context.Context, err error) bool {
	e, ok := errors.AsType[*net.DNSError](err)
	return ok && !e.IsTimeout
}

// badResponseMarkers are texts of net/http's response-parsing errors. net/http
// builds them with errors.New or fmt.Errorf (badStringError, the chunked
// reader, unsupportedTEError) and exports no type or sentinel for them, so
// matching the text is the only way to tell them apart.
var badResponseMarkers = []string{
	"malformed HTTP",                   // response line, status code or version
	"server response headers exceeded", // header block over MaxResponseHeaderBytes
	"Content-Length",                   // bad, empty or repeated Content-Length
	"transfer encoding",                // unsupported transfer encoding(s)
	"chunked encoding",                 // malformed chunked body
	"chunked line",                     // bare LF or CR in a chunk line
	"chunk length",                     // bad chunk size
	"railer key",                       // invalid Trailer key, bad trailer key
	"suspiciously long trailer",        // trailer over the size limit
	"header line too long",             // chunk line over the size limit
}

func isBadResponse(_ context.Context, err error) bool {
	if _, ok := errors.AsType[textproto.ProtocolError](err); ok {
		return true // malformed MIME header line
	}
	return containsAny(err.Error(), badResponseMarkers)
}

func isTLSOnPlain(_ context.Context, err error) bool {
	return errors.Is(err, ErrTLSOnPlainHTTP)
}

func deadlineExpired(ctx context.Context, _ error) bool {
	return errors.Is(ctx.Err(), context.DeadlineExceeded)
}

func isDialTimeout(_ context.Context, err error) bool {
	op, ok := errors.AsType[*net.OpError](err)
	return ok && op.Op == "dial" && op.Timeout()
}

func isTLSHandshake(_ context.Context, err error) bool {
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return true // not TLS at all, e.g. a plain-HTTP server on an https URI
	}
	if _, ok := errors.AsType[tls.AlertError](err); ok {
		return true // the backend sent an alert
	}
	if _, ok := errors.AsType[*tls.ECHRejectionError](err); ok {
		return true
	}
	if errors.Is(err, http.ErrSchemeMismatch) {
		return true
	}
	if op, ok := errors.AsType[*net.OpError](err); ok && (op.Op == "local error" || op.Op == "remote error") {
		return true // crypto/tls reports alerts this way; the alert type is unexported
	}
	// net/http's TLS handshake timeout (tlsHandshakeTimeoutError) and most of
	// crypto/tls's handshake failures (errors.New("tls: ...")) have no
	// exported type, so only their text identifies them.
	s := err.Error()
	return strings.Contains(s, "TLS handshake timeout") || strings.Contains(s, "tls: ")
}

// resetMarkers are net/http errors for a connection the server closed; they
// are unexported errors.New values (errServerClosedIdle, errTrailerEOF).
var resetMarkers = []string{"server closed idle connection", "unexpected EOF"}

func isReset(_ context.Context, err error) bool {
	switch {
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, io.EOF):
		return true
	}
	return containsAny(err.Error(), resetMarkers)
}

// isTimeout catches timeouts not explained by the request's deadline, e.g.
// a ResponseHeaderTimeout or a context other than the request's.
func isTimeout(_ context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// backend names the backend for the detail: the request's scheme and host,
// else the address the error carries, else "the backend".
func backend(req *http.Request, err error) string {
	if req != nil && req.URL != nil && req.URL.Host != "" {
		return hostOf(req.URL)
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			return hostOf(u)
		}
	}
	if op, ok := errors.AsType[*net.OpError](err); ok && op.Addr != nil {
		return "backend " + op.Addr.String()
	}
	if de, ok := errors.AsType[*net.DNSError](err); ok && de.Name != "" {
		return "backend " + de.Name
	}
	if he, ok := errors.AsType[x509.HostnameError](err); ok {
		return "backend " + he.Host
	}
	return "the backend"
}

func hostOf(u *url.URL) string {
	return "backend " + u.Scheme + "://" + u.Host
}

// technical is the error's own text without the *url.Error prefix, which
// repeats the method and full URL (query included).
func technical(err error) string {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err.Error()
	}
	return err.Error()
}
