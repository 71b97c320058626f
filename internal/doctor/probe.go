package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/gateway/integration/httpx"
)

// ExpiryWarning is how close to its expiry a backend certificate must be
// for the probe to warn.
const ExpiryWarning = 14 * 24 * time.Hour

// ProbeOptions tunes Probe.
type ProbeOptions struct {
	// Timeout bounds each probe (DNS, connect and TLS handshake). Default 5s.
	Timeout time.Duration
	// Roots are the CAs backend certificates must chain to; nil means the
	// system's, as the gateway uses.
	Roots *x509.CertPool
	// Now is the time certificates are judged at; default time.Now.
	Now func() time.Time
	// Parallel is how many backends are probed at once. Default 8.
	Parallel int
}

// target is one backend address.
type target struct {
	scheme, host, port string
}

func (t target) addr() string { return net.JoinHostPort(t.host, t.port) }
func (t target) String() string {
	return t.scheme + "://" + t.addr()
}

// probeResult is what probing one backend found.
type probeResult struct {
	err *diag.Error // the failure, classified as the gateway classifies it
	// expires is set when the certificate is valid but expires within
	// ExpiryWarning; subject names the certificate.
	expires time.Time
	subject string
}

// use is one method calling a target, on some stages.
type use struct {
	c      *methodCheck
	t      target
	stages []string
}

// Probe resolves and connects to every HTTP and HTTP_PROXY backend of in
// (per stage, after stage-variable expansion), and checks the TLS
// certificate of https backends: expired, expiring within 14 days,
// untrusted, or not naming the host. Each backend is probed once.
func Probe(ctx context.Context, in Input, opts ProbeOptions) []Finding {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 8
	}
	var uses []*use
	targets := map[target]bool{}
	var checks []*apiCheck
	for _, d := range in.Definitions {
		if d.API == nil {
			continue
		}
		c := newAPICheck(d, in, nil)
		checks = append(checks, c)
		for _, r := range d.API.Resources {
			for _, verb := range sortedVerbs(r.Methods) {
				m := r.Methods[verb]
				if m.Integration == nil || (m.Integration.Type != apigw.IntegrationHTTP && m.Integration.Type != apigw.IntegrationHTTPProxy) {
					continue
				}
				mc := &methodCheck{apiCheck: c, r: r, m: m}
				byTarget := map[target]*use{}
				for _, st := range c.stages {
					t, ok := targetOf(m.Integration.URI, st.Variables)
					if !ok {
						continue // the stage-variable check reports invalid endpoints
					}
					u, ok := byTarget[t]
					if !ok {
						u = &use{c: mc, t: t}
						byTarget[t] = u
						uses = append(uses, u)
					}
					u.stages = append(u.stages, st.Name)
					targets[t] = true
				}
			}
		}
	}
	results := probeAll(ctx, targets, opts)
	for _, u := range uses {
		u.c.reportProbe(u, results[u.t], opts.Now())
	}
	var out []Finding
	for _, c := range checks {
		out = append(out, c.out...)
	}
	Sort(out)
	return out
}

// targetOf expands an integration URI for a stage and returns its backend.
func targetOf(uri string, vars map[string]string) (target, bool) {
	exp, _ := expandStageVars(uri, vars)
	if !validEndpoint(exp) {
		return target{}, false
	}
	u, err := url.Parse(exp)
	if err != nil {
		return target{}, false
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return target{scheme: u.Scheme, host: u.Hostname(), port: port}, true
}

// probeAll probes each target once, a few at a time.
func probeAll(ctx context.Context, targets map[target]bool, opts ProbeOptions) map[target]probeResult {
	list := make([]target, 0, len(targets))
	for t := range targets {
		list = append(list, t)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].String() < list[j].String() })
	out := make(map[target]probeResult, len(list))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, opts.Parallel)
	for _, t := range list {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r := probeOne(ctx, t, opts)
			mu.Lock()
			out[t] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// probeOne connects to t and, for https, inspects its certificate.
func probeOne(ctx context.Context, t target, opts ProbeOptions) probeResult {
	pctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	d := net.Dialer{Timeout: opts.Timeout}
	conn, err := d.DialContext(pctx, "tcp", t.addr())
	if err != nil {
		// Classified without the probe's deadline: a slow connect is a
		// connect timeout, not an integration timeout.
		return probeResult{err: httpx.Classify(context.Background(), err)}
	}
	defer conn.Close()
	if t.scheme != "https" {
		return probeResult{}
	}
	cfg := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // verified below, to see every verdict
	if net.ParseIP(t.host) == nil {
		cfg.ServerName = t.host
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(pctx); err != nil {
		return probeResult{err: httpx.Classify(context.Background(), err)}
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return probeResult{err: diag.Newf(diag.PhaseIntegration, diag.UpstreamTLSHandshake, "%s presented no certificate", t)}
	}
	now := opts.Now()
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, verr := certs[0].Verify(x509.VerifyOptions{Roots: opts.Roots, Intermediates: inter, DNSName: t.host, CurrentTime: now})
	if verr != nil {
		de := httpx.Classify(context.Background(), &tls.CertificateVerificationError{UnverifiedCertificates: certs, Err: verr})
		return probeResult{err: de, subject: certs[0].Subject.String(), expires: certs[0].NotAfter}
	}
	soonest := certs[0]
	for _, c := range certs[1:] {
		if c.NotAfter.Before(soonest.NotAfter) {
			soonest = c
		}
	}
	if soonest.NotAfter.Sub(now) < ExpiryWarning {
		return probeResult{expires: soonest.NotAfter, subject: soonest.Subject.String()}
	}
	return probeResult{}
}

// reportProbe turns a probe result into a finding at the method's uri.
func (mc *methodCheck) reportProbe(u *use, r probeResult, now time.Time) {
	pos := mc.pos([]string{integ, "uri"})
	obj := mc.object() + mc.stagesNote(u.stages) + " → " + u.t.String()
	insecure := mc.m.Integration.TLSConfig != nil && mc.m.Integration.TLSConfig.InsecureSkipVerification
	switch {
	case r.err != nil:
		cause := r.err.Cause
		f := Finding{Check: "probe-connect", Severity: Error, Pos: pos, Object: obj,
			What:  r.err.Detail + "; every call fails",
			AWS:   mc.answer(cause, u.stages[0]),
			Cause: cause,
			Fix:   diag.Lookup(cause).Fix}
		if isTLSVerdict(cause) {
			f.Check = "probe-tls"
			if cause == diag.UpstreamTLSExpired {
				f.What = fmt.Sprintf("the certificate of %s (%s) expired on %s; every call fails", u.t, r.subject, r.expires.UTC().Format(time.DateOnly))
			}
			if insecure {
				f.Severity = Info
				f.What += " — but tlsConfig.insecureSkipVerification is set, so AWS does not verify it"
				f.AWS = noError("verification is skipped")
				f.Cause = ""
			}
		}
		mc.add(f)
	case !r.expires.IsZero():
		days := int(r.expires.Sub(now).Hours() / 24)
		mc.add(Finding{Check: "probe-tls", Severity: Warning, Pos: pos, Object: obj,
			What: fmt.Sprintf("the certificate of %s (%s) expires on %s, in %d day(s): from then every call fails", u.t, r.subject, r.expires.UTC().Format(time.DateOnly), days),
			AWS: func() Answer {
				a := mc.answer(diag.UpstreamTLSExpired, u.stages[0])
				a.Note = "once it has expired"
				return a
			}(),
			Cause: diag.UpstreamTLSExpired,
			Fix:   "renew the backend's certificate before " + r.expires.UTC().Format(time.DateOnly)})
	}
}

func isTLSVerdict(c diag.Cause) bool {
	return c == diag.UpstreamTLSExpired || c == diag.UpstreamTLSUntrusted || c == diag.UpstreamTLSHostname
}
