// Package testnet provides network conditions for tests that need real
// failing backends.
package testnet
