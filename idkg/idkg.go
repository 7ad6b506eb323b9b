package idkg

import (
	"errors"
	"fmt"
	"io"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/poly"
)

// PedersenDST is the domain separation tag from which the second Pedersen
// generator H of a group is derived; the group's name is appended.
const PedersenDST = "chainkey-idkg-pedersen-generator-v1:"

// PedersenGenerator returns the group's second generator H, nothing up the
// sleeve: for counter = 0, 1, 2, ... it expands (counter as 4 big-endian
// bytes) with expand_message_xmd (SHA-256) under PedersenDST || name into a
// candidate encoding (for 33-byte SEC1 groups, 0x02 followed by 32 bytes, an
// x-coordinate with even y; otherwise PointLen bytes) and returns the first
// candidate the group's strict decoder accepts (on the curve, canonical, in
// the prime-order subgroup, not the identity). Nobody knows log_G(H).
func PedersenGenerator(g group.Group) group.Point {
	dst := []byte(PedersenDST + g.Name())
	for ctr := uint32(0); ; ctr++ {
		msg := []byte{byte(ctr >> 24), byte(ctr >> 16), byte(ctr >> 8), byte(ctr)}
		var cand []byte
		if g.PointLen() == 33 {
			b, err := group.ExpandMessageXMD(msg, dst, 32)
			if err != nil {
				panic(err)
			}
			cand = append([]byte{2}, b...)
		} else {
			b, err := group.ExpandMessageXMD(msg, dst, g.PointLen())
			if err != nil {
				panic(err)
			}
			cand = b
		}
		if p, err := g.DecodePoint(cand); err == nil {
			return p
		}
	}
}

// Config describes the receivers of the transcripts being made: their
// number and the reconstruction threshold f+1 where f = ⌊(n−1)/3⌋.
type Config struct {
	group     group.Group
	receivers int
	threshold int
	h         group.Point
	hMult     func(group.Scalar) group.Point // constant-time s·H
}

// NewConfig returns the configuration for n receivers over g, with the
// Internet Computer's reconstruction threshold f+1, f = ⌊(n−1)/3⌋.
func NewConfig(g group.Group, n int) (*Config, error) {
	return NewConfigWithThreshold(g, n, (n-1)/3+1)
}

// NewConfigWithThreshold returns a configuration with an explicit
// reconstruction threshold t (1 ≤ t ≤ n).
func NewConfigWithThreshold(g group.Group, n, t int) (*Config, error) {
	if n < 1 || n > poly.MaxIndex {
		return nil, fmt.Errorf("idkg: invalid number of receivers %d", n)
	}
	if t < 1 || t > n {
		return nil, fmt.Errorf("idkg: invalid threshold %d for %d receivers", t, n)
	}
	h := PedersenGenerator(g)
	return &Config{group: g, receivers: n, threshold: t, h: h, hMult: newHMult(g, h)}, nil
}

// Group returns the group.
func (c *Config) Group() group.Group { return c.group }

// Receivers returns the number of receivers n.
func (c *Config) Receivers() int { return c.receivers }

// Threshold returns the reconstruction threshold (f+1 by default).
func (c *Config) Threshold() int { return c.threshold }

// Faults returns f = Threshold − 1, the number of faulty receivers tolerated.
func (c *Config) Faults() int { return c.threshold - 1 }

// H returns a copy of the second Pedersen generator.
func (c *Config) H() group.Point { return c.group.NewPoint().Set(c.h) }

// CommitmentKind says how a sharing's polynomial is committed to.
type CommitmentKind uint8

const (
	// Feldman commitments C_k = a_k·G reveal a_0·G (unmasked).
	Feldman CommitmentKind = 1
	// Pedersen commitments C_k = a_k·G + r_k·H hide a_0 (masked).
	Pedersen CommitmentKind = 2
)

// String returns "feldman" or "pedersen".
func (k CommitmentKind) String() string {
	switch k {
	case Feldman:
		return "feldman"
	case Pedersen:
		return "pedersen"
	}
	return fmt.Sprintf("CommitmentKind(%d)", uint8(k))
}

// Commitment is a polynomial commitment, constant term first.
type Commitment struct {
	Kind   CommitmentKind
	Points []group.Point
}

// EvalAt returns the commitment evaluated at node index i (x = i+1).
func (c *Commitment) EvalAt(g group.Group, i int) (group.Point, error) {
	pc, err := poly.NewCommitment(g, c.Points)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= poly.MaxIndex {
		return nil, fmt.Errorf("idkg: node index %d out of range", i)
	}
	return pc.EvalAt(i), nil
}

// Constant returns C_0.
func (c *Commitment) Constant() group.Point { return c.Points[0] }

// Equal reports whether both commitments are identical.
func (c *Commitment) Equal(o *Commitment) bool {
	if c.Kind != o.Kind || len(c.Points) != len(o.Points) {
		return false
	}
	for k := range c.Points {
		if !c.Points[k].Equal(o.Points[k]) {
			return false
		}
	}
	return true
}

// check validates the commitment's shape: kind, exact length, no identity.
func (c *Commitment) check(kind CommitmentKind, length int) error {
	if c == nil {
		return errors.New("idkg: missing commitment")
	}
	if c.Kind != kind {
		return fmt.Errorf("idkg: commitment is %v, want %v", c.Kind, kind)
	}
	if len(c.Points) != length {
		return fmt.Errorf("idkg: commitment has %d points, want %d", len(c.Points), length)
	}
	for k, p := range c.Points {
		if p == nil || p.IsIdentity() {
			return fmt.Errorf("idkg: commitment point %d is the identity", k)
		}
	}
	return nil
}

// Opening is a receiver's share of a sharing: its value and, for a masked
// (Pedersen) sharing, the mask. It is secret: it redacts itself when
// printed; Zeroize it when it is no longer needed.
type Opening struct {
	Value group.Scalar
	Mask  group.Scalar // nil for Feldman sharings
}

// Zeroize overwrites the opening.
func (o *Opening) Zeroize() {
	if o == nil {
		return
	}
	if o.Value != nil {
		o.Value.Zeroize()
	}
	if o.Mask != nil {
		o.Mask.Zeroize()
	}
}

// String redacts the opening.
func (o *Opening) String() string { return "idkg.Opening(REDACTED)" }

// GoString redacts the opening.
func (o *Opening) GoString() string { return o.String() }

// Format redacts the opening for every verb.
func (o *Opening) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, o.String()) }

// commitTo returns value·G (+ mask·H).
func (c *Config) commitTo(value, mask group.Scalar) group.Point {
	p := c.group.NewPoint().ScalarBaseMult(value)
	if mask != nil {
		p.Add(p, c.hMult(mask))
	}
	return p
}

// VerifyOpening checks a receiver's opening against a commitment.
func (c *Config) VerifyOpening(com *Commitment, receiver int, o *Opening) error {
	if o == nil || o.Value == nil {
		return errors.New("idkg: missing opening")
	}
	if (com.Kind == Pedersen) != (o.Mask != nil) {
		return errors.New("idkg: opening does not match the commitment kind")
	}
	want, err := com.EvalAt(c.group, receiver)
	if err != nil {
		return err
	}
	if !c.commitTo(o.Value, o.Mask).Equal(want) {
		return fmt.Errorf("idkg: opening of receiver %d does not match the commitment", receiver)
	}
	return nil
}
