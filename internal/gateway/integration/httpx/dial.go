package httpx

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
)

// ErrTLSOnPlainHTTP is the read error of a connection made by NewTransport's
// dialer when a backend called over plain HTTP answers with a TLS record,
// which is what a TLS server sends (usually an alert) when it receives an
// HTTP request: the integration URI says http:// for an https port. Without
// it net/http would report an unexpected EOF or a malformed response.
var ErrTLSOnPlainHTTP = errors.New("the backend answered with a TLS record on a plain-HTTP connection")

// TLS record content types (RFC 8446 section 5.1) and the major version byte
// every TLS record header carries.
const (
	recordTypeAlert     = 0x15
	recordTypeHandshake = 0x16
	recordVersionMajor  = 0x03
)

// Sniffing states of a sniffConn.
const (
	sniffUndecided uint32 = iota // nothing written or read yet
	sniffWatch                   // plain HTTP written: check the first bytes read
	sniffDone                    // TLS written or first bytes checked
)

// dialContext returns a DialContext that wraps every connection in a
// sniffConn.
func dialContext(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &sniffConn{Conn: c}, nil
	}
}

// sniffConn looks at the first bytes of a backend connection once: when the
// gateway spoke plain HTTP and the backend answers with a TLS record header,
// Read fails with ErrTLSOnPlainHTTP. For https the first write is a TLS
// ClientHello and the connection is left alone. net/http reads and writes
// from different goroutines, hence the atomic state.
type sniffConn struct {
	net.Conn
	state atomic.Uint32
}

// Write records whether the first bytes written are TLS.
func (c *sniffConn) Write(p []byte) (int, error) {
	if len(p) > 0 && c.state.Load() == sniffUndecided {
		next := sniffWatch
		if p[0] == recordTypeHandshake {
			next = sniffDone
		}
		c.state.CompareAndSwap(sniffUndecided, next)
	}
	return c.Conn.Write(p)
}

// Read fails with ErrTLSOnPlainHTTP when the first bytes read on a plain-HTTP
// connection are a TLS record header.
func (c *sniffConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.state.Load() != sniffDone && c.state.Swap(sniffDone) == sniffWatch && looksLikeTLS(p[:n]) {
		return 0, ErrTLSOnPlainHTTP
	}
	return n, err
}

// looksLikeTLS reports whether b starts with a TLS alert or handshake record
// header; an HTTP/1.x response starts with "HTTP/".
func looksLikeTLS(b []byte) bool {
	if b[0] != recordTypeAlert && b[0] != recordTypeHandshake {
		return false
	}
	return len(b) < 2 || b[1] == recordVersionMajor
}
