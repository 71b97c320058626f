// Package vtl is a Velocity Template Language 1.7 engine: a parser and an
// evaluator, with nothing specific to AWS.
//
// Templates are parsed once with Parse (a *ParseError carries Line and Col)
// and executed many times, concurrently, with Template.Execute:
//
//	t, err := vtl.Parse("request.vm", src)
//	vars := vtl.NewContext(map[string]any{"name": "world"})
//	err = t.Execute(ctx, w, vars, vtl.Limits{})
//
// Values follow the model AWS API Gateway runs (Velocity over json-smart):
// see value.go. Maps keep insertion order and print Java-style
// ({k=v, k2=v2}); JSON lists print as compact JSON; null renders as the
// empty string and equals ""; numbers follow Java (int64 for
// Integer/Long, float64 for Double printed as Double.toString).
//
// Host objects implement Object (and optionally Setter, Iterable): the
// engine never reflects into Go values.
//
// Budgets: Parse rejects templates over DefaultMaxTemplateSize; Limits
// bounds output size, #foreach iterations, total steps and nesting; the
// context passed to Execute bounds evaluation time. Run-time failures are
// *Error values with the template line and column, wrapping ErrOutputLimit,
// ErrLoopLimit, ErrStepLimit, ErrDepthLimit, ErrMethod or the context
// error.
//
// Supported: text, ## and #* *# comments, #[[ ]]# text blocks, \$ and \#
// escapes with the Velocity 1.7 rules, $x $!x ${x} $!{x} ${x|alt},
// property chains, index $a[0] $a['k'] $a[$i], method calls; #set, #if,
// #elseif, #else, #end, #foreach (with $foreach.* and $velocityCount),
// #break, #stop, #define and #macro (arguments are passed by value, not by
// name as in Velocity); whitespace handling as in Velocity 1.7 (#set
// swallows the blanks before it; a directive's closing parenthesis, #else
// and #end swallow blanks and one line break after them). #include,
// #parse and #evaluate are rejected.
package vtl
