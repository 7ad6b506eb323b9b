package replica

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Encodings: every transaction and vote extension is canonical CBOR with
// integer map keys, decoded strictly (no unknown fields, no duplicate keys,
// bounded sizes).

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	encMode, err = cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		MaxArrayElements:  1 << 16,
		MaxMapPairs:       1 << 16,
		MaxNestedLevels:   16,
		IndefLength:       cbor.IndefLengthForbidden,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// Size limits.
const (
	maxTxBytes       = 256 << 10
	maxExtBytes      = 512 << 10 // below CometBFT's 1 MiB cap
	maxSignPerBlock  = 256
	maxSharesPerExt  = 1024
	maxEnvelopeBytes = 64 << 10
)

// tx is one block transaction. Exactly one field is set.
type tx struct {
	Cert     *certTx     `cbor:"1,keyasint,omitempty"`
	Beacon   *beaconTx   `cbor:"2,keyasint,omitempty"`
	Evidence *evidenceTx `cbor:"3,keyasint,omitempty"`
	Sign     *signTx     `cbor:"4,keyasint,omitempty"`
	Reply    *replyTx    `cbor:"5,keyasint,omitempty"`
	Protocol *protocolTx `cbor:"6,keyasint,omitempty"`
}

func (t *tx) count() int {
	n := 0
	for _, set := range []bool{t.Cert != nil, t.Beacon != nil, t.Evidence != nil, t.Sign != nil, t.Reply != nil, t.Protocol != nil} {
		if set {
			n++
		}
	}
	return n
}

func encodeTx(t *tx) []byte {
	b, err := encMode.Marshal(t)
	if err != nil {
		panic(fmt.Sprintf("replica: encode tx: %v", err)) // plain structs: cannot fail
	}
	return b
}

func decodeTx(b []byte) (*tx, error) {
	if len(b) > maxTxBytes {
		return nil, errf("tx of %d bytes exceeds %d", len(b), maxTxBytes)
	}
	var t tx
	if err := decMode.Unmarshal(b, &t); err != nil {
		return nil, errf("decode tx: %w", err)
	}
	if t.count() != 1 {
		return nil, errf("tx has %d bodies, want 1", t.count())
	}
	return &t, nil
}

// certTx carries the combined certification signature on the state root of
// Height, put in the block by the proposer from the previous height's vote
// extensions.
type certTx struct {
	Height uint64 `cbor:"1,keyasint"`
	Sig    []byte `cbor:"2,keyasint"`
}

// beaconTx carries the combined random beacon signature of Round.
type beaconTx struct {
	Round uint64 `cbor:"1,keyasint"`
	Sig   []byte `cbor:"2,keyasint"`
}

// evidenceTx proves that a node sent a bad share: its vote extension, signed
// by its validator key through CometBFT, with a share that does not verify.
type evidenceTx struct {
	Validator []byte `cbor:"1,keyasint"` // validator address
	Height    int64  `cbor:"2,keyasint"`
	Round     int64  `cbor:"3,keyasint"`
	Extension []byte `cbor:"4,keyasint"`
	ExtSig    []byte `cbor:"5,keyasint"`
}

// signTx is a caller's signing request: an ingress envelope.
type signTx struct {
	Envelope []byte `cbor:"1,keyasint"`
}

// replyTx carries the combined signature for a pending request.
type replyTx struct {
	RequestID []byte `cbor:"1,keyasint"`
	Signature []byte `cbor:"2,keyasint"`
}

// protocolTx carries a key-lifecycle protocol message (a DKG or IDKG
// dealing, complaint or opening), signed by its sender's node key.
type protocolTx struct {
	Kind   uint8  `cbor:"1,keyasint"`
	Sender uint32 `cbor:"2,keyasint"`
	Epoch  uint64 `cbor:"3,keyasint"`
	Body   []byte `cbor:"4,keyasint"`
	Sig    []byte `cbor:"5,keyasint"`
}

// voteExt is a node's vote extension at one height: its threshold shares on
// what the next proposer combines.
type voteExt struct {
	// CertHeight is the height whose state root CertShare signs.
	CertHeight uint64 `cbor:"1,keyasint"`
	CertShare  []byte `cbor:"2,keyasint"`
	// BeaconRound is the beacon round BeaconShare signs.
	BeaconRound uint64 `cbor:"3,keyasint"`
	BeaconShare []byte `cbor:"4,keyasint"`
	// SignShares are shares for pending signing requests.
	SignShares []signShare `cbor:"5,keyasint"`
	// KeyEpoch is the BLS key epoch of CertShare and BeaconShare.
	KeyEpoch uint64 `cbor:"6,keyasint"`
}

// signShare is one node's share for one pending request.
type signShare struct {
	RequestID []byte `cbor:"1,keyasint"`
	Share     []byte `cbor:"2,keyasint"`
}

func encodeExt(e *voteExt) []byte {
	b, err := encMode.Marshal(e)
	if err != nil {
		panic(fmt.Sprintf("replica: encode vote extension: %v", err))
	}
	return b
}

func decodeExt(b []byte) (*voteExt, error) {
	if len(b) > maxExtBytes {
		return nil, errf("vote extension of %d bytes exceeds %d", len(b), maxExtBytes)
	}
	var e voteExt
	if err := decMode.Unmarshal(b, &e); err != nil {
		return nil, errf("decode vote extension: %w", err)
	}
	if len(e.SignShares) > maxSharesPerExt {
		return nil, errf("vote extension has %d signing shares", len(e.SignShares))
	}
	return &e, nil
}
