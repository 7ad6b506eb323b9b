package ecdsa

import (
	"crypto/sha256"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	becdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/idkg"
	"github.com/chainkey/chainkey/idkg/idkgtest"
	"github.com/chainkey/chainkey/internal/group"
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
	cfg                   *idkg.Config
	key                   *idkgtest.Plain
	kappa, lambda, kl, xl *idkgtest.Plain
	pre                   *Presignature
	ek                    *dkg.EncryptionKey
	keys                  []*dkg.EncryptionPublicKey
	cts                   map[string][][]byte // op name -> [dealer] ciphertext for node 0
	sealedCts             map[string][][]byte // the same, sealed per dealer
	sealers               []*dkg.ShareSealer  // dealer d -> node 0
	mySealers             []*dkg.ShareSealer  // node 0 -> receiver j
	opener                *dkg.ShareOpener
}

func newBenchSetup(b testing.TB, n int) *benchSetup {
	r := idkgtest.Seeded(uint64(n))
	cfg, err := idkg.NewConfig(curve(), n)
	if err != nil {
		b.Fatal(err)
	}
	s := &benchSetup{cfg: cfg, cts: map[string][][]byte{}, sealedCts: map[string][][]byte{}, sealers: make([]*dkg.ShareSealer, n)}
	masked := idkgtest.MustRunPlain(cfg, []byte("key-masked"), idkg.NewRandom(n), nil, r)
	s.key = idkgtest.MustRunPlain(cfg, []byte("key"), idkg.NewReshareOfMasked(masked.Transcript), idkgtest.PerDealer(masked.Openings), r)
	s.kappa = idkgtest.MustRunPlain(cfg, []byte("kappa"), idkg.NewRandomUnmasked(n), nil, r)
	s.lambda = idkgtest.MustRunPlain(cfg, []byte("lambda"), idkg.NewRandom(n), nil, r)
	s.kl = idkgtest.MustRunPlain(cfg, []byte("kl"), idkg.NewUnmaskedTimesMasked(s.kappa.Transcript, s.lambda.Transcript), idkgtest.PerDealer(s.kappa.Openings, s.lambda.Openings), r)
	s.xl = idkgtest.MustRunPlain(cfg, []byte("xl"), idkg.NewUnmaskedTimesMasked(s.key.Transcript, s.lambda.Transcript), idkgtest.PerDealer(s.key.Openings, s.lambda.Openings), r)
	if s.pre, err = NewPresignature([]byte("pre"), s.key.Transcript, s.kappa.Transcript, s.lambda.Transcript, s.kl.Transcript, s.xl.Transcript); err != nil {
		b.Fatal(err)
	}
	if s.ek, err = dkg.GenerateEncryptionKey(r); err != nil {
		b.Fatal(err)
	}
	for j := 0; j < n; j++ {
		k := s.ek.PublicKey() // every receiver's key costs the same
		s.keys = append(s.keys, k)
	}
	for name, pr := range map[string]*idkgtest.Plain{"kappa": s.kappa, "lambda": s.lambda, "kl": s.kl, "xl": s.xl} {
		// Encrypt through the public API (binds to the dealing hash).
		cts := make([][]byte, len(pr.Dealings))
		for d, dl := range pr.Dealings {
			all, err := idkg.EncryptOpenings(dl, pr.DealerOpenings[d][:1], s.keys[:1])
			if err != nil {
				b.Fatal(err)
			}
			cts[d] = all[0]
		}
		s.cts[name] = cts
		// The same openings sealed: one sealer per dealer (for receiver 0)
		// shared by the dealer's dealings, as a node seals one round.
		sealed := make([][]byte, len(pr.Dealings))
		for d, dl := range pr.Dealings {
			if s.sealers[d] == nil {
				if s.sealers[d], err = dkg.NewShareSealer(s.keys[0], uint32(d), 0); err != nil {
					b.Fatal(err)
				}
			}
			ct, err := idkg.EncryptOpeningsWith(dl, pr.DealerOpenings[d][:1], []*dkg.ShareSealer{s.sealers[d]})
			if err != nil {
				b.Fatal(err)
			}
			sealed[d] = ct[0]
		}
		s.sealedCts[name] = sealed
	}
	for j := 0; j < n; j++ {
		sl, err := dkg.NewShareSealer(s.keys[j], 0, uint32(j))
		if err != nil {
			b.Fatal(err)
		}
		s.mySealers = append(s.mySealers, sl)
	}
	return s
}

func shareCtx(dl *idkg.Dealing) *dkg.ShareContext {
	return &dkg.ShareContext{SessionID: dl.TranscriptID, Dealer: uint32(dl.Dealer)}
}

func payload(o *idkg.Opening) dkg.SharePayload {
	p := dkg.SharePayload{Scalars: []group.Scalar{o.Value}}
	if o.Mask != nil {
		p.Scalars = append(p.Scalars, o.Mask)
	}
	return p
}

// nodePresignWith is one node's (node 0's) whole CPU work for one presignature:
// its four dealings (including encryption to all n receivers), the public
// and private verification of all n dealings of each of the four
// transcripts, the four transcripts' combination, its four shares, and the
// check of its presignature share.
//
// With agreedOnly, the node verifies and decrypts only the dealings of the
// agreed set (f+1 for κ and λ, 2f+1 for the products) instead of all n.
// With sealed, the node's own dealings are
// encrypted with sealers and the others' decrypted with an opener whose
// KEM runs are spent once (a node seals and opens all dealings of a round
// under one encapsulation per dealer and receiver).
func (s *benchSetup) nodePresignWith(b *testing.B, r io.Reader, agreedOnly, sealed bool) {
	n := s.cfg.Receivers()
	type step struct {
		name   string
		op     *idkg.Operation
		pr     *idkgtest.Plain
		inputs []*idkg.Opening
	}
	steps := []step{
		{"kappa", idkg.NewRandomUnmasked(n), s.kappa, nil},
		{"lambda", idkg.NewRandom(n), s.lambda, nil},
		{"kl", idkg.NewUnmaskedTimesMasked(s.kappa.Transcript, s.lambda.Transcript), s.kl, []*idkg.Opening{s.kappa.Openings[0], s.lambda.Openings[0]}},
		{"xl", idkg.NewUnmaskedTimesMasked(s.key.Transcript, s.lambda.Transcript), s.xl, []*idkg.Opening{s.key.Openings[0], s.lambda.Openings[0]}},
	}
	var mine []*idkg.Opening
	for _, st := range steps {
		dl, os, err := idkg.Deal(s.cfg, []byte(st.name), st.op, 0, st.inputs, r)
		if err != nil {
			b.Fatal(err)
		}
		if sealed {
			_, err = idkg.EncryptOpeningsWith(dl, os, s.mySealers)
		} else {
			_, err = idkg.EncryptOpenings(dl, os, s.keys)
		}
		if err != nil {
			b.Fatal(err)
		}
		dealings, cts := st.pr.Dealings, s.cts[st.name]
		if sealed {
			cts = s.sealedCts[st.name]
		}
		if agreedOnly {
			dealings, cts = dealings[:st.op.CollectionThreshold()], cts[:st.op.CollectionThreshold()]
		}
		// Dealings arrive as bytes: decode them, so that nothing is
		// remembered from an earlier round.
		fresh := make([]*idkg.Dealing, len(dealings))
		for i, dd := range dealings {
			enc, err := dd.MarshalBinary()
			if err != nil {
				b.Fatal(err)
			}
			if fresh[i], err = idkg.UnmarshalDealing(s.cfg.Group(), enc); err != nil {
				b.Fatal(err)
			}
		}
		dealings = fresh
		for _, dd := range dealings {
			if err := idkg.VerifyDealing(s.cfg, []byte(st.name), st.op, dd); err != nil {
				b.Fatal(err)
			}
		}
		// The dealings of one transcript arrive in a block: their openings
		// are decrypted and checked in one batch.
		if sealed {
			os, err = s.cfg.DecryptOpeningsWith(0, s.opener, dealings, cts)
		} else {
			os, err = s.cfg.DecryptOpenings(0, s.ek, dealings, cts)
		}
		if err != nil {
			b.Fatal(err)
		}
		got := map[int]*idkg.Opening{}
		for d, o := range os {
			got[d] = o
		}
		tr, _, err := idkg.CreateTranscript(s.cfg, []byte(st.name), st.op, dealings)
		if err != nil {
			b.Fatal(err)
		}
		o, err := tr.ComputeOpening(0, got)
		if err != nil {
			b.Fatal(err)
		}
		mine = append(mine, o)
	}
	if _, err := NewPresignatureShare(s.pre, 0, mine[1], s.kl.Openings[0], s.xl.Openings[0]); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkPresignatureNode(b *testing.B) {
	for _, n := range []int{4, 13, 34} {
		s := newBenchSetup(b, n)
		s.opener = dkg.NewShareOpener(s.ek)
		for _, mode := range []string{"all-dealings", "agreed-set", "agreed-sealed"} {
			name := fmt.Sprintf("%s/n=%d", mode, n)
			agreed, sealed := mode != "all-dealings", mode == "agreed-sealed"
			b.Run(name, func(b *testing.B) {
				r := idkgtest.Seeded(9)
				start := cpuTime()
				for b.Loop() {
					s.nodePresignWith(b, r, agreed, sealed)
				}
				reportCPU(b, start)
			})
		}
	}
}

type nopLog struct{}

func (nopLog) Consume([]byte) error { return nil }

func (s *benchSetup) freshShare(i int) *PresignatureShare {
	g := curve()
	cp := func(o *idkg.Opening) *idkg.Opening {
		return &idkg.Opening{Value: g.NewScalar().Set(o.Value), Mask: g.NewScalar().Set(o.Mask)}
	}
	return &PresignatureShare{id: s.pre.ID, receiver: i, lambda: cp(s.lambda.Openings[i]),
		kappaLambda: cp(s.kl.Openings[i]), keyLambda: cp(s.xl.Openings[i])}
}

func benchRequest() *Request {
	h := sha256.Sum256([]byte("bench"))
	rnd := sha256.Sum256([]byte("beacon"))
	return &Request{MessageHash: h[:], Caller: []byte("canister"), DerivationPath: [][]byte{[]byte("p")}, Randomness: rnd[:]}
}

func BenchmarkOnline(b *testing.B) {
	for _, n := range []int{4, 13, 34} {
		s := newBenchSetup(b, n)
		req := benchRequest()
		f := (n - 1) / 3
		if n == 13 {
			b.Run("SignShare/n=13", func(b *testing.B) {
				start := cpuTime()
				for b.Loop() {
					if _, err := SignShare(s.key.Transcript, s.pre, s.freshShare(0), req, nopLog{}); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, start)
			})
			sh, _ := SignShare(s.key.Transcript, s.pre, s.freshShare(0), req, nopLog{})
			b.Run("VerifyShare/n=13", func(b *testing.B) {
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
				x, _ := SignShare(s.key.Transcript, s.pre, s.freshShare(i), req, nopLog{})
				shares = append(shares, x)
			}
			b.Run("Combine/n=13", func(b *testing.B) {
				start := cpuTime()
				for b.Loop() {
					if _, _, err := Combine(s.key.Transcript, s.pre, req, shares); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, start)
			})
		}
		// 2f+1 nodes make their shares; the combiner combines (and checks
		// the signature); the result is verified.
		b.Run(fmt.Sprintf("Sign2f+1/n=%d", n), func(b *testing.B) {
			start := cpuTime()
			for b.Loop() {
				var shares []*SignatureShare
				for i := 0; i < 2*f+1; i++ {
					x, err := SignShare(s.key.Transcript, s.pre, s.freshShare(i), req, nopLog{})
					if err != nil {
						b.Fatal(err)
					}
					shares = append(shares, x)
				}
				sig, _, err := Combine(s.key.Transcript, s.pre, req, shares)
				if err != nil {
					b.Fatal(err)
				}
				if err := Verify(sig.PublicKey, req.MessageHash, sig.Bytes()); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// Outside references: btcec's single-party ECDSA.
func BenchmarkBtcecSignVerify(b *testing.B) {
	k, _ := btcec.NewPrivateKey()
	h := sha256.Sum256([]byte("x"))
	b.Run("Sign", func(b *testing.B) {
		start := cpuTime()
		for b.Loop() {
			becdsa.Sign(k, h[:])
		}
		reportCPU(b, start)
	})
	sig := becdsa.Sign(k, h[:])
	b.Run("Verify", func(b *testing.B) {
		start := cpuTime()
		for b.Loop() {
			sig.Verify(h[:], k.PubKey())
		}
		reportCPU(b, start)
	})
}

// Raw curve references through internal/group, in the same run.
func BenchmarkCurve(b *testing.B) {
	g := curve()
	r := idkgtest.Seeded(7)
	s, _ := g.RandomScalar(r)
	q := g.NewPoint().ScalarBaseMult(s)
	p := g.NewPoint()
	b.Run("ScalarBaseMult", func(b *testing.B) {
		start := cpuTime()
		for b.Loop() {
			p.ScalarBaseMult(s)
		}
		reportCPU(b, start)
	})
	b.Run("ScalarMult", func(b *testing.B) {
		start := cpuTime()
		for b.Loop() {
			p.ScalarMult(s, q)
		}
		reportCPU(b, start)
	})
	b.Run("VarTimeScalarMult", func(b *testing.B) {
		start := cpuTime()
		for b.Loop() {
			p.VarTimeScalarMult(s, q)
		}
		reportCPU(b, start)
	})
}
