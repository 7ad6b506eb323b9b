// Package btcdtest runs real btcd nodes in regtest mode for tests. It builds
// btcd and btcctl v0.24.2 from the Go module proxy in a throw-away module
// (btcd.mod and btcd.sum pin every dependency; chainkey's own go.mod pins a
// newer btcec that btcd v0.24.2's main package does not build with), starts
// them on 127.0.0.1 with temporary data directories, mines with the
// generate RPC and stops them in t.Cleanup.
package btcdtest
