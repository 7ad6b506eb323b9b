// Package adapter is the Bitcoin adapter: it talks the Bitcoin P2P protocol
// (btcd's peer and wire packages) to a handful of peers, syncs and validates
// block headers (proof of work, retargeting, timestamps, most-work chain,
// forks kept), persists them, downloads the blocks the subnet asks for into
// a byte-bounded cache, broadcasts transactions (inv → getdata → tx) and
// answers the Internet Computer's GetSuccessors and SendTransaction
// requests (see Server for the btc_service.v1 gRPC service).
package adapter
