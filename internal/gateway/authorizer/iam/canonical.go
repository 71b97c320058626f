package iam

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// unsignedPayload is the payload hash a client uses when it does not sign
// the body.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// Canonical is the canonical request and string-to-sign the gateway
// computed for a signed request. It explains a signature mismatch: the
// client compares it with what it signed. It never holds a secret.
type Canonical struct {
	Request      string
	StringToSign string
}

// BuildCanonical rebuilds the canonical request of r from the headers the
// client named in SignedHeaders, as SigV4 defines it for execute-api
// (path escaped twice, query parameters sorted after encoding, header
// values with runs of blanks folded), and the string-to-sign over it.
func BuildCanonical(r *http.Request, s *Signed, payloadHash string) Canonical {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalPath(r))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, s.Presigned))
	b.WriteByte('\n')
	names := s.headerNames()
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	for _, name := range sorted {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(strings.Join(headerValues(r, name), ","))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(s.SignedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	req := b.String()
	sum := sha256.Sum256([]byte(req))
	sts := algorithm + "\n" + s.AmzDate + "\n" + s.Credential.Scope() + "\n" + hex.EncodeToString(sum[:])
	return Canonical{Request: req, StringToSign: sts}
}

// canonicalPath is the request path as sent, escaped once more (SigV4 for
// every service but S3).
func canonicalPath(r *http.Request) string {
	p := r.URL.EscapedPath()
	if p == "" {
		p = "/"
	}
	return uriEncode(p)
}

// uriEncode escapes every byte but A-Z a-z 0-9 - . _ ~ and '/'.
func uriEncode(p string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		c := p[i]
		if unreserved(c) || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// canonicalQuery encodes every name and value, then sorts the pairs; a
// presigned request's X-Amz-Signature is left out.
func canonicalQuery(raw string, presigned bool) string {
	q, _ := url.ParseQuery(raw) // what parses is what a client signed
	if presigned {
		q.Del("X-Amz-Signature")
	}
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range q {
		ek := queryEscape(k)
		for _, v := range vs {
			pairs = append(pairs, kv{ek, queryEscape(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// withoutSignature drops X-Amz-Signature from a raw query string.
func withoutSignature(raw string) string {
	var b strings.Builder
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, _, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil && uk == "X-Amz-Signature" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(part)
	}
	return b.String()
}

// headerValues returns a signed header's values as SigV4 canonicalises
// them: trimmed, with runs of blanks folded to one space. Host and
// Content-Length come from the request fields Go moves them to.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		return []string{r.Host}
	case "content-length":
		if _, ok := r.Header["Content-Length"]; !ok && r.ContentLength >= 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	}
	vs := r.Header.Values(name)
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return out
}
