package idkg

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/poly"
)

// Transcript is the public result of combining a set of verified dealings:
// the commitment to the shared polynomial and the dealings it was made of.
// Every node computes the same transcript from the same agreed dealings.
// It is safe for concurrent use.
type Transcript struct {
	// ID is the transcript's unique id (session id), chosen by the driver.
	ID []byte
	// Kind is the operation the transcript was made by.
	Kind Kind
	// Receivers and Threshold describe the sharing: Receivers nodes hold
	// shares, Threshold of them reconstruct.
	Receivers, Threshold int
	// Inputs are the ids of the input transcripts (the reshared one, or
	// the unmasked and the masked factor of a product).
	Inputs [][]byte
	// Dealings are the dealings combined, sorted by dealer.
	Dealings []*Dealing

	cfg        *Config
	kind       CommitmentKind
	coeffs     []group.Scalar
	once       sync.Once
	commitment *Commitment

	mu     sync.Mutex
	shares map[int]group.Point // cache of PublicShare
}

// Commitment returns the commitment to the shared polynomial: Feldman for
// unmasked transcripts, Pedersen for masked ones. For a product transcript
// it is computed on first use (a multi-scalar multiplication per
// coefficient), since signing needs it only to check signature shares.
func (t *Transcript) Commitment() *Commitment {
	t.once.Do(func() {
		g := t.cfg.group
		com := &Commitment{Kind: t.kind, Points: make([]group.Point, t.Threshold)}
		pts := make([]group.Point, len(t.Dealings))
		for k := range com.Points {
			for j, d := range t.Dealings {
				pts[j] = d.Commitment.Points[k]
			}
			p, err := g.MultiScalarMult(t.coeffs, pts)
			if err != nil {
				panic(err) // lengths match by construction
			}
			com.Points[k] = p
		}
		t.commitment = com
	})
	return t.commitment
}

// Group returns the transcript's group.
func (t *Transcript) Group() group.Group { return t.cfg.group }

// Config returns the receivers' configuration.
func (t *Transcript) Config() *Config { return t.cfg }

// Masked reports whether the transcript hides its value (Pedersen).
func (t *Transcript) Masked() bool { return t.kind == Pedersen }

// PublicValue returns x·G for an unmasked transcript sharing x (for a key
// transcript, the public key).
func (t *Transcript) PublicValue() (group.Point, error) {
	if t.Masked() {
		return nil, errors.New("idkg: a masked transcript has no public value")
	}
	return t.cfg.group.NewPoint().Set(t.Commitment().Constant()), nil
}

// PublicShare returns the commitment evaluated at receiver i: share_i·G for
// an unmasked transcript, share_i·G + mask_i·H for a masked one.
func (t *Transcript) PublicShare(i int) (group.Point, error) {
	if i < 0 || i >= t.Receivers {
		return nil, fmt.Errorf("idkg: receiver %d out of range", i)
	}
	t.mu.Lock()
	p, ok := t.shares[i]
	t.mu.Unlock()
	if !ok {
		var err error
		if p, err = t.Commitment().EvalAt(t.cfg.group, i); err != nil {
			return nil, err
		}
		normalizePublic([]group.Point{p}) // before it is shared: cheap encodings

		t.mu.Lock()
		if t.shares == nil {
			t.shares = map[int]group.Point{}
		}
		t.shares[i] = p
		t.mu.Unlock()
	}
	return t.cfg.group.NewPoint().Set(p), nil
}

// VerifyOpening checks receiver i's share of the transcript against its
// commitment.
func (t *Transcript) VerifyOpening(i int, o *Opening) error {
	if i < 0 || i >= t.Receivers {
		return fmt.Errorf("idkg: receiver %d out of range", i)
	}
	return t.cfg.VerifyOpening(t.Commitment(), i, o)
}

// CreateTranscript combines dealings into the transcript with the given id.
// The caller passes the agreed set of dealings (each supported by 2f+1
// receivers); every one is verified publicly again, dealers must be
// distinct, and the op.CollectionThreshold() dealings of lowest dealer
// index are combined: summed for the random kinds, Lagrange-interpolated at
// zero over the dealers' indices for reshares and products. Dealings that
// fail verification are reported as culprits and skipped.
func CreateTranscript(cfg *Config, transcriptID []byte, op *Operation, dealings []*Dealing) (*Transcript, []int, error) {
	if err := op.validate(); err != nil {
		return nil, nil, err
	}
	if op.Kind != Random && op.Kind != RandomUnmasked && op.Input.cfg.group.Name() != cfg.group.Name() {
		return nil, nil, errors.New("idkg: input transcript over another group")
	}
	sorted := slices.Clone(dealings)
	slices.SortStableFunc(sorted, func(a, b *Dealing) int {
		if a == nil || b == nil {
			return 0
		}
		return a.Dealer - b.Dealer
	})
	need := op.CollectionThreshold()
	var used []*Dealing
	var culprits []int
	seen := map[int]bool{}
	for _, d := range sorted {
		if d == nil {
			continue
		}
		if seen[d.Dealer] {
			return nil, nil, fmt.Errorf("idkg: duplicate dealing from dealer %d", d.Dealer)
		}
		seen[d.Dealer] = true
		if err := VerifyDealing(cfg, transcriptID, op, d); err != nil {
			culprits = append(culprits, d.Dealer)
			continue
		}
		if len(used) < need {
			used = append(used, d)
		}
	}
	if len(used) < need {
		return nil, culprits, fmt.Errorf("idkg: %d valid dealings, need %d", len(used), need)
	}
	coeffs, err := combinationCoefficients(cfg.group, op, used)
	if err != nil {
		return nil, culprits, err
	}
	t := &Transcript{
		ID:        slices.Clone(transcriptID),
		Kind:      op.Kind,
		Receivers: cfg.receivers,
		Threshold: cfg.threshold,
		Inputs:    op.inputIDs(),
		Dealings:  used,
		cfg:       cfg,
		kind:      op.Kind.commitmentKind(),
		coeffs:    coeffs,
	}
	if op.Kind != UnmaskedTimesMasked && t.Commitment().Constant().IsIdentity() {
		return nil, culprits, errors.New("idkg: transcript shares zero")
	}
	return t, culprits, nil
}

// combinationCoefficients returns 1 for every dealing of a random kind and
// the Lagrange coefficients at zero over the dealers' indices otherwise.
func combinationCoefficients(g group.Group, op *Operation, used []*Dealing) ([]group.Scalar, error) {
	out := make([]group.Scalar, len(used))
	if op.Kind == Random || op.Kind == RandomUnmasked {
		for j := range out {
			out[j] = g.NewScalar().SetUint64(1)
		}
		return out, nil
	}
	idx := make([]int, len(used))
	for j, d := range used {
		idx[j] = d.Dealer
	}
	return poly.LagrangeAtZero(g, idx)
}

// ComputeOpening returns receiver's share of the transcript from its
// openings of the transcript's dealings, keyed by dealer. The openings must
// have been checked against their dealings (DecryptOpening, DecryptOpenings,
// VerifyDealingOpening or RecoverOpening do it): the combination of checked
// openings is then the receiver's share, and no further check is needed
// (Transcript.VerifyOpening makes one).
func (t *Transcript) ComputeOpening(receiver int, openings map[int]*Opening) (*Opening, error) {
	g := t.cfg.group
	if receiver < 0 || receiver >= t.Receivers {
		return nil, fmt.Errorf("idkg: receiver %d out of range", receiver)
	}
	out := &Opening{Value: g.NewScalar()}
	if t.Masked() {
		out.Mask = g.NewScalar()
	}
	tmp := g.NewScalar()
	defer tmp.Zeroize()
	for j, d := range t.Dealings {
		o, ok := openings[d.Dealer]
		if !ok || o == nil || o.Value == nil || (o.Mask != nil) != t.Masked() {
			out.Zeroize()
			return nil, fmt.Errorf("idkg: missing or malformed opening of dealing %d", d.Dealer)
		}
		out.Value.Add(out.Value, tmp.Mul(t.coeffs[j], o.Value))
		if out.Mask != nil {
			out.Mask.Add(out.Mask, tmp.Mul(t.coeffs[j], o.Mask))
		}
	}
	return out, nil
}

// VerifyOpenings checks receiver's openings of several dealings at once
// (for example all dealings of a transcript that arrived in one block):
// with weights ρ_d of 128 bits derived by hashing everything checked, it
// tests (Σ ρ_d·v_d)·G + (Σ ρ_d·m_d)·H = Σ ρ_d·C_d(x_i) with two
// constant-time multiplications for the secret sums and one variable-time
// multi-scalar multiplication of public points. If the batch fails, every
// opening is checked alone and the first bad dealing is reported.
func (cfg *Config) VerifyOpenings(receiver int, dealings []*Dealing, openings []*Opening) error {
	if len(dealings) != len(openings) {
		return fmt.Errorf("idkg: %d openings for %d dealings", len(openings), len(dealings))
	}
	if receiver < 0 || receiver >= cfg.receivers {
		return fmt.Errorf("idkg: receiver %d out of range", receiver)
	}
	if len(dealings) == 0 {
		return nil
	}
	g := cfg.group
	kind := dealings[0].Commitment.Kind
	seed := sha256.New()
	seed.Write([]byte("chainkey/idkg/batch-openings-v1"))
	var idx [8]byte
	binary.BigEndian.PutUint64(idx[:], uint64(receiver))
	seed.Write(idx[:])
	evals := make([]group.Point, len(dealings))
	for j, d := range dealings {
		o := openings[j]
		if d == nil || d.Commitment == nil || o == nil || o.Value == nil || d.Commitment.Kind != kind || (o.Mask != nil) != (kind == Pedersen) {
			return fmt.Errorf("idkg: batch opening %d malformed", j)
		}
		e, err := d.Commitment.EvalAt(g, receiver)
		if err != nil {
			return err
		}
		evals[j] = e
	}
	normalizePublic(evals) // one inversion for all the encodings below
	for j, d := range dealings {
		o := openings[j]
		for _, b := range [][]byte{d.TranscriptID, evals[j].Bytes(), o.Value.Bytes()} {
			binary.BigEndian.PutUint64(idx[:], uint64(len(b)))
			seed.Write(idx[:])
			seed.Write(b)
		}
		if o.Mask != nil {
			seed.Write(o.Mask.Bytes())
		}
	}
	root := seed.Sum(nil)
	rhos := make([]group.Scalar, len(dealings))
	v, m := g.NewScalar(), g.NewScalar()
	defer v.Zeroize()
	defer m.Zeroize()
	tmp := g.NewScalar()
	defer tmp.Zeroize()
	for j := range dealings {
		binary.BigEndian.PutUint64(idx[:], uint64(j))
		h := sha256.Sum256(append(append([]byte{}, root...), idx[:]...))
		rhos[j] = g.ScalarFromBigInt(new(big.Int).SetBytes(h[:16]))
		if rhos[j].IsZero() {
			rhos[j].SetUint64(1)
		}
		v.Add(v, tmp.Mul(rhos[j], openings[j].Value))
		if kind == Pedersen {
			m.Add(m, tmp.Mul(rhos[j], openings[j].Mask))
		}
	}
	rhs, err := g.MultiScalarMult(rhos, evals)
	if err != nil {
		return err
	}
	lhs := g.NewPoint().ScalarBaseMult(v)
	if kind == Pedersen {
		lhs.Add(lhs, cfg.hMult(m))
	}
	if lhs.Equal(rhs) {
		return nil
	}
	for j, d := range dealings {
		if err := cfg.VerifyDealingOpening(d, receiver, openings[j]); err != nil {
			return err
		}
	}
	return errors.New("idkg: batch opening check failed")
}
