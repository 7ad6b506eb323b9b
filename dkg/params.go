package dkg

import (
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/poly"
)

// Faults returns f = ⌊(n−1)/3⌋, the number of Byzantine nodes a committee of
// n nodes tolerates (n ≥ 3f+1).
func Faults(n int) int {
	if n < 1 {
		return 0
	}
	return (n - 1) / 3
}

// HighThreshold returns n−f (2f+1 when n = 3f+1), the threshold of the
// subnet's certification (BLS signing) key.
func HighThreshold(n int) int { return n - Faults(n) }

// LowThreshold returns f+1, the threshold of the random-beacon key and of
// IDKG sharings.
func LowThreshold(n int) int { return Faults(n) + 1 }

// MaxCommittee bounds committee sizes.
const MaxCommittee = 4096

// ReceiverInfo describes one member of the receiving committee.
type ReceiverInfo struct {
	// SigningKey verifies the receiver's complaints.
	SigningKey NodePublicKey
	// EncryptionKey is the key its shares are encrypted to.
	EncryptionKey *EncryptionPublicKey
}

// Config is the agreed description of one DKG or resharing session. Every
// node must hold an identical Config (the consensus layer agrees on it).
// Dealer and receiver indices are positions in Dealers and Receivers; the
// share of receiver i is the evaluation at x = i+1.
type Config struct {
	// Group is the group of the shared key (bls12381.G2() for BLS keys).
	Group group.Group
	// SessionID names the session; it must never be reused (for example
	// a hash of the subnet id, the registry version and the key's purpose).
	SessionID []byte
	// Dealers are the node keys of the dealing committee. For resharing
	// they are the old committee, in the old committee's index order.
	Dealers []NodePublicKey
	// Receivers are the receiving committee.
	Receivers []ReceiverInfo
	// Threshold is the number of shares that reconstruct the new key
	// (the polynomial degree plus one); 1 ≤ Threshold ≤ n−f for
	// n = len(Receivers).
	Threshold int
	// Previous is the old public polynomial when resharing (nil for a fresh
	// key). Its length is the old threshold, and dealer j's constant term
	// must equal Previous evaluated at x = j+1.
	Previous *poly.Commitment
	// Deadline is the number of agreed blocks that a complaint window and
	// an opening window each last (at least 1).
	Deadline uint64
}

// IsResharing reports whether the session reshares an existing key.
func (c *Config) IsResharing() bool { return c.Previous != nil }

// RequiredDealings returns how many valid, unconvicted dealings a transcript
// combines. For a fresh key it is max(Threshold, f_d+1), with f_d the
// faults tolerated among the dealers: at most f_d dealers are Byzantine, so
// any f_d+1 dealings include at least one honest dealer, whose uniformly
// random secret makes the sum uniform and unknown. For resharing it is the
// old threshold: that many dealings from distinct old holders determine the
// old secret by Lagrange interpolation (and, because the old threshold is at
// least f_old+1, one of them is honest).
func (c *Config) RequiredDealings() int {
	if c.Previous != nil {
		return c.Previous.Len()
	}
	return max(c.Threshold, Faults(len(c.Dealers))+1)
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case c.Group == nil:
		return errors.New("dkg: config: no group")
	case len(c.SessionID) == 0 || len(c.SessionID) > MaxSessionIDLen:
		return fmt.Errorf("dkg: config: session id of %d bytes", len(c.SessionID))
	case len(c.Dealers) == 0 || len(c.Dealers) > MaxCommittee:
		return fmt.Errorf("dkg: config: %d dealers", len(c.Dealers))
	case len(c.Receivers) == 0 || len(c.Receivers) > MaxCommittee:
		return fmt.Errorf("dkg: config: %d receivers", len(c.Receivers))
	case c.Deadline == 0:
		return errors.New("dkg: config: zero deadline")
	}
	n := len(c.Receivers)
	if c.Threshold < 1 || c.Threshold > HighThreshold(n) {
		return fmt.Errorf("dkg: config: threshold %d outside [1, n−f = %d]", c.Threshold, HighThreshold(n))
	}
	// Every index is bound to one node: keys must be present and distinct.
	seen := map[string]int{}
	for i, d := range c.Dealers {
		if d.IsZero() {
			return fmt.Errorf("dkg: config: dealer %d has no key", i)
		}
		if j, dup := seen[string(d.key)]; dup {
			return fmt.Errorf("dkg: config: dealers %d and %d share a key", j, i)
		}
		seen[string(d.key)] = i
	}
	seenSign, seenEnc := map[string]int{}, map[string]int{}
	for i, r := range c.Receivers {
		if r.SigningKey.IsZero() || r.EncryptionKey == nil {
			return fmt.Errorf("dkg: config: receiver %d lacks a key", i)
		}
		sk, ek := string(r.SigningKey.key), string(r.EncryptionKey.Bytes())
		if j, dup := seenSign[sk]; dup {
			return fmt.Errorf("dkg: config: receivers %d and %d share a signing key", j, i)
		}
		if j, dup := seenEnc[ek]; dup {
			return fmt.Errorf("dkg: config: receivers %d and %d share an encryption key", j, i)
		}
		seenSign[sk], seenEnc[ek] = i, i
	}
	if c.Previous != nil {
		if c.Previous.Group().Name() != c.Group.Name() {
			return errors.New("dkg: config: previous commitment in another group")
		}
		tOld := c.Previous.Len()
		if tOld > HighThreshold(len(c.Dealers)) {
			return fmt.Errorf("dkg: config: old threshold %d exceeds n−f of %d old holders", tOld, len(c.Dealers))
		}
		for k, p := range c.Previous.Points() {
			if p == nil || (k == 0 && p.IsIdentity()) {
				return errors.New("dkg: config: previous commitment has an identity public key")
			}
		}
	}
	return nil
}
