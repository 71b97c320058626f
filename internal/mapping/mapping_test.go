package mapping

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/archway-gw/archway/internal/vtl"
)

func renderInput(t *testing.T, src string, in *Input) (string, *Overrides) {
	t.Helper()
	tmpl, err := vtl.Parse("t.vm", src)
	if err != nil {
		t.Fatal(err)
	}
	out, ov, err := Render(context.Background(), tmpl, in)
	if err != nil {
		t.Fatal(err)
	}
	return out, ov
}

func TestRender(t *testing.T) {
	body := []byte(`{"a-b": {"c": [1, 2.5, "x"]}, "name": "O'Neil", "n": null}`)
	base := func() *Input {
		return &Input{
			Body:           body,
			PathParams:     []Param{{"id", "42"}},
			QueryParams:    []Param{{"q", "query"}, {"id", "shadowed"}},
			Headers:        []Param{{"Accept", "application/json"}},
			StageVariables: []Param{{"env", "prod"}},
			Context:        &RequestContext{Stage: "prod", HTTPMethod: "POST", Authorizer: mapOf("principalId", "me", "n", int64(3))},
		}
	}
	tests := []struct{ name, src, want string }{
		{"path dashed key", `$input.path('$.a-b')`, `{c=[1,2.5,"x"]}`},
		{"path index", `$input.path('$.a-b.c[1]')`, `2.5`},
		{"path indefinite is a list", `$input.path('$..c[0]')`, `[1]`},
		{"path missing", `[$input.path('$.zzz')]`, `[]`},
		{"json", `$input.json('$.a-b')`, `{"c":[1,2.5,"x"]}`},
		{"json missing", `$input.json('$.zzz')`, `""`},
		{"json null", `$input.json('$.n')`, `null`},
		{"params precedence", `$input.params('id') $input.params('q') $input.params('accept') [$input.params('nope')]`, `42 query application/json []`},
		{"params map", `$input.params()`, `{path={id=42}, querystring={q=query, id=shadowed}, header={Accept=application/json}}`},
		{"stage variables", `$stageVariables.env ${stageVariables['env']} [$stageVariables.none]`, `prod prod []`},
		{"util", `$util.escapeJavaScript($input.path('$.name')) $util.urlEncode('a b&c') $util.base64Encode('hi') $util.base64Decode('aGk=') $util.urlDecode('a+b%21')`, `O\'Neil a+b%26c aGk= hi a b!`},
		{"util unknown is silent", `[$util.nope('x')]`, `[]`},
		{"parseJson", `#set($o = $util.parseJson('{"k":[1]}'))$o.k[0] $o`, `1 {k=[1]}`},
		{"context", `$context.stage $context.httpMethod $context.authorizer.principalId $context.authorizer.n [$context.identity]`, `prod POST me 3 []`},
		{"context keySet", `#foreach($k in $context.identity.keySet())#if($foreach.index < 2)$k,#end#end`, `cognitoIdentityPoolId,accountId,`},
		{"empty body", ``, ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := renderInput(t, tc.src, base())
			if diff := cmp.Diff(tc.want, out); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func mapOf(kv ...any) *vtl.Map {
	m := vtl.NewMap(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		m.Put(kv[i].(string), kv[i+1])
	}
	return m
}

func TestEmptyBody(t *testing.T) {
	out, _ := renderInput(t, `$input.body|$input.json('$')|$input.path('$').size()`, &Input{})
	if out != "{}|{}|0" {
		t.Errorf("got %q", out)
	}
}

func TestOverrides(t *testing.T) {
	src := `#set($context.requestOverride.header.X-A = "1")
#set($context.requestOverride.header['multi'] = ["a", "b"])
#set($context.requestOverride.querystring.q = 5)
#set($context.responseOverride.status = 418)
#set($context.responseOverride.header.X-R = "r")
$context.requestOverride.header.X-A`
	out, ov := renderInput(t, src, &Input{})
	if out != "1" {
		t.Errorf("output %q", out)
	}
	want := &Overrides{
		RequestHeader:      []Override{{"X-A", []string{"1"}}, {"multi", []string{"a", "b"}}},
		RequestQuerystring: []Override{{"q", []string{"5"}}},
		ResponseStatus:     418,
		ResponseHeader:     []Override{{"X-R", []string{"r"}}},
	}
	if diff := cmp.Diff(want, ov); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Overrides from the request template are visible to the response one.
	out, _ = renderInput(t, `$context.requestOverride.header.multi $context.responseOverride.status`, &Input{Overrides: ov})
	if out != "[a, b] 418" {
		t.Errorf("carried overrides rendered %q", out)
	}
}

func TestInvalidStatusIgnored(t *testing.T) {
	_, ov := renderInput(t, `#set($context.responseOverride.status = 99)`, &Input{})
	if ov.ResponseStatus != 0 {
		t.Errorf("status %d, want 0", ov.ResponseStatus)
	}
}

func TestRuntimeErrorCarriesPosition(t *testing.T) {
	tmpl, err := vtl.Parse("bad.vm", "ok\n  $util.parseJson('{')")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Render(context.Background(), tmpl, &Input{})
	var ve *vtl.Error
	if !errors.As(err, &ve) || ve.Line != 2 || ve.Col != 8 || !errors.Is(err, ErrUtil) {
		t.Fatalf("got %v", err)
	}
}

func TestNormalizePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"$.a", "$.a"},
		{"$.a-b", "$['a-b']"},
		{"$.a-b.c[0].d-e", "$['a-b'].c[0]['d-e']"},
		{"$..a-b", "$..['a-b']"},
		{"$['x-y'].z", "$['x-y'].z"},
		{"$[?(@.a-b == 1)]", "$[?(@.a-b == 1)]"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := NormalizePath(tc.in); got != tc.want {
				t.Errorf("NormalizePath(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestEscapeJavaScript(t *testing.T) {
	tests := []struct{ in, want string }{
		{`a"b`, `a\"b`}, {"it's", `it\'s`}, {"a/b", `a\/b`}, {"x\ny\tz", `x\ny\tz`},
		{"é", `\u00E9`}, {"\x01", `\u0001`}, {"😀", `\uD83D\uDE00`}, {`back\slash`, `back\\slash`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := EscapeJavaScript(tc.in); got != tc.want {
				t.Errorf("EscapeJavaScript(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestTemplateHeaders(t *testing.T) {
	got := TemplateHeaders([]Param{{"Accept", "a"}, {"Content-Length", "3"}, {"connection", "close"}, {"X-Y", "z"}})
	want := []Param{{"Accept", "a"}, {"X-Y", "z"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func BenchmarkRender(b *testing.B) {
	src := `#set($allParams = $input.params())
{
  "id": "$input.params('id')",
  "user": "$util.escapeJavaScript($input.path('$.user.name'))",
  "items": $input.json('$.items'),
  "count": $input.path('$.items').size(),
  "headers": {
#foreach($h in $allParams.header.keySet())
    "$h": "$util.escapeJavaScript($allParams.header.get($h))"#if($foreach.hasNext),#end
#end
  },
  "stage": "$context.stage"
}`
	tmpl, err := vtl.Parse("bench.vm", src)
	if err != nil {
		b.Fatal(err)
	}
	in := &Input{
		Body:       []byte(`{"user":{"name":"Ann \"A\""},"items":[{"sku":"a","qty":1},{"sku":"b","qty":2}]}`),
		PathParams: []Param{{"id", "7"}},
		Headers:    []Param{{"Accept", "application/json"}, {"User-Agent", "bench"}, {"X-Trace", "abc"}},
		Context:    &RequestContext{Stage: "prod", HTTPMethod: "POST"},
	}
	var sb strings.Builder
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		sb.Reset()
		if _, err := Execute(ctx, &sb, tmpl, in); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRenderConcurrent renders one compiled template from several
// goroutines at once (a snapshot's templates serve every request): the
// outputs must not mix, whatever state renders share (literal method
// arguments, pooled buffers). Run with -race.
func TestRenderConcurrent(t *testing.T) {
	tmpl, err := vtl.Parse("concurrent", `#set($d = $input.path('$'))#define($b)[$d.n]#end
{"n": $d.n, "name": "$util.escapeJavaScript($d.name)", "json": $input.json('$'), "p": "$input.params('q')", "b": "$b"}`)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				n := g*1000 + i
				body := fmt.Sprintf(`{"n": %d, "name": "pet/%d"}`, n, n)
				in := &Input{Body: []byte(body), QueryParams: []Param{{"q", strconv.Itoa(n)}}}
				got, _, err := Render(context.Background(), tmpl, in)
				if err != nil {
					t.Error(err)
					return
				}
				want := fmt.Sprintf(`{"n": %d, "name": "pet\/%d", "json": {"n":%d,"name":"pet/%d"}, "p": "%d", "b": "[%d]"}`, n, n, n, n, n, n)
				if got != want {
					t.Errorf("render %d: got %q, want %q", n, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
