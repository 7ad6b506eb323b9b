package subnet

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/vetkd"
)

// Size limits of what peers send.
const (
	// MaxTxBytes bounds one block transaction (the Bitcoin payload has its
	// own bound, MaxBitcoinPayloadBytes).
	MaxTxBytes = 256 << 10
	// MaxExtBytes bounds a vote extension.
	MaxExtBytes = 512 << 10 // below CometBFT's 1 MiB cap
	// MaxSignPerBlock bounds the signing requests in one block.
	MaxSignPerBlock = 256
	// MaxSharesPerExt bounds the signing shares in one vote extension.
	MaxSharesPerExt = 1024
	// MaxVetKDSharesPerExt bounds the encrypted key shares in one vote
	// extension (about 230 bytes each, so that they fit beside the
	// signing shares).
	MaxVetKDSharesPerExt = 512
	// MaxEnvelopeBytes bounds a caller's ingress envelope.
	MaxEnvelopeBytes = 64 << 10
)

// Tx is one block transaction. Exactly one field is set.
type Tx struct {
	Cert     *CertTx     `cbor:"1,keyasint,omitempty"`
	Beacon   *BeaconTx   `cbor:"2,keyasint,omitempty"`
	Evidence *EvidenceTx `cbor:"3,keyasint,omitempty"`
	Sign     *SignTx     `cbor:"4,keyasint,omitempty"`
	Reply    *ReplyTx    `cbor:"5,keyasint,omitempty"`
	Protocol *ProtocolTx `cbor:"6,keyasint,omitempty"`
	// VetKD is a caller's vetKD derivation request and VetKDReply the
	// combined encrypted key answering one (Signature holds it).
	VetKD      *VetKDTx `cbor:"20,keyasint,omitempty"`
	VetKDReply *ReplyTx `cbor:"21,keyasint,omitempty"`
	// Registry is a membership change signed by the operator key.
	Registry *RegistryTx `cbor:"70,keyasint,omitempty"`
	// Outcall settles a canister's HTTPS outcall.
	Outcall *OutcallTx `cbor:"60,keyasint,omitempty"`
}

func (t *Tx) count() int {
	n := 0
	for _, set := range []bool{t.Cert != nil, t.Beacon != nil, t.Evidence != nil, t.Sign != nil, t.Reply != nil, t.Protocol != nil,
		t.VetKD != nil, t.VetKDReply != nil, t.Registry != nil, t.Outcall != nil} {
		if set {
			n++
		}
	}
	return n
}

// EncodeTx encodes a block transaction.
func EncodeTx(t *Tx) []byte {
	b, err := Marshal(t)
	if err != nil {
		panic(fmt.Sprintf("subnet: encode tx: %v", err)) // plain structs: cannot fail
	}
	return b
}

// DecodeTx decodes a block transaction strictly: at most MaxTxBytes
// (MaxOutcallTxBytes for an outcall's response), no unknown fields,
// exactly one body, and in the one encoding EncodeTx gives (so a
// transaction has one identity).
func DecodeTx(b []byte) (*Tx, error) {
	if len(b) > MaxOutcallTxBytes {
		return nil, errf("tx of %d bytes exceeds %d", len(b), MaxOutcallTxBytes)
	}
	var t Tx
	if err := Unmarshal(b, &t); err != nil {
		return nil, errf("decode tx: %w", err)
	}
	if t.count() != 1 {
		return nil, errf("tx has %d bodies, want 1", t.count())
	}
	if len(b) > MaxTxBytes && t.Outcall == nil {
		return nil, errf("tx of %d bytes exceeds %d", len(b), MaxTxBytes)
	}
	if err := canonical(b, &t); err != nil {
		return nil, errf("decode tx: %w", err)
	}
	return &t, nil
}

// CertTx carries the combined certification signature on the state root of
// Height, put in the block by the proposer from the previous height's vote
// extensions.
type CertTx struct {
	Height uint64 `cbor:"1,keyasint"`
	Sig    []byte `cbor:"2,keyasint"`
}

// BeaconTx carries the combined random beacon signature of Round.
type BeaconTx struct {
	Round uint64 `cbor:"1,keyasint"`
	Sig   []byte `cbor:"2,keyasint"`
}

// EvidenceTx proves that a node sent a bad share: its vote extension, signed
// by its validator key through CometBFT, with a share that does not verify.
type EvidenceTx struct {
	Validator []byte `cbor:"1,keyasint"` // validator address
	Height    int64  `cbor:"2,keyasint"`
	Round     int64  `cbor:"3,keyasint"`
	Extension []byte `cbor:"4,keyasint"`
	ExtSig    []byte `cbor:"5,keyasint"`
}

// SignTx is a caller's signing request: an ingress envelope.
type SignTx struct {
	Envelope []byte `cbor:"1,keyasint"`
}

// ReplyTx carries the combined signature for a pending request.
type ReplyTx struct {
	RequestID []byte `cbor:"1,keyasint"`
	Signature []byte `cbor:"2,keyasint"`
}

// ProtocolTx carries a key-lifecycle protocol message (a DKG or IDKG
// dealing, complaint or opening), signed by its sender's node key.
type ProtocolTx struct {
	Kind   uint8  `cbor:"1,keyasint"`
	Sender uint32 `cbor:"2,keyasint"`
	Epoch  uint64 `cbor:"3,keyasint"`
	Body   []byte `cbor:"4,keyasint"`
	Sig    []byte `cbor:"5,keyasint"`
}

// VoteExt is a node's vote extension at one height: its threshold shares on
// what the next proposer combines.
type VoteExt struct {
	// CertHeight is the height whose state root CertShare signs.
	CertHeight uint64 `cbor:"1,keyasint"`
	CertShare  []byte `cbor:"2,keyasint"`
	// BeaconRound is the beacon round BeaconShare signs.
	BeaconRound uint64 `cbor:"3,keyasint"`
	BeaconShare []byte `cbor:"4,keyasint"`
	// SignShares are shares for pending signing requests.
	SignShares []SignShare `cbor:"5,keyasint"`
	// KeyEpoch is the BLS key epoch of CertShare and BeaconShare.
	KeyEpoch uint64 `cbor:"6,keyasint"`
	// VetKDShares are encrypted key shares for pending derivation
	// requests, made with the vetKD key shares of KeyEpoch.
	VetKDShares []SignShare `cbor:"20,keyasint,omitempty"`
	// OutcallShares are the node's signed hashes of its outcomes of
	// pending outcalls.
	OutcallShares []OutcallShare `cbor:"60,keyasint,omitempty"`
}

// SignShare is one node's share for one pending request.
type SignShare struct {
	RequestID []byte `cbor:"1,keyasint"`
	Share     []byte `cbor:"2,keyasint"`
}

// EncodeExt encodes a vote extension.
func EncodeExt(e *VoteExt) []byte {
	b, err := Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("subnet: encode vote extension: %v", err))
	}
	return b
}

// DecodeExt decodes a vote extension strictly: at most MaxExtBytes and
// MaxSharesPerExt signing shares, no unknown fields, and in the one
// encoding EncodeExt gives.
func DecodeExt(b []byte) (*VoteExt, error) {
	if len(b) > MaxExtBytes {
		return nil, errf("vote extension of %d bytes exceeds %d", len(b), MaxExtBytes)
	}
	var e VoteExt
	if err := Unmarshal(b, &e); err != nil {
		return nil, errf("decode vote extension: %w", err)
	}
	if len(e.SignShares) > MaxSharesPerExt || len(e.VetKDShares) > MaxVetKDSharesPerExt || len(e.OutcallShares) > MaxOutcallSharesPerExt {
		return nil, errf("vote extension has %d signing and %d vetKD shares", len(e.SignShares), len(e.VetKDShares))
	}
	if err := canonical(b, &e); err != nil {
		return nil, errf("decode vote extension: %w", err)
	}
	return &e, nil
}

// CheckExtShape is the whole of a vote extension's acceptance check
// (VerifyVoteExtension): decoding and sizes only. size is the length of
// the encoded extension and height the height it votes for. Bad shares are
// handled by whoever combines them (and proven in a block), so that a
// rejection never costs liveness (cometbft#5204).
func CheckExtShape(e *VoteExt, size int, height uint64) error {
	if size > MaxExtBytes {
		return errf("vote extension of %d bytes", size)
	}
	if len(e.CertShare) != 0 && len(e.CertShare) != 48 || len(e.BeaconShare) != 0 && len(e.BeaconShare) != 48 {
		return errf("share of wrong length")
	}
	if e.CertHeight >= height {
		return errf("certification share for height %d at height %d", e.CertHeight, height)
	}
	if len(e.SignShares) > MaxSharesPerExt {
		return errf("%d signing shares", len(e.SignShares))
	}
	if len(e.VetKDShares) > MaxVetKDSharesPerExt {
		return errf("%d vetKD shares", len(e.VetKDShares))
	}
	for _, sh := range e.VetKDShares {
		if len(sh.Share) != vetkd.EncryptedKeySize {
			return errf("vetKD share of %d bytes", len(sh.Share))
		}
	}
	if len(e.OutcallShares) > MaxOutcallSharesPerExt {
		return errf("%d outcall shares", len(e.OutcallShares))
	}
	for _, sh := range e.OutcallShares {
		if len(sh.Hash) != 32 || len(sh.Sig) != 64 {
			return errf("outcall share of %d-byte hash and %d-byte signature", len(sh.Hash), len(sh.Sig))
		}
	}
	return nil
}

// canonical checks that b is the encoding of v that this package produces:
// every field present, integer keys in canonical order, shortest forms.
// The strict decoder alone accepts missing fields (a map without a
// transaction's Round decodes as round 0), which would give one value
// several encodings.
func canonical(b []byte, v any) error {
	re, err := Marshal(v)
	if err != nil {
		return err
	}
	if !bytes.Equal(re, b) {
		return errors.New("not in canonical encoding")
	}
	return nil
}
