package dkg_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/chainkey/chainkey/dkg"
	"github.com/chainkey/chainkey/internal/group"
	"github.com/chainkey/chainkey/internal/group/bls12381"
	"github.com/chainkey/chainkey/internal/group/secp256k1"
)

// benchCase is a group with the threshold it is used with: G2 for the BLS
// certification key (high threshold n−f), secp256k1 for IDKG-style
// sharings (f+1).
type benchCase struct {
	name string
	g    group.Group
	th   func(int) int
}

var benchGroups = []benchCase{
	{"g2", bls12381.G2(), dkg.HighThreshold},
	{"secp256k1", secp256k1.Group(), dkg.LowThreshold},
}

var benchSizes = []int{4, 13, 34}

// benchSetup is a session with every dealing already made.
type benchSetup struct {
	cfg  *dkg.Config
	c    *committee
	envs []*dkg.Envelope
}

var setups = map[string]*benchSetup{}

func getSetup(b *testing.B, bc benchCase, n int) *benchSetup {
	key := fmt.Sprintf("%s/%d", bc.name, n)
	if s, ok := setups[key]; ok {
		return s
	}
	rng := testRNG(byte(n))
	c := newCommittee(b, n, rng)
	s := &benchSetup{cfg: sessionConfig(bc.g, "bench", c, c, bc.th(n), nil), c: c}
	for j := range n {
		d, err := dkg.NewDealer(s.cfg, j, c.signs[j])
		if err != nil {
			b.Fatal(err)
		}
		env, err := d.Deal(nil, rng)
		if err != nil {
			b.Fatal(err)
		}
		s.envs = append(s.envs, env)
	}
	setups[key] = s
	return s
}

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs body b.N times and reports, beside the wall-clock ns/op, the
// process CPU time per operation (cpu-ms/op), which is what the per-node
// targets are about on a shared machine.
func loop(b *testing.B, body func()) {
	start := cpuTime()
	n := 0
	for b.Loop() {
		body()
		n++
	}
	if n > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(n)/1e6, "cpu-ms/op")
	}
}

func forEach(b *testing.B, sizes []int, f func(b *testing.B, bc benchCase, n int)) {
	for _, bc := range benchGroups {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%s_n=%d", bc.name, n), func(b *testing.B) { f(b, bc, n) })
		}
	}
}

// BenchmarkDealing measures making one signed dealing (commitment, n HPKE
// encryptions, proof, signature).
func BenchmarkDealing(b *testing.B) {
	forEach(b, benchSizes, func(b *testing.B, bc benchCase, n int) {
		s := getSetup(b, bc, n)
		rng := testRNG(9)
		loop(b, func() {
			d, _ := dkg.NewDealer(s.cfg, 0, s.c.signs[0])
			if _, err := d.Deal(nil, rng); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkVerifyDealingPublic measures public verification of one dealing
// (decoding with subgroup checks, signature, proof of knowledge).
func BenchmarkVerifyDealingPublic(b *testing.B) {
	forEach(b, benchSizes, func(b *testing.B, bc benchCase, n int) {
		s := getSetup(b, bc, n)
		loop(b, func() {
			if _, err := dkg.VerifyDealing(s.cfg, s.envs[1]); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkVerifyDealingPrivate measures a receiver's private check of one
// dealing: decrypt its share and check it against the commitment.
func BenchmarkVerifyDealingPrivate(b *testing.B) {
	forEach(b, benchSizes, func(b *testing.B, bc benchCase, n int) {
		s := getSetup(b, bc, n)
		sess, _ := dkg.NewSession(s.cfg)
		if err := sess.AddDealing(1, s.envs[1]); err != nil {
			b.Fatal(err)
		}
		loop(b, func() {
			r, _ := dkg.NewReceiver(s.cfg, 0, s.c.signs[0], s.c.encs[0])
			cs, err := r.VerifyDealings(sess)
			if err != nil || len(cs) != 0 {
				b.Fatal(err)
			}
		})
	})
}

// perNode is one node's whole share of the work of a session: its own
// dealing, public verification of all n dealings, private verification of
// its n shares, the transcript and its secret share.
func perNode(b *testing.B, cfg *dkg.Config, c *committee, dealerSigns []*dkg.NodeSigningKey, envs []*dkg.Envelope, oldShare *dkg.SecretShare, self int) {
	rng := testRNG(10)
	d, err := dkg.NewDealer(cfg, 0, dealerSigns[0])
	if err != nil {
		b.Fatal(err)
	}
	var secret group.Scalar
	if oldShare != nil {
		secret = oldShare.Value()
	}
	if _, err := d.Deal(secret, rng); err != nil {
		b.Fatal(err)
	}
	sess, _ := dkg.NewSession(cfg)
	for _, e := range envs {
		if err := sess.AddDealing(1, e); err != nil {
			b.Fatal(err)
		}
	}
	r, _ := dkg.NewReceiver(cfg, self, c.signs[self], c.encs[self])
	if cs, err := r.VerifyDealings(sess); err != nil || len(cs) != 0 {
		b.Fatal(err, len(cs))
	}
	tr, err := sess.Transcript(3)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.SecretShare(sess, tr); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkDKGPerNode measures the CPU one node spends on a whole DKG.
func BenchmarkDKGPerNode(b *testing.B) {
	forEach(b, []int{4, 13, 34, 100}, func(b *testing.B, bc benchCase, n int) {
		s := getSetup(b, bc, n)
		loop(b, func() {
			perNode(b, s.cfg, s.c, s.c.signs, s.envs, nil, 1)
		})
	})
}

// BenchmarkReshare measures the CPU one node spends on resharing a 13-node
// G2 key (threshold 9) to 13 or 16 nodes (new high threshold).
func BenchmarkReshare(b *testing.B) {
	for _, to := range []int{13, 16} {
		b.Run(fmt.Sprintf("13to%d", to), func(b *testing.B) {
			g := bls12381.G2()
			rng := testRNG(11)
			old := getSetup(b, benchGroups[0], 13)
			sess, _ := dkg.NewSession(old.cfg)
			for _, e := range old.envs {
				_ = sess.AddDealing(1, e)
			}
			tr, err := sess.Transcript(3)
			if err != nil {
				b.Fatal(err)
			}
			shares := map[int]*dkg.SecretShare{}
			for i := range 13 {
				r, _ := dkg.NewReceiver(old.cfg, i, old.c.signs[i], old.c.encs[i])
				_, _ = r.VerifyDealings(sess)
				shares[i], err = r.SecretShare(sess, tr)
				if err != nil {
					b.Fatal(err)
				}
			}
			next := old.c
			if to != 13 {
				next = newCommittee(b, to, rng)
			}
			cfg := sessionConfig(g, "bench-reshare", old.c, next, dkg.HighThreshold(to), tr.PublicPolynomial())
			var envs []*dkg.Envelope
			for j := range 13 {
				d, _ := dkg.NewDealer(cfg, j, old.c.signs[j])
				env, err := d.Deal(shares[j].Value(), rng)
				if err != nil {
					b.Fatal(err)
				}
				envs = append(envs, env)
			}
			loop(b, func() { perNode(b, cfg, next, old.c.signs, envs, shares[0], 1) })
		})
	}
}
