package mapping

import (
	"strings"

	"github.com/archway-gw/archway/internal/vtl"
)

// hiddenHeaders are the request headers API Gateway never shows to mapping
// templates (recorded on AWS: vtl-aws-inputparams-header-*).
var hiddenHeaders = map[string]bool{
	"connection": true, "content-length": true, "content-md5": true, "expect": true,
	"max-forwards": true, "proxy-authenticate": true, "server": true, "te": true,
	"transfer-encoding": true, "trailer": true, "upgrade": true, "www-authenticate": true,
}

// TemplateHeaders returns the headers a mapping template may see: those
// API Gateway drops (Connection, Content-Length, Content-MD5, Expect,
// Max-Forwards, Proxy-Authenticate, Server, TE, Transfer-Encoding, Trailer,
// Upgrade, WWW-Authenticate) are removed.
func TemplateHeaders(hs []Param) []Param {
	out := make([]Param, 0, len(hs))
	for _, h := range hs {
		if !hiddenHeaders[strings.ToLower(h.Name)] {
			out = append(out, h)
		}
	}
	return out
}

// inputObject is $input.
type inputObject struct {
	in       *Input
	body     string
	bodyDone bool
	doc      any
	docDone  bool
	docOK    bool
}

func (o *inputObject) bodyString() string {
	if !o.bodyDone {
		o.bodyDone = true
		o.body = string(o.in.Body)
		if o.body == "" {
			o.body = "{}"
		}
	}
	return o.body
}

// document is the body parsed as JSON (an empty body is {}); ok is false
// when the body is not JSON.
func (o *inputObject) document() (any, bool) {
	if !o.docDone {
		o.docDone = true
		o.doc, o.docOK = parseBody(o.bodyString())
	}
	return o.doc, o.docOK
}

func parseBody(s string) (any, bool) {
	v, err := vtl.ParseJSON(s)
	return v, err == nil
}

// Property implements vtl.Object.
func (o *inputObject) Property(name string) (any, bool) {
	if name == "body" {
		return o.bodyString(), true
	}
	return nil, false
}

// Call implements vtl.Object.
func (o *inputObject) Call(name string, args []any) (any, bool, error) {
	switch {
	case name == "path" && len(args) == 1:
		v, _, err := o.path(args[0])
		return v, true, err
	case name == "json" && len(args) == 1:
		if !o.docDone {
			// $input.json('$') on a body not parsed yet (so not changed
			// by the template either): printed as it is read.
			if p, ok := args[0].(string); ok && p == "$" {
				if out, ok := vtl.CompactJSON(o.bodyString()); ok {
					return out, true, nil
				}
			}
		}
		v, found, err := o.path(args[0])
		if err != nil || !found {
			return `""`, true, err
		}
		return vtl.JSON(v), true, nil
	case name == "params" && len(args) == 0:
		return o.allParams(), true, nil
	case name == "params" && len(args) == 1:
		return o.param(vtl.ToString(args[0])), true, nil
	case (name == "getBody" || name == "body") && len(args) == 0:
		return o.bodyString(), true, nil
	}
	return nil, false, nil
}

// String implements vtl.Object.
func (o *inputObject) String() string { return "" }

func (o *inputObject) path(arg any) (any, bool, error) {
	if arg == nil {
		return nil, false, nil
	}
	doc, ok := o.document()
	if !ok {
		return nil, false, nil
	}
	cp, err := compilePath(vtl.ToString(arg))
	if err != nil {
		return nil, false, err
	}
	v, found := evalPath(cp, doc)
	return v, found, nil
}

func (o *inputObject) allParams() *vtl.Map {
	m := vtl.NewMap(3)
	m.Put("path", paramsMap(o.in.PathParams))
	m.Put("querystring", paramsMap(o.in.queryParams()))
	m.Put("header", paramsMap(o.in.headers()))
	return m
}

// param searches path, query string and headers, in that order; a missing
// parameter is the empty string.
func (o *inputObject) param(name string) string {
	for _, p := range o.in.PathParams {
		if p.Name == name {
			return p.Value
		}
	}
	for _, p := range o.in.queryParams() {
		if p.Name == name {
			return p.Value
		}
	}
	headers := o.in.headers()
	for _, p := range headers {
		if p.Name == name {
			return p.Value
		}
	}
	for _, p := range headers {
		if strings.EqualFold(p.Name, name) {
			return p.Value
		}
	}
	return ""
}
