package pipeline

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/archway-gw/archway/internal/diag"
)

// contentHandling is a compiled contentHandling value (integration or
// integration response).
type contentHandling uint8

const (
	handlingPassthrough contentHandling = iota // unset
	handlingToText                             // CONVERT_TO_TEXT
	handlingToBinary                           // CONVERT_TO_BINARY
)

func compileContentHandling(s string) contentHandling {
	switch strings.ToUpper(s) {
	case "CONVERT_TO_TEXT":
		return handlingToText
	case "CONVERT_TO_BINARY":
		return handlingToBinary
	}
	return handlingPassthrough
}

// MediaTypes is an API's compiled binaryMediaTypes: exact types, type/*
// wildcards and the */* catch-all. A nil *MediaTypes matches nothing.
type MediaTypes struct {
	all      bool
	exact    []string // "type/subtype", lower case
	prefixes []string // "type/" of "type/*", lower case
}

// CompileMediaTypes compiles binaryMediaTypes once per API. Entries AWS does
// not honour (*/subtype, or not type/subtype) are left out and returned as
// warnings. It returns nil when nothing can match.
func CompileMediaTypes(list []string) (*MediaTypes, []string) {
	var warns []string
	mt := &MediaTypes{}
	for _, raw := range list {
		s := strings.ToLower(strings.TrimSpace(raw))
		if i := strings.IndexByte(s, ';'); i >= 0 {
			s = strings.TrimSpace(s[:i])
		}
		typ, sub, ok := strings.Cut(s, "/")
		switch {
		case !ok || typ == "" || sub == "" || strings.Contains(sub, "/"):
			warns = append(warns, fmt.Sprintf("binary media type %q is not type/subtype and never matches", raw))
		case typ == "*" && sub == "*":
			mt.all = true
		case typ == "*":
			warns = append(warns, fmt.Sprintf("binary media type %q never matches: AWS supports type/* and */*, not */subtype", raw))
		case sub == "*":
			mt.prefixes = append(mt.prefixes, typ+"/")
		default:
			mt.exact = append(mt.exact, s)
		}
	}
	if !mt.all && len(mt.exact) == 0 && len(mt.prefixes) == 0 {
		return nil, warns
	}
	return mt, warns
}

// Match reports whether the first media type of a Content-Type or Accept
// value is binary: only the first one counts, as on AWS.
func (mt *MediaTypes) Match(v string) bool {
	if mt == nil || v == "" {
		return false
	}
	if i := strings.IndexAny(v, ",;"); i >= 0 {
		v = v[:i]
	}
	v = strings.TrimSpace(v)
	slash := strings.IndexByte(v, '/')
	if slash <= 0 || slash == len(v)-1 {
		return false
	}
	if mt.all {
		return true
	}
	for _, e := range mt.exact {
		if strings.EqualFold(e, v) {
			return true
		}
	}
	for _, p := range mt.prefixes {
		if len(v) > len(p) && strings.EqualFold(p, v[:len(p)]) {
			return true
		}
	}
	return false
}

// convertPayload applies contentHandling to a payload whose kind (binary or
// text) is known, and says whether the result is binary. Text is UTF-8:
// invalid bytes become U+FFFD. toBinaryByDefault is what an unset
// contentHandling does with text (the response direction chosen by Accept);
// toTextByDefault likewise with binary.
func convertPayload(body []byte, binary bool, h contentHandling, toBinaryByDefault, toTextByDefault bool) ([]byte, bool, error) {
	if binary {
		if h == handlingToText || (h == handlingPassthrough && toTextByDefault) {
			return encodeBase64(body), false, nil
		}
		return body, true, nil
	}
	if h == handlingToBinary || (h == handlingPassthrough && toBinaryByDefault) {
		out, err := decodeBase64(body)
		if err != nil {
			return nil, false, err
		}
		return out, true, nil
	}
	return toValidUTF8(body), false, nil
}

// convertRequest converts the method request payload for the integration
// request: binary iff its Content-Type matches binaryMediaTypes.
func (m *Method) convertRequest(x *Exchange) ([]byte, bool, error) {
	binary := m.binary.Match(x.Req.Header.Get("Content-Type"))
	out, bin, err := convertPayload(x.Body, binary, m.reqHandling, false, false)
	if err != nil {
		return nil, false, diag.Wrap(diag.PhaseIntegrationRequest, diag.BinaryConversionFailed, err,
			"contentHandling CONVERT_TO_BINARY: the request body is not base64")
	}
	return out, bin, nil
}

// convertResponse converts the endpoint response payload for the method
// response: binary iff the endpoint's Content-Type matches binaryMediaTypes;
// without contentHandling the first Accept media type picks the direction.
func (m *Method) convertResponse(x *Exchange, ir *IntegrationResponse, contentType string, body []byte) ([]byte, bool, error) {
	binary := m.binary.Match(contentType)
	accept := m.binary.Match(x.Req.Header.Get("Accept"))
	out, bin, err := convertPayload(body, binary, ir.handling, accept, !accept)
	if err != nil {
		why := "the Accept media type is binary and the text payload is not base64"
		if ir.handling == handlingToBinary {
			why = "contentHandling CONVERT_TO_BINARY: the response body is not base64"
		}
		return nil, false, diag.Wrap(diag.PhaseIntegrationResponse, diag.BinaryConversionFailed, err, why)
	}
	return out, bin, nil
}

// convertProxyRequest applies the integration's contentHandling to an
// HTTP_PROXY request body: only a real conversion (binary to base64 text,
// base64 text to binary) changes it; proxies otherwise pass bytes through.
func (m *Method) convertProxyRequest(x *Exchange) ([]byte, error) {
	binary := m.binary.Match(x.Req.Header.Get("Content-Type"))
	switch {
	case binary && m.reqHandling == handlingToText:
		return encodeBase64(x.Body), nil
	case !binary && m.reqHandling == handlingToBinary:
		out, err := decodeBase64(x.Body)
		if err != nil {
			return nil, diag.Wrap(diag.PhaseIntegrationRequest, diag.BinaryConversionFailed, err,
				"contentHandling CONVERT_TO_BINARY: the request body is not base64")
		}
		return out, nil
	}
	return x.Body, nil
}

func encodeBase64(b []byte) []byte {
	out := make([]byte, base64.StdEncoding.EncodedLen(len(b)))
	base64.StdEncoding.Encode(out, b)
	return out
}

var errNotBase64 = errors.New("payload is not base64")

// decodeBase64 decodes standard base64 as Java's basic decoder does: the
// padding may be left out but not cut short, and no other byte (not even a
// line break, which Go's decoder skips) is allowed.
func decodeBase64(b []byte) ([]byte, error) {
	for i, c := range b {
		if c == '\r' || c == '\n' {
			return nil, fmt.Errorf("%w: line break at byte %d", errNotBase64, i)
		}
	}
	enc := base64.StdEncoding
	if len(b)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	out := make([]byte, enc.DecodedLen(len(b)))
	n, err := enc.Decode(out, b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNotBase64, err)
	}
	return out[:n], nil
}

// toValidUTF8 returns b with every ill-formed sequence replaced by U+FFFD,
// one replacement per maximal subpart (the Unicode recommendation, which
// Java's and Python's decoders follow; Go's range loop replaces byte by
// byte and strings.ToValidUTF8 a whole run). Valid input is returned as is.
func toValidUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			out = append(out, c)
			i++
			continue
		}
		need, lo, hi := 0, byte(0x80), byte(0xBF)
		switch {
		case c >= 0xC2 && c <= 0xDF:
			need = 1
		case c == 0xE0:
			need, lo = 2, 0xA0
		case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
			need = 2
		case c == 0xED:
			need, hi = 2, 0x9F
		case c == 0xF0:
			need, lo = 3, 0x90
		case c >= 0xF1 && c <= 0xF3:
			need = 3
		case c == 0xF4:
			need, hi = 3, 0x8F
		}
		j := 1
		for ; j <= need && i+j < len(b); j++ {
			d := b[i+j]
			if d < lo || d > hi {
				break
			}
			lo, hi = 0x80, 0xBF
		}
		if need > 0 && j == need+1 {
			out = append(out, b[i:i+j]...)
		} else {
			out = append(out, "\uFFFD"...)
		}
		i += j
	}
	return out
}
