package openapi

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

const kinFix = "optional: API Gateway accepts the definition as it is; fix it for other OpenAPI tools"

// kinWarnings runs kin-openapi's validation and reports its findings as
// Warnings: it rejects definitions AWS accepts (no info.version, undeclared
// security schemes), so it never refuses an import.
func (im *importer) kinWarnings() {
	defer func() {
		if r := recover(); r != nil {
			im.warn(im.root, "", "OpenAPI validation (kin-openapi) crashed on this document: %v", kinFix, r)
		}
	}()
	data := encodeJSON(im.root, "")
	doc, err := im.kinLoad(data)
	if err != nil {
		im.kinWarning(err, "OpenAPI validation: cannot load the document")
		return
	}
	opts := []openapi3.ValidationOption{
		openapi3.DisableExamplesValidation(),
		openapi3.AllowExtraSiblingFields("description"),
	}
	if err := doc.Validate(context.Background(), opts...); err != nil {
		im.kinWarning(err, "OpenAPI validation")
	}
}

// kinLoad loads the document into kin-openapi's OpenAPI 3 model, converting
// Swagger 2.0 first.
func (im *importer) kinLoad(data []byte) (*openapi3.T, error) {
	if im.oas3 {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(data)
		if err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		return doc, nil
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(data, &doc2); err != nil {
		return nil, fmt.Errorf("decode Swagger 2.0: %w", err)
	}
	doc, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, fmt.Errorf("convert Swagger 2.0: %w", err)
	}
	return doc, nil
}

var (
	kinPointer   = regexp.MustCompile(`/[^\s:"',]+`)
	kinPath      = regexp.MustCompile(`invalid path (/\S*):`)
	kinOperation = regexp.MustCompile(`invalid operation (\w+):`)
)

// kinWarning reports one kin-openapi error at the most specific node its
// message names, else at the document.
func (im *importer) kinWarning(err error, prefix string) {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	n := im.kinNode(msg)
	if n == nil {
		n = im.root
	}
	im.warn(n, "", "%s: %s", kinFix, prefix, msg)
}

// kinNode finds the node a kin-openapi message is about: the longest JSON
// pointer in it that resolves, else the path and operation it names.
func (im *importer) kinNode(msg string) *node {
	var best *node
	for _, p := range kinPointer.FindAllString(msg, -1) {
		for ; p != ""; p = p[:strings.LastIndex(p, "/")] {
			if n := im.root.lookup(p); n != nil && n != im.root {
				if best == nil || len(n.ptr) > len(best.ptr) {
					best = n
				}
				break
			}
		}
	}
	if best != nil {
		return best
	}
	if strings.HasPrefix(msg, "invalid info") && im.root.get("info") != nil {
		return im.root.get("info")
	}
	if m := kinPath.FindStringSubmatch(msg); m != nil {
		p := im.root.get("paths").get(m[1])
		if o := kinOperation.FindStringSubmatch(msg); o != nil && p.get(strings.ToLower(o[1])) != nil {
			return p.get(strings.ToLower(o[1]))
		}
		return p
	}
	return nil
}
