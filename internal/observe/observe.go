// Package observe connects the gateway's execution records to the
// operator's surfaces: metrics (observe/metrics) and traces
// (observe/tracing) are fed from each finished exchange, off the request
// path, through gateway.Server.OnRecord. Tee composes several consumers.
package observe

import (
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	rt "github.com/archway-gw/archway/internal/runtime"
)

// RecordFunc consumes a finished exchange; the signature of
// gateway.Server.OnRecord.
type RecordFunc = func(x *pipeline.Exchange, st *rt.Stage)

// Tee returns one OnRecord func that calls every non-nil fn in order. It
// returns nil when none is set (so the gateway skips records altogether)
// and the func itself when only one is.
func Tee(fns ...func(*pipeline.Exchange, *rt.Stage)) func(*pipeline.Exchange, *rt.Stage) {
	var live []RecordFunc
	for _, fn := range fns {
		if fn != nil {
			live = append(live, fn)
		}
	}
	switch len(live) {
	case 0:
		return nil
	case 1:
		return live[0]
	}
	return func(x *pipeline.Exchange, st *rt.Stage) {
		for _, fn := range live {
			fn(x, st)
		}
	}
}
