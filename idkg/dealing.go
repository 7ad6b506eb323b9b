package idkg

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/poly"
)

// Kind is a transcript operation. The values are those of the Internet
// Computer's IDkgTranscriptOperation.
type Kind uint8

const (
	// Random shares a fresh random value, masked (Pedersen).
	Random Kind = 1
	// ReshareOfMasked reshares a masked value unmasked (Feldman), with a
	// proof of equal openings per dealing.
	ReshareOfMasked Kind = 2
	// ReshareOfUnmasked reshares an unmasked value (Feldman).
	ReshareOfUnmasked Kind = 3
	// UnmaskedTimesMasked shares a product, masked, with a product proof
	// per dealing.
	UnmaskedTimesMasked Kind = 4
	// RandomUnmasked shares a fresh random value, unmasked (Feldman).
	RandomUnmasked Kind = 5
)

// String returns the operation's name.
func (k Kind) String() string {
	switch k {
	case Random:
		return "Random"
	case ReshareOfMasked:
		return "ReshareOfMasked"
	case ReshareOfUnmasked:
		return "ReshareOfUnmasked"
	case UnmaskedTimesMasked:
		return "UnmaskedTimesMasked"
	case RandomUnmasked:
		return "RandomUnmasked"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// commitmentKind returns the kind of commitment dealings of k carry.
func (k Kind) commitmentKind() CommitmentKind {
	if k == Random || k == UnmaskedTimesMasked {
		return Pedersen
	}
	return Feldman
}

// proofResponses returns the number of responses of the proof a dealing of
// k carries, or 0 if it carries none.
func (k Kind) proofResponses() int {
	switch k {
	case ReshareOfMasked:
		return 1
	case UnmaskedTimesMasked:
		return 2
	}
	return 0
}

// Operation says what a transcript shares and who deals.
type Operation struct {
	Kind Kind
	// Dealers is the number of dealers of a Random or RandomUnmasked
	// transcript (dealer indices 0..Dealers−1). For the other kinds the
	// dealers are the receivers of the input transcript(s).
	Dealers int
	// Input is the transcript reshared (ReshareOf*) or the unmasked factor
	// (UnmaskedTimesMasked).
	Input *Transcript
	// Input2 is the masked factor of UnmaskedTimesMasked.
	Input2 *Transcript
}

// NewRandom returns the Random operation dealt by the given number of dealers.
func NewRandom(dealers int) *Operation { return &Operation{Kind: Random, Dealers: dealers} }

// NewRandomUnmasked returns the RandomUnmasked operation.
func NewRandomUnmasked(dealers int) *Operation {
	return &Operation{Kind: RandomUnmasked, Dealers: dealers}
}

// NewReshareOfMasked returns the operation resharing masked t unmasked.
func NewReshareOfMasked(t *Transcript) *Operation {
	return &Operation{Kind: ReshareOfMasked, Input: t}
}

// NewReshareOfUnmasked returns the operation resharing unmasked t.
func NewReshareOfUnmasked(t *Transcript) *Operation {
	return &Operation{Kind: ReshareOfUnmasked, Input: t}
}

// NewUnmaskedTimesMasked returns the operation sharing the product of
// unmasked a and masked b.
func NewUnmaskedTimesMasked(a, b *Transcript) *Operation {
	return &Operation{Kind: UnmaskedTimesMasked, Input: a, Input2: b}
}

// validate checks that the operation is well formed.
func (op *Operation) validate() error {
	if op == nil {
		return errors.New("idkg: nil operation")
	}
	switch op.Kind {
	case Random, RandomUnmasked:
		if op.Dealers < 1 || op.Dealers > poly.MaxIndex {
			return fmt.Errorf("idkg: %v with %d dealers", op.Kind, op.Dealers)
		}
		if op.Input != nil || op.Input2 != nil {
			return fmt.Errorf("idkg: %v takes no input transcript", op.Kind)
		}
	case ReshareOfMasked, ReshareOfUnmasked:
		if op.Input == nil || op.Input2 != nil {
			return fmt.Errorf("idkg: %v takes one input transcript", op.Kind)
		}
		if op.Input.Masked() != (op.Kind == ReshareOfMasked) {
			return fmt.Errorf("idkg: %v of a %v transcript", op.Kind, op.Input.kind)
		}
	case UnmaskedTimesMasked:
		if op.Input == nil || op.Input2 == nil {
			return errors.New("idkg: UnmaskedTimesMasked takes two input transcripts")
		}
		if op.Input.Masked() || !op.Input2.Masked() {
			return errors.New("idkg: UnmaskedTimesMasked needs an unmasked and a masked transcript")
		}
		if op.Input.Receivers != op.Input2.Receivers {
			return errors.New("idkg: UnmaskedTimesMasked of transcripts with different receivers")
		}
		if op.Input.Group().Name() != op.Input2.Group().Name() {
			return errors.New("idkg: UnmaskedTimesMasked of transcripts over different groups")
		}
	default:
		return fmt.Errorf("idkg: unknown operation %v", op.Kind)
	}
	return nil
}

// DealerCount returns the number of possible dealers.
func (op *Operation) DealerCount() int {
	if op.Kind == Random || op.Kind == RandomUnmasked {
		return op.Dealers
	}
	return op.Input.Receivers
}

// CollectionThreshold returns the number of dealings a transcript of op is
// made of, as on the Internet Computer: f_dealers+1 for the random kinds,
// the input's reconstruction threshold for reshares, and the sum of both
// inputs' thresholds minus one (2f+1) for products.
func (op *Operation) CollectionThreshold() int {
	switch op.Kind {
	case Random, RandomUnmasked:
		return (op.Dealers-1)/3 + 1
	case ReshareOfMasked, ReshareOfUnmasked:
		return op.Input.Threshold
	case UnmaskedTimesMasked:
		return op.Input.Threshold + op.Input2.Threshold - 1
	}
	return 0
}

// inputs returns the inputs' ids for binding a dealing to its operation.
func (op *Operation) inputIDs() [][]byte {
	var ids [][]byte
	if op.Input != nil {
		ids = append(ids, op.Input.ID)
	}
	if op.Input2 != nil {
		ids = append(ids, op.Input2.ID)
	}
	return ids
}

// Dealing is the public part of one dealer's contribution to a transcript:
// a commitment to a degree-(t−1) polynomial and, depending on the kind, a
// proof that it deals what the operation says. Each receiver's opening
// travels separately, encrypted to that receiver.
type Dealing struct {
	TranscriptID []byte
	Kind         Kind
	Dealer       int
	Commitment   *Commitment
	Proof        *Proof // nil for Random, RandomUnmasked, ReshareOfUnmasked

	// verified remembers a successful VerifyDealing (configuration,
	// operation and the dealing's hash), so that a node combining dealings
	// it already verified on receipt does not verify them again.
	verified atomic.Pointer[verifyMemo]
}

type verifyMemo struct {
	cfg  *Config
	op   Operation // a copy: callers may build an equal operation anew
	hash [32]byte
}

// MaxTranscriptIDLen bounds transcript ids.
const MaxTranscriptIDLen = 256

// Deal makes dealer's dealing for a transcript of op with the given id, and
// the openings for every receiver (openings[j] is receiver j's). inputs
// holds the dealer's openings of the input transcripts: none for the random
// kinds, its opening of op.Input for reshares, and its openings of op.Input
// and op.Input2 for a product.
func Deal(cfg *Config, transcriptID []byte, op *Operation, dealer int, inputs []*Opening, rand io.Reader) (*Dealing, []*Opening, error) {
	if err := op.validate(); err != nil {
		return nil, nil, err
	}
	if len(transcriptID) == 0 || len(transcriptID) > MaxTranscriptIDLen {
		return nil, nil, errors.New("idkg: invalid transcript id")
	}
	if dealer < 0 || dealer >= op.DealerCount() {
		return nil, nil, fmt.Errorf("idkg: dealer %d out of range", dealer)
	}
	g := cfg.group
	ctx := ProofContext{TranscriptID: transcriptID, Dealer: uint32(dealer)}
	var constant, constantMask group.Scalar
	var proof *Proof
	switch op.Kind {
	case Random, RandomUnmasked:
		if len(inputs) != 0 {
			return nil, nil, errors.New("idkg: random dealing takes no input")
		}
	case ReshareOfMasked, ReshareOfUnmasked:
		if len(inputs) != 1 || inputs[0] == nil {
			return nil, nil, errors.New("idkg: reshare dealing needs the dealer's opening")
		}
		if err := op.Input.VerifyOpening(dealer, inputs[0]); err != nil {
			return nil, nil, fmt.Errorf("idkg: dealer's own opening: %w", err)
		}
		constant = inputs[0].Value
	case UnmaskedTimesMasked:
		if len(inputs) != 2 || inputs[0] == nil || inputs[1] == nil {
			return nil, nil, errors.New("idkg: product dealing needs the dealer's two openings")
		}
		// The inputs are not checked against the transcripts here (two
		// constant-time multiplications each): wrong inputs only make the
		// product proof fail, and the dealing is then rejected publicly.
		if inputs[0].Value == nil || inputs[1].Value == nil || inputs[1].Mask == nil {
			return nil, nil, errors.New("idkg: product dealing needs an unmasked and a masked opening")
		}
		constant = g.NewScalar().Mul(inputs[0].Value, inputs[1].Value)
		defer constant.Zeroize()
	}
	p, err := poly.Random(g, cfg.threshold-1, constant, rand)
	if err != nil {
		return nil, nil, fmt.Errorf("idkg: deal: %w", err)
	}
	defer p.Zeroize()
	var mp *poly.Poly
	kind := op.Kind.commitmentKind()
	if kind == Pedersen {
		if mp, err = poly.Random(g, cfg.threshold-1, constantMask, rand); err != nil {
			return nil, nil, fmt.Errorf("idkg: deal: %w", err)
		}
		defer mp.Zeroize()
	}
	com := &Commitment{Kind: kind, Points: make([]group.Point, cfg.threshold)}
	for k := range com.Points {
		var m group.Scalar
		if mp != nil {
			m = mp.Coefficient(k)
		}
		a := p.Coefficient(k)
		com.Points[k] = cfg.commitTo(a, m)
		a.Zeroize()
		if m != nil {
			m.Zeroize()
		}
	}
	// Affine form once here makes every later encoding of the dealing
	// (its hash is taken several times) free of field inversions.
	normalizePublic(com.Points)
	switch op.Kind {
	case ReshareOfMasked:
		ped, err := op.Input.PublicShare(dealer)
		if err != nil {
			return nil, nil, err
		}
		if proof, err = ProveEqualOpenings(g, ctx, cfg.h, ped, com.Constant(), inputs[0].Mask, rand); err != nil {
			return nil, nil, err
		}
	case UnmaskedTimesMasked:
		a, err := op.Input.PublicShare(dealer)
		if err != nil {
			return nil, nil, err
		}
		b, err := op.Input2.PublicShare(dealer)
		if err != nil {
			return nil, nil, err
		}
		// z = r' − a·r, where r' is the new constant mask.
		r0 := mp.Coefficient(0)
		z := g.NewScalar().Mul(inputs[0].Value, inputs[1].Mask)
		z.Sub(r0, z)
		proof, err = ProveProduct(g, ctx, cfg.h, a, b, com.Constant(), inputs[0].Value, z, rand)
		r0.Zeroize()
		z.Zeroize()
		if err != nil {
			return nil, nil, err
		}
	}
	openings := make([]*Opening, cfg.receivers)
	for j := range openings {
		o := &Opening{Value: p.EvalAt(j)}
		if mp != nil {
			o.Mask = mp.EvalAt(j)
		}
		openings[j] = o
	}
	d := &Dealing{
		TranscriptID: slices.Clone(transcriptID),
		Kind:         op.Kind,
		Dealer:       dealer,
		Commitment:   com,
		Proof:        proof,
	}
	return d, openings, nil
}

// VerifyDealing performs the public checks of a dealing for a transcript of
// op with the given id: its shape (kind, dealer, commitment length, no
// identity points), and for reshares and products that it deals the right
// value (equal constant term, equal-openings proof or product proof).
func VerifyDealing(cfg *Config, transcriptID []byte, op *Operation, d *Dealing) error {
	if err := op.validate(); err != nil {
		return err
	}
	if d == nil {
		return errors.New("idkg: nil dealing")
	}
	if string(d.TranscriptID) != string(transcriptID) {
		return fmt.Errorf("idkg: dealing %d is for another transcript", d.Dealer)
	}
	if d.Kind != op.Kind {
		return fmt.Errorf("idkg: dealing %d is %v, want %v", d.Dealer, d.Kind, op.Kind)
	}
	if d.Dealer < 0 || d.Dealer >= op.DealerCount() {
		return fmt.Errorf("idkg: dealer %d out of range", d.Dealer)
	}
	if m := d.verified.Load(); m != nil && m.cfg == cfg && m.op == *op && d.Commitment != nil && m.hash == d.Hash() {
		return nil
	}
	if err := verifyDealing(cfg, transcriptID, op, d); err != nil {
		return err
	}
	d.verified.Store(&verifyMemo{cfg: cfg, op: *op, hash: d.Hash()})
	return nil
}

func verifyDealing(cfg *Config, transcriptID []byte, op *Operation, d *Dealing) error {
	if err := d.Commitment.check(op.Kind.commitmentKind(), cfg.threshold); err != nil {
		return fmt.Errorf("idkg: dealing %d: %w", d.Dealer, err)
	}
	g := cfg.group
	ctx := ProofContext{TranscriptID: transcriptID, Dealer: uint32(d.Dealer)}
	if n := op.Kind.proofResponses(); n == 0 && d.Proof != nil {
		return fmt.Errorf("idkg: dealing %d: unexpected proof", d.Dealer)
	}
	switch op.Kind {
	case ReshareOfUnmasked:
		want, err := op.Input.PublicShare(d.Dealer)
		if err != nil {
			return err
		}
		if !want.Equal(d.Commitment.Constant()) {
			return fmt.Errorf("idkg: dealing %d does not reshare the dealer's share", d.Dealer)
		}
	case ReshareOfMasked:
		ped, err := op.Input.PublicShare(d.Dealer)
		if err != nil {
			return err
		}
		if err := VerifyEqualOpenings(g, ctx, cfg.h, ped, d.Commitment.Constant(), d.Proof); err != nil {
			return fmt.Errorf("idkg: dealing %d: %w", d.Dealer, err)
		}
	case UnmaskedTimesMasked:
		a, err := op.Input.PublicShare(d.Dealer)
		if err != nil {
			return err
		}
		b, err := op.Input2.PublicShare(d.Dealer)
		if err != nil {
			return err
		}
		if err := VerifyProduct(g, ctx, cfg.h, a, b, d.Commitment.Constant(), d.Proof); err != nil {
			return fmt.Errorf("idkg: dealing %d: %w", d.Dealer, err)
		}
	}
	return nil
}

// VerifyOpening is the private check of a dealing: receiver's decrypted
// opening matches the dealing's commitment. A receiver supports a dealing
// only if it passes; otherwise it complains.
func (cfg *Config) VerifyDealingOpening(d *Dealing, receiver int, o *Opening) error {
	if receiver < 0 || receiver >= cfg.receivers {
		return fmt.Errorf("idkg: receiver %d out of range", receiver)
	}
	if err := cfg.VerifyOpening(d.Commitment, receiver, o); err != nil {
		return fmt.Errorf("idkg: dealing %d: %w", d.Dealer, err)
	}
	return nil
}

// RecoverOpening computes receiver's opening of dealing d from the openings
// that other receivers revealed for it (after receiver complained that the
// dealer sent it a bad one). Openings that do not match the commitment are
// ignored and their senders returned as culprits; Threshold valid ones are
// needed.
func (cfg *Config) RecoverOpening(d *Dealing, receiver int, revealed map[int]*Opening) (*Opening, []int, error) {
	if receiver < 0 || receiver >= cfg.receivers {
		return nil, nil, fmt.Errorf("idkg: receiver %d out of range", receiver)
	}
	var idx []int
	var culprits []int
	senders := make([]int, 0, len(revealed))
	for j := range revealed {
		senders = append(senders, j)
	}
	slices.Sort(senders)
	for _, j := range senders {
		if j == receiver || j < 0 || j >= cfg.receivers {
			culprits = append(culprits, j)
			continue
		}
		if cfg.VerifyOpening(d.Commitment, j, revealed[j]) != nil {
			culprits = append(culprits, j)
			continue
		}
		if len(idx) < cfg.threshold {
			idx = append(idx, j)
		}
	}
	if len(idx) < cfg.threshold {
		return nil, culprits, fmt.Errorf("idkg: %d valid openings of dealing %d, need %d", len(idx), d.Dealer, cfg.threshold)
	}
	g := cfg.group
	x, _ := poly.Index(g, receiver)
	lag, err := poly.LagrangeAt(g, x, idx)
	if err != nil {
		return nil, culprits, err
	}
	out := &Opening{Value: g.NewScalar()}
	if d.Commitment.Kind == Pedersen {
		out.Mask = g.NewScalar()
	}
	t := g.NewScalar()
	for k, j := range idx {
		out.Value.Add(out.Value, t.Mul(lag[k], revealed[j].Value))
		if out.Mask != nil {
			out.Mask.Add(out.Mask, t.Mul(lag[k], revealed[j].Mask))
		}
	}
	if err := cfg.VerifyOpening(d.Commitment, receiver, out); err != nil {
		return nil, culprits, err
	}
	return out, culprits, nil
}

// Encoding limits.
const maxCommitmentLen = 1 << 12

// MarshalBinary returns the dealing's canonical encoding.
func (d *Dealing) MarshalBinary() ([]byte, error) {
	var e dkg.Encoder
	e.Bytes([]byte("chainkey/idkg/dealing-v1"))
	e.Bytes(d.TranscriptID)
	e.Uint8(uint8(d.Kind))
	e.Uint32(uint32(d.Dealer))
	e.Uint8(uint8(d.Commitment.Kind))
	e.Points(d.Commitment.Points)
	if d.Proof != nil {
		e.Bytes(d.Proof.Bytes())
	} else {
		e.Bytes(nil)
	}
	return e.Output(), nil
}

// UnmarshalDealing decodes a dealing strictly: one of the five operations,
// the commitment kind and proof that operation uses, a non-empty
// commitment, exact lengths, canonical scalars, on-curve, prime-order,
// non-identity points, no trailing bytes.
func UnmarshalDealing(g group.Group, b []byte) (*Dealing, error) {
	dec := dkg.NewDecoder(b)
	if string(dec.Bytes(64)) != "chainkey/idkg/dealing-v1" {
		if dec.Err() != nil {
			return nil, fmt.Errorf("idkg: decode dealing: %w", dec.Err())
		}
		return nil, errors.New("idkg: decode dealing: wrong tag")
	}
	d := &Dealing{TranscriptID: dec.Bytes(MaxTranscriptIDLen)}
	d.Kind = Kind(dec.Uint8())
	d.Dealer = int(dec.Uint32())
	ck := CommitmentKind(dec.Uint8())
	pts := dec.Points(g, maxCommitmentLen)
	proof := dec.Bytes(16 * g.ScalarLen())
	if err := dec.Finish(); err != nil {
		return nil, fmt.Errorf("idkg: decode dealing: %w", err)
	}
	if d.Dealer >= poly.MaxIndex {
		return nil, fmt.Errorf("idkg: decode dealing: dealer %d out of range", d.Dealer)
	}
	if d.Kind < Random || d.Kind > RandomUnmasked {
		return nil, fmt.Errorf("idkg: decode dealing: unknown operation %v", d.Kind)
	}
	if len(pts) == 0 {
		return nil, errors.New("idkg: decode dealing: empty commitment")
	}
	if ck != d.Kind.commitmentKind() {
		return nil, fmt.Errorf("idkg: decode dealing: %v commitment for %v", ck, d.Kind)
	}
	d.Commitment = &Commitment{Kind: ck, Points: pts}
	n := d.Kind.proofResponses()
	switch {
	case n == 0 && len(proof) != 0:
		return nil, errors.New("idkg: decode dealing: unexpected proof")
	case n > 0:
		p, err := DecodeProof(g, proof, n)
		if err != nil {
			return nil, fmt.Errorf("idkg: decode dealing: %w", err)
		}
		d.Proof = p
	}
	return d, nil
}

// EncodeOpening returns the canonical encoding of an opening (value, then
// the mask for Pedersen sharings), the plaintext encrypted to a receiver.
func EncodeOpening(o *Opening) []byte {
	out := append([]byte{}, o.Value.Bytes()...)
	if o.Mask != nil {
		out = append(out, o.Mask.Bytes()...)
	}
	return out
}

// DecodeOpening decodes an opening of a commitment of the given kind.
func DecodeOpening(g group.Group, kind CommitmentKind, b []byte) (*Opening, error) {
	l := g.ScalarLen()
	want := l
	if kind == Pedersen {
		want = 2 * l
	}
	if len(b) != want {
		return nil, fmt.Errorf("idkg: opening is %d bytes, want %d", len(b), want)
	}
	v, err := g.DecodeScalar(b[:l])
	if err != nil {
		return nil, fmt.Errorf("idkg: opening value: %w", err)
	}
	o := &Opening{Value: v}
	if kind == Pedersen {
		if o.Mask, err = g.DecodeScalar(b[l:]); err != nil {
			return nil, fmt.Errorf("idkg: opening mask: %w", err)
		}
	}
	return o, nil
}
