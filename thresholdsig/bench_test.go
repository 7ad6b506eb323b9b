package thresholdsig

import (
	"fmt"
	"testing"

	gnark "github.com/consensys/gnark-crypto/ecc/bls12-381"
)

// reportCPU starts measuring process CPU time; the returned function reports
// it per operation as the metric cpu-ns/op.
func reportCPU(b *testing.B) func() {
	start := processCPUTime()
	return func() {
		if d := processCPUTime() - start; start > 0 && b.N > 0 {
			b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

var benchMsg = []byte("\x0dic-state-root" + "0123456789abcdef0123456789abcdef")

func BenchmarkSignShare(b *testing.B) {
	_, sks := deal(b, 4, 3)
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := SignShare(sks[0], benchMsg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyShare verifies one share; the node public key is cached in
// the PublicCoefficients after the first call, as in a running node.
func BenchmarkVerifyShare(b *testing.B) {
	pc, sks := deal(b, 13, 9)
	s := signAll(b, sks[:1], benchMsg)[0]
	defer reportCPU(b)()
	for b.Loop() {
		if err := VerifyShare(pc, 0, benchMsg, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCombine(b *testing.B) {
	for _, nt := range [][2]int{{4, 3}, {13, 9}, {34, 23}} {
		n, th := nt[0], nt[1]
		b.Run(fmt.Sprintf("n=%d_t=%d", n, th), func(b *testing.B) {
			_, sks := deal(b, n, th)
			shares := signAll(b, sks[n-th:], benchMsg) // the last t nodes
			idx := make([]int, th)
			for j := range idx {
				idx[j] = n - th + j
			}
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := Combine(th, idx, shares); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCombineVerified is what a node runs to certify: combine the
// shares of all n nodes (t of them used), verify, no bad share.
func BenchmarkCombineVerified(b *testing.B) {
	for _, nt := range [][2]int{{13, 9}} {
		n, th := nt[0], nt[1]
		b.Run(fmt.Sprintf("n=%d_t=%d", n, th), func(b *testing.B) {
			pc, sks := deal(b, n, th)
			m := make(map[int][]byte, n)
			for i, s := range signAll(b, sks, benchMsg) {
				m[i] = s
			}
			defer reportCPU(b)()
			for b.Loop() {
				if _, bad, err := CombineVerified(pc, benchMsg, m); err != nil || bad != nil {
					b.Fatal(bad, err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	pc, sks := deal(b, 4, 3)
	sig, err := Combine(3, []int{0, 1, 2}, signAll(b, sks[:3], benchMsg))
	if err != nil {
		b.Fatal(err)
	}
	pk := pc.PublicKey()
	defer reportCPU(b)()
	for b.Loop() {
		if err := Verify(pk, benchMsg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBatchVerifyShares(b *testing.B) {
	for _, nt := range [][2]int{{13, 9}} {
		n, th := nt[0], nt[1]
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			pc, sks := deal(b, n, th)
			m := make(map[int][]byte, n)
			for i, s := range signAll(b, sks, benchMsg) {
				m[i] = s
			}
			defer reportCPU(b)()
			for b.Loop() {
				if bad, err := BatchVerifyShares(pc, benchMsg, m); err != nil || bad != nil {
					b.Fatal(bad, err)
				}
			}
		})
	}
}

// BenchmarkRawPairingCheck2 is the reference for Verify: gnark-crypto's
// two-pair pairing check e(σ, -g2)·e(H(m), pk) = 1 on decoded points.
func BenchmarkRawPairingCheck2(b *testing.B) {
	pc, sks := deal(b, 4, 3)
	sig, err := Combine(3, []int{0, 1, 2}, signAll(b, sks[:3], benchMsg))
	if err != nil {
		b.Fatal(err)
	}
	var s, h gnark.G1Affine
	var pk, negG2 gnark.G2Affine
	if _, err := s.SetBytes(sig); err != nil {
		b.Fatal(err)
	}
	if _, err := pk.SetBytes(pc.PublicKey().Bytes()); err != nil {
		b.Fatal(err)
	}
	if h, err = gnark.HashToG1(benchMsg, []byte(DST)); err != nil {
		b.Fatal(err)
	}
	_, _, _, g2Gen := gnark.Generators()
	negG2.Neg(&g2Gen)
	P, Q := []gnark.G1Affine{s, h}, []gnark.G2Affine{negG2, pk}
	defer reportCPU(b)()
	for b.Loop() {
		ok, err := gnark.PairingCheck(P, Q)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkRawHashToG1 is gnark-crypto's RFC 9380 hash to G1.
func BenchmarkRawHashToG1(b *testing.B) {
	dst := []byte(DST)
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := gnark.HashToG1(benchMsg, dst); err != nil {
			b.Fatal(err)
		}
	}
}
