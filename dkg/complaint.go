package dkg

import (
	"errors"
	"fmt"
	"io"

	"github.com/chainkey/chainkey/internal/group"
)

// Complaint is the body of a complaint envelope (KindComplaint), signed by
// the complainer: "the share for me in the dealing with this hash is missing
// or wrong". It is resolved by the dealer's Opening.
type Complaint struct {
	// Complainer is the receiver index of the complainer (the signer).
	Complainer int
	// Dealer is the dealer index of the dealing complained about.
	Dealer int
	// DealingHash is Envelope.Hash of that dealing.
	DealingHash [32]byte
}

// NewComplaint signs a complaint by receiver complainer against the dealing
// of dealer with the given hash.
func NewComplaint(key *NodeSigningKey, sessionID []byte, complainer, dealer int, dealingHash [32]byte) (*Envelope, error) {
	if complainer < 0 || dealer < 0 || complainer >= MaxCommittee || dealer >= MaxCommittee {
		return nil, errors.New("dkg: complaint index out of range")
	}
	var enc Encoder
	enc.Uint32(uint32(dealer))
	enc.Fixed(dealingHash[:])
	return SignEnvelope(key, KindComplaint, sessionID, uint32(complainer), enc.Output())
}

// DecodeComplaint strictly decodes a complaint envelope's body. It does not
// check the signature (VerifyComplaint does, or call env.Verify with the
// complainer's key).
func DecodeComplaint(env *Envelope) (*Complaint, error) {
	if env.Kind != KindComplaint {
		return nil, fmt.Errorf("dkg: envelope kind %q is not a complaint", env.Kind)
	}
	d := NewDecoder(env.Body)
	dealer := d.Uint32()
	h := d.Fixed(32)
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("dkg: decode complaint: %w", err)
	}
	if dealer >= MaxCommittee || env.Signer >= MaxCommittee {
		return nil, errors.New("dkg: complaint index out of range")
	}
	c := &Complaint{Complainer: int(env.Signer), Dealer: int(dealer)}
	copy(c.DealingHash[:], h)
	return c, nil
}

// VerifyComplaint decodes a complaint and checks it against cfg: the
// session, the indices, and the complainer's signature.
func VerifyComplaint(cfg *Config, env *Envelope) (*Complaint, error) {
	c, err := DecodeComplaint(env)
	if err != nil {
		return nil, err
	}
	if string(env.SessionID) != string(cfg.SessionID) {
		return nil, errors.New("dkg: complaint for another session")
	}
	if c.Complainer >= len(cfg.Receivers) || c.Dealer >= len(cfg.Dealers) {
		return nil, fmt.Errorf("dkg: complaint by %d against %d: index out of range", c.Complainer, c.Dealer)
	}
	if err := env.Verify(cfg.Receivers[c.Complainer].SigningKey); err != nil {
		return nil, fmt.Errorf("dkg: complaint by %d: %w", c.Complainer, err)
	}
	return c, nil
}

// Opening is the body of an opening envelope (KindOpening), signed by the
// dealer: the plaintext share of one recipient, published to answer that
// recipient's complaint. Anyone checks it with Check against the dealing's
// commitment. One opened share of one dealing reveals nothing about the
// recipient's final share, which sums many dealings.
type Opening struct {
	// Dealer is the dealer index (the signer).
	Dealer int
	// Recipient is the complainer whose share is opened.
	Recipient int
	// DealingHash is Envelope.Hash of the dealing.
	DealingHash [32]byte
	// Share is the opened share (public once published).
	Share SharePayload
}

// NewOpening signs an opening of recipient's share of the dealing of dealer
// with the given hash.
func NewOpening(key *NodeSigningKey, sessionID []byte, dealer, recipient int, dealingHash [32]byte, share SharePayload) (*Envelope, error) {
	if dealer < 0 || recipient < 0 || dealer >= MaxCommittee || recipient >= MaxCommittee {
		return nil, errors.New("dkg: opening index out of range")
	}
	pb, err := share.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var enc Encoder
	enc.Uint32(uint32(recipient))
	enc.Fixed(dealingHash[:])
	enc.Bytes(pb)
	return SignEnvelope(key, KindOpening, sessionID, uint32(dealer), enc.Output())
}

// DecodeOpening strictly decodes an opening envelope's body holding a share
// of exactly scalars scalars of g. It does not check the signature
// (VerifyOpening does, or call env.Verify with the dealer's key) nor the
// share (call Check).
func DecodeOpening(g group.Group, scalars int, env *Envelope) (*Opening, error) {
	if env.Kind != KindOpening {
		return nil, fmt.Errorf("dkg: envelope kind %q is not an opening", env.Kind)
	}
	d := NewDecoder(env.Body)
	recipient := d.Uint32()
	h := d.Fixed(32)
	pb := d.Bytes(1 + MaxPayloadScalars*g.ScalarLen())
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("dkg: decode opening: %w", err)
	}
	if recipient >= MaxCommittee || env.Signer >= MaxCommittee {
		return nil, errors.New("dkg: opening index out of range")
	}
	share, err := DecodeSharePayload(g, scalars, pb)
	if err != nil {
		return nil, fmt.Errorf("dkg: decode opening: %w", err)
	}
	o := &Opening{Dealer: int(env.Signer), Recipient: int(recipient), Share: share}
	copy(o.DealingHash[:], h)
	return o, nil
}

// VerifyOpening decodes a Feldman opening and checks it against cfg: the
// session, the indices, and the dealer's signature. The share itself is
// checked by Check.
func VerifyOpening(cfg *Config, env *Envelope) (*Opening, error) {
	o, err := DecodeOpening(cfg.Group, 1, env)
	if err != nil {
		return nil, err
	}
	if string(env.SessionID) != string(cfg.SessionID) {
		return nil, errors.New("dkg: opening for another session")
	}
	if o.Dealer >= len(cfg.Dealers) || o.Recipient >= len(cfg.Receivers) {
		return nil, fmt.Errorf("dkg: opening by %d for %d: index out of range", o.Dealer, o.Recipient)
	}
	if err := env.Verify(cfg.Dealers[o.Dealer]); err != nil {
		return nil, fmt.Errorf("dkg: opening by %d: %w", o.Dealer, err)
	}
	return o, nil
}

// Check verifies the opened share against the dealing's commitment v. An
// opening that fails it (with a valid dealer signature) convicts the dealer.
func (o *Opening) Check(v ShareVerifier) error {
	if len(o.Share.Scalars) != v.PayloadScalars() {
		return fmt.Errorf("dkg: opening of %d scalars, want %d: %w", len(o.Share.Scalars), v.PayloadScalars(), ErrShareMismatch)
	}
	return v.VerifyShare(o.Recipient, o.Share)
}

// String prints the opening's indices; the share is redacted even though
// a published opening is public.
func (o *Opening) String() string {
	return fmt.Sprintf("dkg.Opening(dealer %d, recipient %d, REDACTED)", o.Dealer, o.Recipient)
}

// Format prints the opening like String for every verb.
func (o *Opening) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }
