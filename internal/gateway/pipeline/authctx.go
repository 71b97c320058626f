package pipeline

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/archway-gw/archway/internal/diag"
	"github.com/archway-gw/archway/internal/mapping"
	"github.com/archway-gw/archway/internal/vtl"
)

// AuthString renders an authorizer context value as AWS exposes it to
// templates, proxy events and logs: strings as they are, numbers and
// booleans stringified, anything else as JSON.
func AuthString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case float64:
		// As the authorizer wrote it: 123 stays "123" (AWS's documented
		// requestContext.authorizer example), 1.5 is "1.5".
		return strconv.FormatFloat(t, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(t, 10)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// authorizerMap builds $context.authorizer for templates: principalId and
// the context values of a Lambda authorizer, or the claims of a token.
func (a *Auth) authorizerMap() *vtl.Map {
	if a == nil || a.Authorizer == "" {
		return nil
	}
	if a.Claims {
		claims := vtl.NewMap(len(a.Context))
		for _, kv := range a.Context {
			claims.Put(kv.Key, AuthString(kv.Value))
		}
		m := vtl.NewMap(1)
		m.Put("claims", claims)
		return m
	}
	m := vtl.NewMap(len(a.Context) + 1)
	for _, kv := range a.Context {
		m.Put(kv.Key, AuthString(kv.Value))
	}
	m.Put("principalId", a.PrincipalID)
	return m
}

// proxyAuthorizer is requestContext.authorizer of a REST proxy event: the
// context values stringified, then principalId and integrationLatency; or
// the claims of a token. nil when the method has no authorizer.
func (a *Auth) proxyAuthorizer() json.RawMessage {
	if a == nil || a.Authorizer == "" {
		return nil
	}
	var b strings.Builder
	b.WriteByte('{')
	writeKV := func(k string, v string) {
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(v)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	if a.Claims {
		b.WriteString(`"claims":{`)
		for i, kv := range a.Context {
			if i > 0 {
				b.WriteByte(',')
			}
			writeKV(kv.Key, AuthString(kv.Value))
		}
		b.WriteString("}}")
		return json.RawMessage(b.String())
	}
	for _, kv := range a.Context {
		if kv.Key == "principalId" || kv.Key == "integrationLatency" {
			continue
		}
		writeKV(kv.Key, AuthString(kv.Value))
		b.WriteByte(',')
	}
	writeKV("principalId", a.PrincipalID)
	b.WriteString(`,"integrationLatency":`)
	b.WriteString(strconv.FormatInt(a.IntegrationLatency, 10))
	b.WriteByte('}')
	return json.RawMessage(b.String())
}

// authorizerContext answers $context.authorizer.NAME in gateway responses
// and access logs.
func (x *Exchange) authorizerContext(name string) string {
	if r := x.Rec.Authorizer; r != nil {
		// The access-log-only variables of the authorizer step.
		switch name {
		case "requestId":
			return r.FunctionRequestID
		case "latency":
			if r.End.IsZero() {
				return ""
			}
			return strconv.FormatInt(r.End.Sub(r.Start).Milliseconds(), 10)
		case "status":
			if x.Err != nil && x.Err.Phase == diag.PhaseAuthorizer {
				return strconv.Itoa(x.Rec.Status)
			}
			return "200"
		case "error":
			if x.Err != nil && x.Err.Phase == diag.PhaseAuthorizer {
				return x.Err.Info().Message
			}
			return ""
		}
	}
	a := x.Auth
	if a == nil || a.Authorizer == "" {
		return ""
	}
	switch name {
	case "principalId":
		return a.PrincipalID
	case "integrationLatency":
		if a.Claims || a.Authorizer == "" {
			return ""
		}
		return strconv.FormatInt(a.IntegrationLatency, 10)
	}
	if claim, ok := strings.CutPrefix(name, "claims."); ok && a.Claims {
		return a.value(claim)
	}
	if a.Claims {
		return ""
	}
	return a.value(name)
}

func (a *Auth) value(key string) string {
	for _, kv := range a.Context {
		if kv.Key == key {
			return AuthString(kv.Value)
		}
	}
	return ""
}

// identity fills $context.identity fields that the access-control steps
// learned (API key, IAM caller).
func (a *Auth) identity(id *mapping.Identity) {
	if a == nil {
		return
	}
	id.APIKey = a.APIKey
	id.APIKeyID = a.APIKeyID
	id.AccessKey = a.AccessKey
	id.AccountID = a.AccountID
	id.Caller = a.Caller
	id.User = a.User
	id.UserArn = a.UserARN
}
