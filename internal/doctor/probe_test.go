package doctor

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/openapi"
	"github.com/archway-gw/archway/internal/testcert"
)

// tlsBackend starts a real HTTPS server with cert.
func tlsBackend(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// selfSigned makes a certificate for 127.0.0.1 signed by its own key.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "self-signed backend"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// refusedAddr is a loopback port that refuses connections: listened on,
// then closed.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// probeDefinition writes an OpenAPI definition with one GET method per
// backend (path /NAME, uri as given) and imports it.
func probeDefinition(t *testing.T, uris map[string]string, insecure map[string]bool, stages []apigw.Stage) Input {
	t.Helper()
	var b strings.Builder
	b.WriteString("openapi: \"3.0.1\"\ninfo: {title: Probes, version: \"1\"}\npaths:\n")
	for _, name := range sortedKeys(uris) {
		fmt.Fprintf(&b, "  /%s:\n    get:\n      responses: {\"200\": {description: ok}}\n      x-amazon-apigateway-integration:\n        type: http_proxy\n        httpMethod: GET\n        uri: %q\n", name, uris[name])
		if insecure[name] {
			b.WriteString("        tlsConfig: {insecureSkipVerification: true}\n")
		}
	}
	file := filepath.Join(t.TempDir(), "api.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	api, diags, err := openapi.ImportFile(file, openapi.Options{})
	if err != nil || openapi.HasErrors(diags) {
		t.Fatalf("import: %v %v", err, diags)
	}
	if len(stages) == 0 {
		stages = []apigw.Stage{{Name: "dev"}}
	}
	return Input{Definitions: []Definition{{File: file, API: api, Stages: stages}}}
}

// TestProbe probes real backends: TLS servers with an expired certificate,
// one expiring in 3 days, a self-signed one, one for another host name, a
// refused port, a name that does not resolve, and healthy HTTP and HTTPS
// servers that must produce no finding.
func TestProbe(t *testing.T) {
	ca := testcert.NewCA(t)
	now := time.Now()
	valid := ca.Leaf(t, now.Add(-time.Hour), now.Add(90*24*time.Hour))
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(plain.Close)
	uris := map[string]string{
		"healthy-https": tlsBackend(t, valid) + "/x",
		"healthy-http":  plain.URL + "/x",
		"expired":       tlsBackend(t, ca.Leaf(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour))) + "/x",
		"expiring":      tlsBackend(t, ca.Leaf(t, now.Add(-time.Hour), now.Add(3*24*time.Hour+time.Hour))) + "/x",
		"selfsigned":    tlsBackend(t, selfSigned(t)) + "/x",
		"wronghost":     tlsBackend(t, ca.Leaf(t, now.Add(-time.Hour), now.Add(90*24*time.Hour), "api.example.com")) + "/x",
		"refused":       "http://" + refusedAddr(t) + "/x",
		"nxdomain":      "http://backend.archway-test.invalid/x",
	}
	in := probeDefinition(t, uris, nil, nil)
	fs := Probe(context.Background(), in, ProbeOptions{Timeout: 5 * time.Second, Roots: ca.Pool})
	byObject := map[string]Finding{}
	for _, f := range fs {
		path := strings.Fields(f.Object)[1]
		if _, dup := byObject[path]; dup {
			t.Errorf("two findings for %s", path)
		}
		byObject[path] = f
	}
	cases := []struct {
		path     string
		check    string
		severity Severity
		cause    diag.Cause
		what     string
	}{
		{"/expired", "probe-tls", Error, diag.UpstreamTLSExpired, "expired on " + now.Add(-24*time.Hour).UTC().Format(time.DateOnly)},
		{"/expiring", "probe-tls", Warning, diag.UpstreamTLSExpired, "in 3 day(s)"},
		{"/selfsigned", "probe-tls", Error, diag.UpstreamTLSUntrusted, "not issued by a trusted CA"},
		{"/wronghost", "probe-tls", Error, diag.UpstreamTLSHostname, "does not name the host"},
		{"/refused", "probe-connect", Error, diag.UpstreamConnectRefused, "refused"},
		{"/nxdomain", "probe-connect", Error, diag.UpstreamDNSFailure, "does not resolve"},
		{"/healthy-https", "", "", "", ""},
		{"/healthy-http", "", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(strings.TrimPrefix(tc.path, "/"), func(t *testing.T) {
			f, ok := byObject[tc.path]
			if tc.check == "" {
				if ok {
					t.Fatalf("healthy backend reported: %s", f)
				}
				return
			}
			if !ok {
				t.Fatalf("no finding; got %v", fs)
			}
			if f.Check != tc.check || f.Severity != tc.severity || f.Cause != tc.cause || !strings.Contains(f.What, tc.what) {
				t.Errorf("got %s %s %s %q, want %s %s %s containing %q", f.Check, f.Severity, f.Cause, f.What, tc.check, tc.severity, tc.cause, tc.what)
			}
			if f.AWS.Status != 500 || f.AWS.Body != `{"message": "Internal server error"}` {
				t.Errorf("AWS answer %q", f.AWS)
			}
			if f.Pos.File != in.Definitions[0].File || f.Pos.Line == 0 {
				t.Errorf("position %s does not point into the definition", f.Pos)
			}
		})
	}
	if len(byObject) != 6 {
		t.Errorf("%d findings, want 6: %v", len(byObject), fs)
	}
}

// TestProbeInsecureSkipVerification checks that a certificate problem on an
// integration with tlsConfig.insecureSkipVerification is only information.
func TestProbeInsecureSkipVerification(t *testing.T) {
	ca := testcert.NewCA(t)
	now := time.Now()
	url := tlsBackend(t, ca.Leaf(t, now.Add(-48*time.Hour), now.Add(-24*time.Hour)))
	in := probeDefinition(t, map[string]string{"checked": url, "skipped": url}, map[string]bool{"skipped": true}, nil)
	fs := Probe(context.Background(), in, ProbeOptions{Roots: ca.Pool})
	if len(fs) != 2 {
		t.Fatalf("findings: %v", fs)
	}
	for _, f := range fs {
		want := Error
		if strings.Contains(f.Object, "/skipped") {
			want = Info
		}
		if f.Severity != want {
			t.Errorf("%s: severity %s, want %s", f.Object, f.Severity, want)
		}
	}
}

// TestProbePerStage checks that stage variables are expanded per stage:
// only the stage whose host refuses is reported.
func TestProbePerStage(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(plain.Close)
	stages := []apigw.Stage{
		{Name: "dev", Variables: map[string]string{"host": refusedAddr(t)}},
		{Name: "prod", Variables: map[string]string{"host": strings.TrimPrefix(plain.URL, "http://")}},
		{Name: "test"}, // undefined: the stage-variable check's business
	}
	in := probeDefinition(t, map[string]string{"items": "http://${stageVariables.host}/items"}, nil, stages)
	fs := Probe(context.Background(), in, ProbeOptions{})
	if len(fs) != 1 || !strings.Contains(fs[0].Object, "(stage dev)") || fs[0].Cause != diag.UpstreamConnectRefused {
		t.Fatalf("findings: %v", fs)
	}
}
