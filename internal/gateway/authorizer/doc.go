// Package authorizer runs the authorizers of REST API methods the way API
// Gateway does: Lambda authorizers (TOKEN and REQUEST) with their IAM
// policies and result cache, Cognito user-pool (JWT) authorizers through
// package jwt, and AWS_IAM methods through an IAMVerifier.
package authorizer
