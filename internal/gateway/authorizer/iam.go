package authorizer

import (
	"context"

	"github.com/archway-gw/archway/internal/gateway/pipeline"
)

// IAMVerifier verifies SigV4-signed requests for AWS_IAM methods.
type IAMVerifier interface {
	Verify(ctx context.Context, x *pipeline.Exchange, methodARN string) error // a *diag.Error on failure; fills x.Auth IAM fields
}
