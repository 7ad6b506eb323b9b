// Package httpapitest is an in-memory, deterministic httpapi.Backend for
// tests of the HTTP interface and of its clients: a one-node subnet with a
// real BLS key that certifies its state tree after every change, the
// request status lifecycle of the ingress package, and canisters written
// in Go.
package httpapitest
