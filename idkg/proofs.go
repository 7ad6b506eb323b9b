package idkg

import (
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/transcript"
)

// Fiat–Shamir protocol tags of the sigma proofs.
const (
	TagDLogEquality  = "chainkey/idkg/proof/dlog-equality-v1"
	TagEqualOpenings = "chainkey/idkg/proof/equal-openings-v1"
	TagProduct       = "chainkey/idkg/proof/product-v1"
)

// ErrInvalidProof is returned (wrapped) when a proof does not verify.
var ErrInvalidProof = errors.New("idkg: invalid proof")

// challenge derives a 128-bit challenge (the transcript's challenge
// truncated to 16 bytes), giving 128-bit soundness while halving the cost of
// the verifier's multiplications by the challenge.
func challenge(t *transcript.Transcript, g group.Group) group.Scalar {
	c := t.Challenge("c", g)
	return g.ScalarFromBigInt(new(big.Int).SetBytes(c.Bytes()[:16]))
}

// ProofContext binds a proof to its use: the transcript (session) id and
// the party that makes it. Both enter the Fiat–Shamir challenge, so a proof
// replayed under another session or by another dealer does not verify.
type ProofContext struct {
	TranscriptID []byte
	Dealer       uint32
}

func (ctx ProofContext) start(tag string, g group.Group) *transcript.Transcript {
	t := transcript.New(tag)
	t.AppendBytes("group", []byte(g.Name()))
	t.AppendBytes("transcript-id", ctx.TranscriptID)
	t.AppendUint64("dealer", uint64(ctx.Dealer))
	return t
}

// Proof is a sigma proof in (challenge, responses) form.
type Proof struct {
	Challenge group.Scalar
	Responses []group.Scalar
}

// Bytes returns the challenge followed by the responses, each a canonical
// scalar.
func (p *Proof) Bytes() []byte {
	out := append([]byte{}, p.Challenge.Bytes()...)
	for _, s := range p.Responses {
		out = append(out, s.Bytes()...)
	}
	return out
}

// DecodeProof decodes a proof with the given number of responses, strictly:
// exact length and canonical scalars.
func DecodeProof(g group.Group, b []byte, responses int) (*Proof, error) {
	l := g.ScalarLen()
	if len(b) != l*(1+responses) {
		return nil, fmt.Errorf("idkg: proof is %d bytes, want %d", len(b), l*(1+responses))
	}
	c, err := g.DecodeScalar(b[:l])
	if err != nil {
		return nil, fmt.Errorf("idkg: proof challenge: %w", err)
	}
	p := &Proof{Challenge: c}
	for i := 0; i < responses; i++ {
		s, err := g.DecodeScalar(b[l*(i+1) : l*(i+2)])
		if err != nil {
			return nil, fmt.Errorf("idkg: proof response %d: %w", i, err)
		}
		p.Responses = append(p.Responses, s)
	}
	return p, nil
}

func (p *Proof) shape(n int) error {
	if p == nil || p.Challenge == nil || len(p.Responses) != n {
		return fmt.Errorf("%w: malformed", ErrInvalidProof)
	}
	for _, s := range p.Responses {
		if s == nil {
			return fmt.Errorf("%w: malformed", ErrInvalidProof)
		}
	}
	return nil
}

// lin returns Σ s_i·P_i in variable time (public scalars only).
func lin(g group.Group, s []group.Scalar, p []group.Point) group.Point {
	r, err := g.MultiScalarMult(s, p)
	if err != nil {
		panic(err)
	}
	return r
}

// linG returns sG·G + Σ s_i·P_i, using the generator's precomputed table
// for the first term (public scalars only).
func linG(g group.Group, sG group.Scalar, s []group.Scalar, p []group.Point) group.Point {
	r := lin(g, s, p)
	return r.Add(r, PublicBaseMult(g, sG))
}

func neg(g group.Group, s group.Scalar) group.Scalar { return g.NewScalar().Neg(s) }

// ProveDLogEquality proves knowledge of x with X1 = x·G1 and X2 = x·G2.
func ProveDLogEquality(g group.Group, ctx ProofContext, g1, x1, g2, x2 group.Point, x group.Scalar, rand io.Reader) (*Proof, error) {
	k, err := g.RandomScalar(rand)
	if err != nil {
		return nil, fmt.Errorf("idkg: dlog equality nonce: %w", err)
	}
	defer k.Zeroize()
	a1 := g.NewPoint().ScalarMult(k, g1)
	a2 := g.NewPoint().ScalarMult(k, g2)
	c := dleqChallenge(g, ctx, g1, x1, g2, x2, a1, a2)
	s := g.NewScalar().Mul(c, x)
	s.Add(s, k)
	return &Proof{Challenge: c, Responses: []group.Scalar{s}}, nil
}

func dleqChallenge(g group.Group, ctx ProofContext, g1, x1, g2, x2, a1, a2 group.Point) group.Scalar {
	normalizePublic([]group.Point{a1, a2}) // fresh points: one inversion
	t := ctx.start(TagDLogEquality, g)
	t.AppendPoints("statement", g, []group.Point{g1, x1, g2, x2})
	t.AppendPoints("commitments", g, []group.Point{a1, a2})
	return challenge(t, g)
}

// VerifyDLogEquality checks a proof made by ProveDLogEquality.
func VerifyDLogEquality(g group.Group, ctx ProofContext, g1, x1, g2, x2 group.Point, p *Proof) error {
	if err := p.shape(1); err != nil {
		return err
	}
	nc := neg(g, p.Challenge)
	a1 := lin(g, []group.Scalar{p.Responses[0], nc}, []group.Point{g1, x1})
	a2 := lin(g, []group.Scalar{p.Responses[0], nc}, []group.Point{g2, x2})
	if !dleqChallenge(g, ctx, g1, x1, g2, x2, a1, a2).Equal(p.Challenge) {
		return fmt.Errorf("%w: dlog equality", ErrInvalidProof)
	}
	return nil
}

// ProveEqualOpenings proves that a Pedersen commitment T = v·G + r·H and a
// Feldman commitment F = v·G open to the same value v, by proving knowledge
// of r with T − F = r·H.
func ProveEqualOpenings(g group.Group, ctx ProofContext, h, pedersen, feldman group.Point, mask group.Scalar, rand io.Reader) (*Proof, error) {
	k, err := g.RandomScalar(rand)
	if err != nil {
		return nil, fmt.Errorf("idkg: equal openings nonce: %w", err)
	}
	defer k.Zeroize()
	a := g.NewPoint().ScalarMult(k, h)
	c := eqChallenge(g, ctx, h, pedersen, feldman, a)
	s := g.NewScalar().Mul(c, mask)
	s.Add(s, k)
	return &Proof{Challenge: c, Responses: []group.Scalar{s}}, nil
}

func eqChallenge(g group.Group, ctx ProofContext, h, pedersen, feldman, a group.Point) group.Scalar {
	t := ctx.start(TagEqualOpenings, g)
	t.AppendPoints("statement", g, []group.Point{g.Generator(), h, pedersen, feldman})
	t.AppendPoint("commitment", g, a)
	return challenge(t, g)
}

// VerifyEqualOpenings checks a proof made by ProveEqualOpenings.
func VerifyEqualOpenings(g group.Group, ctx ProofContext, h, pedersen, feldman group.Point, p *Proof) error {
	if err := p.shape(1); err != nil {
		return err
	}
	d := g.NewPoint().Sub(pedersen, feldman)
	a := lin(g, []group.Scalar{p.Responses[0], neg(g, p.Challenge)}, []group.Point{h, d})
	if !eqChallenge(g, ctx, h, pedersen, feldman, a).Equal(p.Challenge) {
		return fmt.Errorf("%w: equal openings", ErrInvalidProof)
	}
	return nil
}

// ProveProduct proves that the Pedersen commitment C = (a·b)·G + r'·H
// commits to the product of the value a of A = a·G and the value b of the
// Pedersen commitment B = b·G + r·H. The witness is a and z = r' − a·r, for
// which A = a·G and C = a·B + z·H.
func ProveProduct(g group.Group, ctx ProofContext, h, a, b, c group.Point, valueA, z group.Scalar, rand io.Reader) (*Proof, error) {
	k1, err := g.RandomScalar(rand)
	if err != nil {
		return nil, fmt.Errorf("idkg: product nonce: %w", err)
	}
	defer k1.Zeroize()
	k2, err := g.RandomScalar(rand)
	if err != nil {
		return nil, fmt.Errorf("idkg: product nonce: %w", err)
	}
	defer k2.Zeroize()
	r1 := g.NewPoint().ScalarBaseMult(k1)
	r2 := g.NewPoint().ScalarMult(k1, b)
	r2.Add(r2, g.NewPoint().ScalarMult(k2, h))
	ch := productChallenge(g, ctx, h, a, b, c, r1, r2)
	s1 := g.NewScalar().Mul(ch, valueA)
	s1.Add(s1, k1)
	s2 := g.NewScalar().Mul(ch, z)
	s2.Add(s2, k2)
	return &Proof{Challenge: ch, Responses: []group.Scalar{s1, s2}}, nil
}

func productChallenge(g group.Group, ctx ProofContext, h, a, b, c, r1, r2 group.Point) group.Scalar {
	normalizePublic([]group.Point{r1, r2}) // fresh points: one inversion
	t := ctx.start(TagProduct, g)
	t.AppendPoints("statement", g, []group.Point{g.Generator(), h, a, b, c})
	t.AppendPoints("commitments", g, []group.Point{r1, r2})
	return challenge(t, g)
}

// VerifyProduct checks a proof made by ProveProduct.
func VerifyProduct(g group.Group, ctx ProofContext, h, a, b, c group.Point, p *Proof) error {
	if err := p.shape(2); err != nil {
		return err
	}
	nc := neg(g, p.Challenge)
	r1 := linG(g, p.Responses[0], []group.Scalar{nc}, []group.Point{a})
	r2 := lin(g, []group.Scalar{p.Responses[0], p.Responses[1], nc}, []group.Point{b, h, c})
	if !productChallenge(g, ctx, h, a, b, c, r1, r2).Equal(p.Challenge) {
		return fmt.Errorf("%w: product", ErrInvalidProof)
	}
	return nil
}
