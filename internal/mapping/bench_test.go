package mapping

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/archway-gw/archway/internal/vtl"
)

// benchRender renders src over in b.N times.
func benchRender(b *testing.B, src string, in *Input) {
	b.Helper()
	tmpl, err := vtl.Parse("bench.vm", src)
	if err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	if _, err := Execute(context.Background(), &sb, tmpl, in); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in.Body)))
	b.ReportAllocs()
	for b.Loop() {
		sb.Reset()
		if _, err := Execute(context.Background(), &sb, tmpl, in); err != nil {
			b.Fatal(err)
		}
	}
}

func benchContext() *RequestContext {
	return &RequestContext{
		ResourcePath: "/pets", HTTPMethod: "POST", Stage: "dev", RequestID: "c0ffee00-0000-4000-8000-000000000001",
		APIID: "api123", Path: "/dev/pets", Protocol: "HTTP/1.1", RequestTimeEpoch: 1764088500000,
		Identity: Identity{SourceIP: "203.0.113.7", UserAgent: "bench/1.0"},
	}
}

// BenchmarkPassthroughJSON is $input.json('$'), the most common template.
func BenchmarkPassthroughJSON(b *testing.B) {
	body := []byte(`{"id": 7, "name": "Rex", "type": "dog", "price": 249.99, "tags": ["good", "boy"], "owner": {"name": "Ann", "city": "Oslo"}}`)
	benchRender(b, `$input.json('$')`, &Input{Body: body, Context: benchContext()})
}

// reshape50 is a 30-line #foreach that reshapes every item of an array.
const reshape50 = `#set($root = $input.path('$'))
{
  "requestId": "$context.requestId",
  "stage": "$context.stage",
  "count": $root.items.size(),
  "items": [
#foreach($it in $root.items)
    {
      "id": "$it.id",
      "name": "$util.escapeJavaScript($it.name)",
      "price": $it.price,
#if($it.discount)
      "discounted": true,
      "finalPrice": $it.discount,
#else
      "discounted": false,
#end
      "tags": [#foreach($t in $it.tags)"$t"#if($foreach.hasNext),#end#end],
      "owner": {
        "name": "$it.owner.name",
        "city": "$!it.owner.city"
      },
      "position": $foreach.count,
      "last": $foreach.last
    }#if($foreach.hasNext),#end

#end
  ],
  "source": "$input.params('source')",
  "env": "$stageVariables.env"
}
`

func reshapeBody(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"items": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		disc := ""
		if i%3 == 0 {
			disc = fmt.Sprintf(`, "discount": %d.5`, i)
		}
		fmt.Fprintf(&b, `{"id": "item-%d", "name": "Item \"%d\"", "price": %d.99%s, "tags": ["t%d", "common"], "owner": {"name": "owner-%d", "city": "City"}}`, i, i, i, disc, i%7, i%5)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// BenchmarkForeachReshape50 is a 30-line #foreach reshaping a 50-item array.
func BenchmarkForeachReshape50(b *testing.B) {
	in := &Input{Body: reshapeBody(50), Context: benchContext(),
		QueryParams: []Param{{"source", "bench"}}, StageVariables: []Param{{"env", "prod"}}}
	benchRender(b, reshape50, in)
}

// BenchmarkPetStoreTemplates renders the PetStore golden templates.
func BenchmarkPetStoreTemplates(b *testing.B) {
	files, err := filepath.Glob(filepath.Join("testdata", "templates", "petstore-*.txtar"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no petstore golden files: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		g, err := parseGolden(string(data))
		if err != nil {
			b.Fatal(err)
		}
		in, err := g.input()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "petstore-"), ".txtar"), func(b *testing.B) {
			benchRender(b, g.sections["template"], in)
		})
	}
}

// BenchmarkGatewayPair renders the request and the response template of
// internal/gateway's BenchmarkHTTPTemplates (an HTTP non-proxy POST /pets)
// over the same input, without the network: the per-exchange template cost.
func BenchmarkGatewayPair(b *testing.B) {
	req, err := vtl.Parse("request", `#set($pet = $input.path('$'))
{
  "name": "$util.escapeJavaScript($pet.name)",
  "kind": "$pet.type",
  "price": $pet.price,
  "tags": $input.json('$.tags'),
  "requestId": "$context.requestId",
  "source": "$input.params('source')"
}
`)
	if err != nil {
		b.Fatal(err)
	}
	resp, err := vtl.Parse("response", `{
  "pet": $input.json('$'),
  "stage": "$context.stage",
  "message": "created"
}
`)
	if err != nil {
		b.Fatal(err)
	}
	base := Input{Context: benchContext(), QueryParams: []Param{{"source", "bench"}},
		Headers: []Param{{"Content-Type", "application/json"}, {"User-Agent", "Go-http-client/1.1"}}}
	reqBody := []byte(`{"name": "Rex", "type": "dog", "price": 249.99, "tags": ["good", "boy"]}`)
	respBody := []byte(`{"id": 7, "name": "Rex", "type": "dog", "price": 249.99}`)
	b.ReportAllocs()
	for b.Loop() {
		in := base
		in.Body = reqBody
		if _, _, err := Render(context.Background(), req, &in); err != nil {
			b.Fatal(err)
		}
		in.Body = respBody
		if _, _, err := Render(context.Background(), resp, &in); err != nil {
			b.Fatal(err)
		}
	}
}
