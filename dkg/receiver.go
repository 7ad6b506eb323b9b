package dkg

import (
	"errors"
	"fmt"
	"io"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/poly"
)

// Receiver is one node of the receiving committee: it decrypts and checks
// its shares of the agreed dealings (private verification), files
// complaints for missing or wrong ones, and derives its secret share of the
// transcript. It holds secrets: Zeroize it when done.
type Receiver struct {
	cfg    *Config
	index  int
	sign   *NodeSigningKey
	enc    *EncryptionKey
	shares map[int]group.Scalar // valid decrypted shares by dealer
	seen   map[int][32]byte     // dealings already processed
}

// NewReceiver returns receiver index of cfg.Receivers, with its node signing
// key (for complaints) and its decryption key.
func NewReceiver(cfg *Config, index int, sign *NodeSigningKey, enc *EncryptionKey) (*Receiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if index < 0 || index >= len(cfg.Receivers) {
		return nil, fmt.Errorf("dkg: receiver index %d out of range", index)
	}
	if !cfg.Receivers[index].SigningKey.Equal(sign.PublicKey()) {
		return nil, fmt.Errorf("dkg: receiver %d: signing key does not match the committee", index)
	}
	if string(cfg.Receivers[index].EncryptionKey.Bytes()) != string(enc.PublicKey().Bytes()) {
		return nil, fmt.Errorf("dkg: receiver %d: encryption key does not match the committee", index)
	}
	return &Receiver{cfg: cfg, index: index, sign: sign, enc: enc, shares: map[int]group.Scalar{}, seen: map[int][32]byte{}}, nil
}

// Index returns the receiver's index.
func (r *Receiver) Index() int { return r.index }

// VerifyDealings privately verifies every dealing the session holds that
// this receiver has not processed yet: it decrypts its share of each and
// checks all of them against their commitments with one batched
// multi-scalar multiplication (falling back to one check per share to find
// the bad ones). It returns one signed complaint per dealing whose share is
// missing (does not decrypt) or wrong; the driver submits them for
// agreement.
func (r *Receiver) VerifyDealings(s *Session) ([]*Envelope, error) {
	if string(s.cfg.SessionID) != string(r.cfg.SessionID) {
		return nil, errors.New("dkg: session and receiver differ")
	}
	g := r.cfg.Group
	var (
		checks  []ShareCheck
		dealers []int
		bad     []int
	)
	for _, dealer := range s.Dealers() {
		d, h, ok := s.Dealing(dealer)
		if !ok {
			continue
		}
		if prev, done := r.seen[dealer]; done && prev == h {
			continue
		}
		r.seen[dealer] = h
		ctx := shareContext(r.cfg, dealer, r.index, d.digest)
		p, err := DecryptShare(r.enc, ctx, g, 1, d.Ciphertexts[r.index])
		if err != nil {
			bad = append(bad, dealer)
			continue
		}
		checks = append(checks, ShareCheck{Commitment: d.Commitment, Recipient: r.index, Share: p.Scalars[0]})
		dealers = append(dealers, dealer)
	}
	if err := BatchVerifyShares(g, checks); err == nil {
		for k, dealer := range dealers {
			r.shares[dealer] = checks[k].Share
		}
	} else {
		for k, dealer := range dealers {
			if verifyFeldman(checks[k].Commitment, r.index, checks[k].Share) {
				r.shares[dealer] = checks[k].Share
			} else {
				checks[k].Share.Zeroize()
				bad = append(bad, dealer)
			}
		}
	}
	var complaints []*Envelope
	for _, dealer := range bad {
		c, err := NewComplaint(r.sign, r.cfg.SessionID, r.index, dealer, r.seen[dealer])
		if err != nil {
			return nil, err
		}
		complaints = append(complaints, c)
	}
	return complaints, nil
}

// SecretShare derives this receiver's secret share of the transcript tr
// computed by session s: the sum (fresh key) or Lagrange combination
// (resharing) of its shares of the included dealings, each decrypted or
// taken from an opening. The result is checked against tr's public key
// share.
func (r *Receiver) SecretShare(s *Session, tr *Transcript) (*SecretShare, error) {
	g := r.cfg.Group
	dealers := tr.Dealers()
	ys := make([]group.Scalar, len(dealers))
	for k, dealer := range dealers {
		if sh, ok := r.shares[dealer]; ok {
			ys[k] = sh
		} else if sh, ok := s.openedShare(dealer, r.index); ok {
			ys[k] = sh
		} else {
			return nil, fmt.Errorf("dkg: receiver %d has no share from dealer %d", r.index, dealer)
		}
	}
	var lambdas []group.Scalar
	if tr.Resharing() {
		var err error
		lambdas, err = poly.LagrangeAtZero(g, dealers)
		if err != nil {
			return nil, fmt.Errorf("dkg: secret share: %w", err)
		}
	}
	v := g.NewScalar()
	tmp := g.NewScalar()
	for k, y := range ys {
		if lambdas != nil {
			v.Add(v, tmp.Mul(lambdas[k], y))
		} else {
			v.Add(v, y)
		}
	}
	tmp.Zeroize()
	if !verifyFeldman(tr.PublicPolynomial(), r.index, v) {
		v.Zeroize()
		return nil, fmt.Errorf("dkg: receiver %d: combined share does not match the transcript", r.index)
	}
	return &SecretShare{group: g, index: r.index, value: v}, nil
}

// Zeroize overwrites the decrypted shares.
func (r *Receiver) Zeroize() {
	for k, s := range r.shares {
		s.Zeroize()
		delete(r.shares, k)
	}
}

// String redacts the receiver's secrets.
func (r Receiver) String() string { return fmt.Sprintf("dkg.Receiver(%d, REDACTED)", r.index) }

// GoString redacts the receiver's secrets.
func (r Receiver) GoString() string { return r.String() }

// Format redacts the receiver's secrets for every verb.
func (r Receiver) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, r.String()) }

// SecretShare is a node's share of a threshold key: the scalar f(i+1) for
// node index i. It is the only way a share leaves the package: it never
// prints (String, GoString and Format redact), and its at-rest encoding is
// MarshalBinary, which the node writes to a file of mode 0600.
type SecretShare struct {
	group group.Group
	index int
	value group.Scalar
}

// NewSecretShare wraps a share value (copied) for node index.
func NewSecretShare(g group.Group, index int, value group.Scalar) (*SecretShare, error) {
	if index < 0 || index >= poly.MaxIndex {
		return nil, fmt.Errorf("dkg: share index %d out of range", index)
	}
	if value == nil || value.IsZero() {
		return nil, errors.New("dkg: zero share")
	}
	return &SecretShare{group: g, index: index, value: g.NewScalar().Set(value)}, nil
}

// Group returns the share's group.
func (s *SecretShare) Group() group.Group { return s.group }

// Index returns the node index i (the share is the evaluation at i+1).
func (s *SecretShare) Index() int { return s.index }

// Value returns a copy of the secret scalar; the caller zeroises it.
func (s *SecretShare) Value() group.Scalar { return s.group.NewScalar().Set(s.value) }

const secretShareTag = "chainkey/dkg/secret-share-v1"

// MarshalBinary returns the at-rest encoding: tag, group name, index,
// scalar. It is secret: write it only to a file of mode 0600.
func (s *SecretShare) MarshalBinary() ([]byte, error) {
	if s.value == nil {
		return nil, errors.New("dkg: empty secret share")
	}
	var enc Encoder
	enc.Bytes([]byte(secretShareTag))
	enc.Bytes([]byte(s.group.Name()))
	enc.Uint32(uint32(s.index))
	enc.Scalar(s.value)
	return enc.Output(), nil
}

// UnmarshalSecretShare strictly decodes a share of group g.
func UnmarshalSecretShare(g group.Group, b []byte) (*SecretShare, error) {
	d := NewDecoder(b)
	tag := d.Bytes(len(secretShareTag))
	name := d.Bytes(64)
	index := d.Uint32()
	v := d.Scalar(g)
	if err := d.Finish(); err != nil {
		if v != nil {
			v.Zeroize()
		}
		return nil, fmt.Errorf("dkg: decode secret share: %w", err)
	}
	switch {
	case string(tag) != secretShareTag:
		v.Zeroize()
		return nil, errors.New("dkg: decode secret share: bad tag")
	case string(name) != g.Name():
		v.Zeroize()
		return nil, fmt.Errorf("dkg: decode secret share: group %q, want %q", name, g.Name())
	case index >= poly.MaxIndex:
		v.Zeroize()
		return nil, fmt.Errorf("dkg: decode secret share: index %d", index)
	case v.IsZero():
		return nil, errors.New("dkg: decode secret share: zero share")
	}
	return &SecretShare{group: g, index: int(index), value: v}, nil
}

// Zeroize overwrites the share.
func (s *SecretShare) Zeroize() {
	if s.value != nil {
		s.value.Zeroize()
	}
}

// String redacts the share.
func (s SecretShare) String() string { return fmt.Sprintf("dkg.SecretShare(%d, REDACTED)", s.index) }

// GoString redacts the share.
func (s SecretShare) GoString() string { return s.String() }

// Format redacts the share for every verb.
func (s SecretShare) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }
