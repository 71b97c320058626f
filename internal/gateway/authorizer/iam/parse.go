package iam

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	algorithm   = "AWS4-HMAC-SHA256"
	service     = "execute-api"
	terminator  = "aws4_request"
	amzDateForm = "20060102T150405Z"
	scopeDate   = "20060102"
	// maxExpires is the longest X-Amz-Expires SigV4 accepts (7 days).
	maxExpires = 7 * 24 * 3600
)

// Credential is the parsed X-Amz-Credential / Credential= value:
// ACCESSKEY/YYYYMMDD/REGION/SERVICE/aws4_request.
type Credential struct {
	AccessKeyID string
	Date        string
	Region      string
	Service     string
	Terminator  string
}

// Scope is the credential scope (everything after the access key id).
func (c Credential) Scope() string {
	return c.Date + "/" + c.Region + "/" + c.Service + "/" + c.Terminator
}

// ParseCredential splits a SigV4 credential. The access key id may not be
// empty, and exactly five '/'-separated parts are required.
func ParseCredential(s string) (Credential, bool) {
	parts := strings.Split(s, "/")
	if len(parts) != 5 || parts[0] == "" {
		return Credential{}, false
	}
	return Credential{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3], Terminator: parts[4]}, true
}

// Signed is what a request claims about its signature, from the
// Authorization header or from the presigned query parameters.
type Signed struct {
	Presigned bool
	// CredentialText is the credential as sent; Credential its parts.
	CredentialText string
	Credential     Credential
	// SignedHeaders is the header list as sent ("host;x-amz-date").
	SignedHeaders string
	Signature     string
	// AmzDate is X-Amz-Date as sent; Time is it parsed.
	AmzDate string
	Time    time.Time
	// Expires is X-Amz-Expires in seconds (presigned only).
	Expires int
	// Token is X-Amz-Security-Token, from the header or the query.
	Token string
}

// headerNames returns the signed header names, in the client's order.
func (s *Signed) headerNames() []string {
	if s.SignedHeaders == "" {
		return nil
	}
	return strings.Split(s.SignedHeaders, ";")
}

// malformed is a request that says it is SigV4-signed but is not a
// well-formed SigV4 request; msg is the client message.
type malformed struct{ msg string }

func (m *malformed) Error() string { return m.msg }

// AuthParams is the parsed Authorization header: the algorithm and its
// key=value parameters.
type AuthParams struct {
	Credential    string
	SignedHeaders string
	Signature     string
}

// ParseAuthorization reads "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=...". The error message is what AWS answers for the header.
func ParseAuthorization(h string) (AuthParams, error) {
	var p AuthParams
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != algorithm {
		return p, &malformed{missingEqualSign(h)}
	}
	var hasCred, hasHeaders, hasSig bool
	for _, kv := range strings.Split(rest, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, &malformed{missingEqualSign(h)}
		}
		switch k {
		case "Credential":
			p.Credential, hasCred = v, true
		case "SignedHeaders":
			p.SignedHeaders, hasHeaders = v, true
		case "Signature":
			p.Signature, hasSig = v, true
		}
	}
	var msg strings.Builder
	if !hasCred {
		msg.WriteString("Authorization header requires 'Credential' parameter. ")
	}
	if !hasSig {
		msg.WriteString("Authorization header requires 'Signature' parameter. ")
	}
	if !hasHeaders {
		msg.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
	}
	if msg.Len() > 0 {
		return p, &malformed{msg.String()}
	}
	return p, nil
}

// missingEqualSign is AWS's answer to an Authorization header that is not
// SigV4 (a bearer token, a typo): it names the header only by its hash.
func missingEqualSign(h string) string {
	sum := sha256.Sum256([]byte(h))
	return "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with Base64): '" + base64.StdEncoding.EncodeToString(sum[:]) + "'."
}

// ReadSigned extracts the signature a request carries. ok is false when
// the request carries none (no Authorization header, no X-Amz-Algorithm
// query parameter); err is a *malformed when it carries a broken one.
func ReadSigned(r *http.Request) (s Signed, ok bool, err error) {
	if h := r.Header.Get("Authorization"); h != "" {
		p, err := ParseAuthorization(h)
		s.AmzDate = r.Header.Get("X-Amz-Date")
		var m *malformed
		if err != nil {
			m, _ = err.(*malformed)
			if m == nil || strings.HasPrefix(m.msg, "Invalid key=value") {
				return s, true, err
			}
		}
		if s.AmzDate == "" {
			if m == nil {
				m = &malformed{}
			}
			m.msg += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
		}
		if m != nil {
			m.msg += "Authorization=" + h
			return s, true, m
		}
		s.CredentialText, s.SignedHeaders, s.Signature = p.Credential, p.SignedHeaders, p.Signature
		s.Token = r.Header.Get("X-Amz-Security-Token")
		return s, true, finish(&s)
	}
	if !strings.Contains(r.URL.RawQuery, "X-Amz-") {
		return s, false, nil
	}
	q, qerr := url.ParseQuery(r.URL.RawQuery)
	if qerr != nil || q.Get("X-Amz-Algorithm") == "" {
		return s, false, nil
	}
	s.Presigned = true
	if a := q.Get("X-Amz-Algorithm"); a != algorithm {
		return s, true, &malformed{"X-Amz-Algorithm only supports \"" + algorithm + "\""}
	}
	var missing []string
	get := func(name string) string {
		v := q.Get(name)
		if v == "" {
			missing = append(missing, name)
		}
		return v
	}
	s.CredentialText = get("X-Amz-Credential")
	s.SignedHeaders = get("X-Amz-SignedHeaders")
	s.Signature = get("X-Amz-Signature")
	s.AmzDate = get("X-Amz-Date")
	exp := get("X-Amz-Expires")
	if len(missing) > 0 {
		return s, true, &malformed{"AWS query-string parameters must include " + quoteList(missing) + ". Re-examine the query-string parameters."}
	}
	n, perr := strconv.Atoi(exp)
	if perr != nil || n < 1 || n > maxExpires {
		return s, true, &malformed{"X-Amz-Expires must be a number of seconds from 1 to 604800, not '" + exp + "'."}
	}
	s.Expires = n
	s.Token = q.Get("X-Amz-Security-Token")
	return s, true, finish(&s)
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return strings.Join(q, ", ")
}

// finish parses the credential and the date of s.
func finish(s *Signed) error {
	c, ok := ParseCredential(s.CredentialText)
	if !ok {
		return &malformed{"Credential '" + s.CredentialText + "' is not of the form <access key id>/<YYYYMMDD>/<region>/" + service + "/" + terminator + "."}
	}
	s.Credential = c
	t, err := time.Parse(amzDateForm, s.AmzDate)
	if err != nil {
		return &malformed{"X-Amz-Date '" + s.AmzDate + "' is not an ISO 8601 basic date-time such as 20150830T123600Z."}
	}
	s.Time = t
	return nil
}

// scopeProblems returns AWS's messages for a credential scope that does
// not fit the request: wrong region, wrong service, wrong terminator, or a
// date other than X-Amz-Date's. Empty means the scope is right.
func scopeProblems(s *Signed, region string) string {
	var b strings.Builder
	c := s.Credential
	if c.Region != region {
		b.WriteString("Credential should be scoped to a valid region, not '" + c.Region + "'. ")
	}
	if c.Service != service {
		b.WriteString("Credential should be scoped to correct service: '" + service + "'. ")
	}
	if c.Terminator != terminator {
		b.WriteString("Credential should be scoped with a valid terminator: '" + terminator + "', not '" + c.Terminator + "'. ")
	}
	if day := s.AmzDate[:8]; c.Date != day {
		b.WriteString("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" + c.Date + "' != '" + day + "', from '" + s.AmzDate + "'.")
	}
	return b.String()
}
