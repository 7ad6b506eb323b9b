package dkg

import (
	"fmt"
	"io"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/transcript"
)

const pokProtocol = "chainkey/dkg/pok-constant-term-v1"

func newTranscript(protocol string) *transcript.Transcript { return transcript.New(protocol) }

// PoK is a Schnorr proof of knowledge of the discrete logarithm a_0 of a
// dealing's constant-term commitment C_0 = a_0·G, bound to the session id,
// the dealer index and the whole commitment. It stops a dealer from choosing
// its constant term as a function of the others' (rogue-key attacks).
type PoK struct {
	// R is the prover's commitment k·G.
	R group.Point
	// Z is the response k + c·a_0.
	Z group.Scalar
}

func pokChallenge(g group.Group, sessionID []byte, dealer uint32, commitment []group.Point, r group.Point) group.Scalar {
	t := newTranscript(pokProtocol)
	t.AppendBytes("session-id", sessionID)
	t.AppendUint64("dealer", uint64(dealer))
	t.AppendPoints("commitment", g, commitment)
	t.AppendPoint("R", g, r)
	return t.Challenge("c", g)
}

// provePoK proves knowledge of secret with commitment[0] = secret·G.
func provePoK(g group.Group, sessionID []byte, dealer uint32, commitment []group.Point, secret group.Scalar, rand io.Reader) (*PoK, error) {
	k, err := g.RandomScalar(rand)
	if err != nil {
		return nil, fmt.Errorf("dkg: proof nonce: %w", err)
	}
	defer k.Zeroize()
	r := g.NewPoint().ScalarBaseMult(k)
	c := pokChallenge(g, sessionID, dealer, commitment, r)
	z := g.NewScalar().Mul(c, secret)
	z.Add(z, k)
	return &PoK{R: r, Z: z}, nil
}

// verify checks z·G = R + c·C_0.
func (p *PoK) verify(g group.Group, sessionID []byte, dealer uint32, commitment []group.Point) bool {
	if p == nil || p.R == nil || p.Z == nil || len(commitment) == 0 {
		return false
	}
	c := pokChallenge(g, sessionID, dealer, commitment, p.R)
	// z·G − c·C_0 − R = O, one MSM.
	negC := g.NewScalar().Neg(c)
	minusOne := g.NewScalar().SetUint64(1)
	minusOne.Neg(minusOne)
	sum, err := g.MultiScalarMult([]group.Scalar{p.Z, negC, minusOne}, []group.Point{g.Generator(), commitment[0], p.R})
	if err != nil {
		return false
	}
	return sum.IsIdentity()
}
