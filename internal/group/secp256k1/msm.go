package secp256k1

import "github.com/decred/dcrd/dcrec/secp256k1/v4"

// msmStraus sets r = Σ k[i]·P[i] in variable time with Straus' interleaved
// method: a table 1·P…15·P per point, then 64 rounds of four shared
// doublings and, for each point whose 4-bit digit is non-zero, one table
// addition. For 9 to 34 points it takes about 0.55–0.6 of the time of one
// ScalarMultNonConst per point. Points must be normalized; r may not alias
// them.
func msmStraus(k []*secp256k1.ModNScalar, pts []*secp256k1.JacobianPoint, r *secp256k1.JacobianPoint) {
	n := len(k)
	tables := make([][16]secp256k1.JacobianPoint, n)
	digits := make([][32]byte, n)
	for i := range n {
		t := &tables[i]
		t[1].Set(pts[i])
		secp256k1.DoubleNonConst(pts[i], &t[2])
		for j := 3; j < 16; j++ {
			secp256k1.AddNonConst(&t[j-1], pts[i], &t[j])
		}
		digits[i] = k[i].Bytes() // big-endian
	}
	var acc secp256k1.JacobianPoint
	for w := 0; w < 64; w++ {
		if w > 0 {
			for range 4 {
				secp256k1.DoubleNonConst(&acc, &acc)
			}
		}
		for i := range n {
			d := digits[i][w/2]
			if w%2 == 0 {
				d >>= 4
			} else {
				d &= 0x0f
			}
			if d != 0 {
				secp256k1.AddNonConst(&acc, &tables[i][d], &acc)
			}
		}
	}
	r.Set(&acc)
	canon(r)
}
