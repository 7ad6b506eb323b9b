package idkgtest

import (
	"fmt"
	"io"
	mrand "math/rand/v2"
	"slices"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/internal/group"
)

// Fault is a node's misbehaviour as a dealer.
type Fault int

const (
	// Honest nodes follow the protocol.
	Honest Fault = iota
	// Crashed nodes send nothing and receive nothing.
	Crashed
	// BadOpening dealers encrypt a wrong opening to one receiver and
	// answer its complaint with a wrong opening.
	BadOpening
	// BadProof dealers send a dealing whose proof (equal openings or
	// product) or commitment does not verify.
	BadProof
)

// Node is one simulated node.
type Node struct {
	Index   int
	Signing *dkg.NodeSigningKey
	Enc     *dkg.EncryptionKey
	Fault   Fault
}

// Network is a set of nodes over one configuration.
type Network struct {
	Cfg   *idkg.Config
	Nodes []*Node
	Rand  io.Reader
}

// Seeded returns a deterministic random source.
func Seeded(seed uint64) io.Reader {
	var s [32]byte
	for i := 0; i < 8; i++ {
		s[i] = byte(seed >> (8 * i))
	}
	return mrand.NewChaCha8(s)
}

// New returns a network of cfg.Receivers() honest nodes with keys drawn
// from a source seeded with seed.
func New(cfg *idkg.Config, seed uint64) (*Network, error) {
	nw := &Network{Cfg: cfg, Rand: Seeded(seed)}
	for i := 0; i < cfg.Receivers(); i++ {
		sk, err := dkg.GenerateNodeSigningKey(nw.Rand)
		if err != nil {
			return nil, err
		}
		ek, err := dkg.GenerateEncryptionKey(nw.Rand)
		if err != nil {
			return nil, err
		}
		nw.Nodes = append(nw.Nodes, &Node{Index: i, Signing: sk, Enc: ek})
	}
	return nw, nil
}

// Result is the outcome of one simulated round.
type Result struct {
	Transcript *idkg.Transcript
	// Openings[i] is node i's share of the transcript (nil if it crashed).
	Openings []*idkg.Opening
	// Culprits are the dealers caught misbehaving, sorted.
	Culprits []int
}

// Run simulates one transcript: every live dealer deals (inputs(i) gives
// dealer i's openings of the input transcripts), the dealings are signed,
// verified publicly, decrypted, supported or complained about; complaints
// are answered with dealer openings; a dealing with 2f+1 supports and no
// unresolved complaint is agreed; the transcript is combined and every live
// receiver computes its share.
func (nw *Network) Run(id []byte, op *idkg.Operation, inputs func(dealer int) []*idkg.Opening) (*Result, error) {
	cfg := nw.Cfg
	n := cfg.Receivers()
	dealers := op.DealerCount()
	keys := make([]*dkg.EncryptionPublicKey, n)
	for i, nd := range nw.Nodes {
		keys[i] = nd.Enc.PublicKey()
	}
	culprits := map[int]bool{}
	var agreed []*idkg.Dealing
	// received[d][j] is receiver j's opening of dealer d's dealing.
	received := map[int][]*idkg.Opening{}
	for d := 0; d < dealers; d++ {
		node := nw.Nodes[d%len(nw.Nodes)]
		if d >= len(nw.Nodes) || node.Fault == Crashed {
			continue
		}
		var in []*idkg.Opening
		if inputs != nil {
			in = inputs(d)
		}
		dealing, openings, err := idkg.Deal(cfg, id, op, d, in, nw.Rand)
		if err != nil {
			return nil, fmt.Errorf("idkgtest: dealer %d: %w", d, err)
		}
		victim := (d + 1) % n
		switch node.Fault {
		case BadOpening:
			openings[victim] = &idkg.Opening{Value: cfg.Group().NewScalar().SetUint64(7), Mask: openings[victim].Mask}
		case BadProof:
			if dealing.Proof != nil {
				dealing.Proof.Responses[0].Add(dealing.Proof.Responses[0], cfg.Group().NewScalar().SetUint64(1))
			} else {
				c := dealing.Commitment
				c.Points[0] = cfg.Group().NewPoint().Add(c.Points[0], cfg.Group().Generator())
			}
		}
		cts, err := idkg.EncryptOpenings(dealing, openings, keys)
		if err != nil {
			return nil, err
		}
		env, err := idkg.SignDealing(node.Signing, dealing, cts)
		if err != nil {
			return nil, err
		}
		// Every receiver checks the signed dealing.
		got, gotCts, err := cfg.OpenSignedDealing(env, node.Signing.PublicKey())
		if err != nil {
			return nil, err
		}
		if err := idkg.VerifyDealing(cfg, id, op, got); err != nil {
			culprits[d] = true
			continue
		}
		supports := 0
		recv := make([]*idkg.Opening, n)
		var complaints []*dkg.Envelope
		for j, r := range nw.Nodes {
			if r.Fault == Crashed {
				continue
			}
			o, err := cfg.DecryptOpening(got, j, r.Enc, gotCts[j])
			if err != nil {
				c, err := dkg.NewComplaint(r.Signing, id, j, d, got.Hash())
				if err != nil {
					return nil, err
				}
				complaints = append(complaints, c)
				continue
			}
			recv[j] = o
			supports++
		}
		// Complaints are answered by the dealer opening the share; an
		// opening that fails the commitment convicts the dealer.
		resolved := true
		for _, c := range complaints {
			comp, err := dkg.DecodeComplaint(c)
			if err != nil || c.Verify(nw.Nodes[comp.Complainer].Signing.PublicKey()) != nil {
				return nil, fmt.Errorf("idkgtest: bad complaint: %v", err)
			}
			share := openings[comp.Complainer]
			op, err := dkg.NewOpening(node.Signing, id, d, comp.Complainer, got.Hash(), dkg.SharePayload{Scalars: payload(share)})
			if err != nil {
				return nil, err
			}
			v := cfg.ShareVerifier(got)
			opened, err := dkg.DecodeOpening(cfg.Group(), v.PayloadScalars(), op)
			if err != nil || op.Verify(node.Signing.PublicKey()) != nil || opened.Check(v) != nil {
				culprits[d] = true
				resolved = false
				break
			}
			o := &idkg.Opening{Value: opened.Share.Scalars[0]}
			if len(opened.Share.Scalars) == 2 {
				o.Mask = opened.Share.Scalars[1]
			}
			recv[comp.Complainer] = o
		}
		if !resolved || supports < 2*cfg.Faults()+1 {
			continue
		}
		agreed = append(agreed, got)
		received[d] = recv
	}
	tr, bad, err := idkg.CreateTranscript(cfg, id, op, agreed)
	for _, b := range bad {
		culprits[b] = true
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Transcript: tr, Openings: make([]*idkg.Opening, n)}
	for j, r := range nw.Nodes {
		if r.Fault == Crashed {
			continue
		}
		mine := map[int]*idkg.Opening{}
		for _, dl := range tr.Dealings {
			mine[dl.Dealer] = received[dl.Dealer][j]
		}
		o, err := tr.ComputeOpening(j, mine)
		if err != nil {
			return nil, fmt.Errorf("idkgtest: receiver %d: %w", j, err)
		}
		res.Openings[j] = o
	}
	for c := range culprits {
		res.Culprits = append(res.Culprits, c)
	}
	slices.Sort(res.Culprits)
	return res, nil
}

func payload(o *idkg.Opening) []group.Scalar {
	out := []group.Scalar{o.Value}
	if o.Mask != nil {
		out = append(out, o.Mask)
	}
	return out
}
