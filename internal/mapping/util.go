package mapping

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf16"

	"github.com/archway-gw/archway/internal/vtl"
)

// ErrUtil is wrapped by $util function failures (bad JSON, bad base64, bad
// percent-encoding).
var ErrUtil = errors.New("$util function failed")

// utilObject is $util. Unknown functions evaluate to null, as on AWS.
type utilObject struct{}

// Property implements vtl.Object.
func (utilObject) Property(string) (any, bool) { return nil, false }

// String implements vtl.Object.
func (utilObject) String() string { return "" }

// Call implements vtl.Object.
func (utilObject) Call(name string, args []any) (any, bool, error) {
	if len(args) != 1 {
		return nil, false, nil
	}
	a := args[0]
	if name == "escapeJavaScript" {
		return EscapeJavaScript(vtl.ToString(a)), true, nil
	}
	f, ok := utilFuncs[name]
	if !ok {
		return nil, false, nil
	}
	if a == nil {
		return nil, true, nil
	}
	v, err := f(vtl.ToString(a))
	if err != nil {
		return nil, true, fmt.Errorf("%w: $util.%s: %w", ErrUtil, name, err)
	}
	return v, true, nil
}

var utilFuncs = map[string]func(string) (any, error){
	"parseJson":    func(s string) (any, error) { return vtl.ParseJSON(s) },
	"urlEncode":    func(s string) (any, error) { return URLEncode(s), nil },
	"urlDecode":    urlDecode,
	"base64Encode": func(s string) (any, error) { return base64.StdEncoding.EncodeToString([]byte(s)), nil },
	"base64Decode": base64Decode,
}

func urlDecode(s string) (any, error) {
	return url.QueryUnescape(s)
}

func base64Decode(s string) (any, error) {
	s = strings.TrimSpace(s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
			return nil, err
		}
	}
	return string(b), nil
}

// URLEncode is Java's URLEncoder.encode(s, "UTF-8"): form encoding, space
// as '+', only A-Z a-z 0-9 . - * _ left as they are.
func URLEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			c == '.', c == '-', c == '*', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
		}
	}
	return b.String()
}

// EscapeJavaScript is commons-lang 2 StringEscapeUtils.escapeJavaScript,
// which AWS documents: quotes (single ones too), backslash and '/' are
// backslash-escaped, control characters use \b \t \n \f \r or \u00XX and
// every non-ASCII UTF-16 unit becomes \uXXXX.
func EscapeJavaScript(s string) string {
	if !needsJSEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		if r > 0xffff {
			for _, u := range utf16.Encode([]rune{r}) {
				writeUnicodeEscape(&b, rune(u))
			}
			continue
		}
		escapeJSRune(&b, r)
	}
	return b.String()
}

// needsJSEscape reports whether EscapeJavaScript changes s: whether it
// holds anything but printable ASCII other than ' " \\ and /.
func needsJSEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20 || c > 0x7f, c == '\'', c == '"', c == '\\', c == '/':
			return true
		}
	}
	return false
}

func escapeJSRune(b *strings.Builder, r rune) {
	switch r {
	case '\b':
		b.WriteString(`\b`)
	case '\n':
		b.WriteString(`\n`)
	case '\t':
		b.WriteString(`\t`)
	case '\f':
		b.WriteString(`\f`)
	case '\r':
		b.WriteString(`\r`)
	case '\'':
		b.WriteString(`\'`)
	case '"':
		b.WriteString(`\"`)
	case '\\':
		b.WriteString(`\\`)
	case '/':
		b.WriteString(`\/`)
	default:
		if r < 0x20 || r > 0x7f {
			writeUnicodeEscape(b, r)
			return
		}
		b.WriteRune(r)
	}
}

func writeUnicodeEscape(b *strings.Builder, r rune) {
	fmt.Fprintf(b, `\u%04X`, r)
}
