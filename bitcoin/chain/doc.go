// Package chain holds the Bitcoin network parameters chainkey supports
// (mainnet, testnet4, regtest) and the header validation rules shared by the
// adapter and the Bitcoin canister state: proof of work, difficulty
// retargeting, the minimum-difficulty rule of the test networks, BIP94's time
// warp fix, and timestamps against the median time past.
//
// The package is pure: callers pass the current time in.
package chain
