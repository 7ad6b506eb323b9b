// Package dkg implements distributed key generation and key resharing for
// chainkey's threshold keys: verifiable secret sharing with Feldman
// commitments, shares encrypted with HPKE (hybrid ML-KEM-768 + X25519),
// signed dealings, complaints resolved by public openings, and transcripts.
// It is generic over internal/group: BLS keys use bls12381.G2(), and the
// IDKG machinery of threshold ECDSA/Schnorr reuses its pieces on secp256k1
// and Ed25519.
//
// # Protocol
//
// A session is fixed by an agreed Config: group, a never-reused session id,
// the dealers' Ed25519 node keys, the receivers' node and encryption keys,
// the threshold t, the deadline D (in agreed blocks) and, for resharing, the
// old public polynomial. Each dealer j picks a polynomial a_j of degree t−1
// (random, or with a_j(0) = its old share when resharing), publishes a
// Feldman commitment C_jk = a_jk·G, encrypts a_j(i+1) to every receiver i
// with HPKE (info binds the session id, j, i and a digest of the
// commitment), adds a Schnorr proof of knowledge of a_j0 bound to the
// session id, j and the commitment (for resharing the constant term is
// instead checked against the old public polynomial at j+1), and signs the
// whole dealing with its node key (Dealer.Deal). Consensus orders dealings,
// complaints and openings; every node feeds them to its Session at the
// agreed heights. Anyone verifies a dealing publicly (VerifyDealing); a
// receiver decrypts its shares and checks them against the commitments with
// one batched multi-scalar multiplication (Receiver.VerifyDealings). A
// receiver whose share is missing or wrong signs a complaint (within D
// blocks of the dealing); the dealer must answer within D blocks with a
// signed opening, the plaintext share, which everyone checks against the
// commitment. A signed invalid dealing, two different signed dealings for
// one session (equivocation), a missing opening or an opening that fails
// the check convicts the dealer (Conviction, with the signed evidence) and
// excludes its dealing; nothing else stops. At an agreed height
// Session.Transcript takes the first Config.RequiredDealings dealings, in
// agreed order, that are settled (valid, unconvicted, complaint window
// closed, all complaints answered), and combines them: the public
// polynomial is the sum of their commitments (fresh key) or their Lagrange
// combination over the old holders' indices (resharing, which leaves the
// group public key bit-for-bit unchanged). Each receiver derives its share
// the same way from its decrypted or opened shares (Receiver.SecretShare).
//
// Fault assumptions: n ≥ 3f+1 receivers and at most f = ⌊(n−1)/3⌋ Byzantine
// nodes among dealers and among receivers; agreement on the order and
// content of messages and on heights comes from the consensus layer (which
// is why equivocation is detectable: both dealings are agreed, and both
// signatures are evidence); honest nodes' messages are agreed within the
// deadline (partial synchrony of consensus); the encryption keys in the
// Config belong to their nodes. The threshold t satisfies 1 ≤ t ≤ n−f so
// the honest nodes alone hold t shares.
//
// # Rationale
//
// Complaints and openings: with a post-quantum KEM there is no practical
// proof of correct encryption or decryption, so a receiver cannot prove
// that its ciphertext was bad. Instead the accused dealer must publish the
// share, which anyone checks against the Feldman commitment; a dealer that
// cannot is convicted, and a false complaint costs one round and reveals
// one share of one dealing, which says nothing about the receiver's final
// share (a sum over at least f+1 dealings, at least one honest). Because a
// valid opening can equally follow a lying complainer or a dealer that
// encrypted garbage and then opened correctly, answered complaints convict
// nobody; they are reported (AnsweredComplaint). HPKE hybrid: dealings are
// recorded forever in blocks, so shares are encrypted to stay confidential
// against a future quantum adversary (ML-KEM-768) while keeping classical
// security if ML-KEM fails (X25519); the HPKE info string binds each
// ciphertext to its session, dealer, recipient and commitment. Inclusion
// rule: for a fresh key, max(t, f_d+1) dealings (f_d the faults tolerated
// among dealers): f_d+1 guarantee one honest dealer, so the secret is
// uniform and unknown to the adversary; requiring t as well is
// conservative (at least t−f_d honest dealings enter every key; the
// Internet Computer's IDKG takes f+1 for random transcripts). For
// resharing, exactly the old
// threshold of dealings from distinct old holders, because that is what
// Lagrange interpolation needs to keep the public key, and it also
// guarantees one honest old holder. Taking the first settled dealings in
// agreed order makes the choice deterministic. A Feldman DKG lets an
// adversary bias the public key slightly by choosing which of its dealings
// get excluded (Gennaro et al.); this is accepted, as the signature
// schemes built on the key stay secure with such a bias.
//
// # Reuse by other protocols
//
// The pieces are exported separately: EncryptShare/DecryptShare with
// EncryptionKey and SharePayload (one or two scalars); ShareSealer and
// ShareOpener, which encrypt many shares from one dealer to one recipient
// under a single HPKE encapsulation (each share under its own key exported
// from the HPKE context); Envelope, the signed
// length-prefixed message container, with Encoder/Decoder for bodies;
// Complaint and Opening envelopes with Opening.Check against any
// ShareVerifier (FeldmanCommitment here; a Pedersen commitment implements
// the same interface); BatchVerifyShares for Feldman shares.
//
// # Purity and secrets
//
// The package does no I/O: no goroutines, clocks, sockets, files or logs.
// All randomness comes from the io.Reader arguments, except HPKE
// encapsulation, which crypto/hpke draws from crypto/rand (tests make it
// deterministic with testing/cryptotest). Transcripts depend only on agreed
// inputs. Secret values (SecretShare, EncryptionKey, NodeSigningKey,
// SharePayload, Dealer, Receiver) redact in String, GoString and Format and
// have Zeroize; the secret ones serialise only through their MarshalBinary,
// and the node must write those bytes to files of mode 0600.
package dkg
