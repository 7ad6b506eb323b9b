package dkg

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/chainkey/chainkey/internal/group"
)

// MaxFieldLen bounds any length-prefixed field a Decoder accepts (16 MiB), so
// a hostile length prefix cannot make a node allocate without limit.
const MaxFieldLen = 1 << 24

// MaxListLen bounds the element count of any list a Decoder accepts.
const MaxListLen = 1 << 16

// ErrTrailingBytes is returned when an encoding has bytes after its last field.
var ErrTrailingBytes = errors.New("dkg: trailing bytes after encoding")

// ErrTruncated is returned when an encoding ends inside a field.
var ErrTruncated = errors.New("dkg: truncated encoding")

// Encoder builds the canonical binary encoding used by every dkg message:
// fixed-width big-endian integers and uint32-length-prefixed byte strings,
// in a fixed field order. The zero value is ready to use.
type Encoder struct {
	buf []byte
}

// Uint8 appends one byte.
func (e *Encoder) Uint8(v uint8) { e.buf = append(e.buf, v) }

// Uint32 appends v as 4 big-endian bytes.
func (e *Encoder) Uint32(v uint32) { e.buf = binary.BigEndian.AppendUint32(e.buf, v) }

// Uint64 appends v as 8 big-endian bytes.
func (e *Encoder) Uint64(v uint64) { e.buf = binary.BigEndian.AppendUint64(e.buf, v) }

// Bytes appends b with a 4-byte big-endian length prefix.
func (e *Encoder) Bytes(b []byte) {
	e.Uint32(uint32(len(b)))
	e.buf = append(e.buf, b...)
}

// Fixed appends b without a length prefix (for fields of fixed size).
func (e *Encoder) Fixed(b []byte) { e.buf = append(e.buf, b...) }

// Scalar appends the canonical encoding of s (ScalarLen bytes, no prefix).
func (e *Encoder) Scalar(s group.Scalar) { e.buf = append(e.buf, s.Bytes()...) }

// Point appends the canonical encoding of p (PointLen bytes, no prefix).
func (e *Encoder) Point(p group.Point) { e.buf = append(e.buf, p.Bytes()...) }

// Points appends a uint32 count followed by each point.
func (e *Encoder) Points(ps []group.Point) {
	e.Uint32(uint32(len(ps)))
	for _, p := range ps {
		e.Point(p)
	}
}

// Output returns the encoding built so far (not a copy).
func (e *Encoder) Output() []byte { return e.buf }

// Decoder reads the canonical encoding produced by Encoder. It is strict:
// every read checks bounds, points and scalars go through the group's strict
// decoders, and Finish refuses trailing bytes. After the first error every
// further read fails with the same error.
type Decoder struct {
	b   []byte
	err error
}

// NewDecoder returns a Decoder reading b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Err returns the first error met, if any.
func (d *Decoder) Err() error { return d.err }

func (d *Decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *Decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.fail(ErrTruncated)
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

// Uint8 reads one byte.
func (d *Decoder) Uint8() uint8 {
	b := d.take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

// Uint32 reads a 4-byte big-endian integer.
func (d *Decoder) Uint32() uint32 {
	b := d.take(4)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

// Uint64 reads an 8-byte big-endian integer.
func (d *Decoder) Uint64() uint64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// Bytes reads a length-prefixed byte string of at most max bytes and returns
// a copy.
func (d *Decoder) Bytes(max int) []byte {
	n := d.Uint32()
	if d.err != nil {
		return nil
	}
	if int64(n) > int64(max) || n > MaxFieldLen {
		d.fail(fmt.Errorf("dkg: field of %d bytes exceeds limit %d", n, max))
		return nil
	}
	b := d.take(int(n))
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// Fixed reads exactly n bytes and returns a copy.
func (d *Decoder) Fixed(n int) []byte {
	b := d.take(n)
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// Scalar reads a canonical scalar of g (zero is accepted; callers that
// forbid it check IsZero).
func (d *Decoder) Scalar(g group.Group) group.Scalar {
	b := d.take(g.ScalarLen())
	if b == nil {
		return nil
	}
	s, err := g.DecodeScalar(b)
	if err != nil {
		d.fail(fmt.Errorf("dkg: decode scalar: %w", err))
		return nil
	}
	return s
}

// Point reads a canonical, subgroup-checked, non-identity point of g.
func (d *Decoder) Point(g group.Group) group.Point {
	b := d.take(g.PointLen())
	if b == nil {
		return nil
	}
	p, err := g.DecodePoint(b)
	if err != nil {
		d.fail(fmt.Errorf("dkg: decode point: %w", err))
		return nil
	}
	return p
}

// Points reads a count (at most max) followed by that many points.
func (d *Decoder) Points(g group.Group, max int) []group.Point {
	n := d.Uint32()
	if d.err != nil {
		return nil
	}
	if int64(n) > int64(max) || n > MaxListLen {
		d.fail(fmt.Errorf("dkg: list of %d points exceeds limit %d", n, max))
		return nil
	}
	if int64(n)*int64(g.PointLen()) > int64(len(d.b)) {
		d.fail(ErrTruncated)
		return nil
	}
	ps := make([]group.Point, n)
	for i := range ps {
		ps[i] = d.Point(g)
	}
	if d.err != nil {
		return nil
	}
	return ps
}

// Finish returns the first decoding error, or ErrTrailingBytes if input
// remains.
func (d *Decoder) Finish() error {
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return ErrTrailingBytes
	}
	return nil
}
