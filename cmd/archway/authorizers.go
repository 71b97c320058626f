package main

import (
	"log/slog"

	"github.com/archway-gw/archway/internal/gateway/authorizer"
	"github.com/archway-gw/archway/internal/gateway/authorizer/jwt"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
)

// setupAuthorizers gives the backend its authorizer compiler (once; its
// result cache and JWKS key sets outlive reloads) and the user-pool
// settings of archway.yaml.
func setupAuthorizers(backend *pipeline.Backend, l *loaded, logger *slog.Logger) *authorizer.Compiler {
	c, ok := backend.Authorizers.(*authorizer.Compiler)
	if !ok {
		c = &authorizer.Compiler{Backend: backend, Logger: logger}
		backend.Authorizers = c
	}
	if c.Backend == nil {
		c.Backend = backend
	}
	var pools []jwt.Pool
	if l != nil && l.cfg != nil {
		for _, p := range l.cfg.Cognito {
			pools = append(pools, jwt.Pool{ARN: p.UserPoolARN, Issuer: p.Issuer, JWKSURL: p.JWKSURL, ClientIDs: p.ClientIDs})
		}
	}
	c.Pools = pools
	return c
}
