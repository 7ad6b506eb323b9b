package replica

import (
	"fmt"
)

// thresholdBLS is what the node needs from a threshold BLS scheme. The
// production implementation (blsScheme) drives package thresholdsig; the
// interface keeps the consensus code independent of how keys were made
// (bootstrap dealer now, DKG transcripts when they replace it).
//
// pub is always the encoding of the public coefficients (the Feldman
// commitment of the sharing polynomial); secret is the encoding of a
// node's secret key share.
type thresholdBLS interface {
	// Deal creates a sharing for n nodes with threshold t. It is used only
	// by the clearly labelled bootstrap key generation.
	Deal(n, t int) (pub []byte, secrets [][]byte, err error)
	// GroupKey returns the 96-byte group public key of pub.
	GroupKey(pub []byte) ([]byte, error)
	// GroupKeyDER returns the group public key in the IC's DER form.
	GroupKeyDER(pub []byte) ([]byte, error)
	// Threshold returns the number of shares needed to combine.
	Threshold(pub []byte) (int, error)
	// SignShare signs msg with a node's secret share.
	SignShare(secret []byte, msg []byte) ([]byte, error)
	// VerifyShare checks node index's share on msg.
	VerifyShare(pub []byte, index int, msg, share []byte) error
	// CombineVerified combines shares (index → share) into the group
	// signature, checking it and naming the bad shares if any.
	CombineVerified(pub []byte, msg []byte, shares map[int][]byte) (sig []byte, bad []int, err error)
	// BatchVerifyShares checks every share and names the bad ones.
	BatchVerifyShares(pub []byte, msg []byte, shares map[int][]byte) (bad []int, err error)
	// Verify checks a group signature.
	Verify(pub []byte, msg, sig []byte) error
}

func errf(format string, args ...any) error { return fmt.Errorf("replica: "+format, args...) }
