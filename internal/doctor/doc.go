// Package doctor predicts the 5xx an API Gateway definition will produce
// before any traffic arrives. Static checks read the definitions, stages and
// Lambda functions the gateway would serve; probes (opt-in) connect to the
// HTTP backends and inspect their TLS certificates. Each Finding names the
// object and its file:line:col, why it fails, what AWS would answer (the
// status and body rendered by the API's own gateway responses), the cause
// code the gateway would log, and the fix. docs/doctor.md lists every check.
package doctor
