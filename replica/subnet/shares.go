package subnet

import "sort"

// KeyEpoch returns the BLS key epoch whose keys sign at state cs: the one
// before while a resharing runs.
func KeyEpoch(cs *State) uint64 {
	if cs.BLSResharing {
		return cs.BLSEpoch - 1
	}
	return cs.BLSEpoch
}

// ShareScheme is what the core needs of the threshold BLS scheme to check
// and combine the certification and beacon shares of vote extensions
// (package thresholdsig in the node). pub is the encoding of a key's
// public coefficients; shares are keyed by node index.
type ShareScheme interface {
	Verifier
	// VerifyShare checks node index's share on msg.
	VerifyShare(pub []byte, index int, msg, share []byte) error
	// BatchVerifyShares checks every share and names the bad ones.
	BatchVerifyShares(pub, msg []byte, shares map[int][]byte) (bad []int, err error)
	// CombineVerified combines shares into the group signature, checking
	// it and naming the bad shares if any.
	CombineVerified(pub, msg []byte, shares map[int][]byte) (sig []byte, bad []int, err error)
}

// ExtVote is a vote extension with the index of the node that sent it
// (its consensus signature already checked).
type ExtVote struct {
	Index int
	Ext   *VoteExt
}

// CombineCert combines the certification shares of votes for the most
// recent height not yet certified (roots read from st) into a transaction,
// or returns nil; it marks in bad the nodes whose shares do not verify.
// certPub is the certification key of cs (nil before the keys exist).
func CombineCert(cs *State, st Storage, s ShareScheme, certPub []byte, votes []ExtVote, bad map[int]bool) *CertTx {
	byHeight := map[uint64]map[int][]byte{}
	for _, v := range votes {
		h := v.Ext.CertHeight
		if len(v.Ext.CertShare) == 0 || h <= cs.LastCertified || h > cs.Height || v.Ext.KeyEpoch != KeyEpoch(cs) {
			continue
		}
		if byHeight[h] == nil {
			byHeight[h] = map[int][]byte{}
		}
		byHeight[h][v.Index] = v.Ext.CertShare
	}
	heights := make([]uint64, 0, len(byHeight))
	for h := range byHeight {
		heights = append(heights, h)
	}
	sort.Slice(heights, func(i, j int) bool { return heights[i] > heights[j] })
	for _, h := range heights {
		root, ok, err := st.Get(HeightKey(PrefixRoot, h))
		if err != nil || !ok {
			continue
		}
		if certPub == nil {
			return nil
		}
		sig, badIdx, err := combineAll(s, certPub, CertMessage(root), byHeight[h])
		for _, i := range badIdx {
			bad[i] = true
		}
		if err == nil {
			return &CertTx{Height: h, Sig: sig}
		}
	}
	return nil
}

// CombineBeacon combines the beacon shares of votes for the next round
// into a transaction, or returns nil; it marks in bad the nodes whose
// shares do not verify. beaconPub is the beacon key of cs (nil before the
// keys exist).
func CombineBeacon(cs *State, s ShareScheme, chainID string, beaconPub []byte, votes []ExtVote, bad map[int]bool) *BeaconTx {
	shares := map[int][]byte{}
	for _, v := range votes {
		if v.Ext.BeaconRound == cs.BeaconRound+1 && len(v.Ext.BeaconShare) != 0 && v.Ext.KeyEpoch == KeyEpoch(cs) {
			shares[v.Index] = v.Ext.BeaconShare
		}
	}
	if len(shares) == 0 || beaconPub == nil {
		return nil
	}
	sig, badIdx, err := combineAll(s, beaconPub, BeaconMessage(chainID, cs.BeaconRound+1, cs.Beacon), shares)
	for _, i := range badIdx {
		bad[i] = true
	}
	if err != nil {
		return nil
	}
	return &BeaconTx{Round: cs.BeaconRound + 1, Sig: sig}
}

// combineAll checks every share (so that a node sending bad shares is
// always caught, not only when its share is among those combined), then
// combines the good ones.
func combineAll(s ShareScheme, pub, msg []byte, shares map[int][]byte) ([]byte, []int, error) {
	bad, err := s.BatchVerifyShares(pub, msg, shares)
	if err != nil && len(bad) == 0 {
		return nil, nil, err
	}
	for _, i := range bad {
		delete(shares, i)
	}
	sig, more, err := s.CombineVerified(pub, msg, shares)
	return sig, append(bad, more...), err
}

// BadBLSShare reports whether the vote extension of node idx holds a
// certification or beacon share that provably does not verify against
// the keys of the committed state cs (roots and beacon values read from
// st). Shares of another key epoch prove nothing.
func BadBLSShare(cs *State, st Storage, s ShareScheme, chainID string, certPub, beaconPub []byte, idx int, ext *VoteExt) bool {
	if certPub == nil || ext.KeyEpoch != KeyEpoch(cs) {
		return false
	}
	if len(ext.CertShare) != 0 {
		root, ok, err := st.Get(HeightKey(PrefixRoot, ext.CertHeight))
		if err == nil && ok && s.VerifyShare(certPub, idx, CertMessage(root), ext.CertShare) != nil {
			return true
		}
	}
	if len(ext.BeaconShare) != 0 && ext.BeaconRound > 0 {
		var prev []byte
		if ext.BeaconRound == 1 {
			prev = GenesisBeacon(chainID)
		} else if v, ok, _ := st.Get(HeightKey(PrefixBeacon, ext.BeaconRound-1)); ok {
			prev = v
		}
		if prev != nil && s.VerifyShare(beaconPub, idx, BeaconMessage(chainID, ext.BeaconRound, prev), ext.BeaconShare) != nil {
			return true
		}
	}
	return false
}
