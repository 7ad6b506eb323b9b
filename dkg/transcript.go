package dkg

import (
	"errors"
	"fmt"
	"slices"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/poly"
)

// Transcript is the public outcome of a session: which dealings were
// combined, the public polynomial (whose constant term is the group public
// key) and through it every receiver's public key share. It holds no
// secret. Its binary encoding is canonical, so honest nodes can compare
// transcripts byte for byte.
type Transcript struct {
	group     group.Group
	sessionID []byte
	resharing bool
	receivers int
	dealers   []int
	public    *poly.Commitment
}

// combine builds the transcript from the included dealings (dealers[k] dealt
// dealings[k]).
func combine(cfg *Config, dealers []int, dealings []*Dealing) (*Transcript, error) {
	g := cfg.Group
	t := cfg.Threshold
	pts := make([]group.Point, t)
	if cfg.IsResharing() {
		// Coefficient k of the new public polynomial is Σ_j λ_j C_jk with
		// λ_j the Lagrange coefficients at 0 of the old holders' indices.
		lambdas, err := poly.LagrangeAtZero(g, dealers)
		if err != nil {
			return nil, fmt.Errorf("dkg: combine: %w", err)
		}
		col := make([]group.Point, len(dealings))
		for k := range pts {
			for j, d := range dealings {
				col[j] = d.Commitment.Point(k)
			}
			p, err := g.MultiScalarMult(lambdas, col)
			if err != nil {
				return nil, fmt.Errorf("dkg: combine: %w", err)
			}
			pts[k] = p
		}
		if !pts[0].Equal(cfg.Previous.Constant()) {
			return nil, errors.New("dkg: combine: resharing changed the public key")
		}
	} else {
		for k := range pts {
			p := g.NewPoint()
			for _, d := range dealings {
				p.Add(p, d.Commitment.Point(k))
			}
			pts[k] = p
		}
	}
	if pts[0].IsIdentity() {
		return nil, errors.New("dkg: combine: identity public key")
	}
	pub, err := poly.NewCommitment(g, pts)
	if err != nil {
		return nil, err
	}
	sorted := slices.Clone(dealers)
	slices.Sort(sorted)
	return &Transcript{
		group:     g,
		sessionID: slices.Clone(cfg.SessionID),
		resharing: cfg.IsResharing(),
		receivers: len(cfg.Receivers),
		dealers:   sorted,
		public:    pub,
	}, nil
}

// Group returns the transcript's group.
func (t *Transcript) Group() group.Group { return t.group }

// SessionID returns the session id.
func (t *Transcript) SessionID() []byte { return slices.Clone(t.sessionID) }

// Threshold returns the number of shares that reconstruct the key.
func (t *Transcript) Threshold() int { return t.public.Len() }

// Receivers returns the size of the receiving committee.
func (t *Transcript) Receivers() int { return t.receivers }

// Dealers returns the indices of the included dealers, ascending.
func (t *Transcript) Dealers() []int { return slices.Clone(t.dealers) }

// Resharing reports whether the transcript reshared an existing key.
func (t *Transcript) Resharing() bool { return t.resharing }

// PublicPolynomial returns the public polynomial (a Feldman commitment to
// the shared secret polynomial). This is the value thresholdsig's
// NewPublicCoefficients and a later resharing's Config.Previous take.
func (t *Transcript) PublicPolynomial() *poly.Commitment { return t.public }

// PublicKey returns the group public key (the constant term).
func (t *Transcript) PublicKey() group.Point { return t.group.NewPoint().Set(t.public.Constant()) }

// PublicKeyShare returns receiver i's public key share, the public
// polynomial at x = i+1.
func (t *Transcript) PublicKeyShare(i int) (group.Point, error) {
	if i < 0 || i >= t.receivers {
		return nil, fmt.Errorf("dkg: receiver %d out of range", i)
	}
	return EvalCommitment(t.public, i)
}

// Equal reports whether both transcripts are identical.
func (t *Transcript) Equal(o *Transcript) bool {
	a, err1 := t.MarshalBinary()
	b, err2 := o.MarshalBinary()
	return err1 == nil && err2 == nil && string(a) == string(b)
}

const transcriptTag = "chainkey/dkg/transcript-v1"

// MarshalBinary returns the canonical encoding: tag, group name, session
// id, resharing flag, receiver count, included dealers, public polynomial.
func (t *Transcript) MarshalBinary() ([]byte, error) {
	var enc Encoder
	enc.Bytes([]byte(transcriptTag))
	enc.Bytes([]byte(t.group.Name()))
	enc.Bytes(t.sessionID)
	if t.resharing {
		enc.Uint8(1)
	} else {
		enc.Uint8(0)
	}
	enc.Uint32(uint32(t.receivers))
	enc.Uint32(uint32(len(t.dealers)))
	for _, d := range t.dealers {
		enc.Uint32(uint32(d))
	}
	enc.Points(t.public.Points())
	return enc.Output(), nil
}

// UnmarshalTranscript strictly decodes a transcript of group g.
func UnmarshalTranscript(g group.Group, b []byte) (*Transcript, error) {
	d := NewDecoder(b)
	tag := d.Bytes(len(transcriptTag))
	name := d.Bytes(64)
	sid := d.Bytes(MaxSessionIDLen)
	mode := d.Uint8()
	receivers := d.Uint32()
	nd := d.Uint32()
	if d.Err() == nil && nd > MaxCommittee {
		return nil, fmt.Errorf("dkg: decode transcript: %d dealers", nd)
	}
	dealers := make([]int, 0, nd)
	for i := uint32(0); i < nd && d.Err() == nil; i++ {
		dealers = append(dealers, int(d.Uint32()))
	}
	pts := d.Points(g, MaxCommittee)
	if err := d.Finish(); err != nil {
		return nil, fmt.Errorf("dkg: decode transcript: %w", err)
	}
	switch {
	case string(tag) != transcriptTag:
		return nil, errors.New("dkg: decode transcript: bad tag")
	case string(name) != g.Name():
		return nil, fmt.Errorf("dkg: decode transcript: group %q, want %q", name, g.Name())
	case len(sid) == 0:
		return nil, errors.New("dkg: decode transcript: empty session id")
	case mode > 1:
		return nil, fmt.Errorf("dkg: decode transcript: mode %d", mode)
	case receivers == 0 || receivers > MaxCommittee:
		return nil, fmt.Errorf("dkg: decode transcript: %d receivers", receivers)
	case len(pts) == 0 || len(pts) > int(receivers):
		return nil, fmt.Errorf("dkg: decode transcript: threshold %d for %d receivers", len(pts), receivers)
	case len(dealers) == 0:
		return nil, errors.New("dkg: decode transcript: no dealers")
	}
	for i, v := range dealers {
		if v >= MaxCommittee || (i > 0 && v <= dealers[i-1]) {
			return nil, errors.New("dkg: decode transcript: dealers not strictly ascending")
		}
	}
	pub, err := poly.NewCommitment(g, pts)
	if err != nil {
		return nil, err
	}
	return &Transcript{group: g, sessionID: sid, resharing: mode == 1, receivers: int(receivers), dealers: dealers, public: pub}, nil
}
