package iam

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzParseAuthorization checks the Authorization-header parser never
// panics, and that what it accepts renders back to a header that parses to
// the same parameters.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcd")
	f.Add("AWS4-HMAC-SHA256 Credential=a,SignedHeaders=b,Signature=c")
	f.Add("Bearer x.y.z")
	f.Add("AWS4-HMAC-SHA256 ")
	f.Add("AWS4-HMAC-SHA256 Credential=x, ,Signature==")
	f.Fuzz(func(t *testing.T, h string) {
		p, err := ParseAuthorization(h)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		again, err := ParseAuthorization("AWS4-HMAC-SHA256 Credential=" + p.Credential + ", SignedHeaders=" + p.SignedHeaders + ", Signature=" + p.Signature)
		if err != nil || again != p {
			t.Fatalf("round trip of %q: %+v, %v; was %+v", h, again, err, p)
		}
	})
}

// FuzzParseCredential checks the credential-scope parser: five parts, the
// access key first, and a lossless split.
func FuzzParseCredential(f *testing.F) {
	f.Add("AKID/20261125/us-east-1/execute-api/aws4_request")
	f.Add("/////")
	f.Add("a/b/c")
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := ParseCredential(s)
		if ok != (strings.Count(s, "/") == 4 && !strings.HasPrefix(s, "/")) {
			t.Fatalf("ParseCredential(%q) ok = %v", s, ok)
		}
		if ok && c.AccessKeyID+"/"+c.Scope() != s {
			t.Fatalf("ParseCredential(%q) = %+v, which does not join back", s, c)
		}
	})
}

// FuzzReadSigned drives the whole request reader (header and presigned
// forms, date, credential, scope checks) with arbitrary values: it must
// never panic, and a request it accepts has a parsed time and credential.
func FuzzReadSigned(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab", "20261125T200000Z", "")
	f.Add("", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261125%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=20261125T200000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=ab")
	f.Add("", "", "X-Amz-Algorithm=x")
	f.Fuzz(func(t *testing.T, auth, date, query string) {
		r := httptest.NewRequest("GET", "http://h/prod/x", nil)
		r.URL.RawQuery = query
		if auth != "" {
			r.Header["Authorization"] = []string{auth}
		}
		if date != "" {
			r.Header["X-Amz-Date"] = []string{date}
		}
		s, signed, err := ReadSigned(r)
		if err != nil || !signed {
			return
		}
		if s.Time.IsZero() || s.Credential.AccessKeyID == "" {
			t.Fatalf("accepted without a time or key: %+v", s)
		}
		_ = scopeProblems(&s, "us-east-1")
		_ = BuildCanonical(r, &s, unsignedPayload)
	})
}
