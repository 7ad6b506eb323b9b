package dkg

import (
	"errors"
	"fmt"
)

// CheckConviction verifies a conviction's signed evidence against cfg, so
// that anyone holding the evidence (not only the session's nodes) can check
// it:
//
//   - ReasonInvalidDealing: one dealing, validly signed by the dealer, that
//     fails public verification.
//   - ReasonEquivocation: two validly signed dealings by the dealer for the
//     session, with different bodies.
//   - ReasonBadOpening: the dealer's valid dealing, a valid complaint naming
//     it and the dealer's signed opening for the complainer, which fails the
//     check against the commitment.
//   - ReasonNoOpening: the dealer's valid dealing and a valid complaint
//     naming it. The absence of an opening by the deadline is a fact of the
//     agreed chain and cannot be shown by signatures alone; this checks only
//     that the complaint was well-formed.
func CheckConviction(cfg *Config, c Conviction) error {
	ev := c.Evidence
	fail := func(format string, args ...any) error {
		return fmt.Errorf("dkg: evidence against %d (%v): %s", c.Dealer, c.Reason, fmt.Sprintf(format, args...))
	}
	for _, e := range ev {
		if e == nil {
			return fail("nil message")
		}
	}
	dealingBy := func(e *Envelope) (*Dealing, error) {
		if e.Kind != KindDealing || int64(e.Signer) != int64(c.Dealer) {
			return nil, errors.New("not a dealing of the convicted dealer")
		}
		return VerifyDealing(cfg, e)
	}
	switch c.Reason {
	case ReasonInvalidDealing:
		if len(ev) != 1 {
			return fail("%d messages", len(ev))
		}
		if _, err := dealingBy(ev[0]); !errors.Is(err, ErrInvalidDealing) {
			return fail("dealing is not provably invalid (%v)", err)
		}
		return nil
	case ReasonEquivocation:
		if len(ev) != 2 {
			return fail("%d messages", len(ev))
		}
		for _, e := range ev {
			if _, err := dealingBy(e); err != nil && !errors.Is(err, ErrInvalidDealing) {
				return fail("%v", err)
			}
		}
		if string(ev[0].Body) == string(ev[1].Body) {
			return fail("the two dealings are the same")
		}
		return nil
	case ReasonNoOpening, ReasonBadOpening:
		want := 2
		if c.Reason == ReasonBadOpening {
			want = 3
		}
		if len(ev) != want {
			return fail("%d messages", len(ev))
		}
		d, err := dealingBy(ev[0])
		if err != nil {
			return fail("%v", err)
		}
		h := ev[0].Hash()
		comp, err := VerifyComplaint(cfg, ev[1])
		if err != nil {
			return fail("%v", err)
		}
		if comp.Dealer != c.Dealer || comp.DealingHash != h {
			return fail("complaint names another dealing")
		}
		if c.Reason == ReasonNoOpening {
			return nil
		}
		o, err := VerifyOpening(cfg, ev[2])
		if err != nil {
			return fail("%v", err)
		}
		if o.Dealer != c.Dealer || o.Recipient != comp.Complainer || o.DealingHash != h {
			return fail("opening does not answer the complaint")
		}
		if err := o.Check(d.Verifier()); err == nil {
			return fail("the opening is valid")
		}
		return nil
	}
	return fail("unknown reason")
}
