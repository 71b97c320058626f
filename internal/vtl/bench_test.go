package vtl

import (
	"context"
	"strings"
	"testing"
)

const benchTemplate = `#set($inputRoot = $input)
{
  "id": "$inputRoot.id",
  "items": [
#foreach($it in $inputRoot.items)
    {"name": "$it.name", "price": $it.price, "tags": $it.tags}#if($foreach.hasNext),#end
#end
  ]#if($inputRoot.note != ""),
  "note": "$inputRoot.note"#end
}
`

func BenchmarkExecute(b *testing.B) {
	tmpl, err := Parse("bench.vm", benchTemplate)
	if err != nil {
		b.Fatal(err)
	}
	doc, err := ParseJSON(`{"id":"abc","note":"hello","items":[{"name":"a","price":1.5,"tags":["x","y"]},{"name":"b","price":2,"tags":[]},{"name":"c","price":3.25,"tags":["z"]}]}`)
	if err != nil {
		b.Fatal(err)
	}
	base := map[string]any{"input": doc}
	var sb strings.Builder
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		sb.Reset()
		if err := tmpl.Execute(ctx, &sb, NewContext(base), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
