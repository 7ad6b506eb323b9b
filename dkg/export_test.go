package dkg

import (
	"io"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/poly"
)

// Tamper exposes dealTamper to the external tests' Byzantine dealers.
type Tamper struct {
	Share      func(i int, s group.Scalar)
	Commitment func(c *poly.Commitment) *poly.Commitment
	BadPoK     bool
}

// DealTampered makes a dealing that deviates as tm says. It may be called
// repeatedly (to equivocate); the first call fixes the polynomial that Open
// uses.
func (d *Dealer) DealTampered(secret group.Scalar, rand io.Reader, tm Tamper) (*Envelope, error) {
	p, err := poly.Random(d.cfg.Group, d.cfg.Threshold-1, secret, rand)
	if err != nil {
		return nil, err
	}
	env, err := d.dealWith(p, rand, &dealTamper{share: tm.Share, commitment: tm.Commitment, badPoK: tm.BadPoK})
	if err != nil {
		return nil, err
	}
	if d.poly == nil {
		d.poly, d.dealing, d.hash = p, env, env.Hash()
	}
	return env, nil
}

// Poly returns the dealer's secret polynomial (tests only).
func (d *Dealer) Poly() *poly.Poly { return d.poly }
