package dkg

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/poly"
)

// ErrInvalidDealing marks a dealing that carries its dealer's valid
// signature but fails public verification: it proves the dealer faulty.
var ErrInvalidDealing = errors.New("dkg: invalid dealing")

// Dealing is the body of a dealing envelope (KindDealing): a Feldman
// commitment to the dealer's polynomial, one encrypted share per receiver
// and, for a fresh key, a proof of knowledge of the constant term.
type Dealing struct {
	// Dealer is the dealer's index (the envelope's signer).
	Dealer int
	// Resharing is set when the dealing reshares the dealer's old share.
	Resharing bool
	// Commitment commits to the Threshold coefficients.
	Commitment *poly.Commitment
	// Ciphertexts[i] is receiver i's share, encrypted with EncryptShare.
	Ciphertexts [][]byte
	// PoK proves knowledge of the constant term (nil when resharing: the
	// constant term is then checked against the old public polynomial).
	PoK *PoK

	digest [32]byte // SHA-256 of the body's group, mode and commitment
}

// Verifier returns the dealing's commitment as a ShareVerifier.
func (d *Dealing) Verifier() ShareVerifier { return FeldmanCommitment{d.Commitment} }

// encodePrefix returns the canonical encoding of the dealing's group, mode
// and commitment: the start of the body, whose SHA-256 digest binds every
// ciphertext to the commitment.
func (d *Dealing) encodePrefix(g group.Group) []byte {
	var enc Encoder
	enc.Bytes([]byte(g.Name()))
	if d.Resharing {
		enc.Uint8(1)
	} else {
		enc.Uint8(0)
	}
	enc.Points(d.Commitment.Points())
	return enc.Output()
}

// encodeBody returns the canonical body encoding after prefix (which is
// encodePrefix's output).
func (d *Dealing) encodeBody(g group.Group, prefix []byte) []byte {
	enc := Encoder{buf: prefix}
	enc.Uint32(uint32(len(d.Ciphertexts)))
	for _, ct := range d.Ciphertexts {
		enc.Bytes(ct)
	}
	if !d.Resharing {
		enc.Point(d.PoK.R)
		enc.Scalar(d.PoK.Z)
	}
	return enc.Output()
}

// decodeDealingBody strictly decodes a dealing body of cfg's shape.
func decodeDealingBody(cfg *Config, dealer int, body []byte) (*Dealing, error) {
	g := cfg.Group
	d := NewDecoder(body)
	name := d.Bytes(64)
	mode := d.Uint8()
	if err := d.Err(); err != nil {
		return nil, err
	}
	// Refuse a wrong group or mode before decoding any point.
	switch {
	case string(name) != g.Name():
		return nil, fmt.Errorf("dealing in group %q, want %q", name, g.Name())
	case mode > 1:
		return nil, fmt.Errorf("dealing mode %d", mode)
	case (mode == 1) != cfg.IsResharing():
		return nil, fmt.Errorf("dealing mode %d in a session with resharing=%v", mode, cfg.IsResharing())
	}
	pts := d.Points(g, cfg.Threshold)
	var digest [32]byte
	if d.Err() == nil {
		digest = sha256.Sum256(body[:len(body)-len(d.b)])
	}
	nct := d.Uint32()
	if d.Err() == nil && int64(nct) != int64(len(cfg.Receivers)) {
		return nil, fmt.Errorf("%d ciphertexts for %d receivers", nct, len(cfg.Receivers))
	}
	cts := make([][]byte, 0, len(cfg.Receivers))
	ctLen := CiphertextLen(g, 1)
	for i := 0; i < int(nct) && d.Err() == nil; i++ {
		cts = append(cts, d.Bytes(ctLen))
	}
	var pok *PoK
	if mode == 0 {
		pok = &PoK{R: d.Point(g), Z: d.Scalar(g)}
	}
	if err := d.Finish(); err != nil {
		return nil, err
	}
	if len(pts) != cfg.Threshold {
		return nil, fmt.Errorf("commitment of %d points, want threshold %d", len(pts), cfg.Threshold)
	}
	for i, ct := range cts {
		if len(ct) != ctLen {
			return nil, fmt.Errorf("ciphertext %d of %d bytes, want %d", i, len(ct), ctLen)
		}
	}
	c, err := poly.NewCommitment(g, pts)
	if err != nil {
		return nil, err
	}
	return &Dealing{Dealer: dealer, Resharing: mode == 1, Commitment: c, Ciphertexts: cts, PoK: pok, digest: digest}, nil
}

// shareContext returns the HPKE context of receiver i's share of a
// dealing: the session, the dealer, the recipient, and the digest of the
// dealing's group, mode and commitment, so that a ciphertext cannot be moved
// to another dealing.
func shareContext(cfg *Config, dealer, recipient int, digest [32]byte) *ShareContext {
	return &ShareContext{
		SessionID: cfg.SessionID,
		Dealer:    uint32(dealer),
		Recipient: uint32(recipient),
		Extra:     append([]byte("feldman:"), digest[:]...),
	}
}

// VerifyDealing publicly verifies a dealing envelope against cfg: kind,
// session id, dealer index, signature, strict body encoding, commitment
// length (the threshold), one ciphertext of the right length per receiver,
// and the proof of knowledge (fresh key) or the resharing link (constant
// term = Previous evaluated at the dealer's index). Errors for which the
// dealer's signature is valid wrap ErrInvalidDealing and convict the dealer;
// other errors mean the envelope proves nothing and is dropped.
func VerifyDealing(cfg *Config, env *Envelope) (*Dealing, error) {
	if env.Kind != KindDealing {
		return nil, fmt.Errorf("dkg: envelope kind %q is not a dealing", env.Kind)
	}
	if string(env.SessionID) != string(cfg.SessionID) {
		return nil, errors.New("dkg: dealing for another session")
	}
	if int64(env.Signer) >= int64(len(cfg.Dealers)) {
		return nil, fmt.Errorf("dkg: dealing from unknown dealer %d", env.Signer)
	}
	dealer := int(env.Signer)
	if err := env.Verify(cfg.Dealers[dealer]); err != nil {
		return nil, fmt.Errorf("dkg: dealing %d: %w", dealer, err)
	}
	d, err := decodeDealingBody(cfg, dealer, env.Body)
	if err != nil {
		return nil, fmt.Errorf("dkg: dealing %d: %w: %w", dealer, ErrInvalidDealing, err)
	}
	pts := d.Commitment.Points()
	if d.Resharing {
		if old, err := EvalCommitment(cfg.Previous, dealer); err != nil || !pts[0].Equal(old) {
			return nil, fmt.Errorf("dkg: dealing %d: %w: constant term is not the dealer's old public share", dealer, ErrInvalidDealing)
		}
	} else if !d.PoK.verify(cfg.Group, cfg.SessionID, env.Signer, pts) {
		return nil, fmt.Errorf("dkg: dealing %d: %w: bad proof of knowledge", dealer, ErrInvalidDealing)
	}
	return d, nil
}

// Dealer makes one node's dealing and answers complaints against it. It
// holds the secret polynomial: Zeroize it once the session is over.
type Dealer struct {
	cfg     *Config
	index   int
	key     *NodeSigningKey
	poly    *poly.Poly
	dealing *Envelope
	hash    [32]byte
}

// NewDealer returns the dealer with index index in cfg.Dealers, signing with
// key (whose public key must be cfg.Dealers[index]).
func NewDealer(cfg *Config, index int, key *NodeSigningKey) (*Dealer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if index < 0 || index >= len(cfg.Dealers) {
		return nil, fmt.Errorf("dkg: dealer index %d out of range", index)
	}
	if !cfg.Dealers[index].Equal(key.PublicKey()) {
		return nil, fmt.Errorf("dkg: dealer %d: signing key does not match the committee", index)
	}
	return &Dealer{cfg: cfg, index: index, key: key}, nil
}

// Deal makes and signs the dealing. For a fresh key secret is nil and the
// constant term is random; for resharing secret is the dealer's share of the
// old key (checked against cfg.Previous). All randomness comes from rand,
// except the KEM encapsulations, which crypto/hpke draws from crypto/rand.
// Deal may be called once.
func (d *Dealer) Deal(secret group.Scalar, rand io.Reader) (*Envelope, error) {
	if d.dealing != nil {
		return nil, errors.New("dkg: dealer already dealt")
	}
	cfg, g := d.cfg, d.cfg.Group
	if cfg.IsResharing() {
		if secret == nil {
			return nil, errors.New("dkg: resharing needs the dealer's old share")
		}
		if !verifyFeldman(cfg.Previous, d.index, secret) {
			return nil, fmt.Errorf("dkg: dealer %d: old share does not match the previous public polynomial", d.index)
		}
	} else if secret != nil {
		return nil, errors.New("dkg: a fresh dealing takes no secret")
	}
	p, err := poly.Random(g, cfg.Threshold-1, secret, rand)
	if err != nil {
		return nil, fmt.Errorf("dkg: dealer %d: %w", d.index, err)
	}
	env, err := d.dealWith(p, rand, nil)
	if err != nil {
		p.Zeroize()
		return nil, err
	}
	d.poly = p
	d.dealing = env
	d.hash = env.Hash()
	return env, nil
}

// dealTamper describes deviations from the protocol; only the package's
// tests use it, to play Byzantine dealers. Production code passes nil.
type dealTamper struct {
	share      func(i int, s group.Scalar)               // alter share i before encryption
	commitment func(c *poly.Commitment) *poly.Commitment // replace the commitment
	badPoK     bool                                      // corrupt the proof
}

// dealWith builds the dealing of polynomial p, deviating as tm says when
// tm is non-nil.
func (d *Dealer) dealWith(p *poly.Poly, rand io.Reader, tm *dealTamper) (*Envelope, error) {
	cfg, g := d.cfg, d.cfg.Group
	c := p.Commit()
	if tm != nil && tm.commitment != nil {
		c = tm.commitment(c)
	}
	for k, pt := range c.Points() {
		if pt.IsIdentity() {
			return nil, fmt.Errorf("dkg: dealer %d: coefficient %d is zero", d.index, k)
		}
	}
	dl := &Dealing{Dealer: d.index, Resharing: cfg.IsResharing(), Commitment: c, Ciphertexts: make([][]byte, len(cfg.Receivers))}
	if !dl.Resharing {
		a0 := p.Coefficient(0)
		pok, err := provePoK(g, cfg.SessionID, uint32(d.index), c.Points(), a0, rand)
		a0.Zeroize()
		if err != nil {
			return nil, err
		}
		if tm != nil && tm.badPoK {
			pok.Z.Add(pok.Z, g.NewScalar().SetUint64(1))
		}
		dl.PoK = pok
	}
	prefix := dl.encodePrefix(g)
	dl.digest = sha256.Sum256(prefix)
	for i, r := range cfg.Receivers {
		s := p.EvalAt(i)
		if tm != nil && tm.share != nil {
			tm.share(i, s)
		}
		ct, err := EncryptShare(r.EncryptionKey, shareContext(cfg, d.index, i, dl.digest), SharePayload{Scalars: []group.Scalar{s}})
		s.Zeroize()
		if err != nil {
			return nil, fmt.Errorf("dkg: dealer %d: %w", d.index, err)
		}
		dl.Ciphertexts[i] = ct
	}
	return SignEnvelope(d.key, KindDealing, cfg.SessionID, uint32(d.index), dl.encodeBody(g, prefix))
}

// Open answers a complaint against this dealer's dealing with a signed
// opening: the complainer's plaintext share, which everyone checks against
// the commitment. The complaint must be valid (see VerifyComplaint) and name
// this dealer's dealing.
func (d *Dealer) Open(complaint *Envelope) (*Envelope, error) {
	if d.poly == nil {
		return nil, errors.New("dkg: dealer has not dealt")
	}
	c, err := VerifyComplaint(d.cfg, complaint)
	if err != nil {
		return nil, err
	}
	if c.Dealer != d.index || c.DealingHash != d.hash {
		return nil, fmt.Errorf("dkg: dealer %d: complaint names another dealing", d.index)
	}
	s := d.poly.EvalAt(c.Complainer)
	defer s.Zeroize()
	return NewOpening(d.key, d.cfg.SessionID, d.index, c.Complainer, d.hash, SharePayload{Scalars: []group.Scalar{s}})
}

// Zeroize overwrites the secret polynomial.
func (d *Dealer) Zeroize() {
	if d.poly != nil {
		d.poly.Zeroize()
		d.poly = nil
	}
}

// String redacts the dealer's secrets.
func (d Dealer) String() string { return fmt.Sprintf("dkg.Dealer(%d, REDACTED)", d.index) }

// GoString redacts the dealer's secrets.
func (d Dealer) GoString() string { return d.String() }

// Format redacts the dealer's secrets for every verb.
func (d Dealer) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, d.String()) }
