package secp256k1

import (
	"fmt"
	"testing"

	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/grouptest"
)

// BenchmarkMultiScalarMultSmall measures the MSM sizes of the IDKG proof
// checks (1 to 3 points with full-size public scalars).
func BenchmarkMultiScalarMultSmall(b *testing.B) {
	g := Group()
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			ss := make([]group.Scalar, n)
			ps := make([]group.Point, n)
			for i := range ss {
				ss[i], ps[i] = grouptest.RandomScalar(b, g), grouptest.RandomPoint(b, g)
			}
			defer grouptest.ReportCPU(b)()
			for b.Loop() {
				if _, err := g.MultiScalarMult(ss, ps); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
