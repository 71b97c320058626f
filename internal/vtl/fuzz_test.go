package vtl

import (
	"context"
	"io"
	"testing"
	"time"
)

// FuzzParse checks that parsing and rendering any template neither panics
// nor runs away: rendering is bounded by Limits and a deadline.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "plain", "$a.b.c($d, 'e')[0]", "#set($x = [1..3])#foreach($i in $x)$i#end",
		"#if($a == 1 && !$b)x#elseif($c)y#{else}z#end", `\$a \\#if(1)#end #* c *# ## l`,
		`#set($s = "a${b}c")$s`, "#macro(m $a)$a#m($a)#end#m(1)", "${a|'d'}", "#define($d)x#end$d",
		"#[[raw]]#", "{'a':1}", "$a[", "#foreach(", "#set($a = \"\"\")",
	} {
		f.Add(s)
	}
	vars := map[string]any{"a": NewList(true, int64(1), "x"), "b": NewMap(0), "c": "str", "d": int64(3)}
	f.Fuzz(func(t *testing.T, src string) {
		tmpl, err := Parse("fuzz.vm", src)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = tmpl.Execute(ctx, io.Discard, NewContext(vars), Limits{MaxOutputBytes: 1 << 16, MaxSteps: 100000, MaxLoopIterations: 200})
	})
}
