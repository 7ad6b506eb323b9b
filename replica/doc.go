// Package replica is the chainkey node: a CometBFT v1 (ABCI++) application
// that runs the subnet's deterministic state machine, stores it crash-safely,
// and drives the pure protocol packages (dkg, idkg, ecdsa, schnorr,
// thresholdsig, certification) to create, refresh and use the subnet's
// threshold keys.
//
// # Core, shell and API
//
// What every node computes identically lives in package replica/subnet:
// the wire formats of block transactions, vote extensions and payloads,
// the replicated core state and request records, the certified state
// tree, the app hash over the height's writes, and the registry of state
// components (the Bitcoin canister is the first). Package replica/api is
// the node API (Node, SignResult, Status, errors) that package rpc and
// other front ends adapt. This package is the node around them: the ABCI++
// application, the key-lifecycle and signing logic that still reaches the
// node's secret shares, the pebble store, the node runtime and the local
// subnet. Its protocol tests drive four state machines block by block
// without CometBFT (sim_test.go); the tests that start CometBFT keep what
// needs it: restarts through the handshake, P2P and the Node API.
//
// # Consensus and the state machine
//
// Every node is a CometBFT validator with equal power; n nodes tolerate
// f = ⌊(n−1)/3⌋ Byzantine ones. Blocks carry what must be agreed: the
// combined certification and random-beacon signatures, signing requests
// (ingress envelopes), the combined signatures that answer them, DKG and
// IDKG dealings, complaints and openings, and evidence against nodes that
// sent bad shares. PrepareProposal fills a block from the node's view of
// the last height's vote extensions and its mempool; ProcessProposal
// accepts it only if every transaction applies to the committed state
// (combined signatures verify against the group keys, evidence proves a
// fault, requests verify at the block time); FinalizeBlock applies it.
//
// # Why vote extensions carry the signature shares
//
// Shares travel in CometBFT vote extensions, not on a separate gossip
// channel. An extension is signed by CometBFT with the validator key and
// bound to the chain, height and round, so every share is authenticated by
// the node's consensus identity at no extra cost, and a bad share is
// transferable proof: the proposer copies the signed extension into an
// evidence transaction and every node convicts the sender deterministically.
// Extensions of height h reach the proposer of h+1 in LocalLastCommit
// exactly when the shares are needed (one block of latency), with no extra
// connections, peer management, retransmission or replay protection to
// build. The proposer combines the shares and puts one combined signature
// in the block; the others verify that one signature in ProcessProposal
// instead of n shares. The costs are accepted: extensions are capped (we
// keep them under 512 KiB; a share is 48 bytes for BLS and about 130 bytes
// for ECDSA), and shares wait for the next height. Two CometBFT pitfalls are
// handled: extensions can reach PrepareProposal without having passed
// VerifyVoteExtension (cometbft#2523), so PrepareProposal verifies every
// extension signature and share again; and an extension the node's own
// VerifyVoteExtension would reject deadlocks the chain (cometbft#5204), so
// VerifyVoteExtension checks only shape and size, ExtendVote runs the same
// check on its own output, and all cryptographic checks happen where a
// failure costs nothing but the bad share.
//
// # Certification and the random beacon
//
// The state of every height has a root: the digest of an IC hash tree with
// /time, /subnet/<id>/public_key and /request_status/<request id>/...
// (package certification). In ExtendVote of height h each node signs the
// root of height h−1 with its share of the certification key (threshold
// n−f), and the random beacon of the next round, chained on the previous
// beacon value, with its share of the beacon key (threshold f+1). The
// proposer of h+1 combines and includes both; a signing reply is answered
// with an IC certificate for its request status, verifiable under the
// subnet's root key.
//
// # Keys
//
// At genesis the subnet generates its BLS keys with package dkg run
// through blocks (dealings HPKE-encrypted to each node and signed with its
// node key, complaints and openings, convictions), and the four master keys
// ecdsa:secp256k1:{dfx_test_key,test_key_1}, schnorr:bip340secp256k1:
// dfx_test_key and schnorr:ed25519:dfx_test_key with package idkg (Random,
// then ReshareOfMasked; a receiver whose opening of an IDKG dealing fails
// its check complains in a block, and the dealer's checked opening or,
// once the dealer is convicted, the other receivers' openings give it its
// share). Presignatures are produced in the background to a
// configured stock per key (ECDSA: κ, λ, κ·λ, x·λ; Schnorr: a nonce).
// Every ReshareInterval heights the BLS keys are reshared with package dkg
// (each node deals its current share; the group key, root key and subnet
// id do not change) and the master keys with ReshareOfUnmasked (their
// public keys do not change; presignatures stay bound to the key
// transcript they were made with). A test subnet may instead use
// bootstrap-dealer BLS keys (never the default).
//
// # vetKD
//
// The vetKD master keys of the genesis (vetkd_key_ids; a written subnet
// has bls12_381_g2:dfx_test_key) are further sessions of the same dkg
// epochs as the BLS keys: threshold n−f, made at genesis, reshared with
// them (public key unchanged), each node's share in its own 0600 file. A
// derivation request is an ingress envelope of type vetkd_derive_key
// (caller, key id, context, input, transport public key); it is agreed in
// a block, every node puts its encrypted key share (package vetkd) in its
// vote extension, the proposer checks all shares in one batch, combines
// n−f of them and puts the encrypted key in its block, every node verifies
// it against the derived public key before the request is replied, and
// a node whose share does not verify is convicted by evidence, as for
// signature shares. The caller's principal takes the canister id's place.
//
// # Storage
//
// CometBFT keeps blocks and its own state in its stores. The application
// state lives in pebble: the writes of a height go to an in-memory overlay
// during FinalizeBlock and are written, with the height and app hash, in
// one batch with fsync in Commit. A node killed at any point therefore has
// either the whole height or none of it, and CometBFT's handshake replays
// the missing blocks on restart. The app hash chains the previous one, a
// digest of the height's writes, the core state and the certified root.
// Secret material (node signing and HPKE keys, BLS key shares, the
// append-only log of used presignatures) lives in separate files of mode
// 0600 under HOME/secrets; files readable by group or others are refused
// at load with ErrInsecureFile. A node's IDKG shares are kept in memory and
// recomputed from the committed dealings after a restart; its dealings are
// made with randomness derived from its node key, the transcript and a salt
// from the chain, so it answers a complaint by dealing again.
//
// # Catch-up packages, state sync and pruning
//
// Every CUP interval (genesis cup_interval, default 500) the state of a
// height is cut into snapshot chunks under HOME/snapshots and its
// catch-up package, certified through the state tree, is written beside
// them (package subnet, cup.go). Commit returns the latest CUP height
// minus a margin (one interval by default) as CometBFT's RetainHeight, so
// blocks and CometBFT states below it are pruned; the node also keeps
// CometBFT's consensus WAL to a few files. A node with an empty state
// store and a StateSyncConfig joins through CometBFT's state sync: the
// ABCI snapshot methods serve the CUP snapshots, and the joining node
// verifies the CUP under the root key and each chunk against the CUP's
// manifest before writing it (statesync.go).
//
// # Dealing work
//
// A presignature transcript asks only as many nodes as it needs (f+1 or
// 2f+1), in turn among those in the last commit, and every node after 4
// heights; a node seals all its dealings of one round to each receiver
// under one HPKE encapsulation (dkg.ShareSealer).
package replica
