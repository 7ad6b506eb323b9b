package subnet

import (
	"errors"
	"fmt"
)

// PrefixEvidence keys the convictions by evidence: e/<index>/<height>.
const PrefixEvidence = "e/"

// ErrDuplicate marks a transaction that repeats one already applied.
var ErrDuplicate = errors.New("subnet: duplicate")

// EvidenceKey is the state key recording that node index was convicted
// for its vote extension of height.
func EvidenceKey(index int, height uint64) []byte {
	return HeightKey(fmt.Sprintf("%s%d/", PrefixEvidence, index), height)
}

// ExtChecks are the checks of a vote extension that evidence needs from
// the node: consensus's signature (CometBFT's, with the validator key)
// and the shares (threshold BLS and the signing schemes).
type ExtChecks interface {
	// ExtSignatureOK checks node index's consensus signature on a vote
	// extension of height and round.
	ExtSignatureOK(index int, height, round int64, ext, sig []byte) bool
	// BadShare reports whether the extension holds a share of node index
	// that provably does not verify.
	BadShare(index int, ext *VoteExt) bool
}

// ApplyEvidence convicts node idx (the validator t names) if t proves that
// it signed a vote extension holding a bad share: the extension of a
// height not above cs.Height, signed by the node, with a share that does
// not verify. seen holds the evidence keys applied earlier in the block.
// A repeat of a conviction (in the block or committed in st) is an error
// wrapping ErrDuplicate.
func ApplyEvidence(cs *State, st Storage, w Writer, seen map[string]bool, idx int, t *EvidenceTx, c ExtChecks) error {
	if t.Height <= 0 || uint64(t.Height) > cs.Height {
		return errf("evidence for height %d", t.Height)
	}
	k := EvidenceKey(idx, uint64(t.Height))
	if seen[string(k)] {
		return fmt.Errorf("subnet: evidence in block twice: %w", ErrDuplicate)
	}
	if _, ok, _ := st.Get(k); ok {
		return fmt.Errorf("subnet: node %d already convicted for height %d: %w", idx, t.Height, ErrDuplicate)
	}
	if !c.ExtSignatureOK(idx, t.Height, t.Round, t.Extension, t.ExtSig) {
		return errf("evidence: bad extension signature")
	}
	ext, err := DecodeExt(t.Extension)
	if err != nil {
		return err
	}
	if !c.BadShare(idx, ext) {
		return errf("evidence against node %d proves nothing", idx)
	}
	seen[string(k)] = true
	w.Set(k, nil)
	if cs.Convicted == nil {
		cs.Convicted = map[uint32]uint64{}
	}
	cs.Convicted[uint32(idx)]++
	return nil
}
