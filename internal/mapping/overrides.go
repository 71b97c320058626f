package mapping

import (
	"strconv"
	"strings"

	"github.com/archway-gw/archway/internal/vtl"
)

func overrideMap(prev []Override) *opaque {
	o := newOpaque(len(prev))
	for _, ov := range prev {
		if len(ov.Values) == 1 {
			o.m.Put(ov.Name, ov.Values[0])
			continue
		}
		items := make([]any, len(ov.Values))
		for i, v := range ov.Values {
			items[i] = v
		}
		o.m.Put(ov.Name, vtl.NewList(false, items...))
	}
	return o
}

// newRequestOverride builds $context.requestOverride (keys path, header,
// querystring, in AWS's order), seeded with earlier overrides.
func newRequestOverride(prev *Overrides) *opaque {
	if prev == nil {
		prev = &Overrides{}
	}
	o := newOpaque(3)
	o.m.Put("path", overrideMap(prev.RequestPath))
	o.m.Put("header", overrideMap(prev.RequestHeader))
	o.m.Put("querystring", overrideMap(prev.RequestQuerystring))
	return o
}

// newResponseOverride builds $context.responseOverride: header, and
// status once set.
func newResponseOverride(prev *Overrides) *opaque {
	if prev == nil {
		prev = &Overrides{}
	}
	o := newOpaque(2)
	o.m.Put("header", overrideMap(prev.ResponseHeader))
	if prev.ResponseStatus != 0 {
		o.m.Put("status", int64(prev.ResponseStatus))
	}
	return o
}

// overrides reads back what the template set, over what earlier templates
// set (Input.Overrides). Override maps the template never touched were
// never built: their part is carried over as it was.
func (e *env) overrides() *Overrides {
	if prev := e.in.Overrides; prev != nil && (e.context == nil || e.context.reqOv == nil && e.context.respOv == nil) &&
		(prev.ResponseStatus == 0 || statusValue(int64(prev.ResponseStatus)) != 0) {
		return prev // the template set nothing: the earlier overrides, as they are
	}
	var ov Overrides
	if e.in.Overrides != nil {
		ov = *e.in.Overrides
	}
	if ov.ResponseStatus != 0 && statusValue(int64(ov.ResponseStatus)) == 0 {
		ov.ResponseStatus = 0
	}
	if e.context == nil {
		return &ov
	}
	if req := e.context.reqOv; req != nil {
		ov.RequestPath = readOverrides(req, "path")
		ov.RequestHeader = readOverrides(req, "header")
		ov.RequestQuerystring = readOverrides(req, "querystring")
	}
	if resp := e.context.respOv; resp != nil {
		ov.ResponseHeader = readOverrides(resp, "header")
		ov.ResponseStatus = 0
		if v, ok := resp.m.Get("status"); ok {
			ov.ResponseStatus = statusValue(v)
		}
	}
	return &ov
}

func readOverrides(parent *opaque, key string) []Override {
	v, _ := parent.m.Get(key)
	var m *vtl.Map
	switch x := v.(type) {
	case *opaque:
		m = x.m
	case *vtl.Map:
		m = x
	default:
		return nil
	}
	var out []Override
	m.Range(func(k string, v any) bool {
		if v == nil {
			return true
		}
		ov := Override{Name: k}
		if l, ok := v.(*vtl.List); ok {
			for _, it := range l.Items {
				ov.Values = append(ov.Values, vtl.ToString(it))
			}
		} else {
			ov.Values = []string{vtl.ToString(v)}
		}
		out = append(out, ov)
		return true
	})
	return out
}

// statusValue accepts 100-599 as a number or numeric string.
func statusValue(v any) int {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case float64:
		n = int64(x)
	case string:
		var err error
		if n, err = strconv.ParseInt(strings.TrimSpace(x), 10, 64); err != nil {
			return 0
		}
	default:
		return 0
	}
	if n < 100 || n > 599 {
		return 0
	}
	return int(n)
}
