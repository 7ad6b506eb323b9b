package ed25519

import (
	"testing"

	"github.com/chainkey/chainkey/internal/group/grouptest"
)

func FuzzDecodePoint(f *testing.F) {
	var seeds [][]byte
	for _, h := range smallOrder {
		seeds = append(seeds, mustHex(h))
	}
	seeds = append(seeds,
		mustHex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // y = p
		mustHex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"), // y = p + 1
		mustHex("0100000000000000000000000000000000000000000000000000000000000080"), // x = 0, sign set
	)
	grouptest.FuzzDecodePoint(f, Group(), seeds, nil)
}

func BenchmarkScalarBaseMult(b *testing.B)    { grouptest.BenchScalarBaseMult(b, Group()) }
func BenchmarkScalarMult(b *testing.B)        { grouptest.BenchScalarMult(b, Group()) }
func BenchmarkVarTimeScalarMult(b *testing.B) { grouptest.BenchVarTimeScalarMult(b, Group()) }
func BenchmarkMultiScalarMult(b *testing.B)   { grouptest.BenchMultiScalarMult(b, Group()) }
func BenchmarkDecodePoint(b *testing.B)       { grouptest.BenchDecodePoint(b, Group()) }
