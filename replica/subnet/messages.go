package subnet

import (
	"crypto/sha256"
	"encoding/binary"
)

// Domain separators of everything the subnet signs with threshold BLS.
const (
	// stateRootDomain is the IC's domain for certified state roots:
	// the message is "\x0dic-state-root" || root.
	stateRootDomain = "\x0dic-state-root"
	beaconDomain    = "\x0dchainkey-beacon"
)

// CertMessage is the message of the certification key for a state root.
func CertMessage(root []byte) []byte {
	return append([]byte(stateRootDomain), root...)
}

// BeaconMessage is the message signed for beacon round r, chained on the
// previous beacon value.
func BeaconMessage(chainID string, round uint64, prev []byte) []byte {
	m := []byte(beaconDomain)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(len(chainID)))
	m = append(m, b[:]...)
	m = append(m, chainID...)
	binary.BigEndian.PutUint64(b[:], round)
	m = append(m, b[:]...)
	return append(m, prev...)
}

// BeaconValue is the 32-byte randomness of a beacon signature.
func BeaconValue(sig []byte) []byte {
	h := sha256.Sum256(append([]byte("chainkey-beacon-value"), sig...))
	return h[:]
}

// GenesisBeacon is the beacon value before round 1, and the app hash of
// the empty state.
func GenesisBeacon(chainID string) []byte {
	h := sha256.Sum256([]byte("chainkey-genesis-beacon:" + chainID))
	return h[:]
}

// AppHash is the app hash of a height: it chains the previous app hash
// with the digest of the height's writes, the core state (encoded with its
// AppHash field empty) and the certified state root, so it covers the
// whole replicated state.
func AppHash(prev []byte, height uint64, writes [32]byte, core *State, root [32]byte) ([]byte, error) {
	c := *core
	c.AppHash = nil
	enc, err := Marshal(&c)
	if err != nil {
		return nil, errf("encode state: %w", err)
	}
	h := sha256.New()
	h.Write([]byte("chainkey-app-hash"))
	h.Write(prev)
	binary.Write(h, binary.BigEndian, height)
	h.Write(writes[:])
	coreDigest := sha256.Sum256(enc)
	h.Write(coreDigest[:])
	h.Write(root[:])
	return h.Sum(nil), nil
}
