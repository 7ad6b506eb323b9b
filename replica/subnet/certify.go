package subnet

import (
	"encoding/binary"
	"fmt"
)

// State keys of certification and the random beacon.
const (
	PrefixRoot    = "r/" // r/<height> -> certified state root
	PrefixCertSig = "c/" // c/<height> -> certification signature
	PrefixBeacon  = "b/" // b/<round> -> beacon value
	// RetainHeights is how many heights roots and certification
	// signatures are kept; RetainRounds the same for beacon values.
	RetainHeights = 256
	RetainRounds  = 256
)

// HeightKey returns prefix ‖ big-endian h, which sorts by height.
func HeightKey(prefix string, h uint64) []byte {
	k := make([]byte, len(prefix)+8)
	copy(k, prefix)
	binary.BigEndian.PutUint64(k[len(prefix):], h)
	return k
}

// HeightOf returns the height (or round, or expiry) of a key made by
// HeightKey with prefix; k must be at least that long.
func HeightOf(k []byte, prefix string) uint64 { return binary.BigEndian.Uint64(k[len(prefix):]) }

// Verifier checks a threshold BLS group signature (package thresholdsig
// in the node).
type Verifier interface {
	Verify(pub, msg, sig []byte) error
}

// ApplyCert checks a certification transaction against cs and the
// committed state roots in st and applies it: the signature must verify
// under the certification key certPub (nil before the keys exist) on the
// root of a height above the last certified one and not above cs.Height.
// It records the signature through w and advances cs.LastCertified.
func ApplyCert(cs *State, st Storage, w Writer, v Verifier, certPub []byte, t *CertTx) error {
	if t.Height <= cs.LastCertified || t.Height > cs.Height {
		return errf("certification of height %d (certified %d, height %d)", t.Height, cs.LastCertified, cs.Height)
	}
	root, ok, err := st.Get(HeightKey(PrefixRoot, t.Height))
	if err != nil || !ok {
		return errf("no state root for height %d", t.Height)
	}
	if certPub == nil {
		return errf("certification before the keys exist")
	}
	if err := v.Verify(certPub, CertMessage(root), t.Sig); err != nil {
		return fmt.Errorf("subnet: certification of height %d: %w", t.Height, err)
	}
	cs.LastCertified = t.Height
	w.Set(HeightKey(PrefixCertSig, t.Height), t.Sig)
	return nil
}

// ApplyBeacon checks a beacon transaction against cs and applies it: it
// must be the next round and verify under the beacon key beaconPub (nil
// before the keys exist), chained on the current beacon value. It records
// the new value through w and drops the one RetainRounds before.
func ApplyBeacon(cs *State, w Writer, v Verifier, chainID string, beaconPub []byte, t *BeaconTx) error {
	if t.Round != cs.BeaconRound+1 {
		return errf("beacon round %d, want %d", t.Round, cs.BeaconRound+1)
	}
	if beaconPub == nil {
		return errf("beacon before the keys exist")
	}
	if err := v.Verify(beaconPub, BeaconMessage(chainID, t.Round, cs.Beacon), t.Sig); err != nil {
		return fmt.Errorf("subnet: beacon round %d: %w", t.Round, err)
	}
	cs.BeaconRound, cs.Beacon = t.Round, BeaconValue(t.Sig)
	w.Set(HeightKey(PrefixBeacon, t.Round), cs.Beacon)
	w.Delete(HeightKey(PrefixBeacon, t.Round-min(t.Round, RetainRounds)))
	return nil
}

// RecordRoot writes the certified state root of height through w and
// drops the root and certification signature RetainHeights before.
func RecordRoot(w Writer, height uint64, root [32]byte) {
	w.Set(HeightKey(PrefixRoot, height), root[:])
	if height > RetainHeights {
		w.Delete(HeightKey(PrefixRoot, height-RetainHeights))
		w.Delete(HeightKey(PrefixCertSig, height-RetainHeights))
	}
}
