package grouptest

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/chainkey/chainkey/internal/group"
)

// FuzzDecodePoint seeds f with valid encodings of g (the generator, random
// points and their negations), the identity's encoding, truncated and
// extended encodings, and the given extra seeds, then fuzzes g.DecodePoint:
// it must not panic, and a successful decode must be a non-identity point
// that re-encodes to exactly the input. check, if not nil, is called on every
// input with the decoding result for further (differential) checks.
func FuzzDecodePoint(f *testing.F, g group.Group, seeds [][]byte, check func(t *testing.T, data []byte, p group.Point, err error)) {
	gen := g.Generator().Bytes()
	f.Add(gen)
	for i := 0; i < 4; i++ {
		p := RandomPoint(f, g)
		f.Add(p.Bytes())
		f.Add(g.NewPoint().Neg(p).Bytes())
	}
	f.Add(g.NewPoint().Bytes())
	f.Add(gen[:len(gen)-1])
	f.Add(append(bytes.Clone(gen), 0))
	f.Add([]byte{})
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := g.DecodePoint(data)
		if check != nil {
			check(t, data, p, err)
		}
		if err != nil {
			return
		}
		if p.IsIdentity() {
			t.Fatalf("decoded the identity from %x", data)
		}
		if enc := p.Bytes(); !bytes.Equal(enc, data) {
			t.Fatalf("decoded %x, re-encodes as %x", data, enc)
		}
	})
}

// Benchmark inputs are random; the helpers below fail b on error.

// BenchScalarBaseMult measures ScalarBaseMult with a random scalar.
func BenchScalarBaseMult(b *testing.B, g group.Group) {
	s := RandomScalar(b, g)
	p := g.NewPoint()
	defer ReportCPU(b)()
	for b.Loop() {
		p.ScalarBaseMult(s)
	}
}

// BenchScalarMult measures the constant-time ScalarMult.
func BenchScalarMult(b *testing.B, g group.Group) {
	s, q := RandomScalar(b, g), RandomPoint(b, g)
	p := g.NewPoint()
	defer ReportCPU(b)()
	for b.Loop() {
		p.ScalarMult(s, q)
	}
}

// BenchVarTimeScalarMult measures VarTimeScalarMult.
func BenchVarTimeScalarMult(b *testing.B, g group.Group) {
	s, q := RandomScalar(b, g), RandomPoint(b, g)
	p := g.NewPoint()
	defer ReportCPU(b)()
	for b.Loop() {
		p.VarTimeScalarMult(s, q)
	}
}

// BenchMultiScalarMult runs sub-benchmarks n=9 and n=34 of MultiScalarMult.
func BenchMultiScalarMult(b *testing.B, g group.Group) {
	for _, n := range []int{9, 34} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			scalars := make([]group.Scalar, n)
			points := make([]group.Point, n)
			for i := range scalars {
				scalars[i], points[i] = RandomScalar(b, g), RandomPoint(b, g)
			}
			defer ReportCPU(b)()
			for b.Loop() {
				if _, err := g.MultiScalarMult(scalars, points); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchDecodePoint measures DecodePoint of a valid encoding.
func BenchDecodePoint(b *testing.B, g group.Group) {
	enc := RandomPoint(b, g).Bytes()
	defer ReportCPU(b)()
	for b.Loop() {
		if _, err := g.DecodePoint(enc); err != nil {
			b.Fatal(err)
		}
	}
}
