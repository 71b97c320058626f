// Package openapi reads OpenAPI 3.x and Swagger 2.0 definitions with
// x-amazon-apigateway-* extensions into the apigw model, and writes the model
// back in the form AWS's GetExport (extensions=apigateway) produces.
//
// Import reports every problem as a Diagnostic with the file:line:col and the
// JSON pointer of the offending node. What AWS would accept is at most a
// Warning; Errors are what AWS's import refuses.
package openapi

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/archway-gw/archway/internal/apigw"
)

// Severity of a Diagnostic: Error or Warning.
type Severity int

// Severities, least severe first.
const (
	Warning Severity = iota
	Error
)

// String renders the severity as "warning" or "error".
func (s Severity) String() string {
	if s == Error {
		return "error"
	}
	return "warning"
}

// Diagnostic is one problem found in a definition.
type Diagnostic struct {
	Pos      apigw.Pos // file:line:col of the offending node
	Severity Severity
	Pointer  string // JSON pointer of the node, e.g. /paths/~1pets/get/x-amazon-apigateway-integration/type
	Message  string // what is wrong
	Fix      string // how to fix it
}

// String renders the diagnostic as "file:line:col: error: message; fix: ...".
func (d Diagnostic) String() string {
	s := d.Pos.String() + ": " + d.Severity.String() + ": " + d.Message
	if d.Fix != "" {
		s += "; fix: " + d.Fix
	}
	return s
}

// HasErrors reports whether any diagnostic is an Error.
func HasErrors(diags []Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Options tunes an import.
type Options struct {
	// Vars fills ${name} placeholders (a name without a dot, e.g. ${uri} in
	// the AWS petstore sample) in string values; ${stageVariables.x} is never
	// touched (that is resolved per request). An unfilled ${name} placeholder
	// is a Warning with its position. Mapping templates (requestTemplates,
	// responseTemplates) are left alone: ${x} is VTL syntax there.
	Vars map[string]string
}

// Import parses an OpenAPI 3.x or Swagger 2.0 document (JSON or YAML) named
// name (used in positions) into a RestAPI.
//
// The error is only for input that cannot be read as JSON or YAML; it is a
// *SyntaxError carrying file:line:col. Everything else is a Diagnostic. When
// a Diagnostic is an Error (see HasErrors) the RestAPI is what could be read
// and must not be served; it is nil when the document is not an API
// definition at all.
func Import(name string, data []byte, opts Options) (*apigw.RestAPI, []Diagnostic, error) {
	root, docs, err := parseDocument(name, data)
	if err != nil {
		return nil, nil, fmt.Errorf("import %s: %w", name, err)
	}
	im := &importer{file: name, opts: opts, root: root}
	if docs > 1 {
		im.warn(root, "", "the file holds %d YAML documents; only the first is read", "put one API definition in each file", docs)
	}
	api := im.run()
	sort.SliceStable(im.diags, func(i, j int) bool {
		a, b := im.diags[i].Pos, im.diags[j].Pos
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	return api, im.diags, nil
}

// ImportFile reads the file at path and imports it; see Import.
func ImportFile(path string, opts Options) (*apigw.RestAPI, []Diagnostic, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("import: %w", err)
	}
	return Import(path, data, opts)
}

// diag records a diagnostic at n (or at the document root when n is nil).
func (im *importer) diag(sev Severity, n *node, suffix, fix, format string, args ...any) {
	if n == nil {
		n = im.root
	}
	ptr := n.ptr
	if suffix != "" {
		ptr += "/" + escapePointer(suffix)
	}
	im.diags = append(im.diags, Diagnostic{
		Pos:      n.diagPos(),
		Severity: sev,
		Pointer:  ptr,
		Message:  fmt.Sprintf(format, args...),
		Fix:      fix,
	})
}

// warn records a Warning at n; suffix names a missing child of n, if any.
func (im *importer) warn(n *node, suffix, format, fix string, args ...any) {
	im.diag(Warning, n, suffix, fix, format, args...)
}

// fail records an Error at n; suffix names a missing child of n, if any.
func (im *importer) fail(n *node, suffix, format, fix string, args ...any) {
	im.diag(Error, n, suffix, fix, format, args...)
}

// kindName names a node kind for messages.
func kindName(n *node) string {
	if n == nil {
		return "nothing"
	}
	return [...]string{"null", "a boolean", "a number", "a string", "an object", "an array"}[n.kind]
}

// isAWSExt reports whether key is an x-amazon-apigateway-* extension.
func isAWSExt(key string) bool {
	return strings.HasPrefix(strings.ToLower(key), "x-amazon-apigateway-")
}
