package main

import (
	"log/slog"

	"github.com/archway-gw/archway/internal/gateway/authorizer"
	"github.com/archway-gw/archway/internal/gateway/authorizer/jwt"
	"github.com/archway-gw/archway/internal/gateway/authorizer/rediscache"
	"github.com/archway-gw/archway/internal/gateway/pipeline"
	"github.com/archway-gw/archway/internal/gateway/usageplan"
)

// setupAuthorizers gives the backend its authorizer compiler (once; its
// result cache and JWKS key sets outlive reloads) and the user-pool
// settings of archway.yaml. It runs after setupLimits: the result cache
// follows the limits backend built then (Redis, on limits.redis, when
// limits.backend is redis; else in process), so that every node sharing
// the limits also shares authorizer results.
func setupAuthorizers(backend *pipeline.Backend, l *loaded, logger *slog.Logger) *authorizer.Compiler {
	c, ok := backend.Authorizers.(*authorizer.Compiler)
	if !ok {
		c = &authorizer.Compiler{Backend: backend, Logger: logger, Cache: authorizerCache(backend, l)}
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

// authorizerCache is the Redis cache when the limits backend is Redis,
// with the same connection settings and a local copy of each result until
// its Redis key expires; nil (the compiler's in-process cache) otherwise.
func authorizerCache(backend *pipeline.Backend, l *loaded) authorizer.Cache {
	lc, ok := backend.Limits.(*usageplan.Compiler)
	if !ok || lc.Backend() == nil || lc.Backend().Name() != "redis" || l == nil || l.cfg == nil {
		return nil
	}
	r := l.cfg.Limits.Redis
	return rediscache.New(rediscache.Options{Options: redisOptions(r), Local: authorizer.DefaultCacheEntries})
}
