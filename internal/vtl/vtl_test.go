package vtl

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	v, err := ParseJSON(s)
	if err != nil {
		t.Fatalf("ParseJSON(%q): %v", s, err)
	}
	return v
}

func render(t *testing.T, src string, vars map[string]any) (string, error) {
	t.Helper()
	tmpl, err := Parse("test.vm", src)
	if err != nil {
		return "", err
	}
	return tmpl.Render(context.Background(), NewContext(vars), Limits{})
}

func TestRender(t *testing.T) {
	data := func() map[string]any {
		return map[string]any{
			"obj":   mustJSON(t, `{"foo":"bar","n":1,"list":[{"a":1}],"nested":{"x":true}}`),
			"list":  mustJSON(t, `[1,"two",{"three":3}]`),
			"str":   "Hello World",
			"num":   int64(7),
			"dbl":   1.0,
			"empty": "",
			"t":     true,
		}
	}
	tests := []struct {
		name, src, want string
	}{
		{"text", "plain text", "plain text"},
		{"map prints java style", "$obj", `{foo=bar, n=1, list=[{"a":1}], nested={x=true}}`},
		{"list prints json", "$list", `[1,"two",{"three":3}]`},
		{"property", "$obj.foo $obj.nested.x", "bar true"},
		{"undefined renders empty", "[$nope][$obj.missing][$nope.deeper]", "[][][]"},
		{"quiet and formal", "$!nope${str}$!{str}", "Hello WorldHello World"},
		{"alternate value", "${nope|'dflt'} ${str|'x'} ${empty|$num}", "dflt Hello World 7"},
		{"index", "$list[0] $list[2].three $obj['foo'] $list[-1]", "1 3 bar {three=3}"},
		{"index in set", "#set($i = 1)$list[$i]", "two"},
		{"double prints java", "$dbl ${dbl}", "1.0 1.0"},
		{"number arithmetic", "#set($a = 7 / 2)#set($b = 7 % 3)#set($c = 1.5 * 2)$a $b $c", "3 1 3.0"},
		{"division by zero is null", "#set($x = 1)#set($x = 1 / 0)$x", "1"},
		{"string concat", `#set($s = "a" + 1 + 2)$s`, "a12"},
		{"number then concat", `#set($s = 1 + 2 + "a")$s`, "3a"},
		{"interpolated string", `#set($s = "x${num}y$str")$s`, "x7yHello World"},
		{"single quotes do not interpolate", `#set($s = '$num')$s`, "$num"},
		{"doubled quotes", `#set($s = "a""b")#set($q = 'it''s')$s $q`, `a"b it's`},
		{"if elseif else", "#if($num > 10)big#elseif($num > 5)mid#{else}small#end", "mid"},
		{"word operators", "#if($num gt 5 and not $empty.equals('x'))yes#end", "yes"},
		{"null equals empty string", `#if($nope == "")a#end#if($nope == $null)b#end#if($nope != '')c#end`, "ab"},
		{"empty string is truthy", "#if($empty)t#{else}f#end", "t"},
		{"number equals string by toString", `#if($num == "7")eq#end`, "eq"},
		{"numeric equality across types", `#if(1 == 1.0)eq#end`, "eq"},
		{"foreach list", "#foreach($x in $list)$foreach.index:$x#if($foreach.hasNext),#end#end", `0:1,1:two,2:{three=3}`},
		{"foreach map values", "#foreach($v in $obj.nested)$v#end", "true"},
		{"foreach keySet", "#foreach($k in $obj.keySet())$k;#end", "foo;n;list;nested;"},
		{"foreach entrySet", "#foreach($e in $obj.nested.entrySet())$e.key=$e.value $e.getKey()#end", "x=true x"},
		{"foreach range", "#foreach($i in [1..3])$i$velocityCount#end", "112233"},
		{"foreach descending range", "#foreach($i in [3..1])$i#end", "321"},
		{"foreach break", "#foreach($i in [1..5])#if($i == 3)#break#end$i#end", "12"},
		{"foreach restores var", "#set($i = 'x')#foreach($i in [1..2])#end$i", "x"},
		{"foreach over null", "#foreach($i in $nope)x#end", ""},
		{"set null leaves value", "#set($a = 1)#set($a = $nope)$a", "1"},
		{"set map key", "#set($m = {})#set($m.k = 'v')#set($m['j'] = 2)$m", "{k=v, j=2}"},
		{"list literal prints java", "#set($l = [1, 'a', true])$l", "[1, a, true]"},
		{"map literal", "#set($m = {'a': 1, \"b\": [1,2]})$m", "{a=1, b=[1, 2]}"},
		{"list add renders true", "#set($l = [])$l.add(1) $l", "true [1]"},
		{"map put returns previous", "#set($m = {'a':1})$m.put('a', 2)|$m.put('b', 3)|$m", "1||{a=2, b=3}"},
		{"string methods", `$str.length() $str.substring(6) $str.indexOf("o") $str.toUpperCase() $str.contains("World")`, "11 World 4 HELLO WORLD true"},
		{"string replace", `$str.replace("l", "L") $str.replaceAll("o(.)", "0$1") $str.replaceFirst("l+", "_")`, "HeLLo WorLd Hell0 W0rld He_o World"},
		{"string split", `#set($c = "a,b,,c,,")#set($p = $c.split(","))$p.size() $p[3]`, "4 c"},
		{"string matches", `$str.matches("H.*d") $str.matches("World")`, "true false"},
		{"trim and case", `#set($s = "  Ab  ")[$s.trim().toLowerCase()]`, "[ab]"},
		{"chained calls", `${str.trim().toLowerCase().replaceAll("^(.*)\s(.*)$","$1-$2")}`, "hello-world"},
		{"empty property", "$empty.empty $str.isEmpty()", "true false"},
		{"list methods", "$list.size() $list.get(1) $list.contains('two') $list.indexOf(1) $list.isEmpty()", "3 two true 0 false"},
		{"map methods", "$obj.containsKey('foo') $obj.get('n') $obj.size() $obj.keySet()", "true 1 4 [foo, n, list, nested]"},
		{"line comment", "a## comment\nb", "ab"},
		{"block comment", "a#* c\n *#b#** d *#c", "abc"},
		{"text block", "#[[$notref #if]]#", "$notref #if"},
		{"escaped defined ref", `\$str`, "$str"},
		{"escaped undefined ref", `\$nope`, `\$nope`},
		{"double backslash defined ref", `\\$num`, `\7`},
		{"escaped directive", `\#if($t)x\#end`, "#if(true)x#end"},
		{"lone hash and dollar", "# $ $1 #1 $.x", "# $ $1 #1 $.x"},
		{"unknown directive is text", "color: #fff; #foo(bar)", "color: #fff; #foo(bar)"},
		{"hyphen in identifier", "#set($a-b = 1)$a-b", "1"},
		{"dot without identifier", "$str.", "Hello World."},
		{"set swallows line", "a\n#set($x = 1)\nb", "a\nb"},
		{"set swallows blanks after a token", "a\n  #set($x = 1)\n  #set($y = 2)\nb", "a\n  b"},
		{"directive newline eaten", "#if(true)\nyes\n#end\nafter", "yes\nafter"},
		{"indentation before directives kept", "x\n  #if(true)\n  y\n  #end\n", "x\n    y\n  "},
		{"else swallows newline", "#if(false)\na\n#else\nb\n#end\n", "b\n"},
		{"define", "#define($blk)v=$num#end$blk $blk", "v=7 v=7"},
		{"macro", "#macro(greet $who)Hi $who!#end#greet('Bob') #greet($str)", "Hi Bob! Hi Hello World!"},
		{"stop", "a#stop b", "a"},
		{"foreach nested parent", "#foreach($a in [1,2])#foreach($b in [1])$foreach.parent.index#end#end", "01"},
		{"booleans", "$t ${t}", "true true"},
		{"negative literal", "#set($n = -3)$n", "-3"},
		{"parenthesised", "#set($n = (1 + 2) * 3)$n", "9"},
		{"json number printing", "#set($m = $obj)$m.n", "1"},
		{"equality deep maps", "#if({'a':1} == {'a':1})same#end", "same"},
		{"alternate on formal chain", "${obj.missing|'none'}", "none"},
		{"count alias on list", "$list.count()", "3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := render(t, tc.src, data())
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
	}{
		{"missing end", "a\n#if(true)x", 2, 11},
		{"stray end", "ab\n  #end", 2, 3},
		{"bad expression", "#set($a = )", 1, 11},
		{"unterminated string", "#set($a = 'x)", 1, 11},
		{"unterminated comment", "x #* y", 1, 3},
		{"unterminated formal", "${a", 1, 4},
		{"include rejected", "#include('x')", 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.vm", tc.src)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("want *ParseError, got %v", err)
			}
			if pe.Line != tc.line || pe.Col != tc.col {
				t.Errorf("position %d:%d, want %d:%d (%v)", pe.Line, pe.Col, tc.line, tc.col, pe)
			}
		})
	}
}

func TestRuntimeErrors(t *testing.T) {
	tests := []struct {
		name, src string
		limits    Limits
		want      error
		line, col int
	}{
		{"index out of range", "x\n $l[5]", Limits{}, ErrMethod, 2, 4},
		{"substring out of range", "$s.substring(9)", Limits{}, ErrMethod, 1, 3},
		{"loop limit", "#foreach($i in [1..20])$i#end", Limits{MaxLoopIterations: 10}, ErrLoopLimit, 1, 1},
		{"output limit", "#foreach($i in [1..100])xxxxxxxxxx#end", Limits{MaxOutputBytes: 50}, ErrOutputLimit, 1, 25},
		{"step limit", "#foreach($i in [1..100])#foreach($j in [1..100])#end#end", Limits{MaxSteps: 500}, ErrStepLimit, 1, 25},
		{"macro recursion", "#macro(r)#r()#end#r()", Limits{}, ErrDepthLimit, 1, 10},
		{"unsupported regex", `$s.replaceAll("(a)\1", "")`, Limits{}, ErrMethod, 1, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := Parse("t.vm", tc.src)
			if err != nil {
				t.Fatal(err)
			}
			vars := NewContext(map[string]any{"l": NewList(true, int64(1)), "s": "abc"})
			_, err = tmpl.Render(context.Background(), vars, tc.limits)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("want *Error, got %T", err)
			}
			if re.Line != tc.line || re.Col != tc.col {
				t.Errorf("position %d:%d, want %d:%d (%v)", re.Line, re.Col, tc.line, tc.col, re)
			}
		})
	}
}

func TestContextCancel(t *testing.T) {
	tmpl, err := Parse("t.vm", "#foreach($i in [1..1000])#foreach($j in [1..1000])#end#end")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tmpl.Render(ctx, nil, Limits{MaxSteps: 1 << 30})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

func TestTemplateTooLarge(t *testing.T) {
	_, err := ParseSize("big.vm", strings.Repeat("x", 100), 10)
	if !errors.Is(err, ErrTemplateTooLarge) {
		t.Fatalf("want ErrTemplateTooLarge, got %v", err)
	}
}

func TestFormatDouble(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{1, "1.0"}, {0.5, "0.5"}, {249.99, "249.99"}, {1e7, "1.0E7"}, {1.5e-4, "1.5E-4"},
		{0.001, "0.001"}, {-2.25, "-2.25"}, {123456789.5, "1.234567895E8"}, {0, "0.0"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := FormatDouble(tc.in); got != tc.want {
				t.Errorf("FormatDouble(%v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"b": 1, "a": [true, null, 1.5, "x\"y"]}`, `{"b":1,"a":[true,null,1.5,"x\"y"]}`},
		{`"\u00e9\n"`, `"é\n"`},
		{`[1e2, -0, 12345678901234567890]`, `[100.0,0,1.2345678901234567E19]`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := JSON(mustJSON(t, tc.in)); got != tc.want {
				t.Errorf("JSON = %s, want %s", got, tc.want)
			}
		})
	}
}
