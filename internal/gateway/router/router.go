package router

import (
	"net/url"
	"strings"
)

// AnyMethod is the method key of x-amazon-apigateway-any-method.
const AnyMethod = "ANY"

// Route is one resource to add to a Router: its path template and the value
// served for each method (upper case, or AnyMethod).
type Route[T any] struct {
	Path    string
	Methods map[string]T
}

// Param is one matched path parameter. Value is the raw, still
// percent-encoded path text, as API Gateway passes it on.
type Param struct {
	Name, Value string
}

// Result is the outcome of a match.
type Result[T any] struct {
	// Value is the method's value; valid when Found.
	Value T
	// Resource is the resource path template that matched, e.g. /pets/{petId}.
	Resource string
	// Params are the path parameters in template order.
	Params []Param
	// Found is true when a resource defines the method (or ANY).
	Found bool
	// PathMatched is true when some resource matched the path, whatever the method.
	PathMatched bool
}

type node[T any] struct {
	static   map[string]*node[T]
	param    *node[T]
	greedy   *node[T]
	name     string // parameter name for param/greedy nodes
	resource string
	methods  map[string]T
	hasRes   bool
}

// Router is an immutable resource tree, safe for concurrent use.
type Router[T any] struct {
	root *node[T]
}

// New builds a router. It fails like AWS's import does on invalid templates
// and on sibling parameters with different names.
func New[T any](routes []Route[T]) (*Router[T], error) {
	r := &Router[T]{root: &node[T]{}}
	for _, rt := range routes {
		segs, err := ParseTemplate(rt.Path)
		if err != nil {
			return nil, err
		}
		n := r.root
		for _, s := range segs {
			n, err = n.child(rt.Path, s)
			if err != nil {
				return nil, err
			}
		}
		if n.hasRes {
			return nil, &TemplateError{rt.Path, "is defined twice", "merge the two definitions of this resource"}
		}
		n.hasRes, n.resource, n.methods = true, rt.Path, rt.Methods
	}
	return r, nil
}

func (n *node[T]) child(path string, s Segment) (*node[T], error) {
	switch s.Kind {
	case Static:
		if n.static == nil {
			n.static = map[string]*node[T]{}
		}
		c, ok := n.static[s.Value]
		if !ok {
			c = &node[T]{}
			n.static[s.Value] = c
		}
		return c, nil
	default:
		slot := &n.param
		if s.Kind == Greedy {
			slot = &n.greedy
		}
		other := n.param
		if s.Kind == ParamSeg {
			other = n.greedy
		}
		if other != nil && other.name != s.Value {
			return nil, &TemplateError{path, "a sibling {" + other.name + "} already has a variable path part", "only one variable path part is allowed per level: rename {" + s.Value + "} to {" + other.name + "}"}
		}
		if *slot == nil {
			*slot = &node[T]{name: s.Value}
		} else if (*slot).name != s.Value {
			return nil, &TemplateError{path, "a sibling {" + (*slot).name + "} already has a variable path part", "rename {" + s.Value + "} to {" + (*slot).name + "}"}
		}
		return *slot, nil
	}
}

// Match finds the resource and method for a request. rawPath is the path
// after the stage, still percent-encoded (e.g. /pets/a%2Fb). Empty path
// parts (doubled or trailing slashes) are ignored for matching, as AWS does.
func (r *Router[T]) Match(method, rawPath string) Result[T] {
	var res Result[T]
	segs := splitPath(rawPath)
	params := make([]Param, 0, 4)
	r.root.match(method, rawPath, segs, params, &res)
	return res
}

// pathSeg is one non-empty part of the request path and where it starts.
type pathSeg struct {
	raw   string
	start int
}

func splitPath(p string) []pathSeg {
	segs := make([]pathSeg, 0, 8)
	i := 0
	for i < len(p) {
		if p[i] == '/' {
			i++
			continue
		}
		j := strings.IndexByte(p[i:], '/')
		if j < 0 {
			j = len(p) - i
		}
		segs = append(segs, pathSeg{raw: p[i : i+j], start: i})
		i += j
	}
	return segs
}

// match walks the tree depth-first in AWS precedence order and stops at the
// first resource that serves the method.
func (n *node[T]) match(method, full string, segs []pathSeg, params []Param, res *Result[T]) bool {
	if len(segs) == 0 {
		return n.accept(method, params, res)
	}
	s := segs[0]
	if n.static != nil {
		key := s.raw
		if strings.IndexByte(key, '%') >= 0 {
			if d, err := url.PathUnescape(key); err == nil {
				key = d
			}
		}
		if c, ok := n.static[key]; ok && c.match(method, full, segs[1:], params, res) {
			return true
		}
	}
	if n.param != nil && n.param.match(method, full, segs[1:], append(params, Param{n.param.name, s.raw}), res) {
		return true
	}
	if n.greedy != nil {
		rest := strings.TrimRight(full[s.start:], "/")
		return n.greedy.accept(method, append(params, Param{n.greedy.name, rest}), res)
	}
	return false
}

func (n *node[T]) accept(method string, params []Param, res *Result[T]) bool {
	if !n.hasRes {
		return false
	}
	res.PathMatched = true
	v, ok := n.methods[method]
	if !ok {
		v, ok = n.methods[AnyMethod]
	}
	if !ok {
		return false
	}
	res.Value, res.Resource, res.Found = v, n.resource, true
	res.Params = append(res.Params[:0], params...)
	return true
}
