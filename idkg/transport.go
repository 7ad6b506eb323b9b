package idkg

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group"
)

// Envelope kinds of IDKG messages (signed with dkg.SignEnvelope by the
// sender's node key). Complaints use dkg.KindComplaint with the
// transcript id as session id and Dealing.Hash as the dealing hash.
const (
	// KindSignedDealing carries a dealing and its encrypted openings,
	// signed by the dealer.
	KindSignedDealing = "chainkey/idkg/signed-dealing-v1"
	// KindReceiverOpening carries a receiver's opening of a dealing,
	// published to let a complainer recover its share.
	KindReceiverOpening = "chainkey/idkg/receiver-opening-v1"
)

// Hash returns SHA-256 of the dealing's canonical encoding. Encrypted
// openings are bound to it, and complaints name it.
func (d *Dealing) Hash() [32]byte {
	b, _ := d.MarshalBinary()
	return sha256.Sum256(b)
}

// shareVerifier adapts a dealing's commitment to dkg.ShareVerifier, so that
// dkg's openings and complaints work for Pedersen (two-scalar) shares too.
type shareVerifier struct {
	cfg *Config
	com *Commitment
}

// ShareVerifier returns the dealing's commitment as a dkg.ShareVerifier:
// one scalar per share for Feldman, value and mask for Pedersen.
func (cfg *Config) ShareVerifier(d *Dealing) dkg.ShareVerifier {
	return shareVerifier{cfg: cfg, com: d.Commitment}
}

func (v shareVerifier) PayloadScalars() int {
	if v.com.Kind == Pedersen {
		return 2
	}
	return 1
}

func (v shareVerifier) VerifyShare(recipient int, share dkg.SharePayload) error {
	o, err := openingFromPayload(share, v.com.Kind)
	if err != nil {
		return fmt.Errorf("idkg: %w: %v", dkg.ErrShareMismatch, err)
	}
	if err := v.cfg.VerifyOpening(v.com, recipient, o); err != nil {
		return fmt.Errorf("idkg: recipient %d: %w", recipient, dkg.ErrShareMismatch)
	}
	return nil
}

func openingFromPayload(p dkg.SharePayload, kind CommitmentKind) (*Opening, error) {
	want := 1
	if kind == Pedersen {
		want = 2
	}
	if len(p.Scalars) != want {
		return nil, fmt.Errorf("payload of %d scalars, want %d", len(p.Scalars), want)
	}
	o := &Opening{Value: p.Scalars[0]}
	if want == 2 {
		o.Mask = p.Scalars[1]
	}
	return o, nil
}

func payloadOf(o *Opening) dkg.SharePayload {
	p := dkg.SharePayload{Scalars: []group.Scalar{o.Value}}
	if o.Mask != nil {
		p.Scalars = append(p.Scalars, o.Mask)
	}
	return p
}

func shareContext(d *Dealing, h [32]byte, recipient int) *dkg.ShareContext {
	return &dkg.ShareContext{
		SessionID: d.TranscriptID,
		Dealer:    uint32(d.Dealer),
		Recipient: uint32(recipient),
		Extra:     append([]byte("chainkey/idkg/share-v1:"), h[:]...),
	}
}

// EncryptOpenings encrypts every receiver's opening of d to its encryption
// key (dkg.EncryptShare: HPKE with ML-KEM-768+X25519), bound to the
// transcript id, the dealer, the receiver and the dealing's hash.
func EncryptOpenings(d *Dealing, openings []*Opening, keys []*dkg.EncryptionPublicKey) ([][]byte, error) {
	if len(openings) != len(keys) {
		return nil, fmt.Errorf("idkg: %d openings for %d receivers", len(openings), len(keys))
	}
	out := make([][]byte, len(keys))
	h := d.Hash()
	for j, k := range keys {
		ct, err := dkg.EncryptShare(k, shareContext(d, h, j), payloadOf(openings[j]))
		if err != nil {
			return nil, fmt.Errorf("idkg: dealing %d: %w", d.Dealer, err)
		}
		out[j] = ct
	}
	return out, nil
}

// EncryptOpeningsWith is EncryptOpenings with one dkg.ShareSealer per
// receiver (sealers[j] seals from d's dealer to receiver j): a dealer that
// deals for several transcripts at once runs the KEM once per receiver.
func EncryptOpeningsWith(d *Dealing, openings []*Opening, sealers []*dkg.ShareSealer) ([][]byte, error) {
	if len(openings) != len(sealers) {
		return nil, fmt.Errorf("idkg: %d openings for %d receivers", len(openings), len(sealers))
	}
	out := make([][]byte, len(sealers))
	h := d.Hash()
	for j, s := range sealers {
		ct, err := s.Seal(shareContext(d, h, j), payloadOf(openings[j]))
		if err != nil {
			return nil, fmt.Errorf("idkg: dealing %d: %w", d.Dealer, err)
		}
		out[j] = ct
	}
	return out, nil
}

// DecryptOpeningWith is DecryptOpening with a dkg.ShareOpener, which
// decapsulates each of a dealer's sealing contexts once.
func (cfg *Config) DecryptOpeningWith(d *Dealing, receiver int, o *dkg.ShareOpener, ct []byte) (*Opening, error) {
	return cfg.decryptOpening(d, receiver, func(c *dkg.ShareContext, want int) (dkg.SharePayload, error) {
		return o.Open(c, cfg.group, want, ct)
	})
}

// DecryptOpening decrypts receiver's opening of d and checks it against the
// dealing's commitment. An error means the receiver must complain
// (dkg.NewComplaint with d.TranscriptID and d.Hash()) instead of supporting
// the dealing.
func (cfg *Config) DecryptOpening(d *Dealing, receiver int, sk *dkg.EncryptionKey, ct []byte) (*Opening, error) {
	return cfg.decryptOpening(d, receiver, func(c *dkg.ShareContext, want int) (dkg.SharePayload, error) {
		return dkg.DecryptShare(sk, c, cfg.group, want, ct)
	})
}

func (cfg *Config) decryptOpening(d *Dealing, receiver int, open func(*dkg.ShareContext, int) (dkg.SharePayload, error)) (*Opening, error) {
	v := cfg.ShareVerifier(d)
	p, err := open(shareContext(d, d.Hash(), receiver), v.PayloadScalars())
	if err != nil {
		return nil, fmt.Errorf("idkg: dealing %d: %w", d.Dealer, err)
	}
	if err := v.VerifyShare(receiver, p); err != nil {
		p.Zeroize()
		return nil, fmt.Errorf("idkg: dealing %d: %w", d.Dealer, err)
	}
	return openingFromPayload(p, d.Commitment.Kind)
}

// SignDealing wraps a dealing and its encrypted openings in an envelope
// signed by the dealer's node key.
func SignDealing(key *dkg.NodeSigningKey, d *Dealing, ciphertexts [][]byte) (*dkg.Envelope, error) {
	body, _ := d.MarshalBinary()
	var e dkg.Encoder
	e.Bytes(body)
	e.Uint32(uint32(len(ciphertexts)))
	for _, ct := range ciphertexts {
		e.Bytes(ct)
	}
	return dkg.SignEnvelope(key, KindSignedDealing, d.TranscriptID, uint32(d.Dealer), e.Output())
}

// OpenSignedDealing checks the dealer's signature on env and strictly
// decodes the dealing and its ciphertexts (one per receiver). The dealing
// must still be verified with VerifyDealing.
func (cfg *Config) OpenSignedDealing(env *dkg.Envelope, dealerKey dkg.NodePublicKey) (*Dealing, [][]byte, error) {
	if env.Kind != KindSignedDealing {
		return nil, nil, fmt.Errorf("idkg: envelope kind %q is not a dealing", env.Kind)
	}
	if err := env.Verify(dealerKey); err != nil {
		return nil, nil, fmt.Errorf("idkg: dealing signature: %w", err)
	}
	return cfg.DecodeSignedDealing(env)
}

// DecodeSignedDealing strictly decodes the dealing and ciphertexts of a
// signed dealing envelope without checking its signature: for dealings
// whose signature was checked when they were agreed (a transcript
// recreated from its stored dealings after the dealers' committee
// changed). Anything else must use OpenSignedDealing.
func (cfg *Config) DecodeSignedDealing(env *dkg.Envelope) (*Dealing, [][]byte, error) {
	if env.Kind != KindSignedDealing {
		return nil, nil, fmt.Errorf("idkg: envelope kind %q is not a dealing", env.Kind)
	}
	dec := dkg.NewDecoder(env.Body)
	body := dec.Bytes(dkg.MaxFieldLen)
	n := dec.Uint32()
	if dec.Err() == nil && int(n) != cfg.receivers {
		return nil, nil, fmt.Errorf("idkg: dealing has %d ciphertexts for %d receivers", n, cfg.receivers)
	}
	cts := make([][]byte, cfg.receivers)
	want := dkg.CiphertextLen(cfg.group, 2) + dkg.SealOverhead
	for j := range cts {
		cts[j] = dec.Bytes(want)
	}
	if err := dec.Finish(); err != nil {
		return nil, nil, fmt.Errorf("idkg: decode signed dealing: %w", err)
	}
	d, err := UnmarshalDealing(cfg.group, body)
	if err != nil {
		return nil, nil, err
	}
	if string(d.TranscriptID) != string(env.SessionID) || uint32(d.Dealer) != env.Signer {
		return nil, nil, errors.New("idkg: signed dealing's envelope does not match its dealing")
	}
	// Each ciphertext is an EncryptShare or a sealed ciphertext of the
	// dealing's payload (one scalar for Feldman, two for Pedersen): any
	// other length cannot decrypt and is refused here, publicly.
	plain := dkg.CiphertextLen(cfg.group, cfg.ShareVerifier(d).PayloadScalars())
	for j, ct := range cts {
		if len(ct) != plain && len(ct) != plain+dkg.SealOverhead {
			return nil, nil, fmt.Errorf("idkg: decode signed dealing: ciphertext %d of %d bytes, want %d or %d", j, len(ct), plain, plain+dkg.SealOverhead)
		}
	}
	return d, cts, nil
}

// NewReceiverOpening publishes opener's opening of dealing d, signed with
// its node key, so that a receiver that complained about d can recover its
// share with RecoverOpening.
func NewReceiverOpening(key *dkg.NodeSigningKey, d *Dealing, opener int, o *Opening) (*dkg.Envelope, error) {
	h := d.Hash()
	pb, err := payloadOf(o).MarshalBinary()
	if err != nil {
		return nil, err
	}
	var e dkg.Encoder
	e.Uint32(uint32(d.Dealer))
	e.Fixed(h[:])
	e.Bytes(pb)
	return dkg.SignEnvelope(key, KindReceiverOpening, d.TranscriptID, uint32(opener), e.Output())
}

// VerifyReceiverOpening checks a receiver opening of dealing d: signature
// by the opener's key, the dealing it names, and the opening against the
// commitment. An opening with a valid signature that fails the commitment
// check convicts the opener.
func (cfg *Config) VerifyReceiverOpening(d *Dealing, env *dkg.Envelope, openerKey dkg.NodePublicKey) (int, *Opening, error) {
	if env.Kind != KindReceiverOpening || string(env.SessionID) != string(d.TranscriptID) {
		return 0, nil, errors.New("idkg: not a receiver opening of this transcript")
	}
	if err := env.Verify(openerKey); err != nil {
		return 0, nil, fmt.Errorf("idkg: receiver opening: %w", err)
	}
	dec := dkg.NewDecoder(env.Body)
	dealer := dec.Uint32()
	h := dec.Fixed(32)
	pb := dec.Bytes(1 + 2*cfg.group.ScalarLen())
	if err := dec.Finish(); err != nil {
		return 0, nil, fmt.Errorf("idkg: decode receiver opening: %w", err)
	}
	dh := d.Hash()
	if int(dealer) != d.Dealer || string(h) != string(dh[:]) {
		return 0, nil, errors.New("idkg: receiver opening names another dealing")
	}
	v := cfg.ShareVerifier(d)
	p, err := dkg.DecodeSharePayload(cfg.group, v.PayloadScalars(), pb)
	if err != nil {
		return 0, nil, err
	}
	opener := int(env.Signer)
	if err := v.VerifyShare(opener, p); err != nil {
		return opener, nil, err
	}
	o, err := openingFromPayload(p, d.Commitment.Kind)
	return opener, o, err
}

// DecryptOpenings decrypts receiver's openings of several dealings (for
// example all those of one transcript that arrived in a block) and checks
// them with one batch check (VerifyOpenings). On failure it reports the
// first dealing whose opening is bad; the receiver complains about it and
// retries without it.
func (cfg *Config) DecryptOpenings(receiver int, sk *dkg.EncryptionKey, dealings []*Dealing, cts [][]byte) ([]*Opening, error) {
	return cfg.decryptOpenings(receiver, func(c *dkg.ShareContext, want int, ct []byte) (dkg.SharePayload, error) {
		return dkg.DecryptShare(sk, c, cfg.group, want, ct)
	}, dealings, cts)
}

// DecryptOpeningsWith is DecryptOpenings with a dkg.ShareOpener.
func (cfg *Config) DecryptOpeningsWith(receiver int, o *dkg.ShareOpener, dealings []*Dealing, cts [][]byte) ([]*Opening, error) {
	return cfg.decryptOpenings(receiver, func(c *dkg.ShareContext, want int, ct []byte) (dkg.SharePayload, error) {
		return o.Open(c, cfg.group, want, ct)
	}, dealings, cts)
}

func (cfg *Config) decryptOpenings(receiver int, open func(*dkg.ShareContext, int, []byte) (dkg.SharePayload, error), dealings []*Dealing, cts [][]byte) ([]*Opening, error) {
	if len(dealings) != len(cts) {
		return nil, fmt.Errorf("idkg: %d ciphertexts for %d dealings", len(cts), len(dealings))
	}
	out := make([]*Opening, len(dealings))
	fail := func(err error) ([]*Opening, error) {
		for _, o := range out {
			o.Zeroize()
		}
		return nil, err
	}
	for j, d := range dealings {
		v := cfg.ShareVerifier(d)
		p, err := open(shareContext(d, d.Hash(), receiver), v.PayloadScalars(), cts[j])
		if err != nil {
			return fail(fmt.Errorf("idkg: dealing %d: %w", d.Dealer, err))
		}
		if out[j], err = openingFromPayload(p, d.Commitment.Kind); err != nil {
			return fail(err)
		}
	}
	if err := cfg.VerifyOpenings(receiver, dealings, out); err != nil {
		return fail(err)
	}
	return out, nil
}
