// Package ingress implements signed caller requests the way the Internet
// Computer authenticates ingress messages.
//
// A request's content is a CBOR map. Its request id is the
// representation-independent hash of that map (HashOfMap). The caller signs
// "\x0Aic-request" || request_id with an Ed25519 or secp256k1 (ECDSA over
// SHA-256) key, and the sender field of the content must be the
// self-authenticating principal of the caller's DER public key, so a request
// proves who sent it and nobody can act under another caller's principal.
// Every request carries an expiry (nanoseconds since the Unix epoch) and an
// optional nonce; the receiver refuses expired requests and requests whose
// expiry lies too far in the future, so that it only has to remember the
// request ids it has seen for a bounded time to refuse replays.
//
// The envelope is CBOR tag 55799 around
// {content, sender_pubkey, sender_sig}, as in the Internet Computer's HTTP
// interface. Decoding is strict: only the canonical encoding that Marshal and
// NewSignEnvelope produce is accepted (no unknown, duplicate or missing
// fields, no indefinite lengths, no trailing bytes, bounded size).
//
// The same package reads and writes the requests of the Internet
// Computer's HTTP interface (HTTPEnvelope): call, query and read_state
// contents, anonymous or signed by Ed25519, secp256k1 or P-256 (ECDSA) keys,
// with sender_delegation chains (signatures, expiry, targets, no repeated
// key). Their decoding is strict about fields and limits but takes map keys
// in any order, as clients write them; the request id depends on the values
// only. StatusTable keeps the request status lifecycle of calls (received,
// processing, replied, rejected, done, pruned after expiry) and gives the
// /request_status leaves of the state tree.
//
// Verification is pure: the current time is passed in.
package ingress
