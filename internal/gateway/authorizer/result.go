package authorizer

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/archway-gw/archway/internal/gateway/pipeline"
)

// Result is a Lambda authorizer's parsed output, as the cache keeps it:
// the whole policy is cached and evaluated per request, as AWS does.
type Result struct {
	PrincipalID        string               `json:"principalId"`
	Policy             *Policy              `json:"policyDocument"`
	Context            []pipeline.AuthValue `json:"context,omitempty"`
	UsageIdentifierKey string               `json:"usageIdentifierKey,omitempty"`
}

// invalidOutput is a result AWS cannot parse; Log is the execution-log
// line AWS writes for it, when known.
type invalidOutput struct {
	msg string
	log string
}

func (e *invalidOutput) Error() string { return e.msg }

// knownFields are the top-level keys of an authorizer result. AWS reads it
// strictly: any other key fails the request (Jackson's "Unrecognized
// field ... not marked as ignorable").
var knownFields = map[string]bool{"principalId": true, "policyDocument": true, "context": true, "usageIdentifierKey": true}

// ParseResult reads a Lambda authorizer's output.
func ParseResult(b []byte) (*Result, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, &invalidOutput{msg: "the output is not JSON: " + err.Error(), log: "Invalid JSON in response: " + err.Error()}
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, &invalidOutput{msg: fmt.Sprintf("the output is %s, not a JSON object", jsonKind(tok)), log: "Invalid JSON in response: the result is not a JSON object"}
	}
	r := &Result{}
	var policy json.RawMessage
	hasPolicy := false
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, &invalidOutput{msg: "the output is not JSON: " + err.Error(), log: "Invalid JSON in response: " + err.Error()}
		}
		k, _ := kt.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, &invalidOutput{msg: "the output is not JSON: " + err.Error(), log: "Invalid JSON in response: " + err.Error()}
		}
		if !knownFields[k] {
			return nil, &invalidOutput{
				msg: fmt.Sprintf("unknown field %q: an authorizer result has only principalId, policyDocument, context and usageIdentifierKey", k),
				log: fmt.Sprintf("Invalid JSON in response: Unrecognized field %q , not marked as ignorable", k),
			}
		}
		switch k {
		case "principalId":
			if string(v) != "null" {
				var s any
				_ = json.Unmarshal(v, &s)
				switch t := s.(type) {
				case string:
					r.PrincipalID = t
				case float64, bool:
					r.PrincipalID = pipeline.AuthString(t)
				default:
					return nil, &invalidOutput{msg: "principalId is " + string(v) + ", not a string"}
				}
			}
		case "policyDocument":
			policy, hasPolicy = v, string(v) != "null"
		case "context":
			ctx, err := parseContext(v)
			if err != nil {
				return nil, err
			}
			r.Context = ctx
		case "usageIdentifierKey":
			if string(v) != "null" {
				if err := json.Unmarshal(v, &r.UsageIdentifierKey); err != nil {
					return nil, &invalidOutput{msg: "usageIdentifierKey is " + string(v) + ", not a string"}
				}
			}
		}
	}
	if !hasPolicy {
		return nil, &invalidOutput{msg: "the output has no policyDocument"}
	}
	p, err := ParsePolicy(policy)
	if err != nil {
		return nil, &invalidOutput{msg: err.Error()}
	}
	r.Policy = p
	return r, nil
}

// parseContext reads the context map: string, number and boolean values
// only, in the order written. null values are left out.
func parseContext(raw json.RawMessage) ([]pipeline.AuthValue, error) {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if d, ok := tok.(json.Delim); err != nil || !ok || d != '{' {
		return nil, &invalidOutput{msg: "context is not a JSON object"}
	}
	var out []pipeline.AuthValue
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, &invalidOutput{msg: "context: " + err.Error()}
		}
		k, _ := kt.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, &invalidOutput{msg: "context: " + err.Error()}
		}
		switch t := v.(type) {
		case string, bool:
			out = append(out, pipeline.AuthValue{Key: k, Value: t})
		case json.Number:
			f, err := t.Float64()
			if err != nil {
				return nil, &invalidOutput{msg: fmt.Sprintf("context.%s: %v", k, err)}
			}
			out = append(out, pipeline.AuthValue{Key: k, Value: f})
		case nil:
		default:
			return nil, &invalidOutput{msg: fmt.Sprintf("context.%s is a JSON %s; context values must be strings, numbers or booleans", k, jsonKind(v))}
		}
	}
	return out, nil
}

func jsonKind(v any) string {
	switch t := v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case json.Delim:
		if t == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// firstField returns the first top-level key of a JSON object ("" when b
// is not one): the field AWS names when it fails to read a function error
// object as an authorizer result.
func firstField(b []byte) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	if !dec.More() {
		return ""
	}
	k, _ := dec.Token()
	s, _ := k.(string)
	return s
}
