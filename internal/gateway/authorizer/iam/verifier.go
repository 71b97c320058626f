// Package iam authorizes AWS_IAM methods as API Gateway does: it verifies
// the SigV4 signature of a request (Authorization header or presigned
// query string, service execute-api) against the access keys declared in
// archway.yaml, then evaluates the key's user's identity policies for
// execute-api:Invoke on the method ARN. Every refusal is a *diag.Error whose
// client message is AWS's.
package iam

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/smithy-go/aws-http-auth/credentials"
	"github.com/aws/smithy-go/aws-http-auth/sigv4"
	v4 "github.com/aws/smithy-go/aws-http-auth/v4"

	"github.com/archway-gw/archway/internal/apigw"
	"github.com/archway-gw/archway/internal/config"
	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
)

// Action is the IAM action an API Gateway method call is authorized for.
const Action = "execute-api:Invoke"

// MaxSkew is how far X-Amz-Date may be from the gateway's clock (AWS
// allows 5 minutes either way).
const MaxSkew = 5 * time.Minute

// DefaultRegion is the region a signature must be scoped to when the method
// ARN names none.
const DefaultRegion = "us-east-1"

// User is one declared IAM user with its access key, compiled.
type User struct {
	Name      string
	ID        string // AIDA...
	ARN       string
	AccountID string
	AccessKey string
	secret    string
	token     string
	policy    Policy
}

// Verifier verifies SigV4 signatures and identity policies for AWS_IAM
// methods. It is safe for concurrent use; Update swaps its users atomically,
// so one Verifier can serve across reloads.
type Verifier struct {
	users atomic.Pointer[map[string]*User] // by access key id
	// Now is the clock signatures are checked against; nil is time.Now.
	// Tests set it to check expiry without waiting.
	Now func() time.Time
}

// New compiles the iam: section of archway.yaml (already checked by
// config.Load).
func New(c config.IAM) *Verifier {
	v := &Verifier{}
	v.Update(c)
	return v
}

// Update replaces the users and policies with those of c; requests in
// flight finish with the ones they started with.
func (v *Verifier) Update(c config.IAM) {
	acct := c.AccountID
	if acct == "" {
		acct = config.DefaultIAMAccountID
	}
	users := make(map[string]*User, len(c.Users))
	for _, u := range c.Users {
		id := u.UserID
		if id == "" {
			id = derivedUserID(acct, u.Name)
		}
		users[u.AccessKeyID] = &User{
			Name: u.Name, ID: id, ARN: "arn:aws:iam::" + acct + ":user/" + u.Name, AccountID: acct,
			AccessKey: u.AccessKeyID, secret: u.SecretAccessKey, token: u.SessionToken,
			policy: CompilePolicy(u.Policies),
		}
	}
	v.users.Store(&users)
}

// user returns the user of an access key id, nil when none is declared.
func (v *Verifier) user(key string) *User {
	if m := v.users.Load(); m != nil {
		return (*m)[key]
	}
	return nil
}

// derivedUserID makes an AWS-shaped unique id (AIDA + 17 characters) that
// stays the same for the same account and user name.
func derivedUserID(account, name string) string {
	sum := sha256.Sum256([]byte(account + "/" + name))
	enc := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])
	return "AIDA" + enc[:17]
}

// NeedsBody reports that verification reads the request body: the payload
// hash is part of what a client signs. Guards that call Verify must report
// it too, so the body is buffered before they run.
func (v *Verifier) NeedsBody() bool { return true }

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now().UTC()
	}
	return time.Now().UTC()
}

// Verify authorizes x for methodARN
// (arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH). On success it
// fills the IAM fields of x.Auth ($context.identity.accessKey, accountId,
// caller, user, userArn); on failure it returns a *diag.Error.
func (v *Verifier) Verify(ctx context.Context, x *pipeline.Exchange, methodARN string) error {
	r := x.Req
	s, signed, err := ReadSigned(r)
	if !signed {
		return fail(diag.IAMSignatureMissing, "", "no Authorization header and no X-Amz-Algorithm query parameter")
	}
	if err != nil {
		return fail(diag.IAMSignatureMalformed, err.Error(), "")
	}
	region := arnRegion(methodARN)
	if msg := scopeProblems(&s, region); msg != "" {
		return fail(diag.IAMCredentialScope, msg, "credential "+s.CredentialText+"; the API is in "+region)
	}
	if msg := v.expired(&s); msg != "" {
		return fail(diag.IAMSignatureExpired, msg, "")
	}
	u := v.user(s.Credential.AccessKeyID)
	if u == nil {
		return fail(diag.IAMUnknownAccessKey, "", "access key "+s.Credential.AccessKeyID+" is not declared under iam.users")
	}
	if subtle.ConstantTimeCompare([]byte(s.Token), []byte(u.token)) != 1 {
		detail := "X-Amz-Security-Token does not match user " + u.Name + "'s sessionToken"
		switch {
		case u.token == "":
			detail = "user " + u.Name + " has a long-term key, but the request carries X-Amz-Security-Token"
		case s.Token == "":
			detail = "user " + u.Name + " has a session credential, but the request carries no X-Amz-Security-Token"
		}
		return fail(diag.IAMSessionTokenInvalid, "", detail)
	}
	body, err := readBody(x)
	if err != nil {
		return diag.Wrap(diag.PhaseAuthorizer, diag.ClientAborted, err, "reading the request body to check its payload hash")
	}
	if err := v.checkSignature(r, &s, u, body); err != nil {
		return err
	}
	switch d, _ := u.policy.Evaluate(Action, methodARN); d {
	case ExplicitDeny:
		return denied(u, methodARN, "with an explicit deny in an identity-based policy")
	case ImplicitDeny:
		return denied(u, methodARN, "because no identity-based policy allows the "+Action+" action")
	}
	if x.Auth == nil {
		x.Auth = &pipeline.Auth{}
	}
	x.Auth.AccessKey = u.AccessKey
	x.Auth.AccountID = u.AccountID
	x.Auth.Caller = u.ID
	x.Auth.User = u.ID
	x.Auth.UserARN = u.ARN
	return nil
}

// fail builds an IAM refusal; msg, when set, is the per-request client
// message. The execution log gets Archway's explanation before the
// failure line.
func fail(c diag.Cause, msg, detail string) *diag.Error {
	e := &diag.Error{Phase: diag.PhaseAuthorizer, Cause: c, Message: msg, Detail: detail}
	why := detail
	if msg != "" {
		why = firstLine(msg)
		if detail != "" {
			why += " (" + detail + ")"
		}
	}
	e.LogBefore = []string{"Archway explanation (" + string(c) + "): " + why}
	return e
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func denied(u *User, arn, why string) *diag.Error {
	msg := "User: " + u.ARN + " is not authorized to perform: " + Action + " on resource: " + maskAccount(arn) + " " + why
	return fail(diag.IAMNotAuthorized, msg, "user "+u.Name+", resource "+arn)
}

// expired checks X-Amz-Date against the clock; the message is AWS's.
func (v *Verifier) expired(s *Signed) string {
	now := v.now()
	window := MaxSkew
	unit := "5 min."
	if s.Presigned {
		window = time.Duration(s.Expires) * time.Second
		unit = strconv.Itoa(s.Expires) + " sec."
	}
	if s.Time.Before(now.Add(-window)) {
		return "Signature expired: " + s.AmzDate + " is now earlier than " + now.Add(-window).Format(amzDateForm) + " (" + now.Format(amzDateForm) + " - " + unit + ")"
	}
	if s.Time.After(now.Add(MaxSkew)) {
		return "Signature not yet current: " + s.AmzDate + " is still later than " + now.Add(MaxSkew).Format(amzDateForm) + " (" + now.Format(amzDateForm) + " + 5 min.)"
	}
	return ""
}

// readBody returns the request body, buffering it (and putting it back for
// the integration) when the method did not.
func readBody(x *pipeline.Exchange) ([]byte, error) {
	if x.Body != nil || x.Req.Body == nil || x.Req.Body == http.NoBody || x.Req.ContentLength == 0 {
		return x.Body, nil
	}
	b, err := io.ReadAll(io.LimitReader(x.Req.Body, apigw.MaxPayloadBytes+1))
	if err != nil {
		return nil, err
	}
	x.Req.Body = io.NopCloser(bytes.NewReader(b))
	x.Body = b
	return b, nil
}

// payloadHashes returns the payload hashes to try, in order: the one the
// client declared in X-Amz-Content-Sha256 when it is UNSIGNED-PAYLOAD, the
// body's hash otherwise; a presigned URL that declares nothing may also have
// been signed with UNSIGNED-PAYLOAD, as S3-style presigners do.
func payloadHashes(r *http.Request, s *Signed, body []byte) []string {
	if r.Header.Get("X-Amz-Content-Sha256") == unsignedPayload {
		return []string{unsignedPayload}
	}
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	if s.Presigned && r.Header.Get("X-Amz-Content-Sha256") == "" {
		return []string{h, unsignedPayload}
	}
	return []string{h}
}

// checkSignature recomputes the signature with aws-http-auth's SigV4 signer,
// signing exactly the headers the client named, and compares it with the
// client's. On a mismatch it explains with the canonical request.
func (v *Verifier) checkSignature(r *http.Request, s *Signed, u *User, body []byte) error {
	hashes := payloadHashes(r, s, body)
	for _, h := range hashes {
		got, err := librarySignature(r, s, u.secret, h)
		if err != nil {
			return diag.Wrap(diag.PhaseAuthorizer, diag.InternalError, err, "computing the SigV4 signature")
		}
		if hmac.Equal([]byte(got), []byte(s.Signature)) {
			return nil
		}
	}
	c := BuildCanonical(r, s, hashes[0])
	msg := diag.Lookup(diag.IAMSignatureMismatch).Message +
		"\n\nThe Canonical String for this request should have been\n'" + c.Request +
		"'\n\nThe String-to-Sign should have been\n'" + c.StringToSign + "'\n"
	e := fail(diag.IAMSignatureMismatch, msg, "access key "+u.AccessKey+" (user "+u.Name+")")
	e.LogBefore = append(e.LogBefore, "Canonical request computed by the gateway:")
	for _, l := range strings.Split(c.Request, "\n") {
		e.LogBefore = append(e.LogBefore, "  "+l)
	}
	e.LogBefore = append(e.LogBefore, "String-to-sign computed by the gateway:")
	for _, l := range strings.Split(c.StringToSign, "\n") {
		e.LogBefore = append(e.LogBefore, "  "+l)
	}
	return e
}

// signedSet is the header rule that signs exactly the client's headers.
type signedSet map[string]bool

func (s signedSet) IsSigned(h string) bool { return s[h] }

// librarySignature signs a copy of r holding only the headers the client
// signed, with the client's time, scope and token, and returns the
// signature aws-http-auth computes.
func librarySignature(r *http.Request, s *Signed, secret, payloadHash string) (string, error) {
	u := *r.URL
	if s.Presigned {
		u.RawQuery = withoutSignature(r.URL.RawQuery)
	}
	c := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: make(http.Header)}
	rules := signedSet{}
	for _, name := range s.headerNames() {
		rules[name] = true
		if name == "host" {
			continue
		}
		c.Header[http.CanonicalHeaderKey(name)] = headerValues(r, name)
	}
	hash := v4.UnsignedPayload()
	if payloadHash != unsignedPayload {
		b, err := hex.DecodeString(payloadHash)
		if err != nil {
			return "", err
		}
		hash = b
	}
	typ := v4.SignatureTypeHeader
	if s.Presigned {
		typ = v4.SignatureTypeQueryString
	}
	signer := sigv4.New(func(o *v4.SignerOptions) { o.HeaderRules = rules })
	err := signer.SignRequest(&sigv4.SignRequestInput{
		Request:       c,
		PayloadHash:   hash,
		Credentials:   credentials.Credentials{AccessKeyID: s.Credential.AccessKeyID, SecretAccessKey: secret, SessionToken: s.Token},
		Service:       s.Credential.Service,
		Region:        s.Credential.Region,
		Time:          s.Time,
		SignatureType: typ,
	})
	if err != nil {
		return "", err
	}
	if s.Presigned {
		return c.URL.Query().Get("X-Amz-Signature"), nil
	}
	_, sig, _ := strings.Cut(c.Header.Get("Authorization"), "Signature=")
	return sig, nil
}

// arnRegion is the region of an execute-api ARN, DefaultRegion when the
// ARN names none.
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[3] != "" {
		return parts[3]
	}
	return DefaultRegion
}

// maskAccount hides all but the last four digits of the account in an ARN,
// as AWS does in authorization messages (********1234).
func maskAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || len(parts[4]) != 12 {
		return arn
	}
	parts[4] = "********" + parts[4][8:]
	return strings.Join(parts, ":")
}
