package openapi

import (
	"regexp"
	"strings"
)

// placeholder matches ${name} with a name without a dot; ${stageVariables.x}
// and ${context.x} are left for request time.
var placeholder = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_:-]*)\}`)

// templateKeys hold mapping templates, where ${x} is VTL, not a placeholder.
var templateKeys = map[string]bool{"requestTemplates": true, "responseTemplates": true}

// fillVars substitutes Options.Vars into every string value outside mapping
// templates and warns about placeholders left unfilled.
func (im *importer) fillVars(n *node, inTemplate bool) {
	switch n.kind {
	case kStr:
		if !inTemplate && strings.Contains(n.text, "${") {
			n.text = im.substitute(n)
		}
	case kMap, kSeq:
		for i, kid := range n.kids {
			tmpl := inTemplate || (n.kind == kMap && templateKeys[n.keys[i]])
			im.fillVars(kid, tmpl)
		}
	}
}

func (im *importer) substitute(n *node) string {
	var missing []string
	out := placeholder.ReplaceAllStringFunc(n.text, func(m string) string {
		name := m[2 : len(m)-1]
		if v, ok := im.opts.Vars[name]; ok {
			return v
		}
		missing = append(missing, name)
		return m
	})
	for _, name := range missing {
		im.warn(n, "", "placeholder ${%s} is not filled; the value is used literally", "pass a value for "+name+" in the import variables (Options.Vars), or write the value in the file", name)
	}
	return out
}
