// Package router matches REST API requests to resources and methods exactly
// as API Gateway does: exact path parts beat {param}, which beats {proxy+};
// a resource is only a candidate when it defines the request's method or ANY.
package router

import (
	"fmt"
	"strings"
)

// SegmentKind is the kind of one path part of a resource template.
type SegmentKind uint8

// Segment kinds.
const (
	Static SegmentKind = iota
	ParamSeg
	Greedy
)

// Segment is one parsed path part: a literal, {name} or {name+}.
type Segment struct {
	Kind SegmentKind
	// Value is the literal for Static and the parameter name otherwise.
	Value string
}

// TemplateError says what is wrong with a resource path template.
type TemplateError struct {
	Path   string
	Reason string
	Fix    string
}

// Error implements error.
func (e *TemplateError) Error() string {
	return fmt.Sprintf("resource path %q: %s; %s", e.Path, e.Reason, e.Fix)
}

// ParseTemplate parses a resource path such as /pets/{petId} or /{proxy+}.
// The root resource is "/".
func ParseTemplate(path string) ([]Segment, error) {
	if path == "" || path[0] != '/' {
		return nil, &TemplateError{path, "does not start with /", "write resource paths as /a/{b}"}
	}
	if path == "/" {
		return nil, nil
	}
	parts := strings.Split(path[1:], "/")
	segs := make([]Segment, 0, len(parts))
	seen := map[string]bool{}
	for i, p := range parts {
		s, err := parseSegment(path, p)
		if err != nil {
			return nil, err
		}
		if s.Kind == Greedy && i != len(parts)-1 {
			return nil, &TemplateError{path, "greedy parameter {" + s.Value + "+} is not the last path part", "move {" + s.Value + "+} to the end of the path"}
		}
		if s.Kind != Static {
			if seen[s.Value] {
				return nil, &TemplateError{path, "parameter {" + s.Value + "} appears twice", "give each path parameter a distinct name"}
			}
			seen[s.Value] = true
		}
		segs = append(segs, s)
	}
	return segs, nil
}

func parseSegment(path, p string) (Segment, error) {
	if p == "" {
		return Segment{}, &TemplateError{path, "has an empty path part", "remove the doubled or trailing /"}
	}
	if p[0] != '{' {
		if strings.ContainsAny(p, "{}") {
			return Segment{}, &TemplateError{path, "path part " + p + " mixes text and a parameter", "a parameter must be a whole path part: /{id}, not /id-{id}"}
		}
		return Segment{Kind: Static, Value: p}, nil
	}
	if p[len(p)-1] != '}' || len(p) < 3 {
		return Segment{}, &TemplateError{path, "path part " + p + " is not a valid parameter", "write parameters as {name} or {name+}"}
	}
	name, kind := p[1:len(p)-1], ParamSeg
	if strings.HasSuffix(name, "+") {
		name, kind = name[:len(name)-1], Greedy
	}
	if !validParamName(name) {
		return Segment{}, &TemplateError{path, "parameter name " + strconvQuote(name) + " is invalid", "use letters, digits, - , . and _ only"}
	}
	return Segment{Kind: kind, Value: name}, nil
}

func validParamName(n string) bool {
	if n == "" {
		return false
	}
	for _, c := range n {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.':
		default:
			return false
		}
	}
	return true
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }
