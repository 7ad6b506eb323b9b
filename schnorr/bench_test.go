package schnorr

import (
	"crypto/sha256"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/idkg/idkgtest"
)

// cpuTime returns the process's CPU time (user + system), so that figures
// stay meaningful on a loaded machine where wall time is inflated.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ms/op metric for the loop that started at start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

type benchSetup struct {
	alg        Algorithm
	cfg        *idkg.Config
	key, nonce *idkgtest.Plain
	pre        *Presignature
	ek         *dkg.EncryptionKey
	keys       []*dkg.EncryptionPublicKey
	cts        [][]byte
}

func newBenchSetup(b testing.TB, alg Algorithm, n int) *benchSetup {
	r := idkgtest.Seeded(uint64(n))
	cfg, err := idkg.NewConfig(alg.Group(), n)
	if err != nil {
		b.Fatal(err)
	}
	s := &benchSetup{alg: alg, cfg: cfg}
	masked := idkgtest.MustRunPlain(cfg, []byte("key-masked"), idkg.NewRandom(n), nil, r)
	s.key = idkgtest.MustRunPlain(cfg, []byte("key"), idkg.NewReshareOfMasked(masked.Transcript),
		idkgtest.PerDealer(masked.Openings), r)
	s.nonce = idkgtest.MustRunPlain(cfg, []byte("nonce"), idkg.NewRandomUnmasked(n), nil, r)
	if s.pre, err = NewPresignature([]byte("pre"), alg, s.key.Transcript, s.nonce.Transcript); err != nil {
		b.Fatal(err)
	}
	if s.ek, err = dkg.GenerateEncryptionKey(r); err != nil {
		b.Fatal(err)
	}
	for range n {
		s.keys = append(s.keys, s.ek.PublicKey())
	}
	for d, dl := range s.nonce.Dealings {
		ct, err := idkg.EncryptOpenings(dl, s.nonce.DealerOpenings[d][:1], s.keys[:1])
		if err != nil {
			b.Fatal(err)
		}
		s.cts = append(s.cts, ct[0])
	}
	return s
}

// nodePresign is node 0's work for one Schnorr presignature: its nonce
// dealing (encrypted to all n), verification and decryption of all n
// dealings, the transcript and its share.
func (s *benchSetup) nodePresign(b *testing.B, r io.Reader) {
	n := s.cfg.Receivers()
	op := idkg.NewRandomUnmasked(n)
	dl, os, err := idkg.Deal(s.cfg, []byte("nonce"), op, 0, nil, r)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := idkg.EncryptOpenings(dl, os, s.keys); err != nil {
		b.Fatal(err)
	}
	for _, dd := range s.nonce.Dealings {
		if err := idkg.VerifyDealing(s.cfg, []byte("nonce"), op, dd); err != nil {
			b.Fatal(err)
		}
	}
	os, err = s.cfg.DecryptOpenings(0, s.ek, s.nonce.Dealings, s.cts)
	if err != nil {
		b.Fatal(err)
	}
	got := map[int]*idkg.Opening{}
	for d, o := range os {
		got[d] = o
	}
	tr, _, err := idkg.CreateTranscript(s.cfg, []byte("nonce"), op, s.nonce.Dealings)
	if err != nil {
		b.Fatal(err)
	}
	o, err := tr.ComputeOpening(0, got)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := NewPresignatureShare(s.pre, 0, o); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkPresignatureNode(b *testing.B) {
	for _, alg := range []Algorithm{BIP340, Ed25519} {
		for _, n := range []int{4, 13, 34} {
			b.Run(fmt.Sprintf("%v/n=%d", alg, n), func(b *testing.B) {
				s := newBenchSetup(b, alg, n)
				r := idkgtest.Seeded(9)
				start := cpuTime()
				for b.Loop() {
					s.nodePresign(b, r)
				}
				reportCPU(b, start)
			})
		}
	}
}

type nopLog struct{}

func (nopLog) Consume([]byte) error { return nil }

func (s *benchSetup) freshShare(i int) *PresignatureShare {
	return &PresignatureShare{id: s.pre.ID, receiver: i,
		nonce: &idkg.Opening{Value: s.alg.Group().NewScalar().Set(s.nonce.Openings[i].Value)}}
}

func benchRequest(alg Algorithm) *Request {
	h := sha256.Sum256([]byte("bench"))
	rnd := sha256.Sum256([]byte("beacon"))
	req := &Request{Message: h[:], Caller: []byte("canister"), DerivationPath: [][]byte{[]byte("p")}, Randomness: rnd[:]}
	if alg == BIP340 {
		req.TaprootMerkleRoot = []byte{}
	}
	return req
}

func BenchmarkOnline(b *testing.B) {
	for _, alg := range []Algorithm{BIP340, Ed25519} {
		for _, n := range []int{4, 13, 34} {
			s := newBenchSetup(b, alg, n)
			req := benchRequest(alg)
			f := (n - 1) / 3
			if n == 13 {
				b.Run(fmt.Sprintf("%v/SignShare/n=13", alg), func(b *testing.B) {
					start := cpuTime()
					for b.Loop() {
						if _, err := SignShare(s.key.Transcript, s.key.Openings[0], s.pre, s.freshShare(0), req, nopLog{}); err != nil {
							b.Fatal(err)
						}
					}
					reportCPU(b, start)
				})
				sh, _ := SignShare(s.key.Transcript, s.key.Openings[0], s.pre, s.freshShare(0), req, nopLog{})
				b.Run(fmt.Sprintf("%v/VerifyShare/n=13", alg), func(b *testing.B) {
					start := cpuTime()
					for b.Loop() {
						if err := VerifyShare(s.key.Transcript, s.pre, req, sh); err != nil {
							b.Fatal(err)
						}
					}
					reportCPU(b, start)
				})
				var shares []*SignatureShare
				for i := 0; i <= f; i++ {
					x, _ := SignShare(s.key.Transcript, s.key.Openings[i], s.pre, s.freshShare(i), req, nopLog{})
					shares = append(shares, x)
				}
				b.Run(fmt.Sprintf("%v/Combine/n=13", alg), func(b *testing.B) {
					start := cpuTime()
					for b.Loop() {
						if _, _, err := Combine(s.key.Transcript, s.pre, req, shares); err != nil {
							b.Fatal(err)
						}
					}
					reportCPU(b, start)
				})
			}
			b.Run(fmt.Sprintf("%v/Sign2f+1/n=%d", alg, n), func(b *testing.B) {
				start := cpuTime()
				for b.Loop() {
					var shares []*SignatureShare
					for i := 0; i < 2*f+1; i++ {
						x, err := SignShare(s.key.Transcript, s.key.Openings[i], s.pre, s.freshShare(i), req, nopLog{})
						if err != nil {
							b.Fatal(err)
						}
						shares = append(shares, x)
					}
					if _, _, err := Combine(s.key.Transcript, s.pre, req, shares); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, start)
			})
		}
	}
}
