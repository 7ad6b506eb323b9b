package secp256k1

import (
	"bytes"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/grouptest"
)

func FuzzDecodePoint(f *testing.F) {
	gen := Generator().Bytes()
	pk, _ := Generator().PublicKey()
	seeds := [][]byte{
		append([]byte{4}, gen[1:]...),
		append([]byte{0}, gen[1:]...),
		pk.SerializeUncompressed(),
		append([]byte{2}, mustHex(fieldPrimeHex)...),
		append([]byte{3}, bytes.Repeat([]byte{0xff}, 32)...),
	}
	// Differential check: decred's parser must agree on 33-byte inputs.
	check := func(t *testing.T, data []byte, p group.Point, err error) {
		if len(data) != 33 {
			return
		}
		k, kerr := secp256k1.ParsePubKey(data)
		if (err == nil) != (kerr == nil) {
			t.Fatalf("%x: DecodePoint error %v, ParsePubKey error %v", data, err, kerr)
		}
		if err == nil && !bytes.Equal(k.SerializeCompressed(), p.Bytes()) {
			t.Fatalf("%x: decoders disagree", data)
		}
	}
	grouptest.FuzzDecodePoint(f, Group(), seeds, check)
}

func BenchmarkScalarBaseMult(b *testing.B)    { grouptest.BenchScalarBaseMult(b, Group()) }
func BenchmarkScalarMult(b *testing.B)        { grouptest.BenchScalarMult(b, Group()) }
func BenchmarkVarTimeScalarMult(b *testing.B) { grouptest.BenchVarTimeScalarMult(b, Group()) }
func BenchmarkMultiScalarMult(b *testing.B)   { grouptest.BenchMultiScalarMult(b, Group()) }
func BenchmarkDecodePoint(b *testing.B)       { grouptest.BenchDecodePoint(b, Group()) }

// BenchmarkScalarInvert measures the constant-time scalar inversion.
func BenchmarkScalarInvert(b *testing.B) {
	s := grouptest.RandomScalar(b, Group())
	r := Group().NewScalar()
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		r.Invert(s)
	}
}

// BenchmarkDecredScalarBaseMultNonConst and BenchmarkDecredScalarMultNonConst
// measure decred's variable-time routines in the same run, as the baseline
// the constant-time ones are compared with.
func BenchmarkDecredScalarBaseMultNonConst(b *testing.B) {
	s := grouptest.RandomScalar(b, Group()).(*Scalar)
	var r secp256k1.JacobianPoint
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		secp256k1.ScalarBaseMultNonConst(&s.s, &r)
	}
}

func BenchmarkDecredScalarMultNonConst(b *testing.B) {
	s := grouptest.RandomScalar(b, Group()).(*Scalar)
	q := grouptest.RandomPoint(b, Group()).(*Point)
	var r secp256k1.JacobianPoint
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		secp256k1.ScalarMultNonConst(&s.s, &q.p, &r)
	}
}

// BenchmarkScalarMultTiming compares the constant-time ScalarMult on a
// low-weight scalar (1) with a random one; decred's variable-time routine is
// run on the same scalars for contrast. The constant-time pair should match.
func BenchmarkScalarMultTiming(b *testing.B) {
	q := grouptest.RandomPoint(b, Group()).(*Point)
	for _, c := range []struct {
		name string
		s    *Scalar
	}{
		{"s=1", Group().NewScalar().SetUint64(1).(*Scalar)},
		{"s=random", grouptest.RandomScalar(b, Group()).(*Scalar)},
	} {
		b.Run("ct/"+c.name, func(b *testing.B) {
			var r Point
			defer grouptest.ReportCPU(b)()
			for b.Loop() {
				r.ScalarMult(c.s, q)
			}
		})
		b.Run("nonconst/"+c.name, func(b *testing.B) {
			var r secp256k1.JacobianPoint
			defer grouptest.ReportCPU(b)()
			for b.Loop() {
				secp256k1.ScalarMultNonConst(&c.s.s, &q.p, &r)
			}
		})
	}
}
