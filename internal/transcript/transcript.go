package transcript

import (
	"encoding/binary"
	"fmt"

	"github.com/chainkey/chainkey/internal/group"
)

const challengeDST = "chainkey-transcript-challenge-v1"

// Transcript accumulates the statement and prover messages of a proof.
type Transcript struct {
	buf []byte
}

// New starts a transcript for the given protocol tag, for example
// "chainkey/dkg/pok-v1".
func New(protocol string) *Transcript {
	t := &Transcript{}
	t.AppendBytes("protocol", []byte(protocol))
	return t
}

func (t *Transcript) appendField(b []byte) {
	t.buf = binary.BigEndian.AppendUint64(t.buf, uint64(len(b)))
	t.buf = append(t.buf, b...)
}

// AppendBytes absorbs a labelled byte string.
func (t *Transcript) AppendBytes(label string, b []byte) {
	t.appendField([]byte(label))
	t.appendField(b)
}

// AppendUint64 absorbs a labelled integer (party ids, indices, counts).
func (t *Transcript) AppendUint64(label string, v uint64) {
	t.AppendBytes(label, binary.BigEndian.AppendUint64(nil, v))
}

// AppendPoint absorbs a labelled group element, tagged with its group.
func (t *Transcript) AppendPoint(label string, g group.Group, p group.Point) {
	t.AppendBytes(label, append([]byte(g.Name()+":"), p.Bytes()...))
}

// AppendPoints absorbs a labelled list of group elements with its length.
func (t *Transcript) AppendPoints(label string, g group.Group, ps []group.Point) {
	t.AppendUint64(label+"/len", uint64(len(ps)))
	for i, p := range ps {
		t.AppendPoint(fmt.Sprintf("%s/%d", label, i), g, p)
	}
}

// AppendScalar absorbs a labelled public scalar, tagged with its group.
func (t *Transcript) AppendScalar(label string, g group.Group, s group.Scalar) {
	t.AppendBytes(label, append([]byte(g.Name()+":"), s.Bytes()...))
}

// Challenge derives a scalar of g from everything absorbed so far and the
// label, then absorbs it so later challenges differ.
func (t *Transcript) Challenge(label string, g group.Group) group.Scalar {
	t.AppendBytes("challenge-label", []byte(label))
	t.AppendBytes("challenge-group", []byte(g.Name()))
	c, err := group.HashToScalar(g, t.buf, []byte(challengeDST))
	if err != nil {
		panic(err) // fixed, valid parameters
	}
	t.AppendScalar("challenge", g, c)
	return c
}

// Clone returns an independent copy, for proofs that share a prefix.
func (t *Transcript) Clone() *Transcript {
	return &Transcript{buf: append([]byte(nil), t.buf...)}
}
