package authorizer

import (
	"fmt"
	"strings"

	"github.com/archway-gw/archway/internal/exec"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
)

// identitySource is one entry of an authorizer's identitySource:
// method.request.header.NAME, method.request.querystring.NAME,
// stageVariables.NAME or context.NAME.
type identitySource struct {
	expr string // as written
	kind string // header, querystring, stage, context
	name string
}

// parseIdentitySources reads a comma-separated identitySource.
func parseIdentitySources(s string) ([]identitySource, error) {
	var out []identitySource
	for _, part := range strings.Split(s, ",") {
		e := strings.TrimSpace(part)
		if e == "" {
			continue
		}
		src := identitySource{expr: e}
		switch {
		case strings.HasPrefix(e, "method.request.header."):
			src.kind, src.name = "header", e[len("method.request.header."):]
		case strings.HasPrefix(e, "method.request.querystring."):
			src.kind, src.name = "querystring", e[len("method.request.querystring."):]
		case strings.HasPrefix(e, "stageVariables."):
			src.kind, src.name = "stage", e[len("stageVariables."):]
		case strings.HasPrefix(e, "context."):
			src.kind, src.name = "context", e[len("context."):]
		default:
			return nil, fmt.Errorf("identity source %q is not method.request.header.NAME, method.request.querystring.NAME, stageVariables.NAME or context.NAME", e)
		}
		if src.name == "" {
			return nil, fmt.Errorf("identity source %q names nothing", e)
		}
		out = append(out, src)
	}
	return out, nil
}

// value reads the source from the request; "" when absent.
func (s identitySource) value(x *pipeline.Exchange) string {
	switch s.kind {
	case "header":
		return x.Req.Header.Get(s.name)
	case "querystring":
		return x.MethodRequest("querystring", s.name)
	case "stage":
		return x.StageVariable(s.name)
	default:
		return x.Context(s.name)
	}
}

// identityLog renders REQUEST identity values as AWS logs them:
// {method.request.header.Hash=********aaaaaa, ...}.
func identityLog(srcs []identitySource, vals []string) string {
	kvs := make([]exec.KV, len(srcs))
	for i, s := range srcs {
		kvs[i] = exec.KV{Key: s.expr, Value: exec.Mask(vals[i])}
	}
	return exec.JavaMap(kvs)
}
