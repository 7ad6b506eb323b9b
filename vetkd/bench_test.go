package vetkd_test

import (
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/chainkey/chainkey/internal/group/grouptest"
	"github.com/chainkey/chainkey/vetkd"
)

// benchSizes are the subnet sizes benchmarked, with threshold n−f.
var benchSizes = []int{4, 13, 34}

type benchSetup struct {
	s      *subnet
	req    *vetkd.Request
	d      *vetkd.Derivation
	shares map[int][]byte
	t      int
}

func newBench(b *testing.B, n int) *benchSetup {
	b.Helper()
	s := newSubnet(b, n)
	tsk := newTransport(b)
	req := &vetkd.Request{CanisterID: canister, Context: []byte("notes"), Input: []byte("alice"),
		TransportPublicKey: tsk.PublicKey().Bytes()}
	d := newDerivation(b, s.pc, req)
	shares := s.encShares(b, d, all(n))
	// Warm the cache of node public keys, as in a running node.
	for i := range n {
		if err := d.VerifyShare(i, shares[i]); err != nil {
			b.Fatal(err)
		}
	}
	return &benchSetup{s: s, req: req, d: d, shares: shares, t: d.Threshold()}
}

// firstT returns the shares of the first t nodes.
func (bs *benchSetup) firstT() map[int][]byte {
	out := make(map[int][]byte, bs.t)
	for i := range bs.t {
		out[i] = bs.shares[i]
	}
	return out
}

// BenchmarkCreateShare is one node's work for a request: preparing the
// derivation (public key derivation, hash of the input, transport key
// decoding) and creating its encrypted key share.
func BenchmarkCreateShare(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			bs := newBench(b, n)
			defer grouptest.ReportCPU(b)()
			for b.Loop() {
				d, err := vetkd.NewDerivation(bs.s.pc, bs.req)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := d.CreateShare(rand.Reader, bs.s.shares[0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyShare verifies one encrypted key share against its node's
// public key share.
func BenchmarkVerifyShare(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			bs := newBench(b, n)
			defer grouptest.ReportCPU(b)()
			for b.Loop() {
				if err := bs.d.VerifyShare(1, bs.shares[1]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCombine combines a threshold of valid shares and verifies the
// result, which verifies all of them at once.
func BenchmarkCombine(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			bs := newBench(b, n)
			in := bs.firstT()
			defer grouptest.ReportCPU(b)()
			for b.Loop() {
				if _, bad, err := bs.d.Combine(in); err != nil || len(bad) != 0 {
					b.Fatal(err, bad)
				}
			}
		})
	}
}

// BenchmarkCombineWithLiars combines all n shares of which f are invalid:
// the optimistic combination fails, every share is verified, and the valid
// ones are combined again.
func BenchmarkCombineWithLiars(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			bs := newBench(b, n)
			in := make(map[int][]byte, n)
			for i, sh := range bs.shares {
				in[i] = sh
			}
			for i := range bs.s.f {
				in[i] = bs.shares[n-1] // another node's share
			}
			defer grouptest.ReportCPU(b)()
			for b.Loop() {
				if _, bad, err := bs.d.Combine(in); err != nil || len(bad) != bs.s.f {
					b.Fatal(err, bad)
				}
			}
		})
	}
}

// BenchmarkNodeRequest is the goal figure: one node prepares the request,
// creates its share, and combines and verifies a threshold of shares.
func BenchmarkNodeRequest(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint("n=", n), func(b *testing.B) {
			bs := newBench(b, n)
			in := bs.firstT()
			defer grouptest.ReportCPU(b)()
			for b.Loop() {
				d, err := vetkd.NewDerivation(bs.s.pc, bs.req)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := d.CreateShare(rand.Reader, bs.s.shares[0]); err != nil {
					b.Fatal(err)
				}
				if _, _, err := d.Combine(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecrypt is the caller's decryption and verification.
func BenchmarkDecrypt(b *testing.B) {
	bs := newBench(b, 4)
	tsk := newTransport(b)
	req := *bs.req
	req.TransportPublicKey = tsk.PublicKey().Bytes()
	d := newDerivation(b, bs.s.pc, &req)
	ek, _, err := d.Combine(bs.s.encShares(b, d, all(4)))
	if err != nil {
		b.Fatal(err)
	}
	defer grouptest.ReportCPU(b)()
	for b.Loop() {
		if _, err := tsk.Decrypt(ek, d.PublicKey(), req.Input); err != nil {
			b.Fatal(err)
		}
	}
}
