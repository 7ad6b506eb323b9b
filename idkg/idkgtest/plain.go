package idkgtest

import (
	"fmt"
	"io"

	"github.com/chainkey/chainkey/idkg"
)

// Plain is the outcome of RunPlain.
type Plain struct {
	Transcript *idkg.Transcript
	// Dealings are every dealer's dealing, in dealer order.
	Dealings []*idkg.Dealing
	// DealerOpenings[d][j] is dealer d's opening for receiver j.
	DealerOpenings [][]*idkg.Opening
	// Openings[j] is receiver j's share of the transcript.
	Openings []*idkg.Opening
}

// RunPlain makes one transcript in a single process, for examples and
// benchmark setup where the network is not the point: every dealer of op
// deals honestly (inputs(d) gives dealer d's openings of op's input
// transcripts; inputs may be nil), nothing is encrypted, signed or
// complained about, the transcript is made from all dealings and every
// receiver computes its share. Randomness is read from rand in dealer order
// only.
func RunPlain(cfg *idkg.Config, id []byte, op *idkg.Operation, inputs func(dealer int) []*idkg.Opening, rand io.Reader) (*Plain, error) {
	res := &Plain{}
	for d := 0; d < op.DealerCount(); d++ {
		var in []*idkg.Opening
		if inputs != nil {
			in = inputs(d)
		}
		dl, os, err := idkg.Deal(cfg, id, op, d, in, rand)
		if err != nil {
			return nil, fmt.Errorf("idkgtest: dealer %d: %w", d, err)
		}
		res.Dealings = append(res.Dealings, dl)
		res.DealerOpenings = append(res.DealerOpenings, os)
	}
	tr, _, err := idkg.CreateTranscript(cfg, id, op, res.Dealings)
	if err != nil {
		return nil, fmt.Errorf("idkgtest: %w", err)
	}
	res.Transcript = tr
	for j := 0; j < cfg.Receivers(); j++ {
		mine := map[int]*idkg.Opening{}
		for _, dl := range tr.Dealings {
			mine[dl.Dealer] = res.DealerOpenings[dl.Dealer][j]
		}
		o, err := tr.ComputeOpening(j, mine)
		if err != nil {
			return nil, fmt.Errorf("idkgtest: receiver %d: %w", j, err)
		}
		res.Openings = append(res.Openings, o)
	}
	return res, nil
}

// MustRunPlain is RunPlain for examples and benchmark setup: it panics on
// error.
func MustRunPlain(cfg *idkg.Config, id []byte, op *idkg.Operation, inputs func(dealer int) []*idkg.Opening, rand io.Reader) *Plain {
	res, err := RunPlain(cfg, id, op, inputs, rand)
	if err != nil {
		panic(err)
	}
	return res
}

// PerDealer returns the inputs function of an operation on len(shares)
// input transcripts: dealer d's inputs are shares[0][d], shares[1][d], …
// (each slice holds every node's share of one input transcript).
func PerDealer(shares ...[]*idkg.Opening) func(dealer int) []*idkg.Opening {
	return func(d int) []*idkg.Opening {
		in := make([]*idkg.Opening, len(shares))
		for i, s := range shares {
			in[i] = s[d]
		}
		return in
	}
}
